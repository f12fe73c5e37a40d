# Generated from virtwire/api/_async/event.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::Event: the event-loop contract, and a small default loop (blocking).

virtwire needs no event loop of the application's: each connection's runtime receives
events itself and runs the callbacks in the asyncio loop (``virtwire.aio``) or on the
connection's dispatch thread (blocking API), one at a time, in the daemon's order. So
``register_default`` and ``register`` only record the choice. The watch and timer functions
form a plain ``select()`` loop for the application's own file descriptors and timers,
driven by :meth:`Event.run_default`, which blocks the calling thread (never call it from
a running asyncio loop).
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from virtwire.api.sysvirt_gen import EventConstants
from virtwire.constants_gen import virEventHandleType
from virtwire.errors import Error

_READABLE = int(virEventHandleType.VIR_EVENT_HANDLE_READABLE)
_WRITABLE = int(virEventHandleType.VIR_EVENT_HANDLE_WRITABLE)
_ERROR = int(virEventHandleType.VIR_EVENT_HANDLE_ERROR)


@dataclass(slots=True)
class _Watch:
    fd: int
    events: int
    callback: Callable[[int, int, int], Any]


@dataclass(slots=True)
class _Timer:
    frequency: int
    callback: Callable[[int], Any]
    due: float


def _fileno(fd: Any) -> int:
    return fd if isinstance(fd, int) else int(fd.fileno())


def _no_such(kind: str, ident: int) -> Error:
    return Error(
        f"invalid argument: no {kind} with id {ident}",
        code=Error.ERR_INVALID_ARG,
        domain=Error.FROM_NONE,
    )


class Event(EventConstants):
    """Sys::Virt::Event's functions, as static methods (``Event.add_timeout(...)``)."""

    _lock: ClassVar[threading.Lock] = threading.Lock()
    _watches: ClassVar[dict[int, _Watch]] = {}
    _timers: ClassVar[dict[int, _Timer]] = {}
    _next_id: ClassVar[int] = 1
    _impl: ClassVar[Any] = None

    @staticmethod
    def register_default() -> None:
        """Accepted for compatibility: connections deliver their events themselves."""
        Event._impl = "default"

    @staticmethod
    def register(impl: Any) -> None:
        """Record an event-loop implementation (connections don't need one)."""
        Event._impl = impl

    @staticmethod
    def _new_id() -> int:
        ident = Event._next_id
        Event._next_id += 1
        return ident

    @staticmethod
    def add_handle(fd: Any, events: int, callback: Callable[[int, int, int], Any]) -> int:
        """Watch ``fd`` for ``events`` (``HANDLE_*``); ``callback(watch, fd, events)``."""
        with Event._lock:
            watch = Event._new_id()
            Event._watches[watch] = _Watch(_fileno(fd), int(events), callback)
            return watch

    @staticmethod
    def update_handle(watch: int, events: int) -> None:
        """Change the events a watch waits for."""
        with Event._lock:
            w = Event._watches.get(watch)
            if w is None:
                raise _no_such("watch", watch)
            w.events = int(events)

    @staticmethod
    def remove_handle(watch: int) -> None:
        """Stop a watch."""
        with Event._lock:
            if Event._watches.pop(watch, None) is None:
                raise _no_such("watch", watch)

    @staticmethod
    def add_timeout(frequency: int, callback: Callable[[int], Any]) -> int:
        """Call ``callback(timer)`` every ``frequency`` ms (0: every iteration, -1: off)."""
        with Event._lock:
            timer = Event._new_id()
            Event._timers[timer] = _Timer(
                int(frequency), callback, time.monotonic() + max(frequency, 0) / 1000
            )
            return timer

    @staticmethod
    def update_timeout(timer: int, frequency: int) -> None:
        """Change a timer's period (ms)."""
        with Event._lock:
            t = Event._timers.get(timer)
            if t is None:
                raise _no_such("timer", timer)
            t.frequency = int(frequency)
            t.due = time.monotonic() + max(frequency, 0) / 1000

    @staticmethod
    def remove_timeout(timer: int) -> None:
        """Stop a timer."""
        with Event._lock:
            if Event._timers.pop(timer, None) is None:
                raise _no_such("timer", timer)

    @staticmethod
    def run_default() -> None:
        """Run one iteration: wait for the first watch or timer, then run what is ready."""
        with Event._lock:
            watches = dict(Event._watches)
            timers = {k: t for k, t in Event._timers.items() if t.frequency >= 0}
        now = time.monotonic()
        wait = None
        if timers:
            wait = max(0.0, min(t.due for t in timers.values()) - now)
        rlist = [w.fd for w in watches.values() if w.events & _READABLE]
        wlist = [w.fd for w in watches.values() if w.events & _WRITABLE]
        xlist = [w.fd for w in watches.values()]
        if not xlist and wait is None:
            return
        readable, writable, broken = select.select(rlist, wlist, xlist, wait)
        for watch, w in watches.items():
            got = 0
            if w.fd in readable:
                got |= _READABLE
            if w.fd in writable:
                got |= _WRITABLE
            if w.fd in broken:
                got |= _ERROR
            if got:
                w.callback(watch, w.fd, got)
        now = time.monotonic()
        for timer, t in timers.items():
            if t.due <= now:
                t.due = now + t.frequency / 1000
                t.callback(timer)
