"""XDR runtime: codec helpers and primitives used by the generated protocol modules.

``encode(pack_T, value)`` and ``decode(unpack_T, data)`` run any generated
codec over a whole message; decoding is exact by default, so trailing bytes
are an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from virtwire.errors import XDRError
from virtwire.xdr.runtime import XDRFieldError

T = TypeVar("T")

__all__ = ["XDRError", "XDRFieldError", "decode", "encode"]


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
    value, end = unpack(data, 0)
    if exact and end != len(data):
        name = getattr(unpack, "__name__", "").removeprefix("unpack_")
        raise XDRFieldError(name, (), f"{len(data) - end} trailing bytes at byte {end}")
    return value
