"""The I/O-free RPC core, driven by a scripted fake daemon (byte strings only)."""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import Any

import pytest

from virtwire.errors import (
    ConnectionClosedError,
    Error,
    LocalProtocolError,
    RemoteProtocolError,
)
from virtwire.protocol.virnet_gen import pack_virNetMessageError, virNetMessageError
from virtwire.rpc import framing
from virtwire.rpc.connection import (
    CLOSE_REASON_CLIENT,
    CLOSE_REASON_EOF,
    CLOSE_REASON_ERROR,
    CLOSE_REASON_KEEPALIVE,
    KEEPALIVE_PROGRAM,
    RpcConnection,
)
from virtwire.rpc.events import (
    NEED_DATA,
    CallFailed,
    ConnectionClosed,
    Message,
    Reply,
    StreamData,
    StreamEnd,
    StreamFailed,
    StreamHole,
)

PROG = 0x20008086
U32 = struct.Struct(">I")


def _pack_u32(out: bytearray, v: int) -> None:
    out += U32.pack(v)


def _unpack_u32(buf: Any, pos: int) -> tuple[int, int]:
    from virtwire.errors import XDRError

    if pos + 4 > len(buf):
        raise XDRError(f"u32: truncated at byte {pos}")
    return U32.unpack_from(buf, pos)[0], pos + 4


@dataclass(frozen=True)
class FakeProc:
    """A procedure taking and returning one unsigned int."""

    number: int = 7
    name: str = "REMOTE_PROC_FAKE"
    program: int = PROG
    version: int = 1
    pack_args: Any = _pack_u32
    unpack_args: Any = _unpack_u32
    unpack_ret: Any = _unpack_u32


VOID = FakeProc(number=8, name="REMOTE_PROC_VOID", pack_args=None, unpack_args=None,
                unpack_ret=None)


def frame(proc: int, mtype: int, serial: int, status: int, payload: bytes = b"",
          prog: int = PROG, vers: int = 1) -> bytes:
    """One frame as the daemon would send it."""
    return framing.encode_frame(prog, vers, proc, mtype, serial, status, payload)


def error_payload(code: int = 42, message: str = "Domain not found: no domain") -> bytes:
    out = bytearray()
    pack_virNetMessageError(
        out,
        virNetMessageError(code=code, domain=12, message=message, level=2, dom=None,
                           str1="s1", str2=None, str3=None, int1=-1, int2=0, net=None),
    )
    return bytes(out)


def events(conn: RpcConnection) -> list[Any]:
    out = []
    while (ev := conn.next_event()) is not NEED_DATA:
        out.append(ev)
    return out


def test_call_is_framed_byte_exact() -> None:
    conn = RpcConnection()
    serial = conn.send_call(FakeProc(), 0xDEADBEEF, token="t")
    assert serial == 1
    data = conn.data_to_send()
    assert data == (
        U32.pack(32)  # length, counting itself
        + U32.pack(PROG) + U32.pack(1) + U32.pack(7)  # prog, vers, proc
        + U32.pack(0) + U32.pack(1) + U32.pack(0)  # type CALL, serial 1, status OK
        + U32.pack(0xDEADBEEF)  # payload
    )
    assert conn.data_to_send() == b""


def test_replies_match_callers_in_any_order_and_across_chunks() -> None:
    conn = RpcConnection()
    serials = [conn.send_call(FakeProc(), i, token=f"t{i}") for i in range(3)]
    wire = b"".join(
        frame(7, framing.REPLY, s, framing.OK, U32.pack(100 + s)) for s in reversed(serials)
    )
    for i in range(0, len(wire), 5):  # dribble the bytes in
        conn.receive_data(wire[i : i + 5])
    got = events(conn)
    assert [(e.serial, e.token, e.value) for e in got] == [
        (3, "t2", 103), (2, "t1", 102), (1, "t0", 101)
    ]
    assert conn.pending_calls == 0


