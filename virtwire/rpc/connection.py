"""The I/O-free RPC connection: serials, pending calls, streams, keepalive, and its states.

Inputs: :meth:`RpcConnection.receive_data`, :meth:`~RpcConnection.receive_fds`, the calls
and stream packets to send, :meth:`~RpcConnection.tick` with the time, and the transport's
end (:meth:`~RpcConnection.connection_lost`). Outputs: :meth:`~RpcConnection.next_event` and
:meth:`~RpcConnection.data_to_send`. Nothing here touches a socket or a clock.

Connection states change only through ``_TRANSITIONS`` below::

    OPEN ──client close──▶ CLOSED(CLIENT)
    OPEN ──end of file───▶ CLOSED(EOF)
    OPEN ──broken wire───▶ CLOSED(ERROR)
    OPEN ──no keepalive──▶ CLOSED(KEEPALIVE)

Calls and streams are owned here too: a serial is live from :meth:`send_call` until its
reply (or, for a stream, until the stream ends). A call the caller gave up on
(:meth:`abandon`) stays in the table so its late reply is dropped quietly.
"""

from __future__ import annotations

import enum
import os
import struct
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, NoReturn, Protocol, TypeAlias

from virtwire.errors import (
    ConnectionClosedError,
    Error,
    LocalProtocolError,
    RemoteProtocolError,
    XDRError,
)
from virtwire.rpc import framing
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
from virtwire.rpc.framing import (
    CALL,
    CALL_WITH_FDS,
    CONTINUE,
    ERROR,
    FRAME_HEAD,
    MESSAGE,
    OK,
    PAYLOAD_OFFSET,
    REPLY,
    REPLY_WITH_FDS,
    STREAM,
    STREAM_CHUNK_MAX,
    STREAM_HOLE,
    FrameReader,
)
from virtwire.rpc.keepalive import Keepalive, KeepaliveAction
from virtwire.xdr.gc_pause import GC_PAUSE_MIN_BYTES, gc_paused

KEEPALIVE_PROGRAM: Final = 0x6B656570
KEEPALIVE_VERSION: Final = 1
KEEPALIVE_PING: Final = 1
KEEPALIVE_PONG: Final = 2

# virConnectCloseReason
CLOSE_REASON_ERROR: Final = 0
CLOSE_REASON_EOF: Final = 1
CLOSE_REASON_KEEPALIVE: Final = 2
CLOSE_REASON_CLIENT: Final = 3

#: (program, procedure) of the calls whose replies carry file descriptors:
#: REMOTE_PROC_DOMAIN_OPEN_GRAPHICS_FD and LXC_PROC_DOMAIN_OPEN_NAMESPACE.
FD_REPLIES: Final = frozenset({(0x20008086, 343), (0x00068000, 1)})

_FD_REPLY_NUMBERS: Final = frozenset(number for _, number in FD_REPLIES)
_FRAME_MAX: Final = framing.MESSAGE_MAX + framing.LEN_SIZE

_U32: Final = struct.Struct(">I")
_HOLE: Final = struct.Struct(">qI")


