"""RPC round trips per second: virtwire vs libvirt-python vs a bare hand-packed client.

Run from the repository root as root: ``python bench/rpc.py [--calls N] [--rounds R]``.
It starts its own test-driver libvirtd (``max_client_requests`` 64) on a temporary unix
socket, or uses ``VIRTWIRE_BENCH_SOCKET`` (a daemon's rw socket) when set. libvirt-python runs under
``/usr/bin/python3`` (or ``VIRTWIRE_BENCH_LIBVIRT_PYTHON``) in a child process.

Measured per client: sequential ``domain_lookup_by_name`` round trips, and concurrent
throughput (virtwire blocking with 8 threads, virtwire asyncio with 64 in flight,
libvirt-python with 8 threads, the bare client pipelined 64 deep). Each figure is the best
of ``R`` rounds (3 by default); the rounds alternate between the clients, so a slow spell of
the machine does not land on one of them only. A bare asyncio client (the bare client's frames
with futures and one write per loop iteration) shows the ceiling for asyncio.

virtwire's blocking calls spin-wait for their replies on a unix socket by default (see
``virtwire.api._sync.runtime``); the bench also runs them with ``spin_wait=0``, and prints
the CPU time each sequential client spends per call (all its threads, user and system).
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import virtwire  # noqa: E402
import virtwire.aio  # noqa: E402
from virtwire.protocol import remote_gen as r  # noqa: E402
from virtwire.rpc.connection import RpcConnection  # noqa: E402

PROG = 0x20008086
HEAD = struct.Struct(">IIIiiIi")
U32 = struct.Struct(">I")
DOMAIN = "test"


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

    def sequential(self, n: int) -> tuple[float, float]:
        start, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            self.roundtrip(23, self.lookup)
        return n / (time.perf_counter() - start), (time.process_time() - cpu) / n

    def pipelined(self, n: int, depth: int = 64) -> float:
        start = time.perf_counter()
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
        return n / (time.perf_counter() - start)


def bare_asyncio(path: str, n: int, depth: int = 64) -> float:
    """The practical ceiling for asyncio: struct-packed frames, replies matched by serial to
    futures, the calls of one loop iteration sent in one write, no decoding; ``depth``
    tasks each awaiting one call at a time, as virtwire's asyncio figure does."""

    async def main() -> float:
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
        start = time.perf_counter()
        await asyncio.gather(*(worker(per) for _ in range(depth)))
        rate = per * depth / (time.perf_counter() - start)
        loop.remove_reader(sock.fileno())
        sock.close()
        return rate

    return asyncio.run(main())


# --------------------------------------------------------------------------- virtwire


def core_sequential(path: str, n: int) -> float:
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
    start = time.perf_counter()
    for _ in range(n):
        call()
    rate = n / (time.perf_counter() - start)
    sock.close()
    return rate



def virtwire_sequential(uri: str, n: int, spin_wait: float | None = None) -> tuple[float, float]:
    conn = virtwire.Connection(uri, spin_wait=spin_wait)
    args = r.remote_domain_lookup_by_name_args(name=DOMAIN)
    proc = virtwire.aio.procedure("domain_lookup_by_name")
    call = conn.runtime.call
    for _ in range(200):
        call(proc, args)
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        call(proc, args)
    rate = n / (time.perf_counter() - start)
    cpu = (time.process_time() - cpu) / n
    conn.close()
    return rate, cpu