def test_error_reply_becomes_virtwire_error_with_all_fields() -> None:
    conn = RpcConnection()
    conn.send_call(FakeProc(), 1, token="t")
    conn.receive_data(frame(7, framing.REPLY, 1, framing.ERROR, error_payload()))
    (ev,) = events(conn)
    assert isinstance(ev, CallFailed)
    err = ev.error
    assert err.code == Error.ERR_NO_DOMAIN == 42
    assert err.domain == 12 and err.level == 2
    assert err.message == "Domain not found: no domain"
    assert (err.str1, err.str2, err.int1) == ("s1", None, -1)
    assert conn.is_open


def test_void_reply_and_trailing_bytes() -> None:
    conn = RpcConnection()
    conn.send_call(VOID, token="a")
    conn.send_call(VOID, token="b")
    conn.receive_data(frame(8, framing.REPLY, 1, framing.OK))
    conn.receive_data(frame(8, framing.REPLY, 2, framing.OK, b"\0\0\0\1"))
    ok, bad = events(conn)
    assert isinstance(ok, Reply) and ok.value is None
    assert isinstance(bad, CallFailed) and isinstance(bad.error, RemoteProtocolError)
    assert "trailing" in bad.error.message
    assert conn.is_open  # a bad payload fails the call, not the connection


def test_unknown_serial_kills_the_connection_and_fails_every_caller() -> None:
    conn = RpcConnection()
    conn.send_call(FakeProc(), 1, token="a")
    conn.send_call(FakeProc(), 2, token="b")
    conn.receive_data(frame(7, framing.REPLY, 99, framing.OK, U32.pack(0)))
    got = events(conn)
    failed = [e for e in got if isinstance(e, CallFailed)]
    assert sorted(e.token for e in failed) == ["a", "b"]
    assert all("no call waiting for reply" in e.error.message for e in failed)
    assert isinstance(got[-1], ConnectionClosed) and got[-1].reason == CLOSE_REASON_ERROR
    assert not conn.is_open
    with pytest.raises(ConnectionClosedError, match="no call waiting"):
        conn.send_call(FakeProc(), 3)


def test_reply_of_the_wrong_program_is_a_protocol_error() -> None:
    conn = RpcConnection()
    conn.send_call(FakeProc(), 1, token="a")
    conn.receive_data(frame(7, framing.REPLY, 1, framing.OK, U32.pack(0), prog=0x1234))
    got = events(conn)
    assert isinstance(got[0], CallFailed) and isinstance(got[0].error, RemoteProtocolError)
    assert got[-1].reason == CLOSE_REASON_ERROR


@pytest.mark.parametrize(
    ("length", "match"),
    [(0, "too small"), (27, "too small"), (4 + framing.MESSAGE_MAX + 1, "too large"),
     (0xFFFFFFFF, "too large")],
)
def test_length_word_out_of_bounds_closes_at_once(length: int, match: str) -> None:
    conn = RpcConnection()
    conn.send_call(FakeProc(), 1, token="a")
    conn.receive_data(U32.pack(length))  # nothing else: the check must not wait for a body
    got = events(conn)
    assert isinstance(got[0], CallFailed)
    assert match in got[0].error.message
    assert got[-1].reason == CLOSE_REASON_ERROR


def test_largest_legal_length_waits_for_its_body() -> None:
    conn = RpcConnection()
    conn.receive_data(U32.pack(4 + framing.MESSAGE_MAX))
    assert conn.next_event() is NEED_DATA
    assert conn.is_open


def test_unexpected_call_from_the_server_is_a_protocol_error() -> None:
    conn = RpcConnection()
    conn.receive_data(frame(7, framing.CALL, 1, framing.OK))
    (ev,) = events(conn)
    assert isinstance(ev, ConnectionClosed) and "unexpected RPC call" in str(ev.error)


def test_eof_fails_pending_calls_and_reports_once() -> None:
    conn = RpcConnection()
    conn.send_call(FakeProc(), 1, token="a")
    conn.receive_data(b"")
    conn.connection_lost(None)  # a second ending changes nothing
    failed, closed = events(conn)
    assert isinstance(failed, CallFailed) and isinstance(failed.error, ConnectionClosedError)
    assert isinstance(closed, ConnectionClosed) and closed.reason == CLOSE_REASON_EOF


def test_client_close() -> None:
    conn = RpcConnection()
    conn.send_call(FakeProc(), 1, token="a")
    conn.close()
    failed, closed = events(conn)
    assert isinstance(failed, CallFailed)
    assert closed.reason == CLOSE_REASON_CLIENT and closed.error is None


