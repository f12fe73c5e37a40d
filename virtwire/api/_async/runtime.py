"""The asyncio driver: moves bytes between a non-blocking socket and the RPC core.

The socket is watched with ``loop.add_reader``; received bytes go straight into the core, and
the tasks whose replies came are resumed from the same callback (see :class:`ReplyFuture`).
Writes are attempted at once and finished by ``loop.add_writer`` when the socket is full.
Keepalive runs on a loop timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import os
import socket
import ssl
import time
from collections.abc import Callable, Generator, Iterable
from typing import Any, Final

from virtwire.api.runtime_base import RuntimeBase, fds_unsupported, io_error
from virtwire.errors import (
    CallTimeoutError,
    Error,
)
from virtwire.rpc.connection import ProcedureLike, RpcConnection
from virtwire.rpc.events import (
    NEED_DATA,
    CallFailed,
    ConnectionClosed,
    Message,
    Reply,
)
from virtwire.rpc.exchange import Exchange, Instruction

_READ_SIZE = 256 * 1024
_PENDING: Final = 0
_DONE: Final = 1
_CANCELLED: Final = 2

__all__ = ["AsyncRuntime", "ReplyFuture"]


class ReplyFuture:
    """What an asyncio call awaits: asyncio's future protocol, completed by the call's reply.

    An ``asyncio.Future`` hands its waiting task to ``loop.call_soon``, which costs a handle
    and a further loop iteration per reply. When replies are read, the runtime instead
    resumes their tasks itself, right after the received bytes are dispatched, and the calls
    those tasks make then leave in one write. Completed any other way (a timeout, a
    cancellation, a connection closed from a task), its callbacks are scheduled with
    ``call_soon``, as a Future's are.
    """

    __slots__ = (
        "_asyncio_future_blocking", "_callbacks", "_cancel_message", "_error", "_loop",
        "_state", "_value",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._state = _PENDING
        self._value: Any = None
        self._error: BaseException | None = None
        self._cancel_message: Any = None
        self._callbacks: list[tuple[Callable[[Any], object], contextvars.Context]] = []
        self._asyncio_future_blocking = False

    def get_loop(self) -> asyncio.AbstractEventLoop:
        """The loop the future belongs to."""
        return self._loop

    def done(self) -> bool:
        """True once a result, an error or a cancellation is set."""
        return self._state != _PENDING

    def cancelled(self) -> bool:
        """True if the waiter was cancelled."""
        return self._state == _CANCELLED

    def result(self) -> Any:
        """The reply's value; raises its error, or CancelledError."""
        if self._state == _DONE:
            if self._error is not None:
                raise self._error
            return self._value
        if self._state == _CANCELLED:
            raise asyncio.CancelledError(self._cancel_message)
        raise asyncio.InvalidStateError("the reply has not come")

    def exception(self) -> BaseException | None:
        """The error the call failed with, or None."""
        if self._state == _CANCELLED:
            raise asyncio.CancelledError(self._cancel_message)
        if self._state == _PENDING:
            raise asyncio.InvalidStateError("the reply has not come")
        return self._error

    def add_done_callback(
        self, fn: Callable[[Any], object], *, context: contextvars.Context | None = None
    ) -> None:
        """Call ``fn(self)`` in ``context`` once done."""
        if context is None:
            context = contextvars.copy_context()
        if self._state == _PENDING:
            self._callbacks.append((fn, context))
        else:
            self._loop.call_soon(fn, self, context=context)

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        """Forget ``fn``; returns how many callbacks were removed."""
        kept = [entry for entry in self._callbacks if entry[0] != fn]
        removed = len(self._callbacks) - len(kept)
        self._callbacks = kept
        return removed

    def cancel(self, msg: Any = None) -> bool:
        """Cancel the wait (the task awaiting it was cancelled)."""
        if self._state != _PENDING:
            return False
        self._state = _CANCELLED
        self._cancel_message = msg
        self.schedule_callbacks()
        return True

    def set_result(self, value: Any) -> None:
        """Complete with ``value``; callbacks run from the loop."""
        self._complete(value, None)

    def set_exception(self, error: BaseException) -> None:
        """Complete with ``error``; callbacks run from the loop."""
        self._complete(None, error)

    def _complete(self, value: Any, error: BaseException | None) -> None:
        if self._state != _PENDING:
            raise asyncio.InvalidStateError("the call is already complete")
        self._value = value
        self._error = error
        self._state = _DONE
        self.schedule_callbacks()

    def schedule_callbacks(self) -> None:
        """Hand the callbacks to ``loop.call_soon``."""
        callbacks, self._callbacks = self._callbacks, []
        for fn, context in callbacks:
            self._loop.call_soon(fn, self, context=context)

    def run_callbacks(self) -> None:
        """Run the callbacks now (only where no task is running)."""
        callbacks, self._callbacks = self._callbacks, []
        for fn, context in callbacks:
            try:
                context.run(fn, self)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._loop.call_exception_handler(
                    {"message": "exception in a callback of a call's reply", "exception": exc,
                     "future": self}
                )

    def __await__(self) -> Generator[Any, None, Any]:
        if self._state == _PENDING:
            self._asyncio_future_blocking = True
            yield self
            if self._state == _PENDING:
                raise RuntimeError("await wasn't used with future")
        return self.result()

    __iter__ = __await__


