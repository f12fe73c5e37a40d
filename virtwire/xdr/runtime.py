"""What generated codecs call: precompiled structs and error construction.

Generated decoders run straight-line code with no bookkeeping besides a
``where`` string naming the field being decoded.  Only when something
fails do the helpers here turn the low-level cause (``struct.error``, a
failed check) into an ``XDRFieldError`` whose message names the path, e.g.
``remote_domain_get_info_ret.memory: truncated at byte 12``.

Array decoders make their elements with ``instances``; they read a string
together with the fixed-size fields after it through a ``StringRun``, and
those of typed parameters look each name and discriminant up in a
``KeyCache`` first, since replies repeat the same few names.

Decoders work on ``bytes``; one handed a ``memoryview`` or ``bytearray``
copies it once on entry, since slicing ``bytes`` and decoding the slice is
the cheapest way to make a ``str``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from itertools import repeat
from typing import Any, Final, TypeAlias, TypeVar

from virtwire.errors import XDRError

T = TypeVar("T")

u32_from: Final = struct.Struct(">I").unpack_from
i32_from: Final = struct.Struct(">i").unpack_from
u64_from: Final = struct.Struct(">Q").unpack_from
i64_from: Final = struct.Struct(">q").unpack_from
f32_from: Final = struct.Struct(">f").unpack_from
f64_from: Final = struct.Struct(">d").unpack_from
u32_pack: Final = struct.Struct(">I").pack
i32_pack: Final = struct.Struct(">i").pack
u64_pack: Final = struct.Struct(">Q").pack
i64_pack: Final = struct.Struct(">q").pack
f32_pack: Final = struct.Struct(">f").pack
f64_pack: Final = struct.Struct(">d").pack
unpack_from: Final = struct.unpack_from
pack: Final = struct.pack
new: Final = object.__new__
"""Make an instance without running ``__init__``; decoders then fill its slots."""


def instances(cls: type[T], n: int) -> list[T]:
    """Make ``n`` instances of ``cls`` like ``new``, all at once.

    Array decoders fill the slots of each: from about five elements on, this
    is cheaper than making and appending them one by one.
    """
    return list(map(new, repeat(cls, n))) if n else []


PAD: Final = (b"", b"\0\0\0", b"\0\0", b"\0")
"""Zero padding after ``n`` bytes of data, indexed by ``n & 3``."""
WORD_FALSE: Final = b"\0\0\0\0"
WORD_TRUE: Final = b"\0\0\0\1"
BOOLS: Final = {0: False, 1: True}

DECODE_ERRORS: Final = (XDRError, struct.error)
ENCODE_ERRORS: Final = (
    XDRError,
    struct.error,
    TypeError,
    AttributeError,
    KeyError,
    ValueError,
    OverflowError,
    UnicodeError,
)


class XDRFieldError(XDRError):
    """An ``XDRError`` that knows the type, field path and reason of the failure."""

    def __init__(self, type_name: str, path: tuple[str, ...], reason: str) -> None:
        self.type_name = type_name
        self.path = path
        self.reason = reason
        super().__init__(_message(type_name, path, reason))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.type_name, self.path, self.reason), self.__dict__.copy())

    @property
    def where(self) -> str:
        """The failing location, e.g. ``remote_domain_get_info_ret.memory``."""
        return _message(self.type_name, self.path, "").rstrip(": ")


def _message(type_name: str, path: tuple[str, ...], reason: str) -> str:
    joined = "".join(p if p.startswith("[") else "." + p for p in path)
    head = (type_name + joined) if type_name else joined.lstrip(".")
    return f"{head}: {reason}" if head else reason


def fault(reason: str) -> XDRFieldError:
    """An error not yet placed in any type; the enclosing decoder adds the path."""
    return XDRFieldError("", (), reason)


def truncated(at: int) -> XDRFieldError:
    return fault(f"truncated at byte {at}")


def too_long(n: int, limit: int, at: int) -> XDRFieldError:
    return fault(f"length {n} exceeds maximum {limit} at byte {at}")


def bad_padding(at: int) -> XDRFieldError:
    return fault(f"non-zero padding at byte {at}")


def bad_bool(value: int, at: int) -> XDRFieldError:
    return fault(f"invalid bool {value} at byte {at}")


def bad_enum(type_name: str, value: int, at: int) -> XDRFieldError:
    return fault(f"unknown {type_name} value {value} at byte {at}")


def bad_range(value: int, kind: str, at: int) -> XDRFieldError:
    return fault(f"{kind} value {value} out of range at byte {at}")


def bad_discriminant(value: int, at: int) -> XDRFieldError:
    return fault(f"unknown union discriminant {value} at byte {at}")


KeyCache: TypeAlias = dict[bytes, tuple[str, int]]
"""Names and discriminants of typed parameters, by their wire bytes.

