"""Constants from libvirt's public C headers.

Stages: ``import_headers`` copies the definitions (macros with constant values and
``typedef enum`` blocks) out of libvirt's headers into ``protocol/include``;
``parse_headers`` reads either form into a ``HeaderModel`` with every value resolved;
``header_constants`` flattens it into a name -> int map for the ``.x`` compiler;
``render_constants`` writes the source of ``virtwire/constants_gen.py``.

Only a small subset of C is understood: comments, ``#define NAME value``,
``#ifdef VIR_ENUM_SENTINELS`` inside enums, and integer expressions made of
literals, names and the operators ``| ^ & << >> + - * / % ~ ( )``.
Enum members guarded by ``VIR_ENUM_SENTINELS`` (the ``*_LAST`` values) are kept in
the model but flagged, and left out of ``header_constants`` and the rendered module,
as a C program compiled without that macro would see them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CEnum",
    "CEnumMember",
    "HeaderError",
    "HeaderModel",
    "IntDefine",
    "StringDefine",
    "header_constants",
    "import_headers",
    "parse_headers",
    "render_constants",
]

LIBVIRT_VERSION = "11.3.0"


class HeaderError(Exception):
    """A header could not be understood (unresolvable enum value, duplicate name...)."""


@dataclass(frozen=True, slots=True)
class CEnumMember:
    """One enumerator: its name, resolved value and C expression (None if implicit)."""

    name: str
    value: int
    expr: str | None
    sentinel: bool = False


@dataclass(frozen=True, slots=True)
class CEnum:
    """A ``typedef enum { ... } name;`` block, members in source order."""

    name: str
    header: str
    members: tuple[CEnumMember, ...]
    is_flags: bool

    def values(self) -> dict[str, int]:
        """Non-sentinel members by name."""
        return {m.name: m.value for m in self.members if not m.sentinel}


@dataclass(frozen=True, slots=True)
class IntDefine:
    """``#define NAME <integer expression>``."""

    name: str
    value: int
    expr: str
    header: str


@dataclass(frozen=True, slots=True)
class StringDefine:
    """``#define NAME "literal"`` (typed-parameter field names and the like)."""

    name: str
    value: str
    header: str


@dataclass(frozen=True, slots=True)
class HeaderModel:
    """Everything constant in a set of headers; files sorted by name, items in source order."""

    enums: tuple[CEnum, ...]
    int_defines: tuple[IntDefine, ...]
    string_defines: tuple[StringDefine, ...]
    unresolved: tuple[str, ...] = ()  # constants referring to names defined elsewhere

    def enum(self, name: str) -> CEnum:
        """The enum with this typedef name."""
        for e in self.enums:
            if e.name == name:
                return e
        raise KeyError(name)


# --------------------------------------------------------------------------- lexing

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<num>0[xX][0-9a-fA-F]+|\d+)(?P<suffix>[uUlL]*)(?![\w.])"
    r"|(?P<name>[A-Za-z_]\w*)|(?P<op><<|>>|[-+*/%()|&^~]))"
)
_STRING_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_DEFINE_RE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(?P<name>[A-Za-z_]\w*)(?P<rest>.*)$", re.M)
_ENUM_RE = re.compile(r"\btypedef\s+enum\s*\w*\s*\{(?P<body>[^{}]*)\}\s*(?P<name>\w+)\s*;")
_DIRECTIVE_RE = re.compile(r"^[ \t]*#[ \t]*(?P<kw>\w+)(?P<rest>.*)$")
_MEMBER_RE = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*(?:=\s*(?P<expr>.+))?$", re.S)
_SENTINEL_MACRO = "VIR_ENUM_SENTINELS"


