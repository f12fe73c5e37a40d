"""Stream throughput and memory, 1 GiB each way: virtwire (blocking, asyncio) vs libvirt-python.

Run from the repository root as root: ``python bench/streams.py [--size MIB] [--rounds N]``.
It starts its own libvirtd with the storage driver and a ``dir`` pool in a temporary
directory, or uses ``VIRTWIRE_BENCH_SOCKET`` (a daemon's rw socket with the storage driver)
when set. libvirt-python runs under ``/usr/bin/python3`` (or
``VIRTWIRE_BENCH_LIBVIRT_PYTHON``).

Every transfer runs in a fresh child process that reports its time and its peak RSS growth
(``VmHWM`` at the end minus ``VmRSS`` once connected). Downloads hand each chunk to a sink
that only counts it; uploads send the same 256 KiB buffer over and over, so every client does
the same work on its side. The best of ``--rounds`` is reported. With two CPUs or more the
daemon runs on all but the first and the clients on the first (see ``cpu_placement``;
``--no-pin`` leaves placement to the scheduler).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cpu_placement import start_apart  # noqa: E402  (bench/ is the script's directory)

MIB = 1024 * 1024
RUNTIMES = ("blocking", "asyncio")
CLIENTS = {  # the clients and their labels
    "blocking": "virtwire",
    "asyncio": "virtwire asyncio",
    "libvirt-python": "libvirt-python",
}
BLOCK = os.urandom(256 * 1024)


def _reset_peak() -> None:
    """Start VmHWM afresh (Linux: writing 5 to clear_refs resets the peak RSS)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


# --------------------------------------------------------------------------- children


async def _done(value: Any) -> Any:
    """``value``, awaited when it is awaitable: one transfer for both runtimes."""
    return await value if inspect.isawaitable(value) else value


async def virtwire_transfer(
    runtime: str, uri: str, pool: str, vol: str, direction: str, size: int
) -> dict[str, Any]:
    import virtwire
    import virtwire.aio
    from virtwire.protocol import remote_gen as r

    if runtime == "asyncio":
        conn: Any = await virtwire.aio.Connection(uri)
    else:
        conn = virtwire.Connection(uri)
    pref = (await _done(conn.call(
        "storage_pool_lookup_by_name", r.remote_storage_pool_lookup_by_name_args(name=pool)
    ))).pool
    vref = (await _done(conn.call(
        "storage_vol_lookup_by_name", r.remote_storage_vol_lookup_by_name_args(pool=pref, name=vol)
    ))).vol
    _reset_peak()
    base = _status("VmRSS")
    st = conn.new_stream()
    got = 0
    start = time.perf_counter()
    if direction == "download":
        await _done(st._open(
            "storage_vol_download",
            r.remote_storage_vol_download_args(vol=vref, offset=0, length=size, flags=0),
        ))

        def sink(_st: Any, data: bytes, nbytes: int) -> int:
            nonlocal got
            got += nbytes
            return nbytes

        await _done(st.recv_all(sink))
    else:
        await _done(st._open(
            "storage_vol_upload",
            r.remote_storage_vol_upload_args(vol=vref, offset=0, length=size, flags=0),
        ))
        left = size

        def source(_st: Any, nbytes: int) -> bytes:
            nonlocal left, got
            n = min(nbytes, left, len(BLOCK))
            left -= n
            got += n
            return BLOCK[:n]

        await _done(st.send_all(source))
    await _done(st.finish())
    elapsed = time.perf_counter() - start
    await _done(conn.close())
    return {"seconds": elapsed, "bytes": got, "rss_growth": _status("VmHWM") - base}


LIBVIRT_CHILD = r'''
import json, os, sys, time
import libvirt
uri, pool, vol, direction = sys.argv[1:5]
size = int(sys.argv[5])
def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0
block = os.urandom(256 * 1024)
conn = libvirt.open(uri)
v = conn.storagePoolLookupByName(pool).storageVolLookupByName(vol)
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
base = status("VmRSS")
st = conn.newStream(0)
got = 0
start = time.perf_counter()
if direction == "download":
    v.download(st, 0, size, 0)
    def sink(_st, data, _opaque):
        global got
        got += len(data)
        return len(data)
    st.recvAll(sink, None)
else:
    v.upload(st, 0, size, 0)
    left = size
    def source(_st, nbytes, _opaque):
        global left, got
        n = min(nbytes, left, len(block))
        left -= n
        got += n
        return block[:n]
    st.sendAll(source, None)
st.finish()
elapsed = time.perf_counter() - start
conn.close()
print(json.dumps({"seconds": elapsed, "bytes": got, "rss_growth": status("VmHWM") - base}))
'''