A typed parameter starts with a name (length word, bytes, zero padding) and
the discriminant word of its value.  The same few names come back in every
record of a reply, so array decoders slice those bytes, the *key*, and look
them up in a ``KeyCache`` first: ``keys.get(buf[pos : pos + 8 + padded(n)])``.
Only keys that decoded cleanly (zero padding, a known discriminant) are
stored, and the length word fixes a key's length, so a hit needs no further
checks and a truncated slice never hits.  On a miss ``load_key`` decodes the
key strictly and stores it.  Each lookup and store is one dict operation and
every entry is valid, so concurrent decoders share a cache safely.
"""

KEY_CACHE_SIZE: Final = 4096
"""Most entries a ``KeyCache`` holds; a full cache is emptied and starts over."""
KEY_NAME_MAX: Final = 80
"""Longest name a ``KeyCache`` stores, libvirt's ``VIR_TYPED_PARAM_FIELD_LENGTH``."""


def load_key(keys: KeyCache, cases: frozenset[int], buf: bytes, pos: int) -> tuple[str, int]:
    """Decode the key at ``pos``, store it in ``keys`` and return its name and discriminant.

    The caller has checked the length word against the name's maximum;
    ``cases`` are the discriminants the value union accepts.  Names longer
    than ``KEY_NAME_MAX`` bytes are not stored, and a full cache is emptied
    first, so ``keys`` stays small whatever the peer sends.
    """
    from virtwire.xdr.primitives import unpack_string  # primitives import this module

    name, stop = unpack_string(buf, pos)
    (kind,) = i32_from(buf, stop)
    if kind not in cases:
        raise bad_discriminant(kind, stop)
    if u32_from(buf, pos)[0] <= KEY_NAME_MAX:
        if len(keys) >= KEY_CACHE_SIZE:
            keys.clear()
        keys[buf[pos : stop + 4]] = (name, kind)
    return name, kind


NameCache: TypeAlias = dict[str, bytes]
"""The encoder's side of ``KeyCache``: typed parameter names' wire bytes (length word,
UTF-8, zero padding), by name. Array encoders append a hit as it is; on a miss
``store_name`` encodes the name and stores it, within the same bounds as a ``KeyCache``."""


def store_name(names: NameCache, name: str, limit: int | None) -> bytes:
    """Encode ``name`` as an XDR string of at most ``limit`` bytes, store it in ``names``
    (a ``str`` of up to ``KEY_NAME_MAX`` bytes) and return its wire bytes."""
    from virtwire.xdr.primitives import pack_string  # primitives import this module

    out = bytearray()
    pack_string(out, name, limit)
    wire = bytes(out)
    if u32_from(wire)[0] <= KEY_NAME_MAX and type(name) is str:
        if len(names) >= KEY_CACHE_SIZE:
            names.clear()
        names[name] = wire
    return wire


STRING_RUN_KEEP: Final = 256
"""Longest string whose unpacker a ``StringRun`` keeps."""


class StringRun(dict[int, tuple[Callable[[bytes, int], tuple[Any, ...]], int, bytes]]):
    """How to read a string of ``n`` bytes and the fixed-size fields after it, by ``n``.

    An array decoder reads a string (or variable opaque) whose length word it already
    has, and the fixed-size fields that follow it (``fmt``, ``size`` bytes; plus the word
    after them when ``fmt`` ends with one more ``I`` than ``size`` covers), with one
    ``struct`` call: ``unpack, step, zeros = run[n]``, then ``unpack(buf, pos)``, with
    ``pos`` at the length word, returns the ``n`` bytes and the run's values; ``step`` is
    the bytes from the length word to the end of the run, and ``zeros`` the padding the
    string must have (``unpack`` skips it: the caller compares). A length over the
    string's ``limit`` (None: no limit) raises ``struct.error`` before anything is
    allocated, as does input too short for the call. Entries for up to
    ``STRING_RUN_KEEP`` bytes are kept; longer ones serve one call.
    """

    __slots__ = ("fmt", "size", "limit")

    def __init__(self, fmt: str, size: int, limit: int | None) -> None:
        super().__init__()
        self.fmt = fmt
        self.size = size
        self.limit = limit

    def __missing__(self, n: int) -> tuple[Callable[[bytes, int], tuple[Any, ...]], int, bytes]:
        if self.limit is not None and n > self.limit:
            raise struct.error(f"length {n} exceeds maximum {self.limit}")
        pad = -n % 4
        unpack = struct.Struct(f">4x{n}s{pad}x{self.fmt}").unpack_from
        entry = (unpack, 4 + n + pad + self.size, bytes(pad))
        if n <= STRING_RUN_KEEP:
            self[n] = entry
        return entry


def _split(where: str) -> tuple[str, ...]:
    return tuple(p for p in where.split(".") if p) if where else ()