def virtwire_threads(uri: str, n: int, threads: int = 8) -> float:
    conn = virtwire.Connection(uri)
    args = r.remote_domain_lookup_by_name_args(name=DOMAIN)
    proc = virtwire.aio.procedure("domain_lookup_by_name")

    def work(count: int) -> None:
        call = conn.runtime.call
        for _ in range(count):
            call(proc, args)

    def run(count: int) -> float:
        pool = [threading.Thread(target=work, args=(count,)) for _ in range(threads)]
        start = time.perf_counter()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return count * threads / (time.perf_counter() - start)

    run(50)  # warm up, as libvirt-python's later rounds are on its one connection
    rate = run(n // threads)
    conn.close()
    return rate


def virtwire_asyncio(uri: str, n: int, depth: int = 64) -> tuple[float, float]:
    async def main() -> tuple[float, float]:
        conn = await virtwire.aio.Connection(uri)
        args = r.remote_domain_lookup_by_name_args(name=DOMAIN)
        proc = virtwire.aio.procedure("domain_lookup_by_name")
        call = conn.runtime.call
        for _ in range(200):
            await call(proc, args)
        start = time.perf_counter()
        for _ in range(n):
            await call(proc, args)
        seq = n / (time.perf_counter() - start)

        async def worker(count: int) -> None:
            for _ in range(count):
                await call(proc, args)

        per = n // depth
        await asyncio.gather(*(worker(10) for _ in range(depth)))  # warm up
        start = time.perf_counter()
        await asyncio.gather(*(worker(per) for _ in range(depth)))
        conc = per * depth / (time.perf_counter() - start)
        await conn.close()
        return seq, conc

    return asyncio.run(main())


# --------------------------------------------------------------------------- libvirt-python

LIBVIRT_SCRIPT = r"""
import json, sys, threading, time
import libvirt
uri, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
conn = libvirt.open(uri)
for _ in range(200):
    conn.lookupByName("test")
per = n // 8
def work():
    for _ in range(per):
        conn.lookupByName("test")
seq = thr = 0.0
cpu = 1.0
for _ in range(rounds):
    start, used = time.perf_counter(), time.process_time()
    for _ in range(n):
        conn.lookupByName("test")
    rate = n / (time.perf_counter() - start)
    if rate > seq:
        seq, cpu = rate, (time.process_time() - used) / n
    pool = [threading.Thread(target=work) for _ in range(8)]
    start = time.perf_counter()
    for t in pool: t.start()
    for t in pool: t.join()
    thr = max(thr, per * 8 / (time.perf_counter() - start))
conn.close()
print(json.dumps({"seq": seq, "threads": thr, "cpu": cpu}))
"""


def libvirt_python(uri: str, n: int, rounds: int) -> dict[str, float] | None:
    exe = os.environ.get("VIRTWIRE_BENCH_LIBVIRT_PYTHON", "/usr/bin/python3")
    try:
        out = subprocess.run(
            [exe, "-c", LIBVIRT_SCRIPT, uri, str(n), str(rounds)],
            capture_output=True, text=True, check=True, timeout=600,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"libvirt-python unavailable: {exc}", file=sys.stderr)
        return None
    return dict(json.loads(out.stdout))


# --------------------------------------------------------------------------- main


def start_daemon(workdir: Path) -> object:
    from tests.integration.daemon import start_daemon as start

    return start(workdir, max_client_requests=64, private_namespace=os.geteuid() == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3, help="best of this many rounds")
    opts = parser.parse_args()
    n = opts.calls

    sock = os.environ.get("VIRTWIRE_BENCH_SOCKET")
    daemon = None
    tmp = tempfile.TemporaryDirectory()
    if not sock:
        daemon = start_daemon(Path(tmp.name))
        sock = str(daemon.sock)  # type: ignore[attr-defined]
    uri = f"test+unix:///default?socket={sock}"
    try:
        bare = BareClient(sock)
        bare_pipe = bare_aio = core_seq = vw_thr = aio_seq = aio_conc = 0.0
        bare_seq = vw_seq = vw_still = (0.0, 0.0)  # (calls/s, CPU seconds per call)
        for _ in range(opts.rounds):  # rounds alternate the clients; each keeps its best
            bare_seq = max(bare_seq, bare.sequential(n))
            bare_pipe = max(bare_pipe, bare.pipelined(n))
            bare_aio = max(bare_aio, bare_asyncio(sock, n))
            core_seq = max(core_seq, core_sequential(sock, n))
            vw_seq = max(vw_seq, virtwire_sequential(uri, n))
            vw_still = max(vw_still, virtwire_sequential(uri, n, spin_wait=0))
            vw_thr = max(vw_thr, virtwire_threads(uri, n))
            seq, conc = virtwire_asyncio(uri, n)
            aio_seq, aio_conc = max(aio_seq, seq), max(aio_conc, conc)
        lv = libvirt_python(uri, n, opts.rounds)
    finally:
        if daemon is not None:
            daemon.stop()  # type: ignore[attr-defined]
        tmp.cleanup()

    print(
        f"domain_lookup_by_name round trips, {n} calls, best of {opts.rounds} rounds, "
        "calls/s (higher is better)"
    )
    rows: list[tuple[str, float, float | None]] = [
        ("bare client, sequential", *bare_seq),
        ("bare client, pipelined 64", bare_pipe, None),
        ("bare asyncio client, 64 in flight", bare_aio, None),
        ("virtwire RPC core only, sequential", core_seq, None),
        ("virtwire blocking, sequential", *vw_seq),
        ("  the same with spin_wait=0", *vw_still),
        ("virtwire blocking, 8 threads", vw_thr, None),
        ("virtwire asyncio, sequential", aio_seq, None),
        ("virtwire asyncio, 64 in flight", aio_conc, None),
    ]
    if lv:
        rows += [("libvirt-python, sequential", lv["seq"], lv["cpu"]),
                 ("libvirt-python, 8 threads", lv["threads"], None)]
    print(f"  {'':34s} {'calls/s':>10s} {'CPU us/call':>12s}")
    for label, rate, cpu in rows:
        used = f"{cpu * 1e6:12.1f}" if cpu is not None else ""
        print(f"  {label:34s} {rate:10.0f} {used}")
    print("ratios")
    if lv:
        print(f"  virtwire sequential / libvirt-python sequential  {vw_seq[0] / lv['seq']:.2f}x "
              "(target >= 1.1)")
        print(f"    with spin_wait=0                               {vw_still[0] / lv['seq']:.2f}x")
        print(f"  virtwire asyncio 64 / libvirt-python 8 threads   "
              f"{aio_conc / lv['threads']:.2f}x (target >= 1.2)")
        print(f"  virtwire 8 threads / libvirt-python 8 threads    "
              f"{vw_thr / lv['threads']:.2f}x")
    print(f"  virtwire sequential / bare sequential            {vw_seq[0] / bare_seq[0]:.2f}x "
          "(target >= 0.85)")
    print(f"    with spin_wait=0                               {vw_still[0] / bare_seq[0]:.2f}x")
    print(f"  virtwire RPC core only / bare sequential         {core_seq / bare_seq[0]:.2f}x")
    print(f"  virtwire asyncio 64 / bare pipelined 64          {aio_conc / bare_pipe:.2f}x "
          "(target >= 0.85)")
    print(f"  virtwire asyncio 64 / bare asyncio 64            {aio_conc / bare_aio:.2f}x")


if __name__ == "__main__":
    main()
