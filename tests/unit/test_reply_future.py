"""ReplyFuture: asyncio's future protocol, as tasks, wait_for and callbacks use it."""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import pytest

from virtwire.api._async.runtime import ReplyFuture

VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_a_task_gets_the_result_set_later() -> None:
    async def main() -> Any:
        fut = ReplyFuture(asyncio.get_running_loop())
        assert asyncio.isfuture(fut) and not fut.done()
        asyncio.get_running_loop().call_later(0.01, fut.set_result, 42)
        return await fut

    assert run(main()) == 42


def test_a_task_gets_the_error_set_later() -> None:
    async def main() -> None:
        fut = ReplyFuture(asyncio.get_running_loop())
        asyncio.get_running_loop().call_soon(fut.set_exception, KeyError("gone"))
        with pytest.raises(KeyError):
            await fut
        assert isinstance(fut.exception(), KeyError)

    run(main())


def test_setting_a_result_schedules_the_callbacks_instead_of_running_them() -> None:
    async def main() -> None:
        fut = ReplyFuture(asyncio.get_running_loop())
        seen: list[Any] = []
        fut.add_done_callback(seen.append)
        fut.set_result(1)
        assert seen == []
        await asyncio.sleep(0)
        assert seen == [fut]

    run(main())


def test_a_callback_added_when_done_is_scheduled_in_its_context() -> None:
    async def main() -> None:
        fut = ReplyFuture(asyncio.get_running_loop())
        fut.set_result(None)
        await asyncio.sleep(0)
        seen: list[str] = []
        ctx = contextvars.copy_context()
        ctx.run(VAR.set, "theirs")
        fut.add_done_callback(lambda f: seen.append(VAR.get()), context=ctx)
        await asyncio.sleep(0)
        assert seen == ["theirs"]

    run(main())


def test_remove_done_callback_counts_what_it_removed() -> None:
    async def main() -> None:
        fut = ReplyFuture(asyncio.get_running_loop())
        seen: list[Any] = []
        fut.add_done_callback(seen.append)
        fut.add_done_callback(seen.append)
        fut.add_done_callback(print)
        assert fut.remove_done_callback(seen.append) == 2
        assert fut.remove_done_callback(seen.append) == 0

    run(main())


def test_result_before_done_is_an_invalid_state() -> None:
    async def main() -> None:
        fut = ReplyFuture(asyncio.get_running_loop())
        with pytest.raises(asyncio.InvalidStateError):
            fut.result()
        with pytest.raises(asyncio.InvalidStateError):
            fut.exception()

    run(main())


def test_cancelling_the_task_cancels_the_future_with_its_message() -> None:
    async def main() -> None:
        fut = ReplyFuture(asyncio.get_running_loop())

        async def waiter() -> Any:
            return await fut

        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0)
        task.cancel("enough")
        with pytest.raises(asyncio.CancelledError) as info:
            await task
        assert fut.cancelled() and fut.done()
        assert info.value.args == ("enough",)
        assert not fut.cancel()  # once only
        with pytest.raises(asyncio.InvalidStateError):
            fut.set_result(1)
        assert fut.cancelled()

    run(main())


def test_wait_for_times_out_and_cancels_it() -> None:
    async def main() -> None:
        fut = ReplyFuture(asyncio.get_running_loop())
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(fut, 0.01)
        assert fut.cancelled()

    run(main())


def test_run_callbacks_runs_them_now_and_reports_their_errors() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        reported: list[dict[str, Any]] = []
        loop.set_exception_handler(lambda _loop, context: reported.append(context))
        fut = ReplyFuture(loop)
        seen: list[str] = []

        def boom(_f: Any) -> None:
            raise ValueError("callback failed")

        ctx = contextvars.copy_context()
        ctx.run(VAR.set, "task's")
        fut.add_done_callback(boom)
        fut.add_done_callback(lambda f: seen.append(VAR.get()), context=ctx)
        fut._value, fut._state = 7, 1  # what the runtime does when a reply is read
        fut.run_callbacks()
        assert seen == ["task's"]
        assert len(reported) == 1 and isinstance(reported[0]["exception"], ValueError)
        assert fut.result() == 7

    run(main())
