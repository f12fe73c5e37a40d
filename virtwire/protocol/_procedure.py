"""The description of one RPC procedure, as the generated tables list them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

Packer = Callable[[bytearray, Any], None]
Unpacker = Callable[[bytes | memoryview, int], tuple[Any, int]]


@dataclass(frozen=True, slots=True)
class Procedure:
    """One procedure of a program: numbers, payload types and codecs, annotations.

    ``args`` is the call payload (for events: the message the daemon sends);
    ``ret`` the reply payload.  Either is ``None`` (and its codecs too) when
    the payload is empty.  ``stream`` says whether a call opens a stream the
    client reads from or writes to; ``sparseflag`` names the flag enabling
    holes in that stream.
    """

    program: int
    version: int
    number: int
    name: str
    args: type | None
    ret: type | None
    pack_args: Packer | None
    unpack_args: Unpacker | None
    pack_ret: Packer | None
    unpack_ret: Unpacker | None
    stream: Literal["read", "write"] | None
    sparseflag: str | None
    priority: Literal["high", "low"]
    acl: tuple[str, ...]
