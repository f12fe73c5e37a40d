"""Stream logic without sockets: a scripted runtime feeds core events to a Stream, and the
core's stream endings (empty packet, finish confirmation, error by reply)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest

from virtwire import Error
from virtwire.api._async import stream as astream
from virtwire.api._sync.stream import QUEUE_HIGH, QUEUE_LOW, Stream
from virtwire.errors import ConnectionClosedError, LocalProtocolError
from virtwire.rpc import framing
from virtwire.rpc.connection import RpcConnection
from virtwire.rpc.events import StreamData, StreamEnd, StreamFailed, StreamHole

SERIAL = 7


class FakeWaiter:
    def __init__(self) -> None:
        self.done = False

    def signal(self) -> None:
        pass


class FakeRuntime:
    """Plays the blocking runtime: ``wait`` runs the next scripted delivery."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.script: list[Callable[[], None]] = []
        self.sent: list[tuple[str, Any]] = []
        self.paused = 0
        self.deferred: list[Callable[[], None]] = []

    def new_waiter(self) -> FakeWaiter:
        return FakeWaiter()

    def wait(self, waiter: FakeWaiter, timeout: float | None = None) -> bool:
        while not waiter.done:
            assert self.script, "the stream waits for an event that never comes"
            step = self.script.pop(0)
            with self.lock:
                step()
        return True

    def pause_reading(self) -> None:
        assert self.lock.locked()
        self.paused += 1

    def resume_reading(self) -> None:
        assert self.lock.locked()
        self.paused -= 1

    def stream_send(self, serial: int, data: Any) -> None:
        self.sent.append(("data", bytes(data)))

    def stream_send_hole(self, serial: int, length: int, flags: int = 0) -> None:
        self.sent.append(("hole", length))

    def stream_finish(self, serial: int) -> None:
        self.sent.append(("finish", None))

    def stream_abort(self, serial: int) -> None:
        self.sent.append(("abort", None))

    def defer(self, fn: Callable[..., Any], *args: Any) -> None:
        self.deferred.append(lambda: fn(*args))


def opened(sparse: bool = False, flags: int = 0) -> tuple[Stream, FakeRuntime]:
    rt = FakeRuntime()
    st = Stream(None, flags)  # type: ignore[arg-type]
    st.bind(rt, SERIAL)
    st._sparse = sparse
    return st, rt


def feed(rt: FakeRuntime, *steps: Callable[[], None]) -> None:
    """Deliver events now, as the I/O side would (lock held)."""
    for step in steps:
        with rt.lock:
            step()


def data(st: Stream, blob: bytes) -> Callable[[], None]:
    return lambda: st.on_stream_event(StreamData(SERIAL, st, memoryview(blob)))


def hole(st: Stream, length: int) -> Callable[[], None]:
    return lambda: st.on_stream_event(StreamHole(SERIAL, st, length, 0))


def end(st: Stream) -> Callable[[], None]:
    return lambda: st.on_stream_event(StreamEnd(SERIAL, st))


def failed(st: Stream, error: Error) -> Callable[[], None]:
    return lambda: st.on_stream_event(StreamFailed(SERIAL, st, error))


def test_recv_waits_then_fills_up_to_nbytes_across_packets() -> None:
    st, rt = opened()
    rt.script = [data(st, b"hello "), end(st), end(st)]
    buf = bytearray(b"junk")
    assert st.recv(buf, 3) == 3 and buf == b"hel"
    feed(rt, data(st, b"world"))  # arrives while nobody waits
    assert st.recv(buf, 100) == 8 and buf == b"lo world"
    assert st.recv(buf, 100) == 0
    st.finish()  # waits for the confirmation
    assert rt.sent == [("finish", None)]


def test_holes_read_as_zeros_or_stop_the_read() -> None:
    st, rt = opened(sparse=True)
    feed(rt, data(st, b"ab"), hole(st, 5), data(st, b"cd"), end(st))
    buf = bytearray()
    assert st.recv(buf, 10) == 2 and buf == b"ab"  # a read stops before a hole
    assert st.recv(buf, 3) == 3 and buf == bytes(3)  # then reads it as zeros
    assert st.recv(buf, 10, 1) == -3  # RECV_STOP_AT_HOLE: the rest of the hole
    assert st.recv_hole() == 2
    assert st.in_data() == [1, 2]
    assert st.recv(buf, 10) == 2 and buf == b"cd"
    assert st.in_data() == [0, 0]
    assert st.recv(buf, 10) == 0


def test_a_hole_on_a_plain_stream_is_an_error() -> None:
    st, rt = opened()
    feed(rt, hole(st, 10))
    with pytest.raises(Error) as info:
        st.recv(bytearray(), 10)
    assert info.value.code == Error.ERR_RPC and "Unexpected stream hole" in info.value.message
    with pytest.raises(Error) as info:
        st.send_hole(10)
    assert info.value.code == Error.ERR_OPERATION_INVALID