def _strip_comments(text: str) -> str:
    """Drop C comments (keeping newlines) and join continued lines."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise HeaderError("unterminated comment")
            out.append(" " + "\n" * text.count("\n", i, j))
            i = j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        else:
            out.append(c)
            i += 1
    return "".join(out).replace("\\\n", " ")


def _tokenize(text: str) -> list[str] | None:
    """Tokens of an integer expression, or None if the text is not one."""
    tokens: list[str] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            return None
        tokens.append(m.group(0).strip())
        pos = m.end()
    return tokens or None


def _int_literal(tok: str) -> int | None:
    m = re.fullmatch(r"(0[xX][0-9a-fA-F]+|\d+)[uUlL]*", tok)
    if m is None:
        return None
    digits = m.group(1)
    if digits[:2] in ("0x", "0X"):
        return int(digits, 16)
    if len(digits) > 1 and digits[0] == "0":
        return int(digits, 8)
    return int(digits)


def _is_name(tok: str) -> bool:
    return tok[0].isalpha() or tok[0] == "_"


def _render_expr(tokens: list[str], *, python: bool = False) -> str:
    """Tokens joined with C-like spacing; with ``python`` integer suffixes are dropped."""
    parts: list[str] = []
    prev: str | None = None
    prev_unary = False
    for tok in tokens:
        after_operand = prev is not None and (
            prev == ")" or _is_name(prev) or _int_literal(prev) is not None
        )
        unary = tok in ("-", "+", "~") and not after_operand
        tight = prev is None or prev == "(" or tok == ")" or prev_unary
        text = re.sub(r"[uUlL]+$", "", tok) if python and _int_literal(tok) is not None else tok
        parts.append(text if tight else " " + text)
        prev, prev_unary = tok, unary
    return "".join(parts)


class _Parser:
    """Recursive-descent evaluator for C integer constant expressions."""

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("|",),
        ("^",),
        ("&",),
        ("<<", ">>"),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def __init__(self, tokens: list[str], lookup: Callable[[str], int]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.lookup = lookup

    def parse(self) -> int:
        value = self._binary(0)
        if self.pos != len(self.tokens):
            raise HeaderError(f"trailing tokens in {' '.join(self.tokens)!r}")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _binary(self, level: int) -> int:
        if level == len(self._LEVELS):
            return self._unary()
        left = self._binary(level + 1)
        while (op := self._peek()) in self._LEVELS[level]:
            self.pos += 1
            right = self._binary(level + 1)
            left = _apply(op, left, right)
        return left

    def _unary(self) -> int:
        tok = self._peek()
        if tok is None:
            raise HeaderError(f"incomplete expression {' '.join(self.tokens)!r}")
        self.pos += 1
        if tok == "-":
            return -self._unary()
        if tok == "+":
            return self._unary()
        if tok == "~":
            return ~self._unary()
        if tok == "(":
            value = self._binary(0)
            if self._peek() != ")":
                raise HeaderError(f"unbalanced parentheses in {' '.join(self.tokens)!r}")
            self.pos += 1
            return value
        lit = _int_literal(tok)
        if lit is not None:
            return lit
        if _is_name(tok):
            return self.lookup(tok)
        raise HeaderError(f"unexpected {tok!r} in {' '.join(self.tokens)!r}")


def _apply(op: str | None, a: int, b: int) -> int:
    if op == "|":
        return a | b
    if op == "^":
        return a ^ b
    if op == "&":
        return a & b
    if op in ("<<", ">>"):
        if not 0 <= b < 128:
            raise HeaderError(f"shift count {b} out of range")
        return a << b if op == "<<" else a >> b
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise HeaderError("division by zero")
    quotient = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)  # C truncates
    return quotient if op == "/" else a - quotient * b


# --------------------------------------------------------------------------- raw items


@dataclass(frozen=True, slots=True)
class _RawMember:
    name: str
    tokens: list[str] | None  # None: implicit (previous + 1)
    sentinel: bool


@dataclass(frozen=True, slots=True)
class _RawEnum:
    name: str
    header: str
    members: tuple[_RawMember, ...]


@dataclass(frozen=True, slots=True)
class _RawDefine:
    name: str
    header: str
    tokens: list[str] | None  # integer expression tokens
    string: str | None  # the C literal, quotes included


_RawItem = _RawEnum | _RawDefine


def _dest_name(path: Path) -> str:
    return path.name[: -len(".in")] if path.name.endswith(".in") else path.name


def _header_files(include_dir: Path) -> list[Path]:
    files = [p for p in include_dir.iterdir() if p.name.endswith((".h", ".h.in")) and p.is_file()]
    return sorted(files, key=lambda p: (_dest_name(p), p.name))


def _parse_enum_body(body: str, enum_name: str) -> tuple[_RawMember, ...]:
    members: list[_RawMember] = []
    cond: list[bool] = []  # per open conditional: is it VIR_ENUM_SENTINELS?
    pending: list[str] = []
    pending_sentinel = False

    def flush() -> None:
        text = " ".join(pending).strip()
        pending.clear()
        if not text:
            return
        m = _MEMBER_RE.match(text)
        if m is None:
            raise HeaderError(f"cannot read member {text!r} of {enum_name}")
        expr = m.group("expr")
        tokens = None if expr is None else _tokenize(expr)
        if expr is not None and tokens is None:
            raise HeaderError(f"cannot read value {expr!r} of {m.group('name')}")
        members.append(_RawMember(m.group("name"), tokens, pending_sentinel))

    for line in body.split("\n"):
        d = _DIRECTIVE_RE.match(line)
        if d is not None:
            flush()
            kw, rest = d.group("kw"), d.group("rest").strip()
            if kw in ("if", "ifdef", "ifndef"):
                cond.append(kw == "ifdef" and rest == _SENTINEL_MACRO)
            elif kw == "endif" and cond:
                cond.pop()
            continue
        for i, part in enumerate(line.split(",")):
            if i > 0:
                flush()
            if part.strip() and not pending:
                pending_sentinel = any(cond)
            pending.append(part)
    flush()
    return tuple(members)


def _parse_file(path: Path) -> list[_RawItem]:
    text = _strip_comments(path.read_text(encoding="utf-8"))
    header = _dest_name(path)
    found: list[tuple[int, _RawItem]] = []
    enum_spans: list[tuple[int, int]] = []
    for m in _ENUM_RE.finditer(text):
        enum_spans.append(m.span())
        members = _parse_enum_body(m.group("body"), m.group("name"))
        found.append((m.start(), _RawEnum(m.group("name"), header, members)))
    for m in _DEFINE_RE.finditer(text):
        if any(a <= m.start() < b for a, b in enum_spans):
            continue
        rest = m.group("rest")
        if rest.startswith("("):  # function-like macro
            continue
        value = rest.strip()
        if not value:
            continue
        if _STRING_RE.fullmatch(value):
            found.append((m.start(), _RawDefine(m.group("name"), header, None, value)))
        else:
            tokens = _tokenize(value)
            if tokens is not None:
                found.append((m.start(), _RawDefine(m.group("name"), header, tokens, None)))
    found.sort(key=lambda t: t[0])
    return [item for _, item in found]


def _parse_dir(include_dir: Path) -> list[tuple[Path, list[_RawItem]]]:
    return [(p, _parse_file(p)) for p in _header_files(include_dir)]


# --------------------------------------------------------------------------- resolving


class _Unresolved(Exception):
    pass


class _Resolver:
    """Resolves every name to a value, following references across headers."""

    def __init__(self, items: list[_RawItem]) -> None:
        self.exprs: dict[str, list[str]] = {}
        self.explicit: dict[str, bool] = {}
        self.strings: dict[str, str] = {}
        self.defines: set[str] = set()
        self.ambiguous: set[str] = set()
        for item in items:
            if isinstance(item, _RawEnum):
                prev: str | None = None
                for mem in item.members:
                    if mem.tokens is not None:
                        tokens = mem.tokens
                    else:
                        tokens = ["0"] if prev is None else [prev, "+", "1"]
                    self._add(mem.name, tokens, mem.tokens is not None)
                    prev = mem.name
            elif item.name in self.defines:
                # Defined again (an #if/#else alternative): not a fixed fact, drop it.
                self.ambiguous.add(item.name)
                self.exprs.pop(item.name, None)
                self.strings.pop(item.name, None)
            elif item.string is not None:
                self._check_new(item.name)
                self.defines.add(item.name)
                self.strings[item.name] = item.string
            else:
                if item.tokens is not None and _is_constant_expr(item.tokens):
                    self._add(item.name, item.tokens, True)
                self.defines.add(item.name)
        self.values: dict[str, int] = {}
        self.shifts: dict[str, bool] = {}
        self.active: set[str] = set()

    def _check_new(self, name: str) -> None:
        if name in self.exprs or name in self.strings:
            raise HeaderError(f"{name} defined twice")

    def _add(self, name: str, tokens: list[str], explicit: bool) -> None:
        self._check_new(name)
        self.exprs[name] = tokens
        self.explicit[name] = explicit

    def value(self, name: str) -> int:
        if name in self.values:
            return self.values[name]
        if name not in self.exprs or name in self.active:
            raise _Unresolved(name)
        self.active.add(name)
        try:
            value = _Parser(self.exprs[name], self.value).parse()
        finally:
            self.active.discard(name)
        self.values[name] = value
        return value

    def try_value(self, name: str) -> int | None:
        try:
            return self.value(name)
        except _Unresolved:
            return None

    def shifted(self, name: str) -> bool:
        """True if the value is written as (or refers to) a ``<<`` shift."""
        if name in self.shifts:
            return self.shifts[name]
        self.shifts[name] = False  # guards cycles
        tokens = self.exprs.get(name, [])
        result = self.explicit.get(name, False) and (
            "<<" in tokens or any(_is_name(t) and self.shifted(t) for t in tokens)
        )
        self.shifts[name] = result
        return result

    def string(self, name: str) -> str | None:
        """The literal of a string define, following ``#define A B`` aliases."""
        if name in self.strings:
            return self.strings[name]
        tokens = self.exprs.get(name)
        if tokens is not None and len(tokens) == 1 and _is_name(tokens[0]):
            return self.string(tokens[0]) if tokens[0] != name else None
        return None


