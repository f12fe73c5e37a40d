"""Helpers shared by the ``test_objects_*`` modules (this module holds no tests).

``open_conn(kind, uri)`` gives the same blocking face for both runtimes: with ``"async"``,
coroutine methods run in a loop thread and the objects they return are wrapped likewise.
"""

from __future__ import annotations

import inspect
import subprocess
import uuid
from collections.abc import Callable, Generator
from typing import Any

import pytest

from virtwire import Error
from virtwire.api._async.base import RemoteObject
from virtwire.api._async.stream import Stream

from .clients import open_client


def unique(prefix: str) -> str:
    """A name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def virsh(uri: str, *args: str) -> str:
    """virsh's output against the same daemon."""
    done = subprocess.run(
        ["virsh", "-q", "-c", uri, *args], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def virsh_fields(uri: str, *args: str) -> dict[str, str]:
    """``key: value`` lines of virsh's output."""
    out: dict[str, str] = {}
    for line in virsh(uri, *args).splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key.strip()] = value.strip()
    return out


def virsh_column(uri: str, *args: str, column: int = 0) -> list[str]:
    """One column of a virsh table (``-q`` drops its header)."""
    return [line.split()[column] for line in virsh(uri, *args).splitlines() if line.strip()]


def expect_error(code: int, fn: Callable[[], Any], *, domain: int | None = None) -> Error:
    """Run ``fn`` and check it raises a :class:`virtwire.Error` with ``code`` (and ``domain``)."""
    with pytest.raises(Error) as info:
        fn()
    assert info.value.code == code, info.value
    if domain is not None:
        assert info.value.domain == domain, info.value
    return info.value


def quiet(fn: Callable[[], Any]) -> Any:
    """``fn()``, ignoring libvirt errors (cleanup)."""
    try:
        return fn()
    except Error:
        return None


class Blocking:
    """Blocking face of an asyncio object; returned objects are wrapped too."""

    def __init__(self, target: Any, run: Any) -> None:
        self._target = target
        self._run = run

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*(unwrap(a) for a in args), **kwargs)
            if inspect.iscoroutine(result):
                result = self._run(result)
            return wrap(result, self._run)

        return call

    def __eq__(self, other: object) -> bool:
        return bool(self._target == unwrap(other))

    def __hash__(self) -> int:
        return hash(self._target)

    def __repr__(self) -> str:
        return repr(self._target)


def unwrap(value: Any) -> Any:
    """The asyncio object behind a :class:`Blocking` (others unchanged)."""
    return value._target if isinstance(value, Blocking) else value


def wrap(value: Any, run: Any) -> Any:
    """Wrap the asyncio objects found in ``value``."""
    if isinstance(value, (RemoteObject, Stream)):
        return Blocking(value, run)
    if isinstance(value, list):
        return [wrap(v, run) for v in value]
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


def connect(kind: str, uri: str) -> Generator[Any, None, None]:
    """Body of a connection fixture: open, yield, close."""
    c = open_conn(kind, uri)
    try:
        yield c
    finally:
        c.close()
