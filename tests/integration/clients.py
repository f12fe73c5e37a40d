"""One face for both runtimes, so each integration test runs against sync and asyncio.

``open_client("sync", uri)`` is a plain :class:`virtwire.Connection`. ``open_client("async",
uri)`` opens a :class:`virtwire.aio.Connection` in an event loop running on its own thread and
turns every coroutine method into a blocking call, so test bodies are written once.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import virtwire
import virtwire.aio

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


class BlockingStream:
    """A blocking face of an asyncio :class:`virtwire.aio.Stream` (runs it in the loop)."""

    def __init__(self, st: Any, client: Any) -> None:
        self.st = st
        self.client = client

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.st, name)
        if inspect.iscoroutinefunction(attr):

            def call(*args: Any, **kwargs: Any) -> Any:
                return self.client.loop_thread.run(attr(*args, **kwargs), timeout=300)

            return call
        return attr


def new_stream(client: Any, kind: str, flags: int = 0) -> Any:
    st = client.new_stream(flags)
    return st if kind == "sync" else BlockingStream(st, client)