class ProcedureLike(Protocol):
    """What the core needs of a generated procedure description."""

    @property
    def program(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def number(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def pack_args(self) -> Callable[[bytearray, Any], None] | None: ...
    @property
    def unpack_args(self) -> Callable[[Any, int], tuple[Any, int]] | None: ...
    @property
    def unpack_ret(self) -> Callable[[Any, int], tuple[Any, int]] | None: ...


class State(enum.Enum):
    """The connection's life."""

    OPEN = "open"
    CLOSED = "closed"


class Input(enum.Enum):
    """What can end a connection."""

    CLIENT_CLOSE = CLOSE_REASON_CLIENT
    EOF = CLOSE_REASON_EOF
    BROKEN = CLOSE_REASON_ERROR
    KEEPALIVE_DEAD = CLOSE_REASON_KEEPALIVE


_OPEN: Final = State.OPEN
_NOTHING: Final = KeepaliveAction.NOTHING

#: The only place the connection state changes: (state, input) -> new state.
_TRANSITIONS: Final[dict[tuple[State, Input], State]] = {
    (State.OPEN, Input.CLIENT_CLOSE): State.CLOSED,
    (State.OPEN, Input.EOF): State.CLOSED,
    (State.OPEN, Input.BROKEN): State.CLOSED,
    (State.OPEN, Input.KEEPALIVE_DEAD): State.CLOSED,
}


_Call: TypeAlias = tuple[ProcedureLike, Any]
"""A pending call: its procedure and the caller's token. (Calls abandoned or expecting file
descriptors are the exception, and are tracked apart, by serial.)"""


class _Stream:
    __slots__ = ("serial", "proc", "token", "closing", "eof")

    def __init__(self, serial: int, proc: ProcedureLike, token: Any) -> None:
        self.serial = serial
        self.proc = proc
        self.token = token
        self.closing = False  # finish or abort sent, waiting for the daemon's confirmation
        self.eof = False  # the daemon ended its data; our finish or abort is still due


class SecurityLayer(Protocol):
    """A negotiated SASL layer wrapping every byte after authentication."""

    def encode(self, data: bytes | bytearray | memoryview) -> list[bytes]: ...
    def feed(self, data: bytes | bytearray | memoryview) -> bytes: ...


def _decode_error(frame: bytes | memoryview, offset: int) -> Error:
    from virtwire.protocol.virnet_gen import unpack_virNetMessageError

    try:
        err, _ = unpack_virNetMessageError(frame, offset)
    except XDRError as exc:
        return RemoteProtocolError(f"unable to decode the error sent by the daemon: {exc}")
    return Error.from_remote(err)


class RpcConnection:
    """One client connection to a libvirt daemon, as a state machine."""

    def __init__(
        self,
        programs: Mapping[tuple[int, int], Mapping[int, ProcedureLike]] | None = None,
        *,
        max_message: int = framing.MESSAGE_MAX,
    ) -> None:
        self._programs = dict(programs or {})
        self._reader = FrameReader(max_message)
        self._frame_max = max_message + framing.LEN_SIZE  # the longest frame received
        self._out: list[bytes | bytearray] = []
        self._out_fds: deque[tuple[int, list[int]]] = deque()  # (index in _out, fds after it)
        self._calls: dict[int, _Call] = {}
        self._abandoned: set[int] = set()  # serials of calls nobody waits for any more
        self._fd_calls: set[int] = set()  # serials of calls whose replies may carry fds
        self._streams: dict[int, _Stream] = {}
        self._serial = 0
        self._events: deque[Any] = deque()
        self._fds: deque[int] = deque()
        # a reply waiting for its file descriptors: serial, call, frame, status, fd count
        self._held: tuple[int, _Call, bytes | memoryview, int, int] | None = None
        self._layer: SecurityLayer | None = None
        self.keepalive = Keepalive()
        self.state = State.OPEN
        self.close_reason: int | None = None
        self.close_error: Error | None = None
        #: Events that could not be decoded and were dropped, as libvirt does.
        self.dropped_messages = 0

    # ------------------------------------------------------------------ state

    def _transition(self, what: Input) -> bool:
        new = _TRANSITIONS.get((self.state, what))
        if new is None:
            return False
        self.state = new
        return True

    @property
    def is_open(self) -> bool:
        """True until the connection is closed for any reason."""
        return self.state is State.OPEN

    def set_security_layer(self, layer: SecurityLayer) -> None:
        """Wrap every later byte in both directions (after SASL negotiated a layer)."""
        if self._out:
            raise LocalProtocolError("cannot start a security layer with data queued")
        self._layer = layer

    # ------------------------------------------------------------------ sending

    def check_open(self) -> None:
        """Raise :class:`ConnectionClosedError` (naming why) unless the connection is open."""
        if self.state is not State.OPEN:
            raise ConnectionClosedError(
                "the connection is closed"
                + (f": {self.close_error.message}" if self.close_error else "")
            ) from self.close_error

    def send_call(
        self,
        proc: ProcedureLike,
        args: Any = None,
        token: Any = None,
        fds: Sequence[int] = (),
        stream: Any = None,
    ) -> int:
        """Queue a call and return its serial; ``token`` comes back in its reply.

        A ``stream`` token (not None) opens a stream bound to this call's serial; it comes
        back in the stream's events.
        """
        if self.state is not _OPEN:
            self.check_open()
        serial = (self._serial + 1) & 0xFFFFFFFF or 1
        number = proc.number
        out = bytearray(PAYLOAD_OFFSET)  # the header is packed in once the length is known
        if fds:
            if len(fds) > framing.NUM_FDS_MAX:
                raise LocalProtocolError(
                    f"too many file descriptors: {len(fds)} > {framing.NUM_FDS_MAX}"
                )
            if self._layer is not None:
                raise LocalProtocolError("cannot pass file descriptors through a SASL layer")
            out += _U32.pack(len(fds))
        pack = proc.pack_args
        if pack is not None:
            pack(out, args)
        elif args is not None:
            raise LocalProtocolError(f"{proc.name} takes no arguments")
        length = len(out)
        if length > _FRAME_MAX:
            framing.seal(out)  # raises, naming the limit
        kind = CALL_WITH_FDS if fds else CALL
        FRAME_HEAD.pack_into(out, 0, length, proc.program, proc.version, number, kind, serial, OK)
        self._serial = serial
        self._calls[serial] = (proc, token)
        if number in _FD_REPLY_NUMBERS and (proc.program, number) in FD_REPLIES:
            self._fd_calls.add(serial)
        if stream is not None:
            self._streams[serial] = _Stream(serial, proc, stream)
        if self._layer is None:
            self._out.append(out)
        else:
            self._queue(out)
        if fds:
            self._out_fds.append((len(self._out), list(fds)))
        return serial

    def abandon(self, serial: int) -> None:
        """The caller stopped waiting (timeout, cancellation): drop its reply when it comes."""
        if serial in self._calls:
            self._abandoned.add(serial)
        stream = self._streams.get(serial)
        if stream is not None and self.state is State.OPEN and not stream.closing:
            self.abort_stream(serial)

    def _stream_packet(
        self, serial: int, mtype: int, status: int, payload: bytes | memoryview = b""
    ) -> None:
        self.check_open()
        stream = self._streams.get(serial)
        if stream is None:
            raise LocalProtocolError(f"no open stream with serial {serial}")
        if stream.closing:
            raise LocalProtocolError("the stream is already finished or aborted")
        proc = stream.proc
        out = bytearray(
            FRAME_HEAD.pack(0, proc.program, proc.version, proc.number, mtype, serial, status)
        )
        out += payload
        framing.seal(out)
        self._queue(out)

    def send_stream_data(self, serial: int, data: bytes | memoryview) -> None:
        """Queue stream bytes, cut into packets of libvirt's size."""
        view = memoryview(data).cast("B")
        for start in range(0, len(view), STREAM_CHUNK_MAX):
            self._stream_packet(serial, STREAM, CONTINUE, view[start : start + STREAM_CHUNK_MAX])

    def send_stream_hole(self, serial: int, length: int, flags: int = 0) -> None:
        """Queue a hole of ``length`` bytes."""
        self._stream_packet(serial, STREAM_HOLE, CONTINUE, _HOLE.pack(length, flags))

    def finish_stream(self, serial: int) -> None:
        """Tell the daemon we sent everything; it confirms with :class:`StreamEnd`."""
        self._stream_packet(serial, STREAM, OK)
        self._streams[serial].closing = True

    def abort_stream(self, serial: int) -> None:
        """Abort the stream; the daemon confirms with :class:`StreamEnd` or an error."""
        self._stream_packet(serial, STREAM, ERROR)
        self._streams[serial].closing = True

    def _queue(self, out: bytes | bytearray) -> None:
        if self._layer is None:
            self._out.append(out)
        else:
            self._out.extend(self._layer.encode(out))

    @property
    def has_fds_to_send(self) -> bool:
        """True when queued bytes must be followed by file descriptors."""
        return bool(self._out_fds)

    @property
    def expects_fds(self) -> bool:
        """True while a reply may bring file descriptors (read with ``recvmsg`` then)."""
        return bool(self._fd_calls) or self._held is not None

    @property
    def has_output(self) -> bool:
        """True when :meth:`data_to_send` or :meth:`fds_to_send` has something."""
        return bool(self._out) or bool(self._out_fds)

    def data_to_send(self) -> bytes | bytearray:
        """Bytes to write now: everything queued, up to the next file descriptor carrier."""
        out = self._out
        if not out:
            return b""
        if self._out_fds:
            upto = self._out_fds[0][0]
            data = b"".join(out[:upto])
            del out[:upto]
            self._out_fds = deque((i - upto, f) for i, f in self._out_fds)
            return data
        whole = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        return whole

    def fds_to_send(self) -> list[int]:
        """File descriptors due after the bytes just taken; send each with a 0 byte."""
        if self._out_fds and self._out_fds[0][0] == 0:
            return self._out_fds.popleft()[1]
        return []

    # ------------------------------------------------------------------ receiving

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Feed bytes read from the transport (``b""`` means end of file)."""
        if not data:
            self.connection_lost(None)
            return
        self.keepalive.mark_active()
        if self._layer is not None:
            data = self._layer.feed(data)
        self._reader.feed(data)

    def receive(self, data: bytes | bytearray | memoryview) -> list[Any]:
        """Feed bytes read from the transport and return every event now complete, in order.

        :meth:`receive_data` and a :meth:`next_event` loop in one step. Whole frames at the
        start of a ``bytes`` chunk arriving with nothing else buffered (the usual case: a
        reply, or a batch of them) go straight to dispatch without the frame reader; only
        what follows them (a frame cut short, say) is buffered.
        """
        if (
            type(data) is not bytes
            or not data
            or self.state is not _OPEN
            or self._reader.buffered
            or self._events
            or self._held is not None
            or self._layer is not None
        ):
            self.receive_data(data)
            return list(iter(self.next_event, NEED_DATA))
        self.keepalive.mark_active()
        events: list[Any] = []
        size = len(data)
        pos = 0
        limit = self._frame_max
        dispatch = self._dispatch_frame
        while size - pos >= PAYLOAD_OFFSET:
            n, prog, vers, proc, mtype, serial, status = FRAME_HEAD.unpack_from(data, pos)
            if n > size - pos or n < PAYLOAD_OFFSET or n > limit:
                break  # cut short, or a bad length the frame reader reports
            frame = data if n == size else data[pos : pos + n]
            pos += n
            try:
                event = dispatch(frame, prog, vers, proc, mtype, serial, status)
            except RemoteProtocolError as exc:
                self._close(Input.BROKEN, exc)
                break
            if event is not None:
                events.append(event)
            if self._held is not None or self._events:
                break  # file descriptors to wait for, or a reply they completed
        if pos < size and self.state is _OPEN:
            self._reader.feed(data[pos:] if pos else data)
        elif not self._events and self.state is _OPEN:
            return events
        events.extend(iter(self.next_event, NEED_DATA))
        return events

    def receive_fds(self, fds: Iterable[int]) -> None:
        """Feed file descriptors received with the bytes."""
        self._fds.extend(fds)

    def next_event(self) -> Any:
        """Return the next event, or :data:`NEED_DATA`."""
        events = self._events
        while True:
            if events:
                return events.popleft()
            if self.state is not _OPEN:
                return NEED_DATA
            if self._held is not None:
                if not self._complete_held():
                    return NEED_DATA
                continue
            reader = self._reader
            if not reader.buffered:
                return NEED_DATA
            try:
                frame = reader.next_frame()
                if frame is None:
                    return NEED_DATA
                event = self._dispatch(frame)
            except RemoteProtocolError as exc:
                self._close(Input.BROKEN, exc)
                continue
            if event is not None:
                return event

    def _dispatch(self, frame: bytes | memoryview) -> Any:
        _, prog, vers, proc, mtype, serial, status = FRAME_HEAD.unpack_from(frame)
        return self._dispatch_frame(frame, prog, vers, proc, mtype, serial, status)

    def _dispatch_frame(
        self,
        frame: bytes | memoryview,
        prog: int,
        vers: int,
        proc: int,
        mtype: int,
        serial: int,
        status: int,
    ) -> Any:
        """Handle one whole frame whose header has been read: its event, or None."""
        if mtype == REPLY:
            call = self._calls.pop(serial, None)
            if call is None and status == ERROR and serial in self._streams:
                # the daemon failed a stream (a write, the finish or the abort) by a reply
                stream = self._streams.pop(serial)
                return StreamFailed(serial, stream.token, _decode_error(frame, PAYLOAD_OFFSET))
            if call is None or call[0].program != prog or call[0].version != vers:
                self._no_call(prog, vers, serial, call)
            return self._reply(serial, call, frame, status, PAYLOAD_OFFSET, ())
        if mtype == MESSAGE:
            if prog == KEEPALIVE_PROGRAM and vers == KEEPALIVE_VERSION:
                if proc == KEEPALIVE_PING:
                    self._queue(
                        framing.encode_frame(
                            KEEPALIVE_PROGRAM, KEEPALIVE_VERSION, KEEPALIVE_PONG, MESSAGE, 0, OK
                        )
                    )
                return None
            return self._message(frame, prog, vers, proc, status)
        if mtype == STREAM or mtype == STREAM_HOLE:
            return self._stream(frame, mtype, serial, status)
        if mtype == REPLY_WITH_FDS:
            call = self._calls.pop(serial, None)
            if call is None or call[0].program != prog or call[0].version != vers:
                self._no_call(prog, vers, serial, call)
            if len(frame) < PAYLOAD_OFFSET + 4:
                raise RemoteProtocolError("reply with file descriptors lacks their count")
            nfds = _U32.unpack_from(frame, PAYLOAD_OFFSET)[0]
            if nfds > framing.NUM_FDS_MAX:
                raise RemoteProtocolError(
                    f"too many file descriptors received: {nfds} > {framing.NUM_FDS_MAX}"
                )
            self._held = (serial, call, frame, status, nfds)
            self._complete_held()
            return None
        raise RemoteProtocolError(
            f"got unexpected RPC call prog {prog} vers {vers} proc {proc} type {mtype}"
        )

    def _no_call(self, prog: int, vers: int, serial: int, call: _Call | None) -> NoReturn:
        if call is not None:
            self._calls[serial] = call
        raise RemoteProtocolError(
            f"no call waiting for reply with prog {prog} vers {vers} serial {serial}"
        )

    def _complete_held(self) -> bool:
        """Finish a reply whose file descriptors (one carrier byte each) follow the frame."""
        assert self._held is not None
        serial, call, frame, status, nfds = self._held
        if self._reader.buffered < nfds or len(self._fds) < nfds:
            return False
        self._held = None
        if nfds:
            self._reader.take(nfds)
        fds = tuple(self._fds.popleft() for _ in range(nfds))
        event = self._reply(serial, call, frame, status, PAYLOAD_OFFSET + 4, fds)
        if event is not None:
            self._events.append(event)
        return True

    def _reply(
        self,
        serial: int,
        call: _Call,
        frame: bytes | memoryview,
        status: int,
        offset: int,
        fds: tuple[int, ...],
    ) -> Reply | CallFailed | None:
        proc, token = call
        if self._fd_calls:
            self._fd_calls.discard(serial)
        if self._abandoned and serial in self._abandoned:
            self._abandoned.discard(serial)
            for fd in fds:
                os.close(fd)
            self._streams.pop(serial, None)
            return None
        if status == OK:
            unpack = proc.unpack_ret
            if unpack is None:
                if len(frame) != offset:
                    return self._bad_reply(serial, call, fds, "trailing bytes after a void reply")
                return Reply(serial, token, None, fds)
            try:
                if len(frame) < GC_PAUSE_MIN_BYTES:
                    value, end = unpack(frame, offset)
                else:  # a large reply: no collections while its objects are made
                    with gc_paused():
                        value, end = unpack(frame, offset)
            except XDRError as exc:
                return self._bad_reply(serial, call, fds, str(exc), exc)
            if end != len(frame):
                return self._bad_reply(serial, call, fds, f"{len(frame) - end} trailing bytes")
            return Reply(serial, token, value, fds)
        self._streams.pop(serial, None)
        for fd in fds:
            os.close(fd)
        if status == ERROR:
            return CallFailed(serial, token, _decode_error(frame, offset))
        return CallFailed(
            serial,
            token,
            RemoteProtocolError(f"unexpected status {status} in the reply to {proc.name}"),
        )

    def _bad_reply(
        self,
        serial: int,
        call: _Call,
        fds: tuple[int, ...],
        why: str,
        cause: Exception | None = None,
    ) -> CallFailed:
        for fd in fds:
            os.close(fd)
        self._streams.pop(serial, None)
        error = RemoteProtocolError(f"unable to decode the reply to {call[0].name}: {why}")
        error.__cause__ = cause
        return CallFailed(serial, call[1], error)

    def _message(
        self, frame: bytes | memoryview, prog: int, vers: int, proc: int, status: int
    ) -> Any:
        procs = self._programs.get((prog, vers))
        if procs is None:
            raise RemoteProtocolError(f"no program found for event with prog {prog} vers {vers}")
        if status != OK:
            raise RemoteProtocolError(f"status mismatch in event (actual {status}, expected 0)")
        desc = procs.get(proc)
        if desc is None:
            raise RemoteProtocolError(f"no event expected with procedure {proc}")
        unpack = desc.unpack_args
        value = None
        if unpack is not None:
            try:
                value, end = unpack(frame, PAYLOAD_OFFSET)
            except XDRError:
                self.dropped_messages += 1
                return None
            if end != len(frame):
                self.dropped_messages += 1
                return None
        return Message(prog, proc, value)

    def _stream(self, frame: bytes | memoryview, mtype: int, serial: int, status: int) -> Any:
        stream = self._streams.get(serial)
        if stream is None:
            return None  # packets may still arrive after the stream was shut down locally
        if status == CONTINUE:
            if stream.eof:
                return None
            if mtype == STREAM_HOLE:
                if len(frame) != PAYLOAD_OFFSET + _HOLE.size:
                    raise RemoteProtocolError("malformed stream hole packet")
                length, flags = _HOLE.unpack_from(frame, PAYLOAD_OFFSET)
                return StreamHole(serial, stream.token, length, flags)
            if len(frame) > PAYLOAD_OFFSET:
                return StreamData(serial, stream.token, memoryview(frame)[PAYLOAD_OFFSET:])
        if (status == CONTINUE or status == OK) and not stream.closing:
            # The end of the daemon's data (an empty packet, as libvirt sends it, or OK):
            # the stream stays until we finish or abort it, and confirms that with OK.
            if stream.eof:
                return None
            stream.eof = True
            return StreamEnd(serial, stream.token)
        if status == CONTINUE:
            return None  # an empty packet crossing our finish or abort
        del self._streams[serial]
        if status == OK:
            return StreamEnd(serial, stream.token)
        if status == ERROR:
            if len(frame) == PAYLOAD_OFFSET:
                error: Error = Error(
                    "stream aborted", code=Error.ERR_RPC, domain=Error.FROM_STREAMS
                )
            else:
                error = _decode_error(frame, PAYLOAD_OFFSET)
            return StreamFailed(serial, stream.token, error)
        raise RemoteProtocolError(f"stream packet with unexpected status {status}")

    # ------------------------------------------------------------------ time and endings

    def start_keepalive(self, now: float, interval: float, count: int) -> None:
        """Start (or restart) keepalive with the given figures."""
        self.keepalive.start(now, interval, count)

    def next_deadline(self) -> float | None:
        """When :meth:`tick` must run next, or None."""
        return self.keepalive.deadline() if self.state is State.OPEN else None

    def tick(self, now: float) -> None:
        """Let time pass: send a PING when due, give up on a silent peer."""
        if self.state is not _OPEN:
            return
        action = self.keepalive.tick(now)
        if action is _NOTHING:
            return
        if action is KeepaliveAction.PING:
            self._queue(
                framing.encode_frame(
                    KEEPALIVE_PROGRAM, KEEPALIVE_VERSION, KEEPALIVE_PING, MESSAGE, 0, OK
                )
            )
        elif action is KeepaliveAction.DEAD:
            from virtwire.errors import KeepaliveTimeoutError

            self._close(
                Input.KEEPALIVE_DEAD,
                KeepaliveTimeoutError("connection closed due to keepalive timeout"),
            )

    def connection_lost(self, error: Error | None) -> None:
        """The transport ended: end of file when ``error`` is None or a
        :class:`ConnectionClosedError` (the peer went away), an I/O failure otherwise."""
        if error is None:
            self._close(Input.EOF, ConnectionClosedError("end of file while reading data"))
        elif isinstance(error, ConnectionClosedError):
            self._close(Input.EOF, error)
        else:
            self._close(Input.BROKEN, error)

    def close(self) -> None:
        """Close from our side; pending calls fail."""
        self._close(Input.CLIENT_CLOSE, ConnectionClosedError("the connection was closed"))

    def fail(self, error: Error) -> None:
        """Give the connection up because of ``error``."""
        self._close(Input.BROKEN, error)

    def _close(self, what: Input, error: Error) -> None:
        if not self._transition(what):
            return
        self.close_reason = what.value
        self.close_error = None if what is Input.CLIENT_CLOSE else error
        self.keepalive.stop()
        events = self._events
        if self._held is not None:  # a reply still waiting for its file descriptors
            serial, call, *_ = self._held
            self._calls[serial] = call
        for serial, (_, token) in self._calls.items():
            if serial not in self._abandoned:
                events.append(CallFailed(serial, token, error))
        for stream in self._streams.values():
            if stream.serial not in self._calls:
                events.append(StreamFailed(stream.serial, stream.token, error))
        self._calls.clear()
        self._abandoned.clear()
        self._fd_calls.clear()
        self._streams.clear()
        self._held = None
        while self._fds:
            os.close(self._fds.popleft())
        self._out.clear()
        self._out_fds.clear()
        events.append(ConnectionClosed(what.value, self.close_error))

    @property
    def pending_calls(self) -> int:
        """Calls sent and not yet answered (abandoned ones included)."""
        return len(self._calls)
