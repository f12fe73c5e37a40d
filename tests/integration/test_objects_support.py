"""Helpers shared by the ``test_objects_*`` modules (this module holds no tests).

``connect(kind, uri)`` opens a connection through :func:`.clients.open_conn`, which gives
both runtimes the same blocking face.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Generator
from typing import Any

import pytest

from virtwire import Error

from .clients import open_conn


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


def connect(kind: str, uri: str) -> Generator[Any, None, None]:
    """Body of a connection fixture: open, yield, close."""
    c = open_conn(kind, uri)
    try:
        yield c
    finally:
        c.close()
