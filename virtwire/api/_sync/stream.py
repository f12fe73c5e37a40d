# Generated from virtwire/api/_async/stream.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::Stream: the data channel of one call (upload, download, console, screenshot).

A stream is created unbound (``conn.new_stream(flags)`` or ``Stream(conn, flags)``) and
handed to a method that opens it. Such a method calls :meth:`Stream._open`::

    def download(self, st: Stream, offset: int, length: int, flags: int = 0) -> None:
        args = remote_gen.remote_storage_vol_download_args(
            vol=self._ref, offset=offset, length=length, flags=flags
        )
        st._open("storage_vol_download", args)

``_open(proc, args)`` makes the call with the stream bound to its serial
(``runtime.call(procedure(proc), args, stream=st)``, which raw callers may use too), allows
holes when the procedure's ``@sparseflag`` is set in ``args.flags``, and returns the call's
``_ret`` value (a screenshot's MIME type, for instance).

Flow control: received data waits in a queue; above :data:`QUEUE_HIGH` bytes the connection
stops reading its socket (replies to other calls wait too) until :meth:`Stream.recv` brings it
under :data:`QUEUE_LOW`. Sending waits while the socket is full. A failure of the stream
(an error from the daemon, an abort, the connection lost) is raised by the next operation.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from virtwire import constants_gen
from virtwire.api.sysvirt_gen import StreamConstants
from virtwire.constants_gen import virStreamEventType, virStreamFlags, virStreamRecvFlagsValues
from virtwire.errors import ConnectionClosedError, Error, LocalProtocolError
from virtwire.rpc.events import StreamData, StreamEnd, StreamFailed, StreamHole
from virtwire.rpc.framing import STREAM_CHUNK_MAX

if TYPE_CHECKING:
    from virtwire.api._sync.connection import Connection

#: Received bytes queued before the connection stops reading its socket.
QUEUE_HIGH: Final = 4 * 1024 * 1024
#: Queued bytes below which reading resumes.
QUEUE_LOW: Final = 1024 * 1024
#: Bytes asked of a source or given to a sink at a time, as libvirt does.
CHUNK: Final = STREAM_CHUNK_MAX

_NONBLOCK: Final = int(virStreamFlags.VIR_STREAM_NONBLOCK)
_STOP_AT_HOLE: Final = int(virStreamRecvFlagsValues.VIR_STREAM_RECV_STOP_AT_HOLE)
_READABLE: Final = int(virStreamEventType.VIR_STREAM_EVENT_READABLE)
_WRITABLE: Final = int(virStreamEventType.VIR_STREAM_EVENT_WRITABLE)

# Life of a stream.
_NEW: Final = 0  # not bound to a call yet
_OPEN: Final = 1
_FINISHING: Final = 2  # finish sent, confirmation due
_ABORTING: Final = 3  # abort sent, confirmation due
_FINISHED: Final = 4
_ABORTED: Final = 5

StreamCallback = Callable[["Stream", int], Any]


def _flag_value(name: str) -> int:
    """The value of the C flag ``name`` (a procedure's ``@sparseflag``)."""
    for value in vars(constants_gen).values():
        if isinstance(value, type) and issubclass(value, enum.Enum):
            member = value.__members__.get(name)
            if member is not None:
                return int(member.value)
    raise LocalProtocolError(f"unknown flag {name}")


def _unsupported(function: str) -> Error:
    return Error(
        f"this function is not supported by the connection driver: {function}",
        code=Error.ERR_NO_SUPPORT,
        domain=Error.FROM_STREAMS,
    )


def _handler_failed(what: str) -> Error:
    return Error(
        f"{what} failed: Input/output error",
        code=Error.ERR_SYSTEM_ERROR,
        domain=Error.FROM_STREAMS,
        int1=5,
    )


class Stream(StreamConstants):
    """A libvirt stream (Sys::Virt::Stream): ``Stream(conn, flags)``, as ``conn.new_stream``.

    ``flags`` may hold ``NONBLOCK``: then :meth:`recv` returns -2 instead of waiting.
    Besides Sys::Virt's methods, ``for chunk in st`` reads the data (holes as zeros),
    :meth:`read` reads one chunk and :meth:`write` sends all of a buffer.
    """

    __slots__ = (
        "_conn", "_flags", "_rt", "_serial", "_sparse", "_state", "_live", "_queue",
        "_queued", "_hole", "_eof", "_error", "_waiter", "_paused", "_cb", "_cb_events",
        "_cb_armed",
    )

    def __init__(self, conn: Connection, flags: int = 0) -> None:
        self._conn = conn
        self._flags = flags
        self._rt: Any = None
        self._serial = 0
        self._sparse = False
        self._state = _NEW
        self._live = False  # the RPC core still routes packets to us
        self._queue: deque[memoryview | int] = deque()  # data, or an int: a hole's length
        self._queued = 0  # bytes of data in the queue
        self._hole = 0  # hole length being consumed
        self._eof = False
        self._error: Error | None = None
        self._waiter: Any = None
        self._paused = False
        self._cb: StreamCallback | None = None
        self._cb_events = 0
        self._cb_armed = False

    @property
    def connection(self) -> Connection:
        """The connection this stream belongs to."""
        return self._conn

    def __repr__(self) -> str:
        state = ("new", "open", "finishing", "aborting", "finished", "aborted")[self._state]
        return f"<Stream serial={self._serial} {state}>"

    # ------------------------------------------------------------------ opening

    def _open(self, proc: str, args: Any = None) -> Any:
        """Call the stream procedure ``proc`` with this stream bound; return its ``_ret``."""
        from virtwire.protocol.lookup import procedure

        if self._state != _NEW:
            raise Error(
                "the stream is already in use",
                code=Error.ERR_OPERATION_INVALID,
                domain=Error.FROM_STREAMS,
            )
        desc = procedure(proc)
        flag = desc.sparseflag
        flags = getattr(args, "flags", 0) or 0
        self._sparse = bool(flag and flags & _flag_value(flag))
        rt = self._conn.runtime
        try:
            return rt.call(desc, args, stream=self)
        except BaseException:
            with rt.lock:
                self._drop_queue()
                self._rt = None
                self._state = _NEW
                self._live = False
            raise

    def bind(self, runtime: Any, serial: int) -> None:
        """The runtime queued the call opening this stream (runtime's lock held)."""
        self._rt = runtime
        self._serial = serial
        self._state = _OPEN
        self._live = True
        self._eof = False
        self._error = None

    # ------------------------------------------------------------------ events (I/O side)

    def on_stream_event(self, event: Any) -> None:
        """Queue an event of the RPC core and wake the reader (runtime's lock held)."""
        cls = event.__class__
        state = self._state
        if cls is StreamData:
            if state == _OPEN:
                data = event.data
                self._queue.append(data)
                self._queued += len(data)
                if not self._paused and self._queued >= QUEUE_HIGH:
                    self._paused = True
                    self._rt.pause_reading()
        elif cls is StreamHole:
            if state == _OPEN:
                self._queue.append(event.length)
        elif cls is StreamEnd:
            if state == _FINISHING or state == _ABORTING:
                self._live = False
            else:
                self._eof = True
        elif cls is StreamFailed:
            self._live = False
            if self._error is None and state != _ABORTING:
                self._error = event.error
            self._drop_queue()
        self._wake()
        self._arm_callback()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.done = True
            waiter.signal()

    def _drop_queue(self) -> None:
        self._queue.clear()
        self._queued = 0
        self._hole = 0
        if self._paused:
            self._paused = False
            self._rt.resume_reading()

    # ------------------------------------------------------------------ checks

    def _active(self, function: str) -> Any:
        rt = self._rt
        if rt is None:
            raise _unsupported(function)
        return rt

    def _check_state(self) -> None:
        """Raise the stream's error, or "stream is closed" once finished or aborted."""
        if self._error is not None:
            raise self._error
        if self._state != _OPEN:
            raise Error(
                "stream is closed", code=Error.ERR_OPERATION_FAILED, domain=Error.FROM_RPC
            )

    def _check_sparse(self, what: str) -> None:
        if not self._sparse:
            raise Error(
                f"{what} not supported with this stream",
                code=Error.ERR_OPERATION_INVALID,
                domain=Error.FROM_RPC,
            )

    def _gone(self, exc: Error) -> Error:
        """The error to raise when the core refused a packet: the stream's, if it failed."""
        with self._rt.lock:
            return self._error or exc

    # ------------------------------------------------------------------ receiving

    def _take(self, nbytes: int, stop_at_hole: bool) -> bytes | memoryview | int | None:
        """Up to ``nbytes`` of data (``b""`` at the end), -3 at a hole when asked to stop
        there, None when nothing is queued yet (lock held)."""
        queue = self._queue
        if not self._hole and queue:
            first = queue[0]
            if isinstance(first, int):
                if not self._sparse:
                    raise Error(
                        "Unexpected stream hole", code=Error.ERR_RPC, domain=Error.FROM_RPC
                    )
                queue.popleft()
                self._hole = first
        if not queue and not self._eof and not self._hole:
            return None
        parts: list[bytes | memoryview] = []
        want = nbytes
        if self._hole:
            if stop_at_hole:
                return -3
            n = min(want, self._hole)
            parts.append(bytes(n))
            self._hole -= n
            want -= n
        taken = 0
        while want and queue:
            head = queue[0]
            if isinstance(head, int):
                break
            if len(head) <= want:
                queue.popleft()
                parts.append(head)
                want -= len(head)
                taken += len(head)
            else:
                parts.append(head[:want])
                queue[0] = head[want:]
                taken += want
                want = 0
        self._queued -= taken
        if self._paused and self._queued <= QUEUE_LOW:
            self._paused = False
            self._rt.resume_reading()
        if len(parts) == 1:
            return parts[0]
        return b"".join(parts)

    def _pull(
        self, nbytes: int, flags: int, function: str, nonblock: bool
    ) -> bytes | memoryview | int:
        """Wait for data: bytes (``b""`` at the end), -2 (would block) or -3 (a hole)."""
        rt = self._active(function)
        if flags & ~_STOP_AT_HOLE:
            raise Error(
                f"unsupported flags (0x{flags & ~_STOP_AT_HOLE:x}) in function {function}",
                code=Error.ERR_INVALID_ARG,
                domain=Error.FROM_STREAMS,
            )
        stop = bool(flags & _STOP_AT_HOLE)
        while True:
            with rt.lock:
                self._check_state()
                got = self._take(nbytes, stop)
                if got is not None:
                    return got
                if nonblock:
                    return -2
                waiter = self._waiter = rt.new_waiter()
            rt.wait(waiter)

    def recv(self, data: bytearray, nbytes: int, flags: int = 0) -> int:
        """Receive up to ``nbytes`` into ``data`` (replacing its contents); return the count
        (0 at the end), -2 if it would block (``NONBLOCK``), -3 at a hole with
        ``RECV_STOP_AT_HOLE``. Holes read as zeros otherwise."""
        function = "virStreamRecvFlags" if flags else "virStreamRecv"
        got = self._pull(nbytes, flags, function, bool(self._flags & _NONBLOCK))
        if isinstance(got, int):
            return got
        data[:] = got
        return len(got)

    def read(self, nbytes: int = CHUNK) -> bytes:
        """Receive up to ``nbytes`` (``b""`` at the end; holes as zeros); waits even with
        ``NONBLOCK``."""
        got = self._pull(nbytes, 0, "virStreamRecv", False)
        assert not isinstance(got, int)
        return bytes(got)

    def __iter__(self) -> Stream:
        return self

    def __next__(self) -> bytes:
        data = self.read()
        if not data:
            raise StopIteration
        return data

    def recv_hole(self, flags: int = 0) -> int:
        """The length of the hole ``recv`` stopped at (-3), and consume it."""
        rt = self._active("virStreamRecvHole")
        self._check_sparse("Holes are")
        with rt.lock:
            self._check_state()
            length = self._hole
            self._hole = 0
        return length

    def in_data(self) -> list[int]:
        """``[in_data, length]``: whether the stream is at data (1) or a hole (0), and the
        section's length; ``[0, 0]`` at the end. Waits for the next packet unless
        ``NONBLOCK``."""
        rt = self._active("virStreamInData")
        self._check_sparse("Holes are")
        while True:
            with rt.lock:
                self._check_state()
                queue = self._queue
                if self._hole:
                    length = self._hole
                    self._hole = 0
                    return [0, length]
                if queue:
                    head = queue[0]
                    if isinstance(head, int):
                        queue.popleft()
                        return [0, head]
                    return [1, len(head)]
                if self._eof or self._flags & _NONBLOCK:
                    return [0, 0]
                waiter = self._waiter = rt.new_waiter()
            rt.wait(waiter)

    def recv_all(self, handler: Callable[[Stream, bytes, int], Any]) -> None:
        """Receive everything, calling ``handler(st, data, nbytes)`` for each piece; it
        returns how many bytes it consumed (None: all), negative on error."""
        self._sink(handler, None)

    def sparse_recv_all(
        self,
        handler: Callable[[Stream, bytes, int], Any],
        hole_handler: Callable[[Stream, int], Any],
    ) -> None:
        """As :meth:`recv_all`, calling ``hole_handler(st, length)`` for each hole (it
        returns a negative number on error)."""
        self._sink(handler, hole_handler)

    def _sink(
        self,
        handler: Callable[[Stream, bytes, int], Any],
        hole_handler: Callable[[Stream, int], Any] | None,
    ) -> None:
        function = "virStreamRecvAll" if hole_handler is None else "virStreamSparseRecvAll"
        self._active(function)
        if self._flags & _NONBLOCK:
            raise Error(
                "data sinks cannot be used for non-blocking streams",
                code=Error.ERR_OPERATION_INVALID,
                domain=Error.FROM_STREAMS,
            )
        flags = 0 if hole_handler is None else _STOP_AT_HOLE
        try:
            while True:
                got = self._pull(CHUNK, flags, function, False)
                if isinstance(got, int):  # -3: a hole
                    length = self.recv_hole()
                    assert hole_handler is not None
                    rv = hole_handler(self, length)
                    if rv is not None and rv < 0:
                        raise _handler_failed("recv holeHandler")
                    continue
                if not got:
                    return
                data = bytes(got)
                while data:
                    done = handler(self, data, len(data))
                    if done is None:
                        break
                    if done < 0:
                        raise _handler_failed("recv handler")
                    data = data[done:]
        except BaseException:
            self.abort()
            raise

    # ------------------------------------------------------------------ sending

    def send(self, data: bytes | bytearray | memoryview, nbytes: int | None = None) -> int:
        """Send up to ``nbytes`` of ``data`` (all of it by default); return the count."""
        rt = self._active("virStreamSend")
        view = memoryview(data).cast("B")
        if nbytes is not None:
            view = view[:nbytes]
        with rt.lock:
            self._check_state()
        try:
            rt.stream_send(self._serial, view)
        except (LocalProtocolError, ConnectionClosedError) as exc:
            raise self._gone(exc) from None
        return len(view)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send all of ``data``."""
        self.send(data)

    def send_hole(self, length: int, flags: int = 0) -> None:
        """Tell the other end to create ``length`` bytes of empty space (sparse streams)."""
        rt = self._active("virStreamSendHole")
        if length < 0:
            raise Error(
                f"length in virStreamSendHole must be non-negative: {length}",
                code=Error.ERR_INVALID_ARG,
                domain=Error.FROM_STREAMS,
            )
        self._check_sparse("Skipping is")
        with rt.lock:
            self._check_state()
        try:
            rt.stream_send_hole(self._serial, length, flags)
        except (LocalProtocolError, ConnectionClosedError) as exc:
            raise self._gone(exc) from None

    def send_all(self, handler: Callable[[Stream, int], Any]) -> None:
        """Send what ``handler(st, nbytes)`` returns (bytes; empty at the end, a negative
        number on error) until it is exhausted."""
        self._source(handler, None, None)

    def sparse_send_all(
        self,
        handler: Callable[[Stream, int], Any],
        hole_handler: Callable[[Stream], Sequence[int]],
        skip_handler: Callable[[Stream, int], Any],
    ) -> None:
        """As :meth:`send_all`, keeping holes: ``hole_handler(st)`` returns ``(in_data,
        section_len)`` for the source's position, ``skip_handler(st, length)`` moves it
        past a hole (negative on error)."""
        self._source(handler, hole_handler, skip_handler)

    def _source(
        self,
        handler: Callable[[Stream, int], Any],
        hole_handler: Callable[[Stream], Sequence[int]] | None,
        skip_handler: Callable[[Stream, int], Any] | None,
    ) -> None:
        self._active("virStreamSendAll" if hole_handler is None else "virStreamSparseSendAll")
        if self._flags & _NONBLOCK:
            raise Error(
                "data sources cannot be used for non-blocking streams",
                code=Error.ERR_OPERATION_INVALID,
                domain=Error.FROM_STREAMS,
            )
        data_len = 0
        try:
            while True:
                want = CHUNK
                if hole_handler is not None:
                    if not data_len:
                        in_data, section = hole_handler(self)
                        if not in_data and section:
                            self.send_hole(section)
                            assert skip_handler is not None
                            rv = skip_handler(self, section)
                            if rv is not None and rv < 0:
                                raise _handler_failed("send skipHandler")
                            continue
                        data_len = section
                    want = min(want, data_len)
                got = handler(self, want)
                if isinstance(got, int):
                    if got < 0:
                        raise _handler_failed("send handler")
                    got = b""
                if not got:
                    return
                sent = self.send(got)
                data_len = max(0, data_len - sent)
        except BaseException:
            self.abort()
            raise

    # ------------------------------------------------------------------ ending

    def finish(self) -> None:
        """Complete the transfer: sends the end of the upload (or acknowledges the end of
        a download) and waits for the daemon to confirm; raises the stream's error."""
        rt = self._active("virStreamFinish")
        with rt.lock:
            self._check_state()
            self._drop_queue()
            self._state = _FINISHING
            live = self._live
        if live:
            try:
                rt.stream_finish(self._serial)
            except (LocalProtocolError, ConnectionClosedError) as exc:
                with rt.lock:
                    if self._error is None:
                        self._error = exc
            self._confirmed(rt)
        with rt.lock:
            self._state = _FINISHED
            if self._error is not None:
                raise self._error

    def abort(self) -> None:
        """Abort the transfer (either side's data is dropped); harmless when already over."""
        rt = self._rt
        if rt is None:
            return
        with rt.lock:
            self._drop_queue()
            live = self._live and self._state == _OPEN
            if self._state in (_OPEN, _FINISHING):
                self._state = _ABORTING
        if live:
            try:
                rt.stream_abort(self._serial)
            except (LocalProtocolError, ConnectionClosedError):
                pass
            else:
                self._confirmed(rt)
        with rt.lock:
            self._state = _ABORTED
            self._live = False

    def _confirmed(self, rt: Any) -> None:
        """Wait until the core dropped the stream (confirmation, error or connection end)."""
        while True:
            with rt.lock:
                if not self._live:
                    return
                waiter = self._waiter = rt.new_waiter()
            rt.wait(waiter)

    # ------------------------------------------------------------------ callbacks

    def add_callback(self, events: int, callback: StreamCallback) -> None:
        """Call ``callback(st, events)`` while any of ``events`` (``EVENT_*``) holds."""
        rt = self._active("virStreamEventAddCallback")
        with rt.lock:
            if self._cb is not None:
                raise Error(
                    "multiple stream callbacks not supported",
                    code=Error.ERR_INTERNAL_ERROR,
                    domain=Error.FROM_RPC,
                )
            self._cb = callback
            self._cb_events = events
            self._arm_callback()

    def update_callback(self, events: int) -> None:
        """Change the events the callback waits for."""
        rt = self._active("virStreamEventUpdateCallback")
        with rt.lock:
            self._need_callback()
            self._cb_events = events
            self._arm_callback()

    def remove_callback(self) -> None:
        """Remove the callback."""
        rt = self._active("virStreamEventRemoveCallback")
        with rt.lock:
            self._need_callback()
            self._cb = None
            self._cb_events = 0

    def _need_callback(self) -> None:
        if self._cb is None:
            raise Error(
                "no stream callback registered",
                code=Error.ERR_INTERNAL_ERROR,
                domain=Error.FROM_RPC,
            )

    def _pending_events(self) -> int:
        events = 0
        mask = self._cb_events
        if mask & _READABLE and (
            self._queue or self._eof or self._error is not None or self._state != _OPEN
        ):
            events |= _READABLE
        if mask & _WRITABLE:
            events |= _WRITABLE
        return events

    def _arm_callback(self) -> None:
        """Schedule the callback when its events hold (lock held)."""
        if self._cb is not None and not self._cb_armed and self._pending_events():
            self._cb_armed = True
            self._rt.defer(self._fire)

    def _fire(self) -> None:
        rt = self._rt
        with rt.lock:
            self._cb_armed = False
            callback = self._cb
            events = self._pending_events() if callback is not None else 0
        if callback is None or not events:
            return
        try:
            callback(self, events)
        finally:
            with rt.lock:
                self._arm_callback()
