"""Throughput through the DIGEST-MD5 confidentiality layer: virtwire vs libvirt-python.

Run from the repository root as root: ``python bench/auth.py [--size BYTES] [--rounds N]``.
It starts a test-driver libvirtd serving plain TCP with ``auth_tcp = "sasl"`` and a private
cyrus SASL database allowing only DIGEST-MD5, so every byte travels RC4-encrypted and
HMAC-MD5-signed (SSF 128). A domain whose XML is about ``--size`` bytes is defined, then
each client fetches it ``--rounds`` times (``get_xml_description``), and also fetches the
small capabilities document repeatedly. libvirt-python (``libvirt.openAuth`` with a
credential callback) runs under ``/usr/bin/python3`` (or
``VIRTWIRE_BENCH_LIBVIRT_PYTHON``) in a child process, on the same daemon and URI.

Printed: MB/s of reply payload per client and virtwire's ratio to libvirt-python.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import virtwire  # noqa: E402
import virtwire.aio  # noqa: E402
from virtwire.auth import CRED_AUTHNAME, CRED_PASSPHRASE  # noqa: E402

USER = "bench"
PASSWORD = "bench-Pa55"
NAME = "bench-big"


def callback(creds: list[dict[str, Any]]) -> int:
    for cred in creds:
        cred["result"] = USER if cred["type"] == CRED_AUTHNAME else PASSWORD
    return 0


def big_xml(size: int) -> str:
    text = "".join(f"{i:07d}-" for i in range(size // 8))
    return (
        f"<domain type='test'><name>{NAME}</name><memory>1024</memory>"
        f"<description>{text}</description><os><type>hvm</type></os></domain>"
    )


def virtwire_sync(uri: str, rounds: int, caps_rounds: int) -> dict[str, float]:
    conn = virtwire.Connection(
        uri, auth=1, credlist=[CRED_AUTHNAME, CRED_PASSPHRASE], callback=callback
    )
    try:
        assert conn.session.sasl_mechanism == "DIGEST-MD5" and conn.session.sasl_ssf >= 56
        dom = conn.get_domain_by_name(NAME)
        total = 0
        start = time.perf_counter()
        for _ in range(rounds):
            total += len(dom.get_xml_description())
        big = time.perf_counter() - start
        caps_total = 0
        start = time.perf_counter()
        for _ in range(caps_rounds):
            caps_total += len(conn.get_capabilities())
        caps = time.perf_counter() - start
    finally:
        conn.close()
    return {"big_bytes": total, "big_s": big, "caps_bytes": caps_total, "caps_s": caps}


def virtwire_async(uri: str, rounds: int, caps_rounds: int) -> dict[str, float]:
    async def main() -> dict[str, float]:
        conn = await virtwire.aio.Connection(
            uri, auth=1, credlist=[CRED_AUTHNAME, CRED_PASSPHRASE], callback=callback
        )
        try:
            dom = await conn.get_domain_by_name(NAME)
            total = 0
            start = time.perf_counter()
            for _ in range(rounds):
                total += len(await dom.get_xml_description())
            big = time.perf_counter() - start
            caps_total = 0
            start = time.perf_counter()
            for _ in range(caps_rounds):
                caps_total += len(await conn.get_capabilities())
            caps = time.perf_counter() - start
        finally:
            await conn.close()
        return {"big_bytes": total, "big_s": big, "caps_bytes": caps_total, "caps_s": caps}

    return asyncio.run(main())


LIBVIRT_CHILD = """
import json, sys, time
import libvirt
uri, user, password, name = sys.argv[1:5]
rounds, caps_rounds = int(sys.argv[5]), int(sys.argv[6])
def cb(creds, opaque):
    for cred in creds:
        cred[4] = user if cred[0] == libvirt.VIR_CRED_AUTHNAME else password
    return 0
creds = [libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE]
conn = libvirt.openAuth(uri, [creds, cb, None], 0)
dom = conn.lookupByName(name)
total = 0
start = time.perf_counter()
for _ in range(rounds):
    total += len(dom.XMLDesc(0))
big = time.perf_counter() - start
caps_total = 0
start = time.perf_counter()
for _ in range(caps_rounds):
    caps_total += len(conn.getCapabilities())
caps = time.perf_counter() - start
conn.close()
print(json.dumps({"big_bytes": total, "big_s": big, "caps_bytes": caps_total, "caps_s": caps}))
"""


def libvirt_python(uri: str, rounds: int, caps_rounds: int) -> dict[str, float] | None:
    exe = os.environ.get("VIRTWIRE_BENCH_LIBVIRT_PYTHON", "/usr/bin/python3")
    argv = [exe, "-c", LIBVIRT_CHILD, uri, USER, PASSWORD, NAME, str(rounds), str(caps_rounds)]
    try:
        out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=600)
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        print(f"libvirt-python unavailable: {detail.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    result: dict[str, float] = json.loads(out.stdout)
    return result


def mbps(nbytes: float, seconds: float) -> float:
    return nbytes / seconds / 1e6 if seconds > 0 else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=3 << 20, help="domain XML size in bytes")
    parser.add_argument("--rounds", type=int, default=20, help="fetches of the big XML")
    parser.add_argument("--caps", type=int, default=2000, help="fetches of the capabilities")
    args = parser.parse_args()

    from tests.integration.daemon import start_daemon
    from tests.integration.sasl import make_sasl

    with tempfile.TemporaryDirectory(prefix="vw-bench-auth-") as tmp:
        work = Path(tmp)
        sasl = make_sasl(work / "sasl", mechs=["DIGEST-MD5"], users={USER: PASSWORD})
        daemon = start_daemon(
            work / "daemon",
            tcp=True,
            auth_tcp="sasl",
            sasl=sasl,
            private_namespace=os.geteuid() == 0,
        )
        with daemon:
            uri = daemon.uri(transport="tcp")
            setup = virtwire.Connection(
                uri, auth=1, credlist=[CRED_AUTHNAME, CRED_PASSPHRASE], callback=callback
            )
            # test:///default lives while a connection to it is open: keep this one.
            try:
                setup.define_domain(big_xml(args.size))
                layer = (setup.session.sasl_mechanism, setup.session.sasl_ssf)
                print(f"daemon: {uri}  layer: {layer[0]} SSF {layer[1]}")
                print(f"big reply: ~{args.size} bytes x {args.rounds}; capabilities x {args.caps}")
                results: dict[str, dict[str, float] | None] = {
                    "libvirt-python": libvirt_python(uri, args.rounds, args.caps),
                    "virtwire blocking": virtwire_sync(uri, args.rounds, args.caps),
                    "virtwire asyncio": virtwire_async(uri, args.rounds, args.caps),
                }
            finally:
                setup.close()
    base = results["libvirt-python"]
    print(f"{'client':<20}{'big MB/s':>10}{'ratio':>8}{'caps MB/s':>11}{'ratio':>8}")
    for name, res in results.items():
        if res is None:
            print(f"{name:<20}{'n/a':>10}")
            continue
        big = mbps(res["big_bytes"], res["big_s"])
        caps = mbps(res["caps_bytes"], res["caps_s"])
        if base is None:
            print(f"{name:<20}{big:>10.1f}{'':>8}{caps:>11.2f}")
            continue
        rb = big / mbps(base["big_bytes"], base["big_s"])
        rc = caps / mbps(base["caps_bytes"], base["caps_s"])
        print(f"{name:<20}{big:>10.1f}{rb:>7.2f}x{caps:>11.2f}{rc:>7.2f}x")


if __name__ == "__main__":
    main()