def test_abandoned_call_late_reply_is_dropped_quietly() -> None:
    conn = RpcConnection()
    s1 = conn.send_call(FakeProc(), 1, token="gone")
    s2 = conn.send_call(FakeProc(), 2, token="kept")
    conn.abandon(s1)
    conn.receive_data(frame(7, framing.REPLY, s1, framing.OK, U32.pack(5)))
    conn.receive_data(frame(7, framing.REPLY, s2, framing.OK, U32.pack(6)))
    (ev,) = events(conn)
    assert (ev.token, ev.value) == ("kept", 6)
    assert conn.is_open and conn.pending_calls == 0


def test_keepalive_ping_is_answered() -> None:
    conn = RpcConnection()
    conn.receive_data(frame(1, framing.MESSAGE, 0, framing.OK, prog=KEEPALIVE_PROGRAM))
    assert events(conn) == []
    assert conn.data_to_send() == frame(2, framing.MESSAGE, 0, framing.OK, prog=KEEPALIVE_PROGRAM)


def test_keepalive_pings_then_gives_up_on_a_silent_peer() -> None:
    conn = RpcConnection()
    conn.send_call(FakeProc(), 1, token="waiting")
    conn.data_to_send()
    conn.start_keepalive(0.0, interval=5, count=2)
    ping = frame(1, framing.MESSAGE, 0, framing.OK, prog=KEEPALIVE_PROGRAM)
    conn.tick(4.9)
    assert conn.data_to_send() == b""
    conn.tick(5.0)
    assert conn.data_to_send() == ping
    conn.tick(10.0)
    assert conn.data_to_send() == ping
    assert conn.is_open
    conn.tick(15.0)
    failed, closed = events(conn)
    assert failed.token == "waiting"
    assert closed.reason == CLOSE_REASON_KEEPALIVE
    assert "keepalive" in closed.error.message


def test_any_message_resets_keepalive() -> None:
    conn = RpcConnection()
    conn.start_keepalive(0.0, interval=5, count=1)
    conn.tick(5.0)  # ping 1
    conn.receive_data(frame(2, framing.MESSAGE, 0, framing.OK, prog=KEEPALIVE_PROGRAM))
    conn.tick(9.0)
    conn.tick(13.0)  # 4 s after the pong: nothing due
    conn.tick(14.0)  # ping again, not death
    assert conn.is_open
    assert conn.next_deadline() == 19.0


def test_events_are_decoded_in_order_and_unknown_ones_close() -> None:
    conn = RpcConnection({(PROG, 1): {9: FakeProc(number=9)}})
    conn.receive_data(frame(9, framing.MESSAGE, 0, framing.OK, U32.pack(1))
                      + frame(9, framing.MESSAGE, 0, framing.OK, U32.pack(2)))
    got = events(conn)
    assert got == [Message(PROG, 9, 1), Message(PROG, 9, 2)]
    conn.receive_data(frame(10, framing.MESSAGE, 0, framing.OK))
    (closed,) = events(conn)
    assert "no event expected" in closed.error.message


def test_undecodable_event_is_dropped_and_counted() -> None:
    conn = RpcConnection({(PROG, 1): {9: FakeProc(number=9)}})
    conn.receive_data(frame(9, framing.MESSAGE, 0, framing.OK, b"\0\0"))
    assert events(conn) == []
    assert conn.dropped_messages == 1 and conn.is_open


def test_stream_download_hole_and_end() -> None:
    conn = RpcConnection()
    serial = conn.send_call(FakeProc(), 1, token="call", stream="st")
    conn.receive_data(frame(7, framing.REPLY, serial, framing.OK, U32.pack(0)))
    conn.receive_data(frame(7, framing.STREAM, serial, framing.CONTINUE, b"hello"))
    conn.receive_data(frame(7, framing.STREAM_HOLE, serial, framing.CONTINUE,
                            struct.pack(">qI", 1 << 20, 0)))
    conn.receive_data(frame(7, framing.STREAM, serial, framing.OK))
    reply, data, hole, end = events(conn)
    assert isinstance(reply, Reply) and reply.token == "call"
    assert isinstance(data, StreamData) and bytes(data.data) == b"hello" and data.token == "st"
    assert isinstance(hole, StreamHole) and hole.length == 1 << 20
    assert isinstance(end, StreamEnd)
    # packets for a finished stream are ignored, as libvirt does
    conn.receive_data(frame(7, framing.STREAM, serial, framing.CONTINUE, b"late"))
    assert events(conn) == [] and conn.is_open


