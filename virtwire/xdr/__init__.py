"""XDR runtime: codec helpers and primitives used by the generated protocol modules.

``encode(pack_T, value)`` and ``decode(unpack_T, data)`` run any generated
codec over a whole message; decoding is exact by default, so trailing bytes
are an error.  Messages of at least ``GC_PAUSE_MIN_BYTES`` are decoded with
the cyclic garbage collector paused (see :mod:`virtwire.xdr.gc_pause`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from virtwire.errors import XDRError
from virtwire.xdr.gc_pause import GC_PAUSE_MIN_BYTES, gc_paused
from virtwire.xdr.runtime import XDRFieldError

T = TypeVar("T")

__all__ = ["GC_PAUSE_MIN_BYTES", "XDRError", "XDRFieldError", "decode", "encode", "gc_paused"]


def encode(pack: Callable[[bytearray, Any], None], value: object) -> bytes:
    """Return the encoding of ``value`` made by a generated ``pack_T``."""
    out = bytearray()
    pack(out, value)
    return bytes(out)


def decode(
    unpack: Callable[[bytes | memoryview, int], tuple[T, int]],
    data: bytes | memoryview,
    exact: bool = True,
) -> T:
    """Decode ``data`` with a generated ``unpack_T``; with ``exact``, reject trailing bytes."""
    size = len(data)
    if size < GC_PAUSE_MIN_BYTES:
        value, end = unpack(data, 0)
    else:
        with gc_paused():
            value, end = unpack(data, 0)
    if exact and end != size:
        name = getattr(unpack, "__name__", "").removeprefix("unpack_")
        raise XDRFieldError(name, (), f"{size - end} trailing bytes at byte {end}")
    return value