def _run_field(where: str, available: int) -> tuple[str, int]:
    """Pick the field of a merged run ``a@0,b@4,@12`` that ``available`` bytes cut."""
    marks: list[tuple[str, int]] = []
    for item in where.split(","):
        name, _, offset = item.partition("@")
        marks.append((name, int(offset)))
    for (name, off), (_, nxt) in zip(marks, marks[1:], strict=False):
        if nxt > available:
            return name, off
    return marks[0]


def fail(e: Exception, type_name: str, where: str, buf: bytes | memoryview, pos: int) -> XDRError:
    """Turn a decoding failure inside ``type_name`` at field ``where`` into an ``XDRError``."""
    if isinstance(e, XDRFieldError):
        return XDRFieldError(type_name, _split(where) + e.path, e.reason)
    if isinstance(e, struct.error):
        if "@" in where:
            name, off = _run_field(where, len(buf) - pos)
            return XDRFieldError(type_name, _split(name), f"truncated at byte {pos + off}")
        return XDRFieldError(type_name, _split(where), f"truncated at byte {pos}")
    return XDRFieldError(type_name, _split(where), str(e))


def fail_item(e: Exception, index: int, pos: int) -> XDRError:
    """Add an array index to a failure inside element ``index``."""
    if isinstance(e, XDRFieldError):
        return XDRFieldError("", (f"[{index}]",) + e.path, e.reason)
    if isinstance(e, struct.error):
        return XDRFieldError("", (f"[{index}]",), f"truncated at byte {pos}")
    return XDRFieldError("", (f"[{index}]",), str(e))


def fail_pack(e: Exception, type_name: str, where: str, value: object) -> XDRError:
    """Turn an encoding failure inside ``type_name`` at field ``where`` into an ``XDRError``."""
    if isinstance(e, XDRFieldError):
        return XDRFieldError(type_name, _split(where) + e.path, e.reason)
    if "@" in where:
        # A merged run of fixed-size fields: find the field that does not pack.
        for item in where.split(","):
            name, _, fmt = item.partition("@")
            if not name:
                continue
            try:
                struct.pack(">" + fmt.split(":")[-1], getattr(value, name))
            except (struct.error, TypeError, AttributeError) as inner:
                return XDRFieldError(type_name, _split(name), _describe(inner))
        return XDRFieldError(type_name, (), _describe(e))
    return XDRFieldError(type_name, _split(where), _describe(e))


def fail_pack_item(e: Exception, index: int) -> XDRError:
    """Add an array index to an encoding failure inside element ``index``."""
    if isinstance(e, XDRFieldError):
        return XDRFieldError("", (f"[{index}]",) + e.path, e.reason)
    return XDRFieldError("", (f"[{index}]",), _describe(e))


def _describe(e: Exception) -> str:
    if isinstance(e, AttributeError | TypeError):
        return f"wrong type ({e})"
    if isinstance(e, KeyError):
        return f"invalid value {e.args[0]!r}" if e.args else "invalid value"
    return str(e)


def pack_signed_chars(data: bytes) -> tuple[int, ...]:
    """Map bytes to the signed values ``char`` arrays carry on the wire."""
    return tuple(b - 256 if b > 127 else b for b in data)


def chars_to_bytes(values: tuple[int, ...], at: int) -> bytes:
    """Map wire ``char`` values (signed or unsigned, as C peers send) to bytes."""
    for k, c in enumerate(values):
        if not -128 <= c <= 255:
            raise bad_range(c, "char", at + 4 * k)
    return bytes(c & 0xFF for c in values)


def redecode_items(
    unpack_item: Callable[[bytes, int], tuple[T, int]], buf: bytes, start: int, count: int
) -> tuple[list[T], int]:
    """Decode an array's ``count`` elements at ``start`` again, one by one, with the
    element type's own decoder; return them and the position after them.

    Array decoders fill their elements in place in a loop that only detects bad input:
    it reads the word after each element ahead and leaves some checks to ``struct``.
    When that loop fails, this pass raises the error naming the element and field at
    fault, or, when the loop failed only reading ahead past the array, returns the
    elements, and the field after the array reports what is wrong there.
    """
    items = []
    pos = start
    for index in range(count):
        try:
            item, pos = unpack_item(buf, pos)
        except XDRFieldError as inner:
            raise XDRFieldError("", (f"[{index}]",) + inner.path, inner.reason) from None
        items.append(item)
    return items, pos


def fail_pack_items(
    e: Exception, pack_item: Callable[[bytearray, Any], None], items: Iterable[object]
) -> XDRError:
    """Find which element of an array encoded in place failed, by encoding again slowly."""
    try:
        for index, item in enumerate(items):
            try:
                pack_item(bytearray(), item)
            except XDRFieldError as inner:
                return XDRFieldError("", (f"[{index}]",) + inner.path, inner.reason)
    except TypeError:
        pass
    return XDRFieldError("", (), _describe(e))
