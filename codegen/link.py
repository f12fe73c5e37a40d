"""Link parsed specs: resolve names and values, pair procedures with types.

libvirt's naming rule: procedure ``REMOTE_PROC_FOO_BAR`` of enum
``remote_procedure`` takes ``remote_foo_bar_args`` (or, for events, the
``remote_foo_bar_msg`` it carries) and returns ``remote_foo_bar_ret``;
either may be absent (void).  The program number and version are the
constants ``REMOTE_PROGRAM`` and ``REMOTE_PROTOCOL_VERSION``.  The same
holds for the ``qemu``, ``lxc``, ``admin`` and ``keepalive`` programs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from codegen.errors import CodegenError
from codegen.ir import (
    BUILTINS,
    Const,
    Decl,
    Definition,
    Enum,
    Pos,
    ProcedureInfo,
    Program,
    Spec,
    Struct,
    Typedef,
    Union,
    Value,
)

MODULES: tuple[tuple[str, str], ...] = (
    ("virnet", "virnetprotocol.x"),
    ("keepalive", "virkeepaliveprotocol.x"),
    ("remote", "remote_protocol.x"),
    ("qemu", "qemu_protocol.x"),
    ("lxc", "lxc_protocol.x"),
    ("admin", "admin_protocol.x"),
)
"""Generated module stem and source file, in dependency order."""

TypeDef = Enum | Struct | Union | Typedef


@dataclass
class Namespace:
    """Every name visible while linking, and which module defines it."""

    external: dict[str, int]
    types: dict[str, tuple[str, TypeDef]] = field(default_factory=dict)
    values: dict[str, tuple[str, Value, Pos]] = field(default_factory=dict)
    resolved: dict[str, int] = field(default_factory=dict)

    def add(self, module: str, spec: Spec) -> None:
        for d in spec.definitions:
            if isinstance(d, Const):
                self._add_value(module, d.name, d.value, d.pos)
            else:
                if d.name in self.types:
                    raise _err(d.pos, f"type {d.name!r} defined twice")
                self.types[d.name] = (module, d)
                if isinstance(d, Enum):
                    for m in d.members:
                        self._add_value(module, m.name, m.value, d.pos)

    def _add_value(self, module: str, name: str, value: Value, pos: Pos) -> None:
        if name in self.values:
            raise _err(pos, f"constant {name!r} defined twice")
        self.values[name] = (module, value, pos)

    def value(self, v: Value, pos: Pos, seen: tuple[str, ...] = ()) -> int:
        """Resolve a number or constant name to an int."""
        if isinstance(v, int):
            return v
        if v in self.resolved:
            return self.resolved[v]
        if v in seen:
            raise _err(pos, f"constant {v!r} is defined in terms of itself")
        if v in self.values:
            _, raw, where = self.values[v]
            result = self.value(raw, where, seen + (v,))
        elif v in self.external:
            result = self.external[v]
        else:
            raise _err(pos, f"unknown constant {v!r}")
        self.resolved[v] = result
        return result

    def type(self, name: str, pos: Pos) -> tuple[str, TypeDef]:
        if name not in self.types:
            raise _err(pos, f"unknown type {name!r}")
        return self.types[name]


def _err(pos: Pos, message: str) -> CodegenError:
    return CodegenError(message, pos.file, pos.line, pos.column)


def _check_decl(ns: Namespace, decl: Decl, pos: Pos, module: str, imports: set[str]) -> None:
    if decl.kind == "void":
        return
    if decl.size is not None:
        if ns.value(decl.size, pos) < 0:
            raise _err(pos, f"negative size for {decl.name!r}")
    if decl.type in BUILTINS:
        return
    owner, _ = ns.type(decl.type, pos)
    if owner != module:
        imports.add(owner)


def link(specs: list[tuple[str, Spec]], external: dict[str, int]) -> list[Program]:
    """Link ``(module, spec)`` pairs given in dependency order."""
    ns = Namespace(dict(external))
    for module, spec in specs:
        ns.add(module, spec)
    programs = []
    for module, spec in specs:
        imports: set[str] = set()
        constants: dict[str, int] = {}
        for d in spec.definitions:
            _link_definition(ns, module, d, imports, constants)
        enum = next(
            (d for d in spec.definitions if isinstance(d, Enum) and d.name.endswith("_procedure")),
            None,
        )
        program = version = None
        procedures: tuple[ProcedureInfo, ...] = ()
        if enum is not None:
            prefix = enum.name[: -len("_procedure")]
            program = _const(ns, f"{prefix.upper()}_PROGRAM", enum.pos)
            version = _const(ns, f"{prefix.upper()}_PROTOCOL_VERSION", enum.pos)
            procedures = tuple(
                _procedure(ns, module, prefix, enum, i, imports) for i in range(len(enum.members))
            )
        programs.append(
            Program(
                module=module,
                spec=spec,
                constants=constants,
                program=program,
                version=version,
                procedure_enum=enum.name if enum else None,
                procedures=procedures,
                imports=tuple(m for m, _ in specs if m in imports),
            )
        )
    return programs


def _const(ns: Namespace, name: str, pos: Pos) -> int:
    if name not in ns.values:
        raise _err(pos, f"procedure enum needs constant {name!r}")
    return ns.value(name, pos)


def _link_definition(
    ns: Namespace, module: str, d: Definition, imports: set[str], constants: dict[str, int]
) -> None:
    if isinstance(d, Const):
        constants[d.name] = ns.value(d.name, d.pos)
    elif isinstance(d, Enum):
        values = set()
        for m in d.members:
            v = ns.value(m.name, d.pos)
            if v in values:
                raise _err(d.pos, f"enum {d.name!r} repeats value {v}")
            if not -(2**31) <= v < 2**31:
                raise _err(d.pos, f"enum value {m.name} = {v} does not fit in int")
            values.add(v)
    elif isinstance(d, Struct):
        names = set()
        for f in d.fields:
            if f.name in names:
                raise _err(d.pos, f"struct {d.name!r} repeats field {f.name!r}")
            names.add(f.name)
            _check_decl(ns, f, d.pos, module, imports)
    elif isinstance(d, Union):
        _check_decl(ns, d.discriminant, d.pos, module, imports)
        seen: set[int] = set()
        for arm in d.arms:
            for case in arm.cases:
                v = ns.value(case, d.pos)
                if v in seen:
                    raise _err(d.pos, f"union {d.name!r} repeats case {v}")
                seen.add(v)
            _check_decl(ns, arm.decl, d.pos, module, imports)
        if d.default is not None:
            _check_decl(ns, d.default, d.pos, module, imports)
    elif isinstance(d, Typedef):
        _check_decl(ns, d.decl, d.pos, module, imports)


def _procedure(
    ns: Namespace, module: str, prefix: str, enum: Enum, index: int, imports: set[str]
) -> ProcedureInfo:
    member = enum.members[index]
    head = f"{prefix.upper()}_PROC_"
    if not member.name.startswith(head):
        raise _err(enum.pos, f"procedure {member.name!r} does not start with {head!r}")
    stem = f"{prefix}_{member.name[len(head) :].lower()}"

    def find(name: str) -> str | None:
        if name in ns.types:
            owner, d = ns.types[name]
            if not isinstance(d, Struct):
                raise _err(d.pos, f"{name!r} must be a struct")
            if owner != module:
                imports.add(owner)
            return name
        return None

    args = find(stem + "_args")
    msg = find(stem + "_msg")
    if args is not None and msg is not None:
        raise _err(enum.pos, f"{member.name} has both _args and _msg types")
    ann: dict[str, list[str]] = {}
    for key, value in member.annotations:
        ann.setdefault(key, []).append(value)
    stream: str | None = None
    stream_param = None
    for key in ("readstream", "writestream"):
        if key in ann:
            if stream is not None:
                raise _err(enum.pos, f"{member.name} has two stream annotations")
            stream = key[: -len("stream")]
            try:
                stream_param = int(ann[key][0])
            except ValueError:
                raise _err(enum.pos, f"{member.name}: @{key} needs a number") from None
    priority = ann.get("priority", ["low"])[0]
    if priority not in ("high", "low"):
        raise _err(enum.pos, f"{member.name}: unknown priority {priority!r}")
    return ProcedureInfo(
        program=module,
        number=ns.value(member.name, enum.pos),
        name=member.name,
        args=args if args is not None else msg,
        ret=find(stem + "_ret"),
        stream="read" if stream == "read" else "write" if stream == "write" else None,
        stream_param=stream_param,
        sparseflag=ann.get("sparseflag", [None])[0],
        priority="high" if priority == "high" else "low",
        generate=ann.get("generate", [None])[0],
        acl=tuple(a for a in ann.get("acl", []) if a != "none"),
        aclfilter=tuple(ann.get("aclfilter", [])),
    )