def run_child(client: str, uri: str, pool: str, vol: str, direction: str, size: int) -> Any:
    if client in RUNTIMES:
        argv = [sys.executable, __file__, "--child", client, uri, pool, vol, direction, str(size)]
    else:
        python = os.environ.get("VIRTWIRE_BENCH_LIBVIRT_PYTHON", "/usr/bin/python3")
        argv = [python, "-c", LIBVIRT_CHILD, uri, pool, vol, direction, str(size)]
    try:
        out = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"  {client} {direction} failed: {getattr(exc, 'stderr', exc)}", file=sys.stderr)
        return None
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["bytes"] != size:
        raise SystemExit(f"{client} {direction} moved {result['bytes']} of {size} bytes")
    return result


# --------------------------------------------------------------------------- setup


def prepare(uri: str, pooldir: Path, size: int) -> tuple[str, str]:
    import virtwire
    from virtwire.protocol import remote_gen as r

    conn = virtwire.Connection(uri)
    pool = "bench-" + uuid.uuid4().hex[:8]
    xml = f"<pool type='dir'><name>{pool}</name><target><path>{pooldir}</path></target></pool>"
    pref = conn.call(
        "storage_pool_create_xml", r.remote_storage_pool_create_xml_args(xml=xml, flags=0)
    ).pool
    vxml = (
        f"<volume><name>vol</name><capacity>{size}</capacity><allocation>0</allocation>"
        "<target><format type='raw'/></target></volume>"
    )
    conn.call(
        "storage_vol_create_xml",
        r.remote_storage_vol_create_xml_args(pool=pref, xml=vxml, flags=0),
    )
    with open(pooldir / "vol", "wb") as f:  # real data, so downloads read no holes
        for _ in range(size // len(BLOCK)):
            f.write(BLOCK)
        f.write(BLOCK[: size % len(BLOCK)])
    conn.close()
    return pool, "vol"


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        runtime, uri, pool, vol, direction, size = sys.argv[2:8]
        transfer = virtwire_transfer(runtime, uri, pool, vol, direction, int(size))
        print(json.dumps(asyncio.run(transfer)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="MiB per transfer")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--no-pin", action="store_true",
        help="let the scheduler place the daemon and the clients (noisier figures)",
    )
    args = parser.parse_args()
    size = args.size * MIB

    tmp = tempfile.TemporaryDirectory(prefix="vw-bench-st-")
    workdir = Path(tmp.name)
    daemon = None
    placement = None
    sock = os.environ.get("VIRTWIRE_BENCH_SOCKET")
    if sock is None:
        from tests.integration.daemon import start_daemon

        daemon, placement = start_apart(
            lambda: start_daemon(workdir / "daemon", drivers=("storage",)), not args.no_pin
        )
        sock = str(daemon.sock)
    uri = f"storage+unix:///system?socket={sock}"
    try:
        pooldir = workdir / "pool"
        pooldir.mkdir()
        pool, vol = prepare(uri, pooldir, size)
        print(f"{args.size} MiB per transfer, best of {args.rounds}")
        if placement:
            print(f"  {placement}")
        for direction in ("download", "upload"):
            best: dict[str, Any] = {}
            for _ in range(args.rounds):
                for client in CLIENTS:
                    res = run_child(client, uri, pool, vol, direction, size)
                    if res is None:
                        continue
                    old = best.get(client)
                    if old is None or res["seconds"] < old["seconds"]:
                        best[client] = res
            for client, res in best.items():
                print(
                    f"  {direction:8} {CLIENTS[client]:17} {size / MIB / res['seconds']:8.0f} MiB/s"
                    f"   peak RSS growth {res['rss_growth'] / MIB:6.1f} MiB"
                )
            for runtime in RUNTIMES:
                if runtime in best and "libvirt-python" in best:
                    ratio = best["libvirt-python"]["seconds"] / best[runtime]["seconds"]
                    print(
                        f"  {direction:8} {CLIENTS[runtime]} / libvirt-python throughput: "
                        f"{ratio:.2f}x"
                    )
    finally:
        if daemon is not None:
            daemon.stop()
        tmp.cleanup()


if __name__ == "__main__":
    main()