def _decode_c_string(literal: str) -> str:
    body = literal[1:-1]
    escapes = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), body)


def _is_flag_value(v: int) -> bool:
    return v == 0 or (v > 0 and v & (v - 1) == 0)


def _build_model(parsed: list[tuple[Path, list[_RawItem]]]) -> HeaderModel:
    items = [item for _, file_items in parsed for item in file_items]
    res = _Resolver(items)
    enums: list[CEnum] = []
    ints: list[IntDefine] = []
    strings: list[StringDefine] = []
    unresolved: list[str] = []
    for item in items:
        if isinstance(item, _RawEnum):
            members = []
            for mem in item.members:
                value = res.try_value(mem.name)
                if value is None:
                    unresolved.append(mem.name)
                    continue
                expr = None if mem.tokens is None else _render_expr(mem.tokens)
                members.append(CEnumMember(mem.name, value, expr, mem.sentinel))
            real = [m for m in members if not m.sentinel]
            is_flags = (
                bool(real)
                and all(_is_flag_value(m.value) for m in real)
                and any(res.shifted(m.name) for m in real)
            )
            enums.append(CEnum(item.name, item.header, tuple(members), is_flags))
            continue
        literal = res.string(item.name)
        if literal is not None:
            strings.append(StringDefine(item.name, _decode_c_string(literal), item.header))
            continue
        if item.tokens is None:
            continue
        value = res.try_value(item.name)
        if value is not None:
            ints.append(IntDefine(item.name, value, _render_expr(item.tokens), item.header))
        elif _is_constant_expr(item.tokens) and item.name not in res.ambiguous:
            unresolved.append(item.name)
    return HeaderModel(tuple(enums), tuple(ints), tuple(strings), tuple(unresolved))


