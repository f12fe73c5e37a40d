"""XDR primitives (RFC 4506) as standalone functions.

Generated codecs inline these; they exist for hand-written framing code
and as the reference the generated code is tested against.  Decoders take
``(buf, pos)`` and return ``(value, new_pos)``; encoders append to ``out``.
"""

from __future__ import annotations

from virtwire.xdr.runtime import (
    PAD,
    WORD_FALSE,
    WORD_TRUE,
    bad_bool,
    bad_padding,
    f32_from,
    f32_pack,
    f64_from,
    f64_pack,
    fault,
    i32_from,
    i32_pack,
    i64_from,
    i64_pack,
    too_long,
    truncated,
    u32_from,
    u32_pack,
    u64_from,
    u64_pack,
)

Buffer = bytes | memoryview


def _need(buf: Buffer, pos: int, size: int) -> None:
    if pos + size > len(buf):
        raise truncated(pos)


def unpack_int(buf: Buffer, pos: int) -> tuple[int, int]:
    _need(buf, pos, 4)
    return i32_from(buf, pos)[0], pos + 4


def unpack_uint(buf: Buffer, pos: int) -> tuple[int, int]:
    _need(buf, pos, 4)
    return u32_from(buf, pos)[0], pos + 4


def unpack_hyper(buf: Buffer, pos: int) -> tuple[int, int]:
    _need(buf, pos, 8)
    return i64_from(buf, pos)[0], pos + 8


def unpack_uhyper(buf: Buffer, pos: int) -> tuple[int, int]:
    _need(buf, pos, 8)
    return u64_from(buf, pos)[0], pos + 8


def unpack_float(buf: Buffer, pos: int) -> tuple[float, int]:
    _need(buf, pos, 4)
    return f32_from(buf, pos)[0], pos + 4


def unpack_double(buf: Buffer, pos: int) -> tuple[float, int]:
    _need(buf, pos, 8)
    return f64_from(buf, pos)[0], pos + 8


def unpack_bool(buf: Buffer, pos: int) -> tuple[bool, int]:
    value, end = unpack_uint(buf, pos)
    if value > 1:
        raise bad_bool(value, pos)
    return value == 1, end


def _unpack_data(buf: Buffer, pos: int, n: int) -> tuple[bytes, int]:
    end = pos + ((n + 3) & -4)
    if end > len(buf):
        raise truncated(pos)
    if n & 3 and buf[pos + n : end] != PAD[n & 3]:
        raise bad_padding(pos + n)
    return bytes(buf[pos : pos + n]), end


def unpack_fopaque(buf: Buffer, pos: int, size: int) -> tuple[bytes, int]:
    """Fixed-length opaque data of ``size`` bytes."""
    return _unpack_data(buf, pos, size)


def unpack_opaque(buf: Buffer, pos: int, limit: int | None = None) -> tuple[bytes, int]:
    """Variable-length opaque data of at most ``limit`` bytes."""
    n, pos = unpack_uint(buf, pos)
    if limit is not None and n > limit:
        raise too_long(n, limit, pos - 4)
    return _unpack_data(buf, pos, n)


def unpack_string(buf: Buffer, pos: int, limit: int | None = None) -> tuple[str, int]:
    """A string of at most ``limit`` bytes, decoded as UTF-8 keeping every byte."""
    data, pos = unpack_opaque(buf, pos, limit)
    return data.decode("utf-8", "surrogateescape"), pos


def _range(value: int, lo: int, hi: int, kind: str) -> int:
    if type(value) is bool or not isinstance(value, int) or not lo <= value <= hi:
        raise fault(f"{kind} value {value!r} out of range")
    return value


def pack_int(out: bytearray, value: int) -> None:
    out += i32_pack(_range(value, -(2**31), 2**31 - 1, "int"))


def pack_uint(out: bytearray, value: int) -> None:
    out += u32_pack(_range(value, 0, 2**32 - 1, "unsigned int"))


def pack_hyper(out: bytearray, value: int) -> None:
    out += i64_pack(_range(value, -(2**63), 2**63 - 1, "hyper"))


def pack_uhyper(out: bytearray, value: int) -> None:
    out += u64_pack(_range(value, 0, 2**64 - 1, "unsigned hyper"))


def pack_float(out: bytearray, value: float) -> None:
    out += f32_pack(value)


def pack_double(out: bytearray, value: float) -> None:
    out += f64_pack(value)


def pack_bool(out: bytearray, value: bool) -> None:
    if value is not True and value is not False:
        raise fault(f"bool value {value!r} is not a bool")
    out += WORD_TRUE if value else WORD_FALSE


def pack_fopaque(out: bytearray, value: bytes, size: int) -> None:
    if len(value) != size:
        raise fault(f"need {size} bytes, got {len(value)}")
    out += value
    out += PAD[size & 3]


def pack_opaque(out: bytearray, value: bytes, limit: int | None = None) -> None:
    n = len(value)
    if limit is not None and n > limit:
        raise fault(f"length {n} exceeds maximum {limit}")
    out += u32_pack(n)
    out += value
    out += PAD[n & 3]


def pack_string(out: bytearray, value: str, limit: int | None = None) -> None:
    if not isinstance(value, str):
        raise fault(f"expected str, got {type(value).__name__}")
    pack_opaque(out, value.encode("utf-8", "surrogateescape"), limit)
