"""Tasks resumed straight from the asyncio runtime's reader callback, against a real libvirtd."""

from __future__ import annotations

import asyncio
import contextvars
import socket
from typing import Any

import virtwire
import virtwire.aio
from virtwire import Error

VAR: contextvars.ContextVar[int] = contextvars.ContextVar("VAR", default=-1)


def test_resumed_tasks_keep_their_context_and_identity(test_uri: str) -> None:
    async def main() -> None:
        async with virtwire.aio.Connection(test_uri) as conn:

            async def work(index: int) -> None:
                VAR.set(index)
                me = asyncio.current_task()
                for _ in range(20):
                    assert await conn.get_type() == "TEST"
                    assert VAR.get() == index
                    assert asyncio.current_task() is me

            await asyncio.wait_for(asyncio.gather(*(work(i) for i in range(48))), 30)

    asyncio.run(main())


def test_concurrent_failures_reach_their_own_callers(test_uri: str) -> None:
    async def main() -> list[Any]:
        async with virtwire.aio.Connection(test_uri) as conn:

            async def lookup(name: str) -> Any:
                try:
                    return (await conn.get_domain_by_name(name)).get_name()
                except Error as exc:
                    return exc.code

            names = ["test" if i % 2 else f"missing-{i}" for i in range(64)]
            return list(await asyncio.wait_for(asyncio.gather(*map(lookup, names)), 30))

    got = asyncio.run(main())
    assert got == ["test" if i % 2 else Error.ERR_NO_DOMAIN for i in range(64)]


def test_a_resumed_task_closing_the_connection_fails_the_others_cleanly(test_uri: str) -> None:
    async def main() -> list[Any]:
        conn = await virtwire.aio.Connection(test_uri)

        async def work(index: int) -> Any:
            try:
                for _ in range(50):
                    await conn.get_type()
                    if index == 0:
                        await conn.close()
            except Error as exc:
                return exc
            return "done"

        return list(await asyncio.wait_for(asyncio.gather(*(work(i) for i in range(32))), 30))

    outcomes = asyncio.run(main())
    assert outcomes[0] == "done" or isinstance(outcomes[0], virtwire.ConnectionClosedError)
    assert all(isinstance(o, virtwire.ConnectionClosedError) for o in outcomes[1:])


class _CountingSocket:
    """A socket standing in for the runtime's own, counting reads and writes."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.reads = self.writes = 0

    def recv(self, size: int) -> bytes:
        self.reads += 1
        return self._sock.recv(size)

    def send(self, data: Any) -> int:
        self.writes += 1
        return self._sock.send(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def test_calls_of_tasks_resumed_by_one_read_leave_in_one_write(test_uri: str) -> None:
    async def main() -> tuple[int, int, int]:
        async with virtwire.aio.Connection(test_uri, keepalive=None) as conn:
            runtime = conn.runtime
            counting = _CountingSocket(runtime._sock)
            runtime._sock = counting

            async def work() -> None:
                for _ in range(40):
                    await conn.get_type()

            await asyncio.wait_for(asyncio.gather(*(work() for _ in range(32))), 30)
            runtime._sock = counting._sock
            return counting.reads, counting.writes, 32 * 40

    reads, writes, calls = asyncio.run(main())
    # the first batch of calls, then at most one write per read (where replies arrive
    # together, a runtime writing each resumed call on its own writes more than it reads)
    assert writes <= reads + 2, (reads, writes, calls)