class _Waiter:
    """A stream's reader waiting for data: ``done`` is set, then :meth:`signal` called."""

    __slots__ = ("done", "future")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.done = False
        self.future: asyncio.Future[None] = loop.create_future()

    def signal(self) -> None:
        """Wake the task waiting in :meth:`AsyncRuntime.wait`."""
        if not self.future.done():
            self.future.set_result(None)


class AsyncRuntime(RuntimeBase):
    """Drives one :class:`RpcConnection` over one transport in an asyncio loop."""

    def __init__(self, transport: Any, core: RpcConnection) -> None:
        super().__init__(transport, core)
        self._loop = asyncio.get_running_loop()
        self._sock = transport.sock
        self._sock.setblocking(False)
        self._fd = self._sock.fileno()
        self._can_fds = bool(getattr(transport, "can_pass_fds", False))
        self._pending_out: memoryview | None = None
        self._pending_fds: list[list[int]] = []
        self._writing = False
        self._kick_pending = False
        self._after_kick_due = False  # an _after_kick is scheduled
        self._read_paused = 0
        self._drained: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None  # the deadline _timer is armed for
        self._loop.add_reader(self._fd, self._on_readable)

    # ------------------------------------------------------------------ calls

    async def call(
        self, proc: ProcedureLike, args: Any = None, *, timeout: float | None = None,
        fds: Any = (), stream: Any = None,
    ) -> Any:
        """Send one call and wait for its reply value (``(value, fds)`` when fds come back)."""
        if self._forked:
            self._check_usable()
        if fds and not self._can_fds:
            raise fds_unsupported()
        fut = ReplyFuture(self._loop)
        serial = self.core.send_call(proc, args, fut, fds, stream)  # positional: cheaper
        if stream is not None:
            stream.bind(self, serial)
        if not self._kick_pending:
            self._kick()
        timeout = self.default_timeout if timeout is None else timeout
        handle = None
        if timeout is not None and timeout > 0:
            handle = self._loop.call_later(timeout, self._expire, fut, proc.name, timeout)
        try:
            return await fut
        except asyncio.CancelledError:
            self.core.abandon(serial)
            self._flush()
            raise
        except CallTimeoutError:
            self.core.abandon(serial)
            self._flush()
            raise
        finally:
            if handle is not None:
                handle.cancel()

    @staticmethod
    def _expire(fut: ReplyFuture, name: str, timeout: float) -> None:
        if not fut.done():
            fut.set_exception(CallTimeoutError(f"no reply to {name} within {timeout:g} s"))

    async def run(self, exchange: Generator[Any, Any, Any]) -> Any:
        """Run a multi-step exchange (a generator yielding calls) to its end."""
        step = Exchange(exchange)
        item = step.start()
        while True:
            if isinstance(item, Instruction):
                item = step.send(self._apply(item))
                continue
            if item is Exchange.DONE:
                return step.result
            try:
                value = await self.call(item.proc, item.args)
            except Error as exc:
                item = step.throw(exc)
            else:
                item = step.send(value)

    # ------------------------------------------------------------------ I/O

    def _on_readable(self) -> None:
        sock = self._sock
        core = self.core
        events: list[Any] = []
        try:
            while True:
                if self._can_fds and core.expects_fds:
                    data, fds, _, _ = socket.recv_fds(sock, _READ_SIZE, 32)
                    if fds:
                        core.receive_fds(fds)
                else:
                    data = sock.recv(_READ_SIZE)
                events += core.receive(data)
                if not data or not isinstance(sock, ssl.SSLSocket) or not sock.pending():
                    break
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError, InterruptedError):
            pass
        except (OSError, ssl.SSLError) as exc:
            core.connection_lost(io_error(exc, "read from"))
            events.extend(iter(core.next_event, NEED_DATA))
        self._process(events, resume=True)

    def _process(self, events: Iterable[Any] | None = None, resume: bool = False) -> None:
        """Complete calls and dispatch the core's events: ``events`` (what ``core.receive``
        returned), or else every event the core has.

        With ``resume`` (from the reader callback, where no task runs) the tasks whose calls
        completed are resumed here, and the calls they make leave together in one write.
        """
        core = self.core
        completed: list[ReplyFuture] = []
        if events is None:
            events = iter(core.next_event, NEED_DATA)
        for event in events:
            cls = event.__class__
            if cls is Reply:
                fut = event.token
                if fut is not None and fut._state == _PENDING:
                    fut._value = event.value if not event.fds else (event.value, event.fds)
                    fut._state = _DONE
                    completed.append(fut)
                elif event.fds:
                    for fd in event.fds:
                        os.close(fd)
            elif cls is CallFailed:
                fut = event.token
                if fut is not None and fut._state == _PENDING:
                    fut._error = event.error
                    fut._state = _DONE
                    completed.append(fut)
            elif cls is Message:
                self.dispatch_message(event)
            elif cls is ConnectionClosed:
                self._on_closed(event)
            else:
                self.dispatch_stream_event(event)
        if completed:
            if resume and asyncio.current_task(self._loop) is None:
                self._resume(completed)
            else:
                for fut in completed:
                    fut.schedule_callbacks()
                if not self._after_kick_due:
                    # The callers resume in the next iteration: end their batch of calls
                    # right after them, instead of in an iteration of its own.
                    self._after_kick_due = True
                    self._loop.call_soon(self._after_kick)
        self._flush()
        self._arm_timer()

    def _resume(self, completed: list[ReplyFuture]) -> None:
        """Run the completed calls' callbacks (their tasks' next steps) now, holding the
        calls those tasks make for the caller's flush."""
        held = self._kick_pending
        self._kick_pending = True
        done = 0
        try:
            for fut in completed:
                done += 1
                fut.run_callbacks()
        finally:
            self._kick_pending = held
            for fut in completed[done:]:  # something escaped: the rest go through the loop
                fut.schedule_callbacks()

    def _kick(self) -> None:
        """Send queued calls: the first of a loop iteration at once, later ones together."""
        if self._kick_pending:
            return
        self._flush()
        self._kick_pending = True
        if not self._after_kick_due:
            self._after_kick_due = True
            self._loop.call_soon(self._after_kick)

    def _after_kick(self) -> None:
        self._after_kick_due = False
        self._kick_pending = False
        self._flush()

    def _flush(self) -> None:
        if self._writing:
            return
        core = self.core
        while True:
            data = core.data_to_send()
            fds = core.fds_to_send()
            if not data and not fds:
                return
            view = memoryview(data)
            try:
                while view:
                    sent = self._sock.send(view)
                    view = view[sent:]
                for fd in fds:
                    socket.send_fds(self._sock, [b"\0"], [fd])
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                self._pending_out = view
                self._pending_fds = [[fd] for fd in fds]
                self._writing = True
                self._loop.add_writer(self._fd, self._on_writable)
                return
            except (OSError, ssl.SSLError) as exc:
                core.connection_lost(io_error(exc, "write to"))
                self._process()
                return

    def _on_writable(self) -> None:
        view = self._pending_out
        try:
            while view:
                sent = self._sock.send(view)
                view = view[sent:]
            while self._pending_fds:
                socket.send_fds(self._sock, [b"\0"], self._pending_fds[0])
                self._pending_fds.pop(0)
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            self._pending_out = view
            return
        except (OSError, ssl.SSLError) as exc:
            self._stop_writing()
            self.core.connection_lost(io_error(exc, "write to"))
            self._process()
            return
        self._stop_writing()
        self._flush()

    def _stop_writing(self) -> None:
        self._pending_out = None
        self._writing = False
        self._loop.remove_writer(self._fd)
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def _arm_timer(self) -> None:
        deadline = self.core.next_deadline()
        if self._timer is not None:
            if deadline == self._timer_at:
                return  # armed for it already (the deadline moves only when time passes)
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            delay = max(0.0, deadline - time.monotonic())
            self._timer = self._loop.call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.core.tick(time.monotonic())
        self._process()

    # ------------------------------------------------------------------ streams

    #: Streams guard their state with ``with runtime.lock:``; one thread needs no lock.
    lock: Final = contextlib.nullcontext()

    def new_waiter(self) -> _Waiter:
        """Something a stream marks ``done`` (and ``signal()``s) when its data arrives."""
        return _Waiter(self._loop)

    async def wait(self, waiter: _Waiter, timeout: float | None = None) -> bool:
        """Wait until ``waiter.done``; False on timeout."""
        self._check_usable()
        if waiter.done:
            return True
        try:
            await asyncio.wait_for(asyncio.shield(waiter.future), timeout)
        except TimeoutError:
            return False
        return True

    async def stream_send(self, serial: int, data: bytes | memoryview) -> None:
        """Send stream bytes; waits while the socket is backed up (flow control).

        Written at once, not batched by :meth:`_kick`: a sender that never waits for a
        reply would otherwise queue its whole upload before the loop flushed any of it.
        """
        self.core.send_stream_data(serial, data)
        self._flush()
        await self.drain()

    async def stream_send_hole(self, serial: int, length: int, flags: int = 0) -> None:
        """Send a hole of ``length`` bytes."""
        self.core.send_stream_hole(serial, length, flags)
        self._flush()
        await self.drain()

    async def stream_finish(self, serial: int) -> None:
        """Tell the daemon the upload is complete."""
        self.core.finish_stream(serial)
        self._flush()
        await self.drain()

    async def stream_abort(self, serial: int) -> None:
        """Abort the stream."""
        if self.core.is_open:
            self.core.abort_stream(serial)
            self._kick()

    async def drain(self) -> None:
        """Wait until bytes queued for the socket have been written."""
        while self._writing and self.core.is_open:
            if self._drained is None or self._drained.done():
                self._drained = self._loop.create_future()
            await self._drained

    def pause_reading(self) -> None:
        """Stop reading the socket (a stream's queue is full)."""
        self._read_paused += 1
        if self._read_paused == 1 and self.core.is_open:
            self._loop.remove_reader(self._fd)

    def resume_reading(self) -> None:
        """Undo one :meth:`pause_reading`."""
        self._read_paused -= 1
        if self._read_paused == 0 and self.core.is_open:
            self._loop.add_reader(self._fd, self._on_readable)

    # ------------------------------------------------------------------ endings

    def _on_closed(self, event: ConnectionClosed) -> None:
        self._loop.remove_reader(self._fd)
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)
        if self._writing:
            self._stop_writing()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        closing = self.transport.close()
        if inspect.isawaitable(closing):
            self._loop.create_task(closing)  # type: ignore[arg-type]
        self.fire_close(event)

    def shutdown(self) -> None:
        """Close the connection from our side now (no RPC sent)."""
        if self.core.is_open:
            self.core.close()
            self._process()

    def start_keepalive(self, interval: float, count: int) -> None:
        """Start keepalive (interval <= 0 stops it)."""
        self.core.start_keepalive(time.monotonic(), interval, count)
        self._arm_timer()

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` in the loop soon (used to deliver callbacks outside I/O handlers)."""
        self._loop.call_soon(fn, *args)

    #: The name streams use in both runtimes (the blocking one's is for callers holding its lock).
    defer = call_soon

    def _check_usable(self) -> None:
        super()._check_usable()
        self.core.check_open()