def parse_headers(include_dir: Path) -> HeaderModel:
    """Read every ``*.h`` (and ``*.h.in``) in ``include_dir`` into a resolved model."""
    return _build_model(_parse_dir(include_dir))


def header_constants(include_dir: Path) -> dict[str, int]:
    """Every integer constant (enum members and integer macros) by name."""
    model = parse_headers(include_dir)
    out: dict[str, int] = {}
    for e in model.enums:
        out.update(e.values())
    for d in model.int_defines:
        out[d.name] = d.value
    return out


# --------------------------------------------------------------------------- importing

_CONSTANT_NAME_RE = re.compile(r"[A-Z][A-Z0-9_]*")


def _is_constant_expr(tokens: list[str]) -> bool:
    """True if the tokens form an expression whose names all look like C constants."""
    if not all(_CONSTANT_NAME_RE.fullmatch(t) for t in tokens if _is_name(t)):
        return False
    try:
        _Parser(tokens, lambda _name: 1).parse()
    except HeaderError:
        return False
    return True


def _enum_c_lines(e: _RawEnum) -> Iterator[str]:
    yield "typedef enum {"
    in_sentinels = False
    for m in e.members:
        if m.sentinel != in_sentinels:
            yield f"#{'ifdef ' + _SENTINEL_MACRO if m.sentinel else 'endif'}"
            in_sentinels = m.sentinel
        value = "" if m.tokens is None else f" = {_render_expr(m.tokens)}"
        yield f"    {m.name}{value}{'' if m.sentinel else ','}"
    if in_sentinels:
        yield "#endif"
    yield f"}} {e.name};"


