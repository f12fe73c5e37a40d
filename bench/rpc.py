"""RPC round trips per second: virtwire vs libvirt-python vs a bare hand-packed client.

Run from the repository root as root: ``python bench/rpc.py [--calls N] [--rounds R]``.
It starts its own test-driver libvirtd (``max_client_requests`` 64) on a temporary unix
socket, or uses ``VIRTWIRE_BENCH_SOCKET`` (a daemon's rw socket) when set. libvirt-python runs under
``/usr/bin/python3`` (or ``VIRTWIRE_BENCH_LIBVIRT_PYTHON``) in a child process.

Measured per client: sequential ``domain_lookup_by_name`` round trips, and concurrent
throughput (virtwire blocking with 8 threads, virtwire asyncio with 64 in flight,
libvirt-python with 8 threads, the bare client pipelined 64 deep). Each figure is the best
of ``R`` rounds (3 by default); every round runs every client, libvirt-python included, so a
slow spell of the machine does not land on one of them only. A bare asyncio client (the bare
client's frames with futures and one write per loop iteration) shows the ceiling for asyncio.
Next to each figure: the CPU time per call of the client process (all its threads, user and
system) and of the daemon.

With two CPUs or more the daemon it starts runs on all CPUs but the first, and the clients
on the first (``--no-pin`` leaves placement to the scheduler). Unpinned, the same client's
concurrent figure swings by up to 2x from run to run with where the scheduler puts the
daemon's threads; pinned, the figures repeat, and a concurrent client that keeps the daemon's
CPU busy is limited by the daemon's CPU time per call.

virtwire's blocking calls spin-wait for their replies on a unix socket by default (see
``virtwire.api._sync.runtime``); the bench also runs them with ``spin_wait=0``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cpu_placement import start_apart  # noqa: E402  (bench/ is the script's directory)

import virtwire  # noqa: E402
import virtwire.aio  # noqa: E402
from virtwire.protocol import remote_gen as r  # noqa: E402
from virtwire.rpc.connection import RpcConnection  # noqa: E402

PROG = 0x20008086
HEAD = struct.Struct(">IIIiiIi")
U32 = struct.Struct(">I")
DOMAIN = "test"
TICK = os.sysconf("SC_CLK_TCK")


class Sample(NamedTuple):
    """One timed section: calls per second, and CPU seconds per call of the client process
    (all its threads, user and system) and of the daemon (None when its pid is unknown)."""

    rate: float
    cpu: float
    daemon_cpu: float | None


def process_cpu(pid: int) -> float:
    """CPU seconds a process (all its threads) has used, from ``/proc``."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Meter:
    """Times one section: wall clock, this process's CPU and the daemon's CPU."""

    daemon_pid: int | None = None  # set by main() when the bench starts the daemon

    def __init__(self) -> None:
        pid = self.daemon_pid
        self.daemon_start = process_cpu(pid) if pid else 0.0
        self.cpu = time.process_time()
        self.start = time.perf_counter()

    def stop(self, calls: int) -> Sample:
        wall = time.perf_counter() - self.start
        cpu = (time.process_time() - self.cpu) / calls
        pid = self.daemon_pid
        daemon = (process_cpu(pid) - self.daemon_start) / calls if pid else None
        return Sample(calls / wall, cpu, daemon)


# --------------------------------------------------------------------------- bare client


def _xdr_string(s: bytes) -> bytes:
    return U32.pack(len(s)) + s + b"\0" * (-len(s) % 4)


