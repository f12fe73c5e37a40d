"""One face for both runtimes, so each integration test runs against sync and asyncio.

``open_client("sync", uri)`` is a plain :class:`virtwire.Connection`. ``open_client("async",
uri)`` opens a :class:`virtwire.aio.Connection` in an event loop running on its own thread and
turns every coroutine method into a blocking call, so test bodies are written once.
``open_conn`` and ``new_stream`` go further for asyncio: the objects and streams they give
(and the objects those return) are blocking faces too (:class:`Blocking`).
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import virtwire
import virtwire.aio
from virtwire.api._async.base import RemoteObject
from virtwire.api._async.stream import Stream

KINDS = ("sync", "async")


class LoopThread:
    """An asyncio loop on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float | None = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


class AsyncBridge:
    """Blocking proxy of a :class:`virtwire.aio.Connection`."""

    def __init__(self, uri: str | None, kwargs: dict[str, Any]) -> None:
        self.loop_thread = LoopThread()

        async def make() -> virtwire.aio.Connection:
            return await virtwire.aio.Connection(uri, **kwargs)

        try:
            self.conn = self.loop_thread.run(make())
        except BaseException:
            self.loop_thread.stop()
            raise

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.conn, name)
        if inspect.iscoroutinefunction(attr):

            def call(*args: Any, **kwargs: Any) -> Any:
                return self.loop_thread.run(attr(*args, **kwargs))

            return call
        return attr

    def run(self, fn: Callable[[virtwire.aio.Connection], Coroutine[Any, Any, Any]]) -> Any:
        """Run ``fn(conn)`` in the loop (for tests of asyncio-only behaviour)."""
        return self.loop_thread.run(fn(self.conn))

    def close(self) -> None:
        try:
            self.loop_thread.run(self.conn.close())
        finally:
            self.loop_thread.stop()


def open_client(kind: str, uri: str | None, **kwargs: Any) -> Any:
    """Open a connection of the given runtime kind (``sync`` or ``async``)."""
    if kind == "sync":
        return virtwire.Connection(uri, **kwargs)
    return AsyncBridge(uri, kwargs)


class Blocking:
    """Blocking face of an asyncio object: coroutine methods run in the bridge's loop, and
    objects they return (domains, snapshots..., also inside lists and dicts) are wrapped too."""

    def __init__(self, target: Any, run: Any) -> None:
        self._target = target
        self._run = run

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            args = tuple(unwrap(a) for a in args)
            result = attr(*args, **kwargs)
            if inspect.iscoroutine(result):
                result = self._run(result)
            return wrap(result, self._run)

        return call

    def __eq__(self, other: object) -> bool:
        return bool(self._target == unwrap(other))

    def __hash__(self) -> int:
        return hash(self._target)

    def __repr__(self) -> str:
        return f"Blocking({self._target!r})"


def unwrap(value: Any) -> Any:
    """The asyncio object behind a :class:`Blocking` (others unchanged)."""
    if isinstance(value, Blocking):
        return value._target
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def wrap(value: Any, run: Any) -> Any:
    """Wrap asyncio objects found in ``value``."""
    if isinstance(value, (RemoteObject, Stream)):
        return Blocking(value, run)
    if isinstance(value, list):
        return [wrap(v, run) for v in value]
    if isinstance(value, tuple):
        return tuple(wrap(v, run) for v in value)
    if isinstance(value, dict):
        return {k: wrap(v, run) for k, v in value.items()}
    return value


def open_conn(kind: str, uri: str) -> Any:
    """A connection of ``kind`` whose returned objects are blocking too."""
    c = open_client(kind, uri)
    if kind == "sync":
        return c
    bridge = Blocking(c.conn, c.loop_thread.run)
    bridge.__dict__["close"] = c.close
    return bridge


def new_stream(client: Any, kind: str, flags: int = 0) -> Any:
    """A stream of ``client``; blocking for ``async`` too (long transfers get 300 s)."""
    st = client.new_stream(flags)
    return st if kind == "sync" else Blocking(st, partial(client.loop_thread.run, timeout=300))