def test_stream_upload_is_cut_into_libvirt_sized_packets() -> None:
    conn = RpcConnection()
    serial = conn.send_call(FakeProc(), 1, token="call", stream="st")
    conn.data_to_send()
    blob = os.urandom(framing.STREAM_CHUNK_MAX * 2 + 10)
    conn.send_stream_data(serial, blob)
    conn.send_stream_hole(serial, 4096)
    conn.finish_stream(serial)
    reader = framing.FrameReader()
    reader.feed(conn.data_to_send())
    sizes, body = [], b""
    while (f := reader.next_frame()) is not None:
        head = framing.FRAME_HEAD.unpack_from(f)
        sizes.append((head[4], head[6], len(f) - framing.PAYLOAD_OFFSET))
        if head[4] == framing.STREAM and head[6] == framing.CONTINUE:
            body += bytes(f[framing.PAYLOAD_OFFSET:])
    assert body == blob
    assert sizes == [
        (framing.STREAM, framing.CONTINUE, framing.STREAM_CHUNK_MAX),
        (framing.STREAM, framing.CONTINUE, framing.STREAM_CHUNK_MAX),
        (framing.STREAM, framing.CONTINUE, 10),
        (framing.STREAM_HOLE, framing.CONTINUE, 12),
        (framing.STREAM, framing.OK, 0),
    ]
    with pytest.raises(LocalProtocolError):
        conn.send_stream_data(serial, b"after finish")


def test_stream_error_from_daemon() -> None:
    conn = RpcConnection()
    serial = conn.send_call(FakeProc(), 1, token="call", stream="st")
    conn.receive_data(frame(7, framing.REPLY, serial, framing.OK, U32.pack(0)))
    conn.receive_data(frame(7, framing.STREAM, serial, framing.ERROR, error_payload(code=1)))
    _, failed = events(conn)
    assert isinstance(failed, StreamFailed) and failed.error.code == 1


def test_reply_with_fds_waits_for_carriers_and_descriptors() -> None:
    conn = RpcConnection()
    serial = conn.send_call(FakeProc(), 1, token="t")
    r, w = os.pipe()
    try:
        conn.receive_data(frame(7, framing.REPLY_WITH_FDS, serial, framing.OK,
                                U32.pack(1) + U32.pack(77)))
        assert conn.next_event() is NEED_DATA  # the carrier byte and the fd are missing
        conn.receive_fds([r])
        assert conn.next_event() is NEED_DATA
        conn.receive_data(b"\0")
        (ev,) = events(conn)
        assert isinstance(ev, Reply) and ev.value == 77 and ev.fds == (r,)
    finally:
        os.close(r)
        os.close(w)


def test_call_with_fds_layout() -> None:
    conn = RpcConnection()
    conn.send_call(FakeProc(), 5, fds=[3, 4])
    data = conn.data_to_send()
    assert struct.unpack(">IIIiiIi", data[:28])[4] == framing.CALL_WITH_FDS
    assert data[28:] == U32.pack(2) + U32.pack(5)  # fd count, then the arguments
    assert conn.fds_to_send() == [3, 4]
    assert conn.fds_to_send() == []


def test_security_layer_wraps_both_directions() -> None:
    class Xor:
        def encode(self, data: Any) -> list[bytes]:
            return [bytes(b ^ 0x5A for b in bytes(data))]

        def feed(self, data: bytes) -> bytes:
            return bytes(b ^ 0x5A for b in data)

    conn = RpcConnection()
    conn.set_security_layer(Xor())
    conn.send_call(FakeProc(), 1, token="t")
    sent = conn.data_to_send()
    assert bytes(b ^ 0x5A for b in sent)[:4] == U32.pack(32)
    reply = frame(7, framing.REPLY, 1, framing.OK, U32.pack(9))
    conn.receive_data(bytes(b ^ 0x5A for b in reply))
    (ev,) = events(conn)
    assert ev.value == 9


