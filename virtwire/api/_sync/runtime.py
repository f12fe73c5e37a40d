"""The blocking driver: thread-safe, and the calling thread does its own socket I/O.

Threading model (leader/follower):

* A thread making a call queues it, writes it, then takes the *reader role* if nobody holds
  it and reads until its own reply arrives, completing other threads' calls on the way.
  Threads that find the role taken wait; when the reader leaves, one of them takes over.
  A sequential caller therefore pays no thread hop.
* One background thread per connection delivers event callbacks and close callbacks in
  order (so callbacks may make calls), and, once the connection has been idle for a moment,
  takes the reader role itself so events and keepalive work while the application sleeps.
  A caller that finds it reading wakes it through a socket pair and takes the role over.

Spin-waiting: on a local unix socket, with two CPUs or more, a lone caller (no other call
waits on the connection, and its thread made the calls before too) polls the socket
without sleeping for up to :data:`SPIN_WAIT` seconds before it blocks in its read, since a
local daemon usually answers within that time and waking a sleeping thread costs more
than the round trip itself. After :data:`SPIN_MISSES` spins in a row that saw nothing, the
next :data:`SPIN_PAUSE` reads do not spin. ``spin_wait`` (per runtime, 0 turns it off)
sets the time; TLS sockets never spin.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import threading
import time
from collections import deque
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

_READ_SIZE: Final = 256 * 1024
#: How long the connection must be idle before the background thread reads.
IDLE_GRACE: Final = 0.05
#: How long a reader polls a local socket without sleeping before it blocks.
SPIN_WAIT: Final = 0.0002
#: Spins in a row that see nothing before spinning pauses.
SPIN_MISSES: Final = 3
#: Reads without spinning after :data:`SPIN_MISSES` spins in a row saw nothing.
SPIN_PAUSE: Final = 32
_POLLIN: Final = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR
_DONTWAIT: Final = socket.MSG_DONTWAIT


class _Waiter:
    """One thread waiting for one reply; ``wake`` is a lock it sleeps on while following."""

    __slots__ = ("done", "value", "error", "wake", "signaled")

    def __init__(self) -> None:
        self.done = False
        self.value: Any = None
        self.error: Error | None = None
        self.wake: Any = None
        self.signaled = False

    def signal(self) -> None:
        """Wake the thread if it sleeps (runtime lock held)."""
        if self.wake is not None and not self.signaled:
            self.signaled = True
            self.wake.release()


class BlockingRuntime(RuntimeBase):
    """Drives one :class:`RpcConnection` over one blocking socket, from any thread."""

    def __init__(self, transport: Any, core: RpcConnection) -> None:
        super().__init__(transport, core)
        self._sock = transport.sock
        self._sock.setblocking(True)
        self._tls = isinstance(self._sock, ssl.SSLSocket)
        self._can_fds = bool(getattr(transport, "can_pass_fds", False))
        self._lock = threading.Lock()
        self._followers: list[_Waiter] = []  # threads waiting for the reader role or a reply
        self._bg_cond = threading.Condition(self._lock)  # the background thread waits here
        self._send_lock = threading.Lock()
        self._reading = False
        self._bg_reading = False
        self._callers = 0
        self._read_paused = 0
        self._last_active = time.monotonic()
        self._messages: deque[Any] = deque()
        self._closed_event: ConnectionClosed | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._poll = select.poll()
        self._poll.register(self._sock.fileno(), _POLLIN)
        self._bg_poll = select.poll()
        self._bg_poll.register(self._sock.fileno(), _POLLIN)
        self._bg_poll.register(self._wake_r.fileno(), select.POLLIN)
        self._spin_wait = default_spin_wait(self._sock)
        self._spin_misses = 0
        self._spin_pause = 0
        self._last_caller = 0  # the thread that made the last call (or wait)
        self._caller_run = 0  # calls in a row the last caller made, less one
        self._thread = threading.Thread(
            target=self._background, name="virtwire-dispatch", daemon=True
        )
        self._thread.start()

    # ------------------------------------------------------------------ calls

    def call(
        self, proc: ProcedureLike, args: Any = None, *, timeout: float | None = None,
        fds: Any = (), stream: Any = None,
    ) -> Any:
        """Send one call and wait for its reply value (``(value, fds)`` when fds come back)."""
        if self._forked:
            self._check_usable()
        if fds and not self._can_fds:
            raise fds_unsupported()
        waiter = _Waiter()
        core = self.core
        with self._lock:
            serial = core.send_call(proc, args, waiter, fds, stream)  # positional: cheaper
            if stream is not None:
                stream.bind(self, serial)
            self._callers += 1
            self._count_caller()
            direct = not core.has_fds_to_send
            data = core.data_to_send() if direct else b""
        try:
            if direct:
                self._send(data)
            else:
                self._flush()
        except BaseException:
            with self._lock:
                self._callers -= 1
            raise
        timeout = self.default_timeout if timeout is None else timeout
        deadline = None if timeout is None or timeout <= 0 else time.monotonic() + timeout
        if not self._wait(waiter, deadline):  # gives back our count in self._callers
            with self._lock:
                self.core.abandon(serial)
            self._flush()
            raise CallTimeoutError(f"no reply to {proc.name} within {timeout:g} s")
        if waiter.error is not None:
            raise waiter.error
        return waiter.value

    def _wait(self, waiter: _Waiter, deadline: float | None) -> bool:
        """Wait for ``waiter``, reading when nobody else does; False on timeout.

        The caller counted itself in ``_callers``; this gives the count back."""
        with self._lock:
            try:
                return self._wait_locked(waiter, deadline)
            finally:
                self._callers -= 1
                self._last_active = time.monotonic()

    def _wait_locked(self, waiter: _Waiter, deadline: float | None) -> bool:
        """:meth:`_wait` with the lock held."""
        lock = self._lock
        while not waiter.done:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            if not self._reading:
                self._reading = True
                try:
                    if deadline is None:  # plain blocking reads; keepalive is the dispatch
                        while not waiter.done:  # thread's to watch
                            self._read_once()
                    else:
                        self._read_locked(deadline, self._poll)
                finally:
                    self._reading = False
                    if self._followers:
                        self._hand_over()
                continue
            if self._bg_reading:
                self._wake_w.send(b"\0")
            if waiter.wake is None:
                waiter.wake = threading.Lock()
                waiter.wake.acquire()
            waiter.signaled = False
            self._followers.append(waiter)
            lock.release()
            try:
                waiter.wake.acquire(
                    True, -1 if deadline is None else max(0.0, deadline - time.monotonic())
                )
            finally:
                lock.acquire()
                self._followers.remove(waiter)
        return True

    def _hand_over(self) -> None:
        """The reader left: let one waiting thread take the role (lock held)."""
        for follower in self._followers:
            if not follower.done and not follower.signaled:
                follower.signal()
                return

    def run(self, exchange: Generator[Any, Any, Any]) -> Any:
        """Run a multi-step exchange (a generator yielding calls) to its end."""
        step = Exchange(exchange)
        item = step.start()
        while True:
            if isinstance(item, Instruction):
                with self._lock:
                    result = self._apply(item)
                item = step.send(result)
                continue
            if item is Exchange.DONE:
                return step.result
            try:
                value = self.call(item.proc, item.args)
            except Error as exc:
                item = step.throw(exc)
            else:
                item = step.send(value)

    # ------------------------------------------------------------------ I/O

    def _read_locked(self, deadline: float | None, poller: Any) -> None:
        """Wait for input until ``deadline`` (or the keepalive's), read once if it came,
        let time pass and process.

        Called with the lock held by the thread holding the reader role; the lock is
        released only around the blocking system calls.
        """
        lock = self._lock
        sock = self._sock
        core = self.core
        spun: bytes | None = None
        lock.release()
        try:
            if self._tls and sock.pending():
                ready = True
            elif (
                poller is self._poll
                and self._spinning()
                and (spun := self._spin_quietly()) is not None  # bytes, or b"" at EOF
            ):
                ready = True
            else:
                until = core.next_deadline()
                if deadline is not None and (until is None or deadline < until):
                    until = deadline
                ms = None if until is None else max(0, int((until - time.monotonic()) * 1000) + 1)
                events = poller.poll(ms)
                ready = any(fd == sock.fileno() for fd, _ in events)
                if not ready:
                    self._drain_wake()
        finally:
            lock.acquire()
        if ready:
            self._read_once(spun)
        core.tick(time.monotonic())
        self._process()
        self._flush_locked()

    def _read_once(self, data: bytes | None = None) -> None:
        """Read once, blocking with the lock released, and process what came (lock held);
        ``data`` is what a spin already read."""
        lock = self._lock
        core = self.core
        fds: list[int] = []
        failure: Error | None = None
        lock.release()
        try:
            if data is not None:
                pass
            elif self._can_fds and core.expects_fds:
                data, fds, _, _ = socket.recv_fds(self._sock, _READ_SIZE, 32)
            elif self._spinning():
                data = self._spin()
                if data is None:
                    data = self._sock.recv(_READ_SIZE)
            else:
                data = self._sock.recv(_READ_SIZE)
        except (OSError, ssl.SSLError) as exc:
            failure = io_error(exc, "read from")
        finally:
            lock.acquire()
        if failure is not None:
            core.connection_lost(failure)
            self._process()
        else:
            if fds:
                core.receive_fds(fds)
            self._process(core.receive(data or b""))
        self._flush_locked()

    @property
    def spin_wait(self) -> float:
        """Seconds a lone call polls the socket before it sleeps (see the module's docstring)."""
        return self._spin_wait

    @spin_wait.setter
    def spin_wait(self, seconds: float) -> None:
        self._spin_wait = max(0.0, seconds)
        self._spin_misses = self._spin_pause = 0  # judge the daemon afresh

    def _count_caller(self) -> None:
        """Note which thread calls (lock held): spinning is for one thread calling alone."""
        me = threading.get_ident()
        if me == self._last_caller:
            self._caller_run += 1
        else:
            self._last_caller = me
            self._caller_run = 0

    def _spinning(self) -> bool:
        """Whether this read may spin: a lone call on a plain socket, the third or later in
        a row from its thread (threads taking turns would wait for the interpreter lock
        the spinner keeps taking back), spinning on and not paused."""
        if self._spin_pause:
            self._spin_pause -= 1
            return False
        return (
            self._spin_wait > 0 and self._callers == 1 and self._caller_run >= 2 and not self._tls
        )

    def _spin(self) -> bytes | None:
        """Poll the socket without sleeping for up to ``spin_wait`` seconds, or until
        another call waits too: the bytes that came, or None."""
        sock = self._sock
        clock = time.perf_counter
        until = clock() + self._spin_wait
        while True:
            try:
                data: bytes = sock.recv(_READ_SIZE, _DONTWAIT)
            except BlockingIOError:
                if clock() < until and self._callers == 1:
                    continue
                self._spin_misses += 1
                if self._spin_misses >= SPIN_MISSES:  # the daemon is slower than the spin
                    self._spin_misses = 0
                    self._spin_pause = SPIN_PAUSE
                return None
            self._spin_misses = 0
            return data

    def _spin_quietly(self) -> bytes | None:
        """:meth:`_spin`, leaving a failing socket to the read that follows."""
        try:
            return self._spin()
        except OSError:
            return None

    def _flush_locked(self) -> None:
        """Send what the core queued (lock held; released while sending)."""
        if self.core.has_output:
            self._lock.release()
            try:
                self._flush()
            finally:
                self._lock.acquire()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(64):
                pass
        except BlockingIOError:
            pass

    def _process(self, events: Iterable[Any] | None = None) -> None:
        """Turn core events into completed waiters and queued callbacks (lock held):
        ``events`` (what ``core.receive`` returned), or else every event the core has."""
        if events is None:
            events = iter(self.core.next_event, NEED_DATA)
        for event in events:
            cls = event.__class__
            if cls is Reply:
                waiter = event.token
                if waiter is not None:
                    waiter.value = event.value if not event.fds else (event.value, event.fds)
                    waiter.done = True
                    waiter.signal()
                else:
                    for fd in event.fds:
                        os.close(fd)
            elif cls is CallFailed:
                waiter = event.token
                if waiter is not None:
                    waiter.error = event.error
                    waiter.done = True
                    waiter.signal()
            elif cls is Message:
                self._messages.append(event)
                self._bg_cond.notify()
            elif cls is ConnectionClosed:
                self._closed_event = event
                self._messages.append(event)
                for follower in self._followers:
                    follower.signal()
                self._bg_cond.notify()
            else:
                self.dispatch_stream_event(event)

    def _send(self, data: bytes | bytearray) -> None:
        """Write bytes already taken from the core."""
        if not data:
            return
        try:
            with self._send_lock:
                self._sock.sendall(data)
        except (OSError, ssl.SSLError) as exc:
            with self._lock:
                self.core.connection_lost(io_error(exc, "write to"))
                self._process()

    def _flush(self) -> None:
        with self._send_lock:
            while True:
                with self._lock:
                    data = self.core.data_to_send()
                    fds = self.core.fds_to_send()
                if not data and not fds:
                    return
                try:
                    if data:
                        self._sock.sendall(data)
                    for fd in fds:
                        socket.send_fds(self._sock, [b"\0"], [fd])
                except (OSError, ssl.SSLError) as exc:
                    with self._lock:
                        self.core.connection_lost(io_error(exc, "write to"))
                        self._process()
                    return

    # ------------------------------------------------------------------ background

    def _background(self) -> None:
        lock = self._lock
        while True:
            watchdog = False
            with lock:
                while True:
                    if self._messages:
                        break
                    if self._closed_event is not None:
                        self._finish()
                        return
                    now = time.monotonic()
                    idle_at = self._last_active + IDLE_GRACE
                    if (
                        not self._reading
                        and not self._callers
                        and not self._read_paused
                        and now >= idle_at
                    ):
                        self._reading = self._bg_reading = True
                        break
                    wait = idle_at - now if now < idle_at else None
                    ka = self.core.next_deadline()
                    if ka is not None:
                        wait = max(0.0, ka - now) if wait is None else min(wait, ka - now)
                    self._bg_cond.wait(wait)
                    if self.core.is_open:
                        # Callers' plain reads leave keepalive to this thread.
                        self.core.tick(time.monotonic())
                        self._process()
                        if self.core.has_output or not self.core.is_open:
                            watchdog = True
                            break
                reading = self._bg_reading
            if watchdog:
                self._flush()
                if not self.core.is_open:
                    self._unblock_reader()
            if reading:
                try:
                    self._flush()
                    with lock:
                        self._read_locked(None, self._bg_poll)
                finally:
                    with lock:
                        self._reading = self._bg_reading = False
                        self._hand_over()
            self._deliver()

    def _unblock_reader(self) -> None:
        """Wake a thread blocked reading a connection the core has given up."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _deliver(self) -> None:
        while True:
            with self._lock:
                if not self._messages:
                    return
                event = self._messages.popleft()
            if isinstance(event, ConnectionClosed):
                self._close_transport()
                self.fire_close(event)
            else:
                try:
                    self.deliver_message(event)
                except Exception:  # noqa: BLE001 - a failing callback must not stop delivery
                    pass

    def _finish(self) -> None:
        self._wake_r.close()
        self._wake_w.close()

    def _close_transport(self) -> None:
        self._unblock_reader()  # a thread blocked in recv() is not woken by close() alone
        try:
            self.transport.close()
        except OSError:
            pass

    # ------------------------------------------------------------------ streams

    @property
    def lock(self) -> threading.Lock:
        """The lock guarding the core; stream sinks run with it held."""
        return self._lock

    @staticmethod
    def new_waiter() -> _Waiter:
        """Something a stream marks ``done`` (and ``signal()``s) when its data arrives."""
        return _Waiter()

    def wait(self, waiter: _Waiter, timeout: float | None = None) -> bool:
        """Block (reading if nobody else does) until ``waiter.done``; False on timeout."""
        self._check_usable()
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._callers += 1
            self._count_caller()
        return self._wait(waiter, deadline)  # gives back the count in self._callers

    def stream_send(self, serial: int, data: bytes | memoryview) -> None:
        """Send stream bytes (blocks while the socket is full: that is the flow control)."""
        with self._lock:
            self.core.send_stream_data(serial, data)
        self._flush()

    def stream_send_hole(self, serial: int, length: int, flags: int = 0) -> None:
        """Send a hole of ``length`` bytes."""
        with self._lock:
            self.core.send_stream_hole(serial, length, flags)
        self._flush()

    def stream_finish(self, serial: int) -> None:
        """Tell the daemon the upload is complete."""
        with self._lock:
            self.core.finish_stream(serial)
        self._flush()

    def stream_abort(self, serial: int) -> None:
        """Abort the stream."""
        with self._lock:
            if self.core.is_open:
                self.core.abort_stream(serial)
        self._flush()

    def pause_reading(self) -> None:
        """A stream's queue is full: the background thread stops reading until resumed.

        Call with :attr:`lock` held (streams do so from their event sink)."""
        self._read_paused += 1

    def resume_reading(self) -> None:
        """Undo one :meth:`pause_reading` (with :attr:`lock` held)."""
        self._read_paused -= 1
        self._bg_cond.notify()

    # ------------------------------------------------------------------ control

    def shutdown(self, wait: bool = True) -> None:
        """Close the connection from our side now (no RPC sent) and stop the thread
        (waiting for it unless ``wait`` is false)."""
        with self._lock:
            if self.core.is_open:
                self.core.close()
                self._process()
        try:
            self._wake_w.send(b"\0")
        except OSError:
            pass
        if wait and threading.current_thread() is not self._thread:
            self._thread.join(5)

    def start_keepalive(self, interval: float, count: int) -> None:
        """Start keepalive (interval <= 0 stops it)."""
        with self._lock:
            self.core.start_keepalive(time.monotonic(), interval, count)
            self._bg_cond.notify()

    def call_soon(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn`` on the dispatch thread, after the events queued so far."""
        with self._lock:
            self._messages.append(_Deferred(fn, args))
            self._bg_cond.notify()

    def defer(self, fn: Callable[..., Any], *args: Any) -> None:
        """:meth:`call_soon` for a caller holding :attr:`lock` (a stream's event sink)."""
        self._messages.append(_Deferred(fn, args))
        self._bg_cond.notify()

    def deliver_message(self, event: Any) -> None:
        """Call a deferred function or the handler of a message."""
        if isinstance(event, _Deferred):
            event.fn(*event.args)
        else:
            super().deliver_message(event)


def default_spin_wait(sock: socket.socket) -> float:
    """:data:`SPIN_WAIT` for a daemon's unix socket on a machine with two CPUs or more;
    0 for anything else (a network peer, or the pipe to an ssh or ext command)."""
    try:
        local = sock.family == socket.AF_UNIX and bool(sock.getpeername())
    except OSError:
        local = False
    return SPIN_WAIT if local and (os.cpu_count() or 1) >= 2 else 0.0


class _Deferred:
    __slots__ = ("fn", "args")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