class BareClient:
    """The practical ceiling for Python: struct-packed frames on a blocking socket."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.serial = 0
        self.buf = b""
        name = b"test:///default"
        self.roundtrip(1, U32.pack(1) + _xdr_string(name) + U32.pack(0))  # connect_open
        self.lookup = _xdr_string(DOMAIN.encode())

    def frame(self, proc: int, payload: bytes) -> bytes:
        self.serial += 1
        return HEAD.pack(28 + len(payload), PROG, 1, proc, 0, self.serial, 0) + payload

    def read_frame(self) -> bytes:
        while True:
            if len(self.buf) >= 4:
                (n,) = U32.unpack_from(self.buf)
                if len(self.buf) >= n:
                    frame, self.buf = self.buf[:n], self.buf[n:]
                    return frame
            chunk = self.sock.recv(262144)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def roundtrip(self, proc: int, payload: bytes) -> bytes:
        self.sock.sendall(self.frame(proc, payload))
        frame = self.read_frame()
        if HEAD.unpack_from(frame)[6] != 0:
            raise RuntimeError("error reply")
        return frame

    def sequential(self, n: int) -> Sample:
        meter = Meter()
        for _ in range(n):
            self.roundtrip(23, self.lookup)
        return meter.stop(n)

    def pipelined(self, n: int, depth: int = 64) -> Sample:
        meter = Meter()
        sent = got = 0
        while got < n:
            burst = []
            while sent < n and sent - got < depth:
                burst.append(self.frame(23, self.lookup))
                sent += 1
            if burst:
                self.sock.sendall(b"".join(burst))
            self.read_frame()
            got += 1
        return meter.stop(n)


def bare_asyncio(path: str, n: int, depth: int = 64) -> Sample:
    """The practical ceiling for asyncio: struct-packed frames, replies matched by serial to
    futures, the calls of one loop iteration sent in one write, no decoding; ``depth``
    tasks each awaiting one call at a time, as virtwire's asyncio figure does."""

    async def main() -> Sample:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        sock.setblocking(False)
        pending: dict[int, asyncio.Future[bytes]] = {}
        out: list[bytes] = []
        buf = bytearray()
        serial = 0

        def flush() -> None:
            sock.sendall(b"".join(out))  # small enough for the socket buffer
            out.clear()

        def readable() -> None:
            buf.extend(sock.recv(262144))
            pos = 0
            while len(buf) - pos >= 4:
                (size,) = U32.unpack_from(buf, pos)
                if len(buf) - pos < size:
                    break
                pending.pop(HEAD.unpack_from(buf, pos)[5]).set_result(bytes(buf[pos:pos + size]))
                pos += size
            del buf[:pos]

        def call(proc: int, payload: bytes) -> asyncio.Future[bytes]:
            nonlocal serial
            serial += 1
            fut = loop.create_future()
            pending[serial] = fut
            if not out:
                loop.call_soon(flush)
            out.append(HEAD.pack(28 + len(payload), PROG, 1, proc, 0, serial, 0) + payload)
            return fut

        loop.add_reader(sock.fileno(), readable)
        await call(1, U32.pack(1) + _xdr_string(b"test:///default") + U32.pack(0))
        lookup = _xdr_string(DOMAIN.encode())

        async def worker(count: int) -> None:
            for _ in range(count):
                await call(23, lookup)

        await asyncio.gather(*(worker(10) for _ in range(depth)))  # warm up
        per = n // depth
        meter = Meter()
        await asyncio.gather(*(worker(per) for _ in range(depth)))
        sample = meter.stop(per * depth)
        loop.remove_reader(sock.fileno())
        sock.close()
        return sample

    return asyncio.run(main())


# --------------------------------------------------------------------------- virtwire


def core_sequential(path: str, n: int) -> Sample:
    """virtwire's RPC core and codec alone, driven by hand on a blocking socket: no runtime,
    no locks, no dispatch thread (what any runtime on top of the core costs on top)."""
    bare = BareClient(path)  # connect_open done by hand
    core = RpcConnection()
    sock = bare.sock
    args = r.remote_domain_lookup_by_name_args(name=DOMAIN)
    proc = virtwire.aio.procedure("domain_lookup_by_name")

    def call() -> None:
        core.send_call(proc, args, token=None)
        sock.sendall(core.data_to_send())
        while not core.receive(sock.recv(262144)):
            pass

    for _ in range(200):
        call()
    meter = Meter()
    for _ in range(n):
        call()
    sample = meter.stop(n)
    sock.close()
    return sample


def virtwire_sequential(uri: str, n: int, spin_wait: float | None = None) -> Sample:
    conn = virtwire.Connection(uri, spin_wait=spin_wait)
    args = r.remote_domain_lookup_by_name_args(name=DOMAIN)
    proc = virtwire.aio.procedure("domain_lookup_by_name")
    call = conn.runtime.call
    for _ in range(200):
        call(proc, args)
    meter = Meter()
    for _ in range(n):
        call(proc, args)
    sample = meter.stop(n)
    conn.close()
    return sample


