"""Wire shapes: what a declaration looks like once typedefs are resolved.

The renderer emits code per shape; tests derive value strategies from the
same shapes.  Structs and unions stay references (``Ref``) so codecs call
their functions; typedefs are always expanded in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from codegen.errors import CodegenError
from codegen.ir import Decl, Enum, Pos, Struct, Typedef, Union
from codegen.link import Namespace


@dataclass(frozen=True, slots=True)
class Prim:
    """A 4- or 8-byte scalar; ``enum`` names the enum type for ``kind == "enum"``."""

    kind: str
    enum: str | None = None

    @property
    def fmt(self) -> str:
        return _PRIM_FMT[self.kind]

    @property
    def size(self) -> int:
        return 8 if self.kind in ("hyper", "unsigned hyper", "double") else 4


_PRIM_FMT = {
    "int": "i",
    "unsigned int": "I",
    "hyper": "q",
    "unsigned hyper": "Q",
    "char": "i",
    "unsigned char": "I",
    "short": "i",
    "unsigned short": "I",
    "bool": "I",
    "float": "f",
    "double": "d",
    "enum": "i",
}

RANGES = {
    "char": (-128, 127),
    "unsigned char": (0, 255),
    "short": (-32768, 32767),
    "unsigned short": (0, 65535),
}
"""Narrow integer kinds carried in a 4-byte word, with their value range."""


@dataclass(frozen=True, slots=True)
class Str:
    max: int | None
    max_name: str | None


@dataclass(frozen=True, slots=True)
class Opaque:
    fixed: bool
    size: int | None
    size_name: str | None


@dataclass(frozen=True, slots=True)
class Chars:
    """An array of ``char``: Python ``bytes``, one 4-byte word per byte on the wire."""

    fixed: bool
    size: int | None
    size_name: str | None


@dataclass(frozen=True, slots=True)
class Array:
    elem: Shape
    fixed: bool
    size: int | None
    size_name: str | None


@dataclass(frozen=True, slots=True)
class Opt:
    elem: Shape


@dataclass(frozen=True, slots=True)
class Ref:
    """A struct or union, coded by its own functions in ``module``."""

    name: str
    module: str


@dataclass(frozen=True, slots=True)
class Void:
    pass


Shape = Prim | Str | Opaque | Chars | Array | Opt | Ref | Void


class Shaper:
    """Compute shapes and minimum wire sizes against a linked namespace."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self._min: dict[str, int] = {}

    def _size(self, decl: Decl, pos: Pos) -> tuple[int | None, str | None]:
        if decl.size is None:
            return None, None
        name = decl.size if isinstance(decl.size, str) else None
        return self.ns.value(decl.size, pos), name

    def base(self, type_name: str, pos: Pos) -> Shape:
        if type_name in _PRIM_FMT and type_name != "enum":
            return Prim(type_name)
        module, d = self.ns.type(type_name, pos)
        if isinstance(d, Enum):
            return Prim("enum", d.name)
        if isinstance(d, Struct | Union):
            return Ref(d.name, module)
        if isinstance(d, Typedef):
            return self.shape(d.decl, d.pos)
        raise CodegenError(f"{type_name!r} is not a type", pos.file, pos.line, pos.column)

    def shape(self, decl: Decl, pos: Pos) -> Shape:
        if decl.kind == "void":
            return Void()
        size, size_name = self._size(decl, pos)
        if decl.type == "string":
            return Str(size, size_name)
        if decl.type == "opaque":
            return Opaque(decl.kind == "fixed", size, size_name)
        base = self.base(decl.type, pos)
        if decl.kind == "plain":
            return base
        if decl.kind == "optional":
            return Opt(base)
        fixed = decl.kind == "fixed"
        if isinstance(base, Prim) and base.kind in ("char", "unsigned char"):
            return Chars(fixed, size, size_name)
        return Array(base, fixed, size, size_name)

    def min_size(self, shape: Shape) -> int:
        """The fewest bytes any value of ``shape`` takes on the wire."""
        if isinstance(shape, Prim):
            return shape.size
        if isinstance(shape, Str | Opt):
            return 4
        if isinstance(shape, Opaque):
            return (((shape.size or 0) + 3) & ~3) if shape.fixed else 4
        if isinstance(shape, Chars):
            return 4 * (shape.size or 0) if shape.fixed else 4
        if isinstance(shape, Array):
            return shape.size * self.min_size(shape.elem) if shape.fixed and shape.size else 4
        if isinstance(shape, Ref):
            return self._ref_min(shape.name)
        return 0

    def _ref_min(self, name: str) -> int:
        if name in self._min:
            return self._min[name]
        self._min[name] = 4  # provisional, guards against recursive types
        _, d = self.ns.type(name, Pos("", 0, 0))
        if isinstance(d, Struct):
            total = sum(self.min_size(self.shape(f, d.pos)) for f in d.fields)
        elif isinstance(d, Union):
            arms = [self.min_size(self.shape(a.decl, d.pos)) for a in d.arms]
            if d.default is not None:
                arms.append(self.min_size(self.shape(d.default, d.pos)))
            total = 4 + min(arms)
        else:
            total = 4
        self._min[name] = total
        return total
