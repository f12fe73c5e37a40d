"""A peer that breaks the wire rules: each fault gives a precise error, promptly, both runtimes."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import virtwire
from virtwire.protocol import remote_gen as r
from virtwire.rpc import framing

from .clients import open_client
from .fake_daemon import ClientCall, FakeDaemon, reply

Behaviour = Callable[[ClientCall, socket.socket], None]


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[Callable[[Behaviour], FakeDaemon]]:
    made: list[FakeDaemon] = []

    def start(behaviour: Behaviour) -> FakeDaemon:
        d = FakeDaemon(tmp_path / f"fake{len(made)}.sock", behaviour)
        made.append(d)
        return d

    yield start
    for d in made:
        d.stop()


def _type_reply(call: ClientCall) -> bytes:
    out = bytearray()
    r.pack_remote_connect_get_type_ret(out, r.remote_connect_get_type_ret(type="FAKE"))
    return reply(call, bytes(out))


def _expect_dead(conn: Any, exc_type: type[BaseException], match: str, reasons: list[int],
                 reason: int) -> None:
    start = time.monotonic()
    with pytest.raises(exc_type, match=match):
        conn.get_type()
    assert time.monotonic() - start < 2
    deadline = time.monotonic() + 2
    while not reasons and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reasons == [reason]
    assert not conn.is_alive()
    with pytest.raises(virtwire.ConnectionClosedError):
        conn.get_type()


def _open(kind: str, daemon: FakeDaemon) -> tuple[Any, list[int]]:
    conn = open_client(kind, daemon.uri, keepalive=None)
    reasons: list[int] = []
    conn.register_close_callback(lambda c, reason: reasons.append(reason))
    return conn, reasons


def test_frame_longer_than_the_limit(kind: str, fake: Any) -> None:
    def behaviour(call: ClientCall, sock: socket.socket) -> None:
        sock.sendall(struct.pack(">I", 4 + framing.MESSAGE_MAX + 1))

    conn, reasons = _open(kind, fake(behaviour))
    _expect_dead(conn, virtwire.RemoteProtocolError, "too large", reasons,
                 virtwire.CLOSE_REASON_ERROR)
    conn.close()


def test_frame_shorter_than_a_header(kind: str, fake: Any) -> None:
    def behaviour(call: ClientCall, sock: socket.socket) -> None:
        sock.sendall(struct.pack(">I", 12) + b"garbage!")

    conn, reasons = _open(kind, fake(behaviour))
    _expect_dead(conn, virtwire.RemoteProtocolError, "too small", reasons,
                 virtwire.CLOSE_REASON_ERROR)
    conn.close()


def test_reply_with_unknown_serial(kind: str, fake: Any) -> None:
    def behaviour(call: ClientCall, sock: socket.socket) -> None:
        sock.sendall(reply(call, serial=call.serial + 1000))

    conn, reasons = _open(kind, fake(behaviour))
    _expect_dead(conn, virtwire.RemoteProtocolError, "no call waiting for reply", reasons,
                 virtwire.CLOSE_REASON_ERROR)
    conn.close()


def test_reply_of_another_program(kind: str, fake: Any) -> None:
    def behaviour(call: ClientCall, sock: socket.socket) -> None:
        sock.sendall(reply(call, prog=0x12345678))

    conn, reasons = _open(kind, fake(behaviour))
    _expect_dead(conn, virtwire.RemoteProtocolError, "prog 305419896", reasons,
                 virtwire.CLOSE_REASON_ERROR)
    conn.close()


def test_peer_closes_in_the_middle_of_a_frame(kind: str, fake: Any) -> None:
    def behaviour(call: ClientCall, sock: socket.socket) -> None:
        sock.sendall(_type_reply(call)[:10])
        sock.shutdown(socket.SHUT_RDWR)

    conn, reasons = _open(kind, fake(behaviour))
    _expect_dead(conn, virtwire.ConnectionClosedError, "end of file", reasons,
                 virtwire.CLOSE_REASON_EOF)
    conn.close()


def test_undecodable_reply_fails_the_call_only(kind: str, fake: Any) -> None:
    calls = 0

    def behaviour(call: ClientCall, sock: socket.socket) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            sock.sendall(reply(call, struct.pack(">I", 1 << 30)))  # string length past the end
        else:
            sock.sendall(_type_reply(call))

    conn, reasons = _open(kind, fake(behaviour))
    with pytest.raises(virtwire.RemoteProtocolError, match="remote_connect_get_type_ret.type"):
        conn.get_type()
    assert conn.get_type() == "FAKE"
    assert conn.is_alive() and reasons == []
    conn.close()


def test_replies_out_of_order_reach_their_callers(fake: Any) -> None:
    import asyncio

    held: list[ClientCall] = []

    def behaviour(call: ClientCall, sock: socket.socket) -> None:
        held.append(call)
        if len(held) == 3:
            for c in reversed(held):
                out = bytearray()
                r.pack_remote_connect_get_hostname_ret(
                    out, r.remote_connect_get_hostname_ret(hostname=f"h{c.serial}"))
                sock.sendall(reply(c, bytes(out)))

    daemon = fake(behaviour)

    async def main() -> list[str]:
        async with virtwire.aio.Connection(daemon.uri, keepalive=None) as conn:
            return list(await asyncio.gather(*(conn.get_hostname() for _ in range(3))))

    names = asyncio.run(main())
    serials = [int(n[1:]) for n in names]
    assert serials == sorted(serials) and len(set(serials)) == 3


def test_silent_peer_call_times_out(kind: str, fake: Any) -> None:
    def behaviour(call: ClientCall, sock: socket.socket) -> None:
        pass  # never answers, never pings

    conn = open_client(kind, fake(behaviour).uri, keepalive=None)
    with pytest.raises(virtwire.CallTimeoutError):
        conn.call("connect_get_type", timeout=0.3)
    assert conn.is_alive()
    conn.close()