def virtwire_threads(uri: str, n: int, threads: int = 8) -> Sample:
    conn = virtwire.Connection(uri)
    args = r.remote_domain_lookup_by_name_args(name=DOMAIN)
    proc = virtwire.aio.procedure("domain_lookup_by_name")

    def work(count: int) -> None:
        call = conn.runtime.call
        for _ in range(count):
            call(proc, args)

    def run(count: int) -> Sample:
        pool = [threading.Thread(target=work, args=(count,)) for _ in range(threads)]
        meter = Meter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return meter.stop(count * threads)

    run(50)  # warm up, as libvirt-python's later rounds are on its one connection
    rate = run(n // threads)
    conn.close()
    return rate


def virtwire_asyncio(uri: str, n: int, depth: int = 64) -> tuple[Sample, Sample]:
    async def main() -> tuple[Sample, Sample]:
        conn = await virtwire.aio.Connection(uri)
        args = r.remote_domain_lookup_by_name_args(name=DOMAIN)
        proc = virtwire.aio.procedure("domain_lookup_by_name")
        call = conn.runtime.call
        for _ in range(200):
            await call(proc, args)
        meter = Meter()
        for _ in range(n):
            await call(proc, args)
        seq = meter.stop(n)

        async def worker(count: int) -> None:
            for _ in range(count):
                await call(proc, args)

        per = n // depth
        await asyncio.gather(*(worker(10) for _ in range(depth)))  # warm up
        meter = Meter()
        await asyncio.gather(*(worker(per) for _ in range(depth)))
        conc = meter.stop(per * depth)
        await conn.close()
        return seq, conc

    return asyncio.run(main())


# --------------------------------------------------------------------------- libvirt-python

LIBVIRT_SCRIPT = r"""
import json, os, sys, threading, time
import libvirt
uri, n, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
tick = os.sysconf("SC_CLK_TCK")
def daemon_cpu():
    if not pid:
        return 0.0
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick
def timed(fn, calls):
    d, c, t = daemon_cpu(), time.process_time(), time.perf_counter()
    fn()
    wall = time.perf_counter() - t
    return [calls / wall, (time.process_time() - c) / calls,
            (daemon_cpu() - d) / calls if pid else None]
conn = libvirt.open(uri)
for _ in range(200):
    conn.lookupByName("test")
per = n // 8
def work():
    for _ in range(per):
        conn.lookupByName("test")
def sequential():
    for _ in range(n):
        conn.lookupByName("test")
def threads():
    pool = [threading.Thread(target=work) for _ in range(8)]
    for t in pool: t.start()
    for t in pool: t.join()
seq = timed(sequential, n)
threads()  # warm up the threads' path too
thr = timed(threads, per * 8)
conn.close()
print(json.dumps({"seq": seq, "threads": thr}))
"""


def libvirt_python(uri: str, n: int) -> tuple[Sample, Sample] | None:
    """One round of libvirt-python in a child process: (sequential, 8 threads)."""
    exe = os.environ.get("VIRTWIRE_BENCH_LIBVIRT_PYTHON", "/usr/bin/python3")
    try:
        out = subprocess.run(
            [exe, "-c", LIBVIRT_SCRIPT, uri, str(n), str(Meter.daemon_pid or 0)],
            capture_output=True, text=True, check=True, timeout=600,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"libvirt-python unavailable: {exc}", file=sys.stderr)
        return None
    got = json.loads(out.stdout)
    return Sample(*got["seq"]), Sample(*got["threads"])


# --------------------------------------------------------------------------- main


def start_daemon(workdir: Path) -> object:
    from tests.integration.daemon import start_daemon as start

    return start(workdir, max_client_requests=64, private_namespace=os.geteuid() == 0)


ROWS = [  # (key, label)
    ("bare_seq", "bare client, sequential"),
    ("bare_pipe", "bare client, pipelined 64"),
    ("bare_aio", "bare asyncio client, 64 in flight"),
    ("core_seq", "virtwire RPC core only, sequential"),
    ("vw_seq", "virtwire blocking, sequential"),
    ("vw_still", "  the same with spin_wait=0"),
    ("vw_thr", "virtwire blocking, 8 threads"),
    ("aio_seq", "virtwire asyncio, sequential"),
    ("aio_conc", "virtwire asyncio, 64 in flight"),
    ("lv_seq", "libvirt-python, sequential"),
    ("lv_thr", "libvirt-python, 8 threads"),
]


def run_round(best: dict[str, Sample], sock: str, uri: str, n: int) -> None:
    """One round of every client; each figure keeps its best round."""
    got = {
        "bare_seq": (bare := BareClient(sock)).sequential(n),
        "bare_pipe": bare.pipelined(n),
        "bare_aio": bare_asyncio(sock, n),
        "core_seq": core_sequential(sock, n),
        "vw_seq": virtwire_sequential(uri, n),
        "vw_still": virtwire_sequential(uri, n, spin_wait=0),
        "vw_thr": virtwire_threads(uri, n),
    }
    bare.sock.close()
    got["aio_seq"], got["aio_conc"] = virtwire_asyncio(uri, n)
    lv = libvirt_python(uri, n)
    if lv is not None:
        got["lv_seq"], got["lv_thr"] = lv
    for key, sample in got.items():
        if key not in best or sample.rate > best[key].rate:
            best[key] = sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many rounds")
    parser.add_argument(
        "--no-pin", action="store_true",
        help="let the scheduler place the daemon and the clients (noisier figures)",
    )
    opts = parser.parse_args()
    n = opts.calls

    sock = os.environ.get("VIRTWIRE_BENCH_SOCKET")
    daemon = None
    tmp = tempfile.TemporaryDirectory()
    placement = None
    if not sock:
        daemon, placement = start_apart(lambda: start_daemon(Path(tmp.name)), not opts.no_pin)
        sock = str(daemon.sock)  # type: ignore[attr-defined]
        Meter.daemon_pid = daemon.pid  # type: ignore[attr-defined]
    uri = f"test+unix:///default?socket={sock}"
    best: dict[str, Sample] = {}
    try:
        for _ in range(opts.rounds):  # rounds alternate the clients
            run_round(best, sock, uri, n)
    finally:
        if daemon is not None:
            daemon.stop()  # type: ignore[attr-defined]
        tmp.cleanup()

    print(
        f"domain_lookup_by_name round trips, {n} calls, best of {opts.rounds} rounds, "
        "calls/s (higher is better); CPU per call of the client process and the daemon"
    )
    if placement:
        print(f"  {placement}")
    print(f"  {'':34s} {'calls/s':>10s} {'client us':>10s} {'daemon us':>10s}")
    for key, label in ROWS:
        if key in best:
            rate, cpu, daemon_cpu = best[key]
            dcpu = f"{daemon_cpu * 1e6:10.1f}" if daemon_cpu is not None else ""
            print(f"  {label:34s} {rate:10.0f} {cpu * 1e6:10.1f} {dcpu}")

    def ratio(a: str, b: str) -> str:
        return f"{best[a].rate / best[b].rate:.2f}x" if a in best and b in best else "-"

    print("ratios")
    print(f"  virtwire sequential / libvirt-python sequential  {ratio('vw_seq', 'lv_seq')} "
          "(target >= 1.1)")
    print(f"    with spin_wait=0                               {ratio('vw_still', 'lv_seq')}")
    print(f"  virtwire asyncio 64 / libvirt-python 8 threads   {ratio('aio_conc', 'lv_thr')} "
          "(target >= 1.2)")
    print(f"  virtwire 8 threads / libvirt-python 8 threads    {ratio('vw_thr', 'lv_thr')}")
    print(f"  virtwire sequential / bare sequential            {ratio('vw_seq', 'bare_seq')} "
          "(target >= 0.85)")
    print(f"    with spin_wait=0                               {ratio('vw_still', 'bare_seq')}")
    print(f"  virtwire RPC core only / bare sequential         {ratio('core_seq', 'bare_seq')}")
    print(f"  virtwire asyncio 64 / bare pipelined 64          {ratio('aio_conc', 'bare_pipe')} "
          "(target >= 0.85)")
    print(f"  virtwire asyncio 64 / bare asyncio 64            {ratio('aio_conc', 'bare_aio')}")
    busy = {k: v.rate * v.daemon_cpu for k, v in best.items() if v.daemon_cpu is not None}
    if "aio_conc" in busy and "lv_thr" in busy:
        print(
            "  daemon CPU in use (CPU seconds per second): virtwire asyncio 64 "
            f"{busy['aio_conc']:.2f}, libvirt-python 8 threads {busy['lv_thr']:.2f}"
        )


if __name__ == "__main__":
    main()