def _after_enum(body: list[str], line: str) -> list[str]:
    """``line``, preceded by a blank line if it follows an enum block."""
    return ["", line] if body and body[-1].startswith("}") else [line]


def _imported_text(source_name: str, version: str, items: list[_RawItem]) -> str | None:
    """The imported form of one header, or None if it defines nothing."""
    seen: dict[str, int] = {}
    for item in items:
        if isinstance(item, _RawDefine):
            seen[item.name] = seen.get(item.name, 0) + 1
    body: list[str] = []
    for item in items:
        if isinstance(item, _RawEnum):
            body.append("")
            body.extend(_enum_c_lines(item))
        elif seen[item.name] > 1:
            continue  # platform alternatives (#if/#else): not a fixed value
        elif item.string is not None:
            body.extend(_after_enum(body, f"#define {item.name} {item.string}"))
        elif item.tokens is not None and _is_constant_expr(item.tokens):
            body.extend(_after_enum(body, f"#define {item.name} {_render_expr(item.tokens)}"))
    if not body:
        return None
    head = [
        f"/* Imported from libvirt {version} include/libvirt/{source_name}; definitions only.",
        " * Copyright Red Hat, Inc. and libvirt contributors; LGPL-2.1-or-later (see LICENSE).",
        " */",
    ]
    if body[0] != "":
        head.append("")
    return "\n".join(head + body) + "\n"