def test_serials_wrap_without_zero() -> None:
    conn = RpcConnection()
    conn._serial = 0xFFFFFFFF
    assert conn.send_call(VOID) == 1


def test_oversized_call_is_refused_locally() -> None:
    def big(out: bytearray, v: Any) -> None:
        out += bytes(framing.MESSAGE_MAX)

    conn = RpcConnection()
    with pytest.raises(LocalProtocolError, match="exceeds"):
        conn.send_call(FakeProc(pack_args=big), 0)
    assert conn.pending_calls == 0 and conn.data_to_send() == b""


@pytest.mark.parametrize("size, paused", [(16, False), (framing.MESSAGE_MAX // 256, True)])
def test_large_replies_decode_with_the_collector_paused(size: int, paused: bool) -> None:
    import gc

    seen: list[bool] = []

    def unpack_blob(buf: Any, pos: int) -> tuple[int, int]:
        seen.append(gc.isenabled())
        return len(buf) - pos, len(buf)

    proc = FakeProc(unpack_ret=unpack_blob)
    conn = RpcConnection()
    assert gc.isenabled()
    whole = conn.send_call(proc, 0, token="whole")
    split = conn.send_call(proc, 0, token="split")
    reply = frame(7, framing.REPLY, whole, framing.OK, bytes(size))
    conn.receive_data(reply)  # one chunk: the fast path
    other = frame(7, framing.REPLY, split, framing.OK, bytes(size))
    half = len(other) // 2
    conn.receive_data(other[:half])
    conn.receive_data(other[half:])  # joined from two chunks
    assert [(e.token, e.value) for e in events(conn)] == [("whole", size), ("split", size)]
    assert seen == [not paused, not paused]
    assert gc.isenabled()


def test_receive_takes_a_lone_whole_frame_straight_to_dispatch() -> None:
    conn = RpcConnection()
    serial = conn.send_call(FakeProc(), 1, token="t")
    got = conn.receive(frame(7, framing.REPLY, serial, framing.OK, U32.pack(5)))
    assert [(type(e), e.token, e.value) for e in got] == [(Reply, "t", 5)]
    assert conn.next_event() is NEED_DATA
    assert conn.pending_calls == 0


def test_receive_falls_back_to_the_frame_reader_and_keeps_order() -> None:
    conn = RpcConnection()
    a = conn.send_call(FakeProc(), 1, token="a")
    b = conn.send_call(FakeProc(), 2, token="b")
    first = frame(7, framing.REPLY, a, framing.OK, U32.pack(10))
    second = frame(7, framing.REPLY, b, framing.OK, U32.pack(20))
    assert conn.receive(first[:9]) == []  # part of a frame: buffered
    # the rest of the first frame plus the whole second one in one chunk
    got = conn.receive(first[9:] + second)
    assert [(e.token, e.value) for e in got] == [("a", 10), ("b", 20)]
    c = conn.send_call(FakeProc(), 3, token="c")
    d = conn.send_call(FakeProc(), 4, token="d")
    third = frame(7, framing.REPLY, c, framing.OK, U32.pack(30))
    assert conn.receive(third[:30]) == []
    got = conn.receive(third[30:])
    assert [(e.token, e.value) for e in got] == [("c", 30)]
    got = conn.receive(frame(7, framing.REPLY, d, framing.OK, U32.pack(40)))
    assert [(e.token, e.value) for e in got] == [("d", 40)]
    assert conn.next_event() is NEED_DATA


def test_receive_answers_a_lone_ping_and_reports_nothing() -> None:
    conn = RpcConnection()
    assert conn.receive(frame(1, framing.MESSAGE, 0, framing.OK, prog=KEEPALIVE_PROGRAM)) == []
    assert conn.data_to_send() == frame(2, framing.MESSAGE, 0, framing.OK, prog=KEEPALIVE_PROGRAM)


def test_receive_of_a_bad_lone_frame_closes_like_next_event() -> None:
    conn = RpcConnection()
    conn.send_call(FakeProc(), 1, token="a")
    got = conn.receive(frame(7, framing.REPLY, 99, framing.OK, U32.pack(0)))
    assert isinstance(got[0], CallFailed) and "no call waiting" in got[0].error.message
    assert isinstance(got[-1], ConnectionClosed) and got[-1].reason == CLOSE_REASON_ERROR
    assert not conn.is_open


def test_receive_of_end_of_file_fails_the_callers() -> None:
    conn = RpcConnection()
    conn.send_call(FakeProc(), 1, token="a")
    got = conn.receive(b"")
    assert isinstance(got[0], CallFailed) and got[0].token == "a"
    assert isinstance(got[-1], ConnectionClosed) and got[-1].reason == CLOSE_REASON_EOF


def test_frame_reader_hands_back_a_whole_bytes_chunk_without_copying() -> None:
    reader = framing.FrameReader()
    one = frame(7, framing.REPLY, 1, framing.OK, U32.pack(1))
    reader.feed(one)
    assert reader.next_frame() is one
    two = one + frame(7, framing.REPLY, 2, framing.OK, U32.pack(2))
    reader.feed(two)
    first, second = reader.next_frame(), reader.next_frame()
    assert isinstance(first, memoryview) and bytes(first) == two[: len(one)]
    assert isinstance(second, memoryview) and bytes(second) == two[len(one) :]
    assert reader.next_frame() is None and reader.buffered == 0


def test_receive_keeps_the_connections_own_message_limit() -> None:
    conn = RpcConnection(max_message=64)
    serial = conn.send_call(FakeProc(), 1, token="t")
    got = conn.receive(frame(7, framing.REPLY, serial, framing.OK, bytes(64)))  # 92 > 4 + 64
    assert isinstance(got[0], CallFailed) and "too large" in got[0].error.message
    assert isinstance(got[-1], ConnectionClosed) and got[-1].reason == CLOSE_REASON_ERROR


def test_receive_dispatches_a_batch_of_frames_and_buffers_the_rest() -> None:
    conn = RpcConnection()
    serials = [conn.send_call(FakeProc(), i, token=f"t{i}") for i in range(4)]
    conn.data_to_send()
    replies = [frame(7, framing.REPLY, s, framing.OK, U32.pack(100 + s)) for s in serials]
    ping = frame(1, framing.MESSAGE, 0, framing.OK, prog=KEEPALIVE_PROGRAM)
    got = conn.receive(replies[0] + ping + replies[1] + replies[2][:3])
    assert [(e.token, e.value) for e in got] == [("t0", 101), ("t1", 102)]
    assert conn.data_to_send() == frame(2, framing.MESSAGE, 0, framing.OK, prog=KEEPALIVE_PROGRAM)
    got = conn.receive(replies[2][3:] + replies[3])
    assert [(e.token, e.value) for e in got] == [("t2", 103), ("t3", 104)]
    assert conn.next_event() is NEED_DATA and conn.pending_calls == 0


def test_receive_of_a_bad_length_after_good_frames_reports_them_first() -> None:
    conn = RpcConnection()
    a = conn.send_call(FakeProc(), 1, token="a")
    conn.send_call(FakeProc(), 2, token="b")
    good = frame(7, framing.REPLY, a, framing.OK, U32.pack(10))
    got = conn.receive(good + U32.pack(8) + bytes(24))  # a length word under the header size
    assert [(type(e), e.token) for e in got[:2]] == [(Reply, "a"), (CallFailed, "b")]
    assert "too small" in got[1].error.message
    assert isinstance(got[-1], ConnectionClosed) and got[-1].reason == CLOSE_REASON_ERROR


def test_a_reply_waiting_for_its_descriptors_fails_when_the_connection_drops() -> None:
    conn = RpcConnection()
    serial = conn.send_call(FakeProc(), 1, token="t")
    other = conn.send_call(FakeProc(), 2, token="abandoned")
    conn.abandon(other)
    conn.receive_data(frame(7, framing.REPLY_WITH_FDS, serial, framing.OK,
                            U32.pack(1) + U32.pack(77)))
    assert conn.next_event() is NEED_DATA and conn.expects_fds
    got = conn.receive(b"")
    assert [(type(e), getattr(e, "token", None)) for e in got] == [
        (CallFailed, "t"), (ConnectionClosed, None)
    ]
    assert conn.pending_calls == 0 and not conn.expects_fds
