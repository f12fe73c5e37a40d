"""The compiler's intermediate representation: frozen dataclasses only.

A ``TypeRef`` names either a built-in XDR type (``int``, ``unsigned hyper``,
``string``, ``opaque`` ...) or a defined type.  Sizes and case values are
``Value``: a literal number or the name of a constant resolved at link time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

BUILTINS = frozenset(
    {
        "int",
        "unsigned int",
        "hyper",
        "unsigned hyper",
        "char",
        "unsigned char",
        "short",
        "unsigned short",
        "bool",
        "float",
        "double",
        "string",
        "opaque",
    }
)

Value = int | str
"""A number, or the name of a constant (ours or from the C headers)."""


@dataclass(frozen=True, slots=True)
class Pos:
    """Where a definition starts in its ``.x`` file."""

    file: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class Decl:
    """A declaration: ``type name``, ``type name[N]``, ``type name<N>``, ``type *name``.

    ``kind`` is ``plain``, ``fixed`` (``[size]``), ``var`` (``<size>``, size
    None when unbounded) or ``optional``.  ``string`` and ``opaque`` carry
    their length in ``size``; ``void`` declarations have ``type`` ``void``.
    """

    name: str
    type: str
    kind: Literal["plain", "fixed", "var", "optional", "void"]
    size: Value | None = None
    annotations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Const:
    name: str
    value: Value
    pos: Pos


@dataclass(frozen=True, slots=True)
class EnumMember:
    name: str
    value: Value
    annotations: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Enum:
    name: str
    members: tuple[EnumMember, ...]
    pos: Pos


@dataclass(frozen=True, slots=True)
class Struct:
    name: str
    fields: tuple[Decl, ...]
    pos: Pos
    annotations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Arm:
    """One union arm: the case values that select it and its declaration."""

    cases: tuple[Value, ...]
    decl: Decl


@dataclass(frozen=True, slots=True)
class Union:
    name: str
    discriminant: Decl
    arms: tuple[Arm, ...]
    default: Decl | None
    pos: Pos


@dataclass(frozen=True, slots=True)
class Typedef:
    name: str
    decl: Decl
    pos: Pos


Definition = Const | Enum | Struct | Union | Typedef


@dataclass(frozen=True, slots=True)
class Spec:
    """All definitions of one ``.x`` file, in source order."""

    file: str
    definitions: tuple[Definition, ...]


@dataclass(frozen=True, slots=True)
class ProcedureInfo:
    """A procedure linked to its argument and result types."""

    program: str
    number: int
    name: str
    args: str | None
    ret: str | None
    stream: Literal["read", "write"] | None
    stream_param: int | None
    sparseflag: str | None
    priority: Literal["high", "low"]
    generate: str | None
    acl: tuple[str, ...]
    aclfilter: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Program:
    """One ``.x`` file linked: resolved constants, types and procedures."""

    module: str
    spec: Spec
    constants: dict[str, int]
    program: int | None
    version: int | None
    procedure_enum: str | None
    procedures: tuple[ProcedureInfo, ...]
    imports: tuple[str, ...]