def import_headers(
    source_include_dir: Path, dest_dir: Path, *, version: str = LIBVIRT_VERSION
) -> None:
    """Write ``dest_dir/<name>.h`` with only the definitions of each source header.

    ``*.h.in`` templates are imported under their ``.h`` name; headers without any
    definition are skipped; other files in ``dest_dir`` are left alone.
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    for path, items in _parse_dir(source_include_dir):
        text = _imported_text(path.name, version, items)
        if text is None:
            continue
        target = dest_dir / _dest_name(path)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------- rendering

_MAX_LINE = 100
_GENERATED_HEADER = "Generated by `python -m codegen generate` from protocol/include — do not edit"


def _python_expr(expr: str | None, value: int) -> str:
    """The C expression as Python if it only has literals and safe operators, else the value."""
    if expr is None:
        return str(value)
    tokens = _tokenize(expr)
    if tokens is None or any(_is_name(t) or t in ("/", "%") for t in tokens):
        return str(value)
    for t in tokens:
        lit = _int_literal(t)
        if lit is not None and re.fullmatch(r"0\d+[uUlL]*", t):
            return str(value)  # C octal
    while tokens[0] == "(" and tokens[-1] == ")" and _balanced(tokens[1:-1]):
        tokens = tokens[1:-1]
    return _render_expr(tokens, python=True)


def _balanced(tokens: list[str]) -> bool:
    depth = 0
    for t in tokens:
        depth += (t == "(") - (t == ")")
        if depth < 0:
            return False
    return depth == 0


def _value_line(name: str, annotation: str, expr: str | None, value: int) -> str:
    py = _python_expr(expr, value)
    line = f"{name}{annotation} = {py}"
    if expr is not None and py == str(value) and expr != py:
        line += f"  # {expr}"
    return line


def _py_string(value: str) -> str:
    if value.isprintable() and value.isascii():
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


def _string_line(name: str, value: str) -> list[str]:
    line = f"{name}: Final[str] = {_py_string(value)}"
    if len(line) <= _MAX_LINE:
        return [line]
    return [f"{name}: Final[str] = (", f"    {_py_string(value)}", ")"]


def _class_lines(e: CEnum) -> list[str]:
    base = "IntFlag" if e.is_flags else "IntEnum"
    lines = [f"class {e.name}({base}):", f'    """C ``{e.name}`` ({e.header})."""', ""]
    for m in e.members:
        if not m.sentinel:
            lines.append("    " + _value_line(m.name, "", m.expr, m.value))
    return lines


def render_constants(include_dir: Path) -> str:
    """Source text of ``virtwire/constants_gen.py`` for the headers in ``include_dir``."""
    parsed = _parse_dir(include_dir)
    model = _build_model(parsed)
    enums = {e.name: e for e in model.enums if any(not m.sentinel for m in e.members)}
    ints = {d.name: d for d in model.int_defines}
    strs = {d.name: d for d in model.string_defines}
    bases = sorted({"IntFlag" if e.is_flags else "IntEnum" for e in enums.values()})

    # Top-level chunks: (is_class, lines); consecutive macros share one chunk.
    sections: list[list[tuple[bool, list[str]]]] = []
    for path, items in parsed:
        chunks: list[tuple[bool, list[str]]] = [(False, [f"# {_dest_name(path)}"])]
        for item in items:
            if item.name in enums and isinstance(item, _RawEnum):
                chunks.append((True, _class_lines(enums[item.name])))
                continue
            if item.name in ints:
                d = ints[item.name]
                lines = [_value_line(d.name, ": Final[int]", d.expr, d.value)]
            elif item.name in strs:
                lines = _string_line(item.name, strs[item.name].value)
            else:
                continue
            if chunks[-1][0] or len(chunks) == 1:
                chunks.append((False, lines))
            else:
                chunks[-1][1].extend(lines)
        if len(chunks) > 1:
            sections.append(chunks)

    out: list[str] = [
        f'"""{_GENERATED_HEADER}.',
        "",
        "Constants of libvirt's public C headers: one class per C enum, named as its",
        "typedef, and module-level names for the integer and string macros (typed-parameter",
        "field names among them). Enums of ``1 << n`` bits are ``IntFlag``s; the",
        "``*_LAST`` sentinels are left out.",
        '"""',
        "",
    ]
    if bases:
        out.append(f"from enum import {', '.join(bases)}")
    out.append("from typing import Final")
    first = True
    for chunks in sections:
        out += [""] if first and not chunks[1][0] else ["", ""]
        first = False
        out += chunks[0][1]
        for is_class, lines in chunks[1:]:
            out += ["", ""] if is_class or out[-1].startswith("    ") else [""]
            out += lines
    return "\n".join(out) + "\n"