def test_nonblocking_recv_returns_minus_two() -> None:
    st, rt = opened(flags=1)
    assert st.recv(bytearray(), 10) == -2
    feed(rt, data(st, b"x"))
    buf = bytearray()
    assert st.recv(buf, 10) == 1 and buf == b"x"
    with pytest.raises(Error) as info:
        st.recv_all(lambda _s, _d, n: n)
    assert info.value.code == Error.ERR_OPERATION_INVALID


def test_a_full_queue_pauses_reading_until_drained() -> None:
    st, rt = opened()
    chunk = bytes(framing.STREAM_CHUNK_MAX)
    n = 0
    while rt.paused == 0:
        feed(rt, data(st, chunk))
        n += 1
    assert n * len(chunk) >= QUEUE_HIGH and st._queued < QUEUE_HIGH + len(chunk)
    buf = bytearray()
    while st._queued > QUEUE_LOW:
        assert rt.paused == 1
        st.recv(buf, len(chunk))
    assert rt.paused == 0
    rt.script = [end(st)]
    st.abort()
    assert rt.paused == 0 and st._queued == 0


def test_abort_drops_queued_data_and_resumes_reading() -> None:
    st, rt = opened()
    for _ in range(QUEUE_HIGH // framing.STREAM_CHUNK_MAX + 1):
        feed(rt, data(st, bytes(framing.STREAM_CHUNK_MAX)))
    assert rt.paused == 1
    rt.script = [end(st)]  # the daemon's confirmation
    st.abort()
    assert rt.paused == 0 and rt.sent == [("abort", None)]
    st.abort()
    with pytest.raises(Error) as info:
        st.recv(bytearray(), 1)
    assert info.value.code == Error.ERR_OPERATION_FAILED


def test_errors_are_raised_by_the_next_operation() -> None:
    st, rt = opened()
    feed(rt, data(st, b"unread"))
    boom = Error("cannot write to stream: No space left on device", code=38, domain=38)
    feed(rt, failed(st, boom))
    with pytest.raises(Error) as info:
        st.send(b"x")
    assert info.value is boom
    with pytest.raises(Error) as info:
        st.recv(bytearray(), 1)
    assert info.value is boom
    with pytest.raises(Error):
        st.finish()
    st.abort()  # already over: quiet, nothing sent
    assert rt.sent == []


def test_connection_lost_while_waiting() -> None:
    st, rt = opened()
    rt.script = [failed(st, ConnectionClosedError("end of file while reading data"))]
    with pytest.raises(ConnectionClosedError):
        st.recv(bytearray(), 1)


def test_finish_waits_for_the_confirmation_and_raises_a_late_error() -> None:
    st, rt = opened()
    rt.script = [failed(st, Error("finish failed", code=1))]
    st.send(b"abc")
    with pytest.raises(Error, match="finish failed"):
        st.finish()
    assert rt.sent == [("data", b"abc"), ("finish", None)]


def test_send_all_and_its_handlers() -> None:
    st, rt = opened()
    parts = [b"one", b"two", b""]
    asked: list[int] = []

    def source(_st: Stream, nbytes: int) -> bytes:
        asked.append(nbytes)
        return parts.pop(0)

    st.send_all(source)
    assert rt.sent == [("data", b"one"), ("data", b"two")]
    assert asked == [framing.STREAM_CHUNK_MAX] * 3
    st2, rt2 = opened()
    rt2.script = [end(st2)]
    with pytest.raises(Error) as info:
        st2.send_all(lambda _st, n: -1)
    assert info.value.code == Error.ERR_SYSTEM_ERROR
    assert info.value.message == "send handler failed: Input/output error"
    assert rt2.sent == [("abort", None)]


def test_sparse_send_all_follows_libvirt() -> None:
    st, rt = opened(sparse=True)
    source = [(1, 4), (0, 100), (1, 2), (0, 0)]
    content = iter([b"abcd", b"ef", b""])
    skipped: list[int] = []
    st.sparse_send_all(
        lambda _st, n: next(content),
        lambda _st: list(source.pop(0)),
        lambda _st, length: skipped.append(length),
    )
    assert rt.sent == [("data", b"abcd"), ("hole", 100), ("data", b"ef")]
    assert skipped == [100]


def test_sparse_recv_all_calls_both_handlers() -> None:
    st, rt = opened(sparse=True)
    feed(rt, data(st, b"ab"), hole(st, 9), data(st, b"c"), end(st))
    seen: list[Any] = []

    def sink(_st: Stream, blob: bytes, nbytes: int) -> int:
        seen.append(blob)
        return nbytes

    st.sparse_recv_all(sink, lambda _st, length: seen.append(length))
    assert seen == [b"ab", 9, b"c"]


def test_readable_callback_is_level_triggered() -> None:
    st, rt = opened()
    events: list[int] = []
    st.add_callback(1, lambda _st, ev: events.append(ev))
    assert rt.deferred == []
    feed(rt, data(st, b"x"))
    assert len(rt.deferred) == 1
    feed(rt, data(st, b"y"))
    assert len(rt.deferred) == 1  # armed once
    rt.deferred.pop(0)()
    assert events == [1] and len(rt.deferred) == 1  # still readable: armed again
    st.recv(bytearray(), 10)
    rt.deferred.pop(0)()
    assert events == [1] and rt.deferred == []
    st.update_callback(2)  # WRITABLE always holds
    rt.deferred.pop(0)()
    assert events == [1, 2]
    st.remove_callback()
    rt.deferred.pop(0)()
    assert events == [1, 2]
    with pytest.raises(Error, match="no stream callback registered"):
        st.remove_callback()


def test_unopened_stream() -> None:
    st = Stream(None)  # type: ignore[arg-type]
    with pytest.raises(Error) as info:
        st.recv(bytearray(), 1)
    assert info.value.code == Error.ERR_NO_SUPPORT
    st.abort()


def test_asyncio_stream_iterates() -> None:
    class AsyncFake(FakeRuntime):
        async def wait(self, waiter: FakeWaiter, timeout: float | None = None) -> bool:  # type: ignore[override]
            return FakeRuntime.wait(self, waiter, timeout)

        async def stream_finish(self, serial: int) -> None:  # type: ignore[override]
            self.sent.append(("finish", None))

    async def go() -> list[bytes]:
        rt = AsyncFake()
        st = astream.Stream(None)  # type: ignore[arg-type]
        st.bind(rt, SERIAL)
        rt.script = [
            lambda: st.on_stream_event(StreamData(SERIAL, st, memoryview(b"a"))),
            lambda: st.on_stream_event(StreamData(SERIAL, st, memoryview(b"b"))),
            lambda: st.on_stream_event(StreamEnd(SERIAL, st)),
            lambda: st.on_stream_event(StreamEnd(SERIAL, st)),  # confirms the finish
        ]
        out = [chunk async for chunk in st]
        await st.finish()
        return out

    assert asyncio.run(go()) == [b"a", b"b"]


# ---------------------------------------------------------------------- the core's part


class Proc:
    program, version, number, name = 0x20008086, 1, 209, "storage_vol_download"
    pack_args = unpack_args = unpack_ret = None


def frame(mtype: int, serial: int, status: int, payload: bytes = b"") -> bytes:
    return framing.encode_frame(Proc.program, Proc.version, Proc.number, mtype, serial, status,
                                payload)


def drain(conn: RpcConnection) -> list[Any]:
    out = []
    while (ev := conn.next_event()).__class__.__name__ != "_NeedData":
        out.append(ev)
    return out


def test_core_empty_packet_ends_data_and_finish_is_confirmed() -> None:
    conn = RpcConnection()
    serial = conn.send_call(Proc(), token="call", stream="st")
    conn.receive_data(frame(framing.REPLY, serial, framing.OK))
    conn.receive_data(frame(framing.STREAM, serial, framing.CONTINUE, b"data"))
    conn.receive_data(frame(framing.STREAM, serial, framing.CONTINUE))  # libvirt's end of data
    conn.receive_data(frame(framing.STREAM, serial, framing.CONTINUE, b"ignored"))
    kinds = [type(e).__name__ for e in drain(conn)]
    assert kinds == ["Reply", "StreamData", "StreamEnd"]
    conn.finish_stream(serial)  # still possible after the end of data
    conn.receive_data(frame(framing.STREAM, serial, framing.OK))
    assert [type(e).__name__ for e in drain(conn)] == ["StreamEnd"]
    with pytest.raises(LocalProtocolError):
        conn.finish_stream(serial)


def test_core_error_reply_for_a_stream_fails_the_stream() -> None:
    from virtwire.protocol.virnet_gen import pack_virNetMessageError

    err = bytearray()
    pack_virNetMessageError(err, _error_value())
    conn = RpcConnection()
    serial = conn.send_call(Proc(), token="call", stream="st")
    conn.receive_data(frame(framing.REPLY, serial, framing.OK))
    conn.send_stream_data(serial, b"x")
    conn.receive_data(frame(framing.REPLY, serial, framing.ERROR, bytes(err)))
    reply, fail = drain(conn)
    assert isinstance(fail, StreamFailed) and fail.error.message == "disk full"
    assert conn.is_open


def _error_value() -> Any:
    from virtwire.protocol import virnet_gen

    return virnet_gen.virNetMessageError(
        code=38, domain=38, message="disk full", level=2, dom=None, str1=None, str2=None,
        str3=None, int1=0, int2=0, net=None,
    )


