"""The API on many objects: virtwire vs libvirt-python on the same daemon, in one run.

Run from the repository root as root: ``python bench/api.py [--domains N] [--rounds R]``.
It starts its own test-driver libvirtd on a temporary unix socket, defines N domains
(1,000 by default) and times ``list_all_domains`` and ``get_all_domain_stats`` on all of
them, best of R rounds, for virtwire (blocking and asyncio) and for libvirt-python
(``listAllDomains``, ``getAllDomainStats`` under ``/usr/bin/python3`` or
``VIRTWIRE_BENCH_LIBVIRT_PYTHON``, in a child process).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import virtwire  # noqa: E402
import virtwire.aio  # noqa: E402

XML = (
    "<domain type='test'><name>bench-{i:05d}</name><memory>65536</memory>"
    "<vcpu>2</vcpu><os><type>hvm</type></os>"
    "<devices><disk type='file' device='disk'><source file='/dev/null'/>"
    "<target dev='vda'/></disk><interface type='network'><source network='default'/>"
    "</interface></devices></domain>"
)

LIBVIRT_SCRIPT = r"""
import json, sys, time
import libvirt
uri, rounds, stats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
conn = libvirt.open(uri)
def best(fn):
    out = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - start)
    return out
result = {
    "list": best(lambda: conn.listAllDomains(0)),
    "stats": best(lambda: conn.getAllDomainStats(stats)),
    "count": len(conn.listAllDomains(0)),
}
conn.close()
print(json.dumps(result))
"""


def best(fn: Callable[[], object], rounds: int) -> float:
    gc.collect()  # start from a settled heap, as libvirt-python's fresh child process does
    out = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--domains", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    opts = parser.parse_args()

    from tests.integration.daemon import start_daemon

    tmp = tempfile.TemporaryDirectory()
    daemon = start_daemon(Path(tmp.name), private_namespace=os.geteuid() == 0)
    uri = daemon.uri()
    try:
        conn = virtwire.Connection(uri)
        for i in range(opts.domains):
            conn.define_domain(XML.format(i=i))
        stats = int(
            virtwire.Domain.STATS_STATE
            | virtwire.Domain.STATS_CPU_TOTAL
            | virtwire.Domain.STATS_BALLOON
            | virtwire.Domain.STATS_VCPU
            | virtwire.Domain.STATS_INTERFACE
            | virtwire.Domain.STATS_BLOCK
        )
        count = len(conn.list_all_domains())
        ours = {
            "list": best(conn.list_all_domains, opts.rounds),
            "stats": best(lambda: conn.get_all_domain_stats(stats), opts.rounds),
        }

        async def aio() -> dict[str, float]:
            async with virtwire.aio.Connection(uri) as aconn:
                out: dict[str, float] = {}
                for key, make in (
                    ("list", lambda: aconn.list_all_domains()),
                    ("stats", lambda: aconn.get_all_domain_stats(stats)),
                ):
                    t = float("inf")
                    gc.collect()
                    for _ in range(opts.rounds):
                        start = time.perf_counter()
                        await make()
                        t = min(t, time.perf_counter() - start)
                    out[key] = t
                return out

        ours_aio = asyncio.run(aio())
        exe = os.environ.get("VIRTWIRE_BENCH_LIBVIRT_PYTHON", "/usr/bin/python3")
        theirs: dict[str, Any] = json.loads(
            subprocess.run(
                [exe, "-c", LIBVIRT_SCRIPT, uri, str(opts.rounds), str(stats)],
                capture_output=True, text=True, check=True, timeout=600,
            ).stdout
        )
        conn.close()  # the test driver keeps its state while a connection is open
    finally:
        daemon.stop()
        tmp.cleanup()

    assert theirs["count"] == count, (theirs["count"], count)
    print(f"{count} domains, best of {opts.rounds}, milliseconds (lower is better)")
    print(f"  {'':24s} {'virtwire':>10s} {'asyncio':>10s} {'libvirt-py':>10s}"
          f" {'ratio':>7s} {'ratio aio':>9s}")
    for key, label in (("list", "list_all_domains"), ("stats", "get_all_domain_stats")):
        a, b, c = ours[key] * 1e3, ours_aio[key] * 1e3, theirs[key] * 1e3
        print(f"  {label:24s} {a:10.1f} {b:10.1f} {c:10.1f} {c / a:6.2f}x {c / b:8.2f}x")
    print("  ratio = libvirt-python time / virtwire time (target >= 1.0)")


if __name__ == "__main__":
    main()
