"""Render a linked program as a Python module of classes and codecs.

Every struct, union, typedef and enum ``T`` gets ``pack_T(out, v)`` and
``unpack_T(buf, pos)``.  Codecs are straight-line: consecutive fixed-size
fields share one precompiled ``struct`` call, typedefs are expanded in
place, and the only bookkeeping is a ``where`` string that names the
field being coded, read by the error helpers only when something fails.
Arrays of structs make their elements in one call and expand the element
decoder in place: a string and the fixed fields after it are one ``StringRun``
call, each element reads the next one's length word ahead, and any failure
sends the array to ``redecode_items``, which decodes it again with the element
type's own decoder and names the field at fault.  Typed parameters there take
their name and type from a cache (``KEY_CACHED``), and are encoded with their
name's wire bytes from another.
"""

from __future__ import annotations

import keyword
import re

from codegen.errors import CodegenError
from codegen.ir import Const, Enum, Program, Struct, Typedef, Union
from codegen.link import Namespace
from codegen.shapes import RANGES, Array, Chars, Opaque, Opt, Prim, Ref, Shape, Shaper, Str, Void

_RESERVED = frozenset(
    {"buf", "pos", "out", "v", "where", "e", "self", "other", "value", "len", "str", "bytes"}
    | {"list", "range", "int", "bool", "float", "None", "type", "cls", "end", "result", "new"}
)
_RUNTIME = (
    "BOOLS",
    "DECODE_ERRORS",
    "ENCODE_ERRORS",
    "KeyCache",
    "NameCache",
    "PAD",
    "StringRun",
    "WORD_FALSE",
    "WORD_TRUE",
    "bad_bool",
    "bad_discriminant",
    "bad_enum",
    "bad_padding",
    "bad_range",
    "chars_to_bytes",
    "f32_from",
    "f32_pack",
    "f64_from",
    "f64_pack",
    "fail",
    "fail_item",
    "fail_pack",
    "fail_pack_item",
    "fail_pack_items",
    "fault",
    "i32_from",
    "i32_pack",
    "i64_from",
    "i64_pack",
    "instances",
    "load_key",
    "new",
    "pack",
    "pack_signed_chars",
    "redecode_items",
    "store_name",
    "too_long",
    "truncated",
    "u32_from",
    "u32_pack",
    "u64_from",
    "u64_pack",
    "unpack_from",
)
KEY_CACHED = ("remote_typed_param", "admin_typed_param")
"""Structs whose name and discriminant array decoders look up by their wire bytes.

A typed parameter is a string ``field`` and a union ``value`` switched on
``int type``.  Replies repeat the same few names in every record
(``state.state``, ``cpu.time``, ``block.0.rd.bytes`` for each domain of
``get_all_domain_stats``), so in arrays the bytes from the name's length word
through the discriminant are looked up in a ``KeyCache`` (see
``virtwire.xdr.runtime``), the module's ``<STRUCT>_KEYS``, sparing the name's
checks and UTF-8 decoding and the discriminant's read; on a miss ``load_key``
decodes them, checking the discriminant against ``<STRUCT>_CASES``.  Array
encoders likewise append the name's wire bytes from ``<STRUCT>_NAMES`` (a
``NameCache``), filled by ``store_name``.  The standalone ``unpack_<struct>`` and
``pack_<struct>`` stay uncached: they are the references that ``redecode_items``
and ``fail_pack_items`` use to report errors.
"""

_SINGLE_FROM = {"i": "i32_from", "I": "u32_from", "q": "i64_from", "Q": "u64_from"}
_SINGLE_FROM |= {"f": "f32_from", "d": "f64_from"}
_SINGLE_PACK = {k: v.replace("_from", "_pack") for k, v in _SINGLE_FROM.items()}


def attr_name(field: str) -> str:
    """The Python attribute for an ``.x`` field name (keywords get a trailing ``_``)."""
    return field + "_" if keyword.iskeyword(field) else field


_CALLS_DECODER = re.compile(r"(?<![\w.])(?:unpack_\w+|redecode_items)\(")
"""A call of another decoder, which must not copy a ``memoryview`` again."""

_TEMP = re.compile(r"^(?:a|b|c|d|f|i|k|n|p|r|s|u|x|start|_i)\d+$")
"""Names of the temporaries ``_Body.tmp`` makes; fields must not shadow them."""


def _local(field: str) -> str:
    name = attr_name(field)
    return name + "_" if name in _RESERVED or _TEMP.match(name) else name


class _Body:
    """Lines of one function, with fresh temporary names."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0

    def tmp(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def add(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)


class ModuleRenderer:
    """Render one linked ``Program`` to Python source."""

    def __init__(self, program: Program, ns: Namespace, source: str) -> None:
        self.program = program
        self.ns = ns
        self.shaper = Shaper(ns)
        self.source = source
        self.module = program.module
        self.structs: set[str] = set()  # formats of the precompiled structs
        # (run format, reads the word after, size, string limit) of each StringRun
        self.string_runs: set[tuple[str, bool, int, int | None]] = set()
        self._tail = 0  # fewest bytes after the field being decoded, in its struct
        self._follow_always = False  # the array being decoded has a word after it
        self.used_runtime: set[str] = set()
        self.imported: dict[str, set[str]] = {}

    # -- names -------------------------------------------------------------

    def _rt(self, name: str) -> str:
        assert name in _RUNTIME, name
        self.used_runtime.add(name)
        return name

    def _ref(self, name: str, module: str) -> str:
        if module != self.module:
            self.imported.setdefault(module, set()).add(name)
        return name

    def _run_struct(self, fmt: str, mode: str) -> str:
        name = f"_{mode}_{fmt}"
        self.structs.add(fmt)
        return name

    def _enum_map(self, enum: str) -> str:
        module, _ = self.ns.types[enum]
        self._ref(enum, module)
        if module != self.module:
            self._ref(f"{enum.upper()}_VALUES", module)
        return f"{enum.upper()}_VALUES"

    # -- python types ------------------------------------------------------

    def annotation(self, shape: Shape) -> str:
        if isinstance(shape, Prim):
            if shape.kind == "enum" and shape.enum is not None:
                module, _ = self.ns.types[shape.enum]
                return self._ref(shape.enum, module)
            if shape.kind == "bool":
                return "bool"
            if shape.kind in ("float", "double"):
                return "float"
            return "int"
        if isinstance(shape, Str):
            return "str"
        if isinstance(shape, Opaque | Chars):
            return "bytes"
        if isinstance(shape, Array):
            return f"list[{self.annotation(shape.elem)}]"
        if isinstance(shape, Opt):
            return f"{self.annotation(shape.elem)} | None"
        if isinstance(shape, Ref):
            return self._ref(shape.name, shape.module)
        return "None"

    # -- decoding ----------------------------------------------------------

    def _check_prim(self, b: _Body, d: int, shape: Prim, raw: str, at: str, target: str) -> None:
        """Validate a decoded scalar held in ``raw`` and store it in ``target``."""
        if shape.kind == "bool":
            b.add(d, f"if {raw} > 1:")
            b.add(d + 1, f"raise {self._rt('bad_bool')}({raw}, {at})")
            b.add(d, f"{target} = {raw} == 1")
        elif shape.kind == "enum" and shape.enum is not None:
            table = self._enum_map(shape.enum)
            b.add(d, f"{target} = {table}.get({raw})")
            b.add(d, f"if {target} is None:")
            b.add(d + 1, f'raise {self._rt("bad_enum")}("{shape.enum}", {raw}, {at})')
        elif shape.kind in RANGES:
            lo, hi = RANGES[shape.kind]
            cond = f"{raw} > {hi}" if lo == 0 else f"not {lo} <= {raw} <= {hi}"
            b.add(d, f"if {cond}:")
            b.add(
                d + 1,
                f"raise {self._rt('bad_range')}({raw}, {shape.kind!r}, {at})".replace("'", '"'),
            )
            if raw != target:
                b.add(d, f"{target} = {raw}")
        elif raw != target:
            b.add(d, f"{target} = {raw}")

    def _needs_check(self, shape: Prim) -> bool:
        return shape.kind == "bool" or shape.kind == "enum" or shape.kind in RANGES

    def decode(
        self,
        b: _Body,
        d: int,
        shape: Shape,
        target: str,
        declare: bool,
        inline: int = 0,
        lead: str | None = None,
        follow: str | None = None,
        made: bool = False,
    ) -> None:
        """Emit statements decoding ``shape`` at ``pos`` into local ``target``.

        ``inline`` > 0 expands struct and union references in place (that many
        levels deep) instead of calling their decoders; the caller then owns
        error reporting (``redecode_items`` decodes again slowly to find the path).

        Array loops pass the length word between elements: ``lead`` names a
        local already holding the first word of this value (see ``_leads``),
        and the last fixed-size read of the value also reads the next word
        into ``follow`` when the buffer has it (see ``_follows``).  With
        ``made``, ``target`` already holds an instance of the struct or union
        expanded in place (see ``_decode_array``), and only its slots are set.
        """
        inlined = isinstance(shape, Ref) and inline > 0
        assert lead is None or inlined or isinstance(shape, Str | Opaque), shape
        assert follow is None or inlined, shape
        assert not made or inlined, shape
        if declare and isinstance(shape, Opt):
            b.add(d, f"{target}: {self.annotation(shape)}")
        if isinstance(shape, Prim):
            raw = b.tmp("r") if self._needs_check(shape) else target
            b.add(d, f"({raw},) = {self._rt(_SINGLE_FROM[shape.fmt])}(buf, pos)")
            if self._needs_check(shape):
                self._check_prim(b, d, shape, raw, "pos", target)
            b.add(d, f"pos += {shape.size}")
        elif isinstance(shape, Str | Opaque) and not (isinstance(shape, Opaque) and shape.fixed):
            start = b.tmp("s")
            if lead is None:
                n = b.tmp("n")
                b.add(d, f"({n},) = {self._rt('u32_from')}(buf, pos)")
            else:
                n = lead
            self._check_length(b, d, shape, n)
            b.add(d, f"{start} = pos + 4")
            b.add(d, f"pos = {start} + (({n} + 3) & -4)")
            b.add(d, "if pos > len(buf):")
            b.add(d + 1, f"raise {self._rt('truncated')}({start})")
            b.add(d, f"if {n} & 3 and buf[{start} + {n} : pos] != {self._rt('PAD')}[{n} & 3]:")
            b.add(d + 1, f"raise {self._rt('bad_padding')}({start} + {n})")
            if isinstance(shape, Str):
                self._decode_utf8(b, d, target, f"buf[{start} : {start} + {n}]")
            else:
                b.add(d, f"{target} = buf[{start} : {start} + {n}]")
        elif isinstance(shape, Opaque):
            size = shape.size or 0
            padded = (size + 3) & ~3
            b.add(d, f"if pos + {padded} > len(buf):")
            b.add(d + 1, f"raise {self._rt('truncated')}(pos)")
            if padded != size:
                b.add(d, f"if buf[pos + {size} : pos + {padded}] != {self._rt('PAD')}[{size & 3}]:")
                b.add(d + 1, f"raise {self._rt('bad_padding')}(pos + {size})")
            b.add(d, f"{target} = buf[pos : pos + {size}]")
            b.add(d, f"pos += {padded}")
        elif isinstance(shape, Chars):
            if shape.fixed:
                size = shape.size or 0
                fmt = f"{size}i"
                run = self._run_struct(fmt, "unpack")
                b.add(d, f"{target} = {self._rt('chars_to_bytes')}({run}(buf, pos), pos)")
                b.add(d, f"pos += {4 * size}")
            else:
                n = b.tmp("n")
                self._count(b, d, n, shape.size, shape.size_name, 4)
                b.add(d, f"{target} = {self._rt('chars_to_bytes')}(")
                b.add(d + 1, f'{self._rt("unpack_from")}(f">{{{n}}}i", buf, pos), pos')
                b.add(d, ")")
                b.add(d, f"pos += 4 * {n}")
        elif isinstance(shape, Array):
            self._decode_array(b, d, shape, target)
        elif isinstance(shape, Opt):
            flag = b.tmp("p")
            b.add(d, f"({flag},) = {self._rt('u32_from')}(buf, pos)")
            b.add(d, "pos += 4")
            b.add(d, f"if {flag} == 1:")
            self.decode(b, d + 1, shape.elem, target, False)
            b.add(d, f"elif {flag}:")
            b.add(d + 1, f"raise {self._rt('bad_bool')}({flag}, pos - 4)")
            b.add(d, "else:")
            b.add(d + 1, f"{target} = None")
        elif isinstance(shape, Ref):
            _, definition = self.ns.types[shape.name]
            if inline > 0 and shape.name in KEY_CACHED:
                self._keyed_decode(b, d, shape, target, lead, follow, made)
            elif inline > 0 and isinstance(definition, Struct):
                fields = self._fields(definition)
                # An instance made beforehand takes scalars, strings and opaques straight
                # into its slots; anything built in several steps goes through a local.
                direct = [made and isinstance(sh, Prim | Str | Opaque) for _, sh in fields]
                names = [
                    f"{target}.{attr}" if ok else b.tmp("a")
                    for (attr, _), ok in zip(fields, direct, strict=True)
                ]
                self._fields_decode(
                    b, d, fields, names, quiet=True, inline=inline - 1, lead=lead, follow=follow
                )
                cls = self._ref(shape.name, shape.module)
                rest = [
                    (a, n) for (a, _), n, ok in zip(fields, names, direct, strict=True) if not ok
                ]
                self._construct(b, d, target, cls, [a for a, _ in rest], [n for _, n in rest], made)
            elif inline > 0 and isinstance(definition, Union):
                self._union_decode(
                    b, d, definition, shape.module, target, quiet=True, follow=follow, made=made
                )
            else:
                fn = self._ref(f"unpack_{shape.name}", shape.module)
                b.add(d, f"{target}, pos = {fn}(buf, pos)")
        elif isinstance(shape, Void):
            b.add(d, f"{target} = None")

    def _check_length(self, b: _Body, d: int, shape: Str | Opaque, n: str) -> None:
        """Check the length word in ``n`` of a string or variable opaque against its maximum."""
        limit = shape.max if isinstance(shape, Str) else shape.size
        label = shape.max_name if isinstance(shape, Str) else shape.size_name
        if limit is not None:
            note = f"  # {label}" if label else ""
            b.add(d, f"if {n} > {limit}:{note}")
            b.add(d + 1, f"raise {self._rt('too_long')}({n}, {limit}, pos)")

    def _keyed_parts(self, name: str) -> tuple[str, Str, str, Ref, Union]:
        """The name field and the value field of a ``KEY_CACHED`` struct, checked."""
        _, s = self.ns.types[name]
        fields = self._fields(s) if isinstance(s, Struct) else []
        field, field_shape = fields[0] if len(fields) == 2 else ("", Void())
        value, value_shape = fields[1] if len(fields) == 2 else ("", Void())
        if isinstance(field_shape, Str) and isinstance(value_shape, Ref):
            _, u = self.ns.types[value_shape.name]
            disc = self.shaper.shape(u.discriminant, u.pos) if isinstance(u, Union) else Void()
            if isinstance(u, Union) and u.default is None and disc == Prim("int"):
                return field, field_shape, value, value_shape, u
        raise CodegenError(
            f"{name!r} is not a string then a union on an int, as KEY_CACHED structs must be",
            s.pos.file,
            s.pos.line,
            s.pos.column,
        )

    def _keyed_decode(
        self,
        b: _Body,
        d: int,
        shape: Ref,
        target: str,
        lead: str | None,
        follow: str | None,
        made: bool,
    ) -> None:
        """Decode a ``KEY_CACHED`` struct in place, its key looked up in the module's cache."""
        field, field_shape, value, value_shape, u = self._keyed_parts(shape.name)
        keys = self._ref(f"{shape.name.upper()}_KEYS", shape.module)
        n = lead
        if n is None:
            n = b.tmp("n")
            b.add(d, f"({n},) = {self._rt('u32_from')}(buf, pos)")
        self._check_length(b, d, field_shape, n)
        cases = self._ref(f"{shape.name.upper()}_CASES", shape.module)
        stop, cached, name, disc = b.tmp("k"), b.tmp("c"), b.tmp("a"), b.tmp("d")
        kind = attr_name(u.discriminant.name)
        b.add(d, f"# {field} and {value}.{kind} from the cache, keyed by their wire bytes")
        b.add(d, f"{stop} = pos + 8 + (({n} + 3) & -4)")
        b.add(d, f"{cached} = {keys}.get(buf[pos:{stop}])")
        b.add(d, f"if {cached} is None:")
        head = f"{cached} = {self._rt('load_key')}"
        for line in self._wrap_call(head, [keys, cases, "buf", "pos"], "", 0, 12 + 4 * d):
            b.add(d + 1, line)
        b.add(d, f"({name}, {disc}) = {cached}")
        b.add(d, f"pos = {stop}")
        item = b.tmp("a")
        self._union_decode(b, d, u, value_shape.module, item, quiet=True, follow=follow, disc=disc)
        cls = self._ref(shape.name, shape.module)
        self._construct(b, d, target, cls, [field, value], [name, item], made)

    def _decode_utf8(self, b: _Body, d: int, target: str, data: str) -> None:
        """Decode ``data`` as UTF-8 keeping every byte: strict first, as that is faster."""
        b.add(d, "try:")
        b.add(d + 1, f"{target} = {data}.decode()")
        b.add(d, "except UnicodeDecodeError:")
        b.add(d + 1, f'{target} = {data}.decode("utf-8", "surrogateescape")')

    def _construct(
        self,
        b: _Body,
        d: int,
        target: str,
        cls: str,
        attrs: list[str],
        values: list[str],
        made: bool = False,
    ) -> None:
        """Make ``cls`` without calling ``__init__`` (cheaper), unless ``made``; fill its slots."""
        if not made:
            b.add(d, f"{target} = {self._rt('new')}({cls})")
        for attr, value in zip(attrs, values, strict=True):
            b.add(d, f"{target}.{attr} = {value}")

    def _leads(self, shape: Shape, inline: int) -> bool:
        """Whether decoding ``shape`` starts by reading a length word."""
        if isinstance(shape, Str):
            return True
        if isinstance(shape, Opaque):
            return not shape.fixed
        if isinstance(shape, Ref) and inline > 0:
            _, definition = self.ns.types[shape.name]
            if isinstance(definition, Struct):
                fields = self._fields(definition)
                groups = self._runs(fields)
                i, j = groups[0] if groups else (0, 0)
                return j - i == 1 and self._leads(fields[i][1], inline - 1)
        return False

    def _follows(self, shape: Shape, inline: int) -> bool:
        """Whether decoding ``shape`` can end with a fixed-size read (or one per union arm)."""
        if self._runnable(shape):
            return True
        if isinstance(shape, Ref) and inline > 0:
            _, definition = self.ns.types[shape.name]
            if isinstance(definition, Struct):
                fields = self._fields(definition)
                groups = self._runs(fields)
                if not groups:
                    return False
                i, j = groups[-1]
                return j - i >= 2 or self._follows(fields[i][1], inline - 1)
            if isinstance(definition, Union):
                _, _, arms, default, _ = self._union_parts(definition)
                shapes = [sh for _, _, sh in arms] + ([default[1]] if default else [])
                return any(isinstance(sh, Prim) for sh in shapes)
        return False

    def _peek(self, b: _Body, d: int, follow: str) -> None:
        """Read the word after the value into ``follow`` when there is one."""
        if self._follow_always:
            b.add(d, f"({follow},) = {self._rt('u32_from')}(buf, pos)")
            return
        b.add(d, "if pos + 4 <= len(buf):")
        b.add(d + 1, f"({follow},) = {self._rt('u32_from')}(buf, pos)")

    def _count(
        self, b: _Body, d: int, n: str, limit: int | None, label: str | None, elem_min: int
    ) -> None:
        """Read an element count into ``n``; check its maximum and the bytes left."""
        b.add(d, f"({n},) = {self._rt('u32_from')}(buf, pos)")
        if limit is not None:
            note = f"  # {label}" if label else ""
            b.add(d, f"if {n} > {limit}:{note}")
            b.add(d + 1, f"raise {self._rt('too_long')}({n}, {limit}, pos)")
        b.add(d, "pos += 4")
        if elem_min:
            scaled = n if elem_min == 1 else f"{n} * {elem_min}"
            b.add(d, f"if {scaled} > len(buf) - pos:")
            b.add(d + 1, f"raise {self._rt('truncated')}(pos)")

    def _decode_array(self, b: _Body, d: int, shape: Array, target: str) -> None:
        elem = shape.elem
        if shape.fixed:
            n = str(shape.size or 0)
        else:
            n = b.tmp("n")
            self._count(b, d, n, shape.size, shape.size_name, self.shaper.min_size(elem))
        if isinstance(elem, Prim):
            if shape.fixed:
                run = self._run_struct(f"{n}{elem.fmt}", "unpack")
                b.add(d, f"{target} = list({run}(buf, pos))")
            else:
                fmt = f'f">{{{n}}}{elem.fmt}"'
                b.add(d, f"{target} = list({self._rt('unpack_from')}({fmt}, buf, pos))")
            if self._needs_check(elem):
                k, raw = b.tmp("k"), b.tmp("r")
                b.add(d, f"for {k}, {raw} in enumerate({target}):")
                item = b.tmp("x")
                self._check_prim(b, d + 1, elem, raw, f"pos + {k} * {elem.size}", item)
                b.add(d + 1, f"{target}[{k}] = {item}")
            size = f"{n} * {elem.size}" if not shape.fixed else str(int(n) * elem.size)
            b.add(d, f"pos += {size}")
            return
        # Valid input has 4 bytes after this array: its elements read the word after them
        # without checking that the buffer has it (see ``_fields_decode``).
        always, self._tail = self._tail >= 4, 0
        item = b.tmp("x")
        first = b.tmp("start")
        if isinstance(elem, Ref):
            # Elements are structs or unions expanded in place: make them all
            # at once (cheaper than one by one), then fill each one's slots.
            b.add(d, f"{first} = pos")
            cls = self._ref(elem.name, elem.module)
            b.add(d, f"{target} = {self._rt('instances')}({cls}, {n})")
        else:
            b.add(d, f"{target} = []")
        b.add(d, "try:")
        lead = None
        if self._leads(elem, 2) and self._follows(elem, 2):
            # Each element reads the next one's length word along with its
            # own last fixed-size fields: one struct call less per element.
            lead = b.tmp("n")
            b.add(d + 1, f"{lead} = {self._rt('u32_from')}(buf, pos)[0] if {n} else 0")
        if isinstance(elem, Ref):
            b.add(d + 1, f"for {item} in {target}:")
            outer, self._follow_always = self._follow_always, always
            self.decode(b, d + 2, elem, item, True, inline=2, lead=lead, follow=lead, made=True)
            self._follow_always = outer
        else:
            b.add(d + 1, f"for _ in range({n}):")
            self.decode(b, d + 2, elem, item, True, inline=2, lead=lead, follow=lead)
            b.add(d + 2, f"{target}.append({item})")
        if isinstance(elem, Ref):
            # The loop only detects bad input; the slow pass names what is wrong.
            b.add(d, f"except {self._rt('DECODE_ERRORS')}:")
            fn = self._ref(f"unpack_{elem.name}", elem.module)
            head = f"{target}, pos = {self._rt('redecode_items')}"
            for line in self._wrap_call(head, [fn, "buf", first, n], "", 0, 12 + 4 * d):
                b.add(d + 1, line)
        else:
            b.add(d, f"except {self._rt('DECODE_ERRORS')} as e:")
            b.add(d + 1, f"raise {self._rt('fail_item')}(e, len({target}), pos) from None")

    # -- encoding ----------------------------------------------------------

    def _pack_check(self, b: _Body, d: int, shape: Prim, expr: str) -> str:
        """Emit checks for a scalar about to be packed; return the expression to pack."""
        if shape.kind == "bool":
            return f"{self._rt('BOOLS')}[{expr}]"
        if shape.kind == "enum" and shape.enum is not None:
            table = self._enum_map(shape.enum)
            b.add(d, f"if {expr} not in {table}:")
            b.add(d + 1, f'raise {self._rt("fault")}(f"not a {shape.enum} value: {{{expr}!r}}")')
        elif shape.kind in RANGES:
            lo, hi = RANGES[shape.kind]
            b.add(d, f"if not {lo} <= {expr} <= {hi}:")
            b.add(
                d + 1, f'raise {self._rt("fault")}(f"{shape.kind} value {{{expr}!r}} out of range")'
            )
        return expr

    def _fold(self, head: tuple[str, str] | None, fmt: str, value: str) -> str:
        """The call packing ``value`` as ``fmt``, preceded by the word in ``head``."""
        if head is None:
            return f"{self._rt(_SINGLE_PACK[fmt])}({value})"
        return f"{self._run_struct(head[0] + fmt, 'pack')}({head[1]}, {value})"

    def encode(
        self,
        b: _Body,
        d: int,
        shape: Shape,
        expr: str,
        inline: int = 0,
        head: tuple[str, str] | None = None,
    ) -> None:
        """Emit statements appending the encoding of local ``expr`` to ``out``.

        ``head`` is a ``(format, expression)`` word to pack first, in the same
        struct call as a scalar or a length word (a union's discriminant).
        """
        if head is not None and not (
            (isinstance(shape, Prim) and shape.kind != "bool")
            or isinstance(shape, Str)
            or (isinstance(shape, Opaque) and not shape.fixed)
        ):
            b.add(d, f"out += {self._rt(_SINGLE_PACK[head[0]])}({head[1]})")
            head = None
        if isinstance(shape, Prim):
            if shape.kind == "bool":
                b.add(d, f"out += WORD_TRUE if {self._rt('BOOLS')}[{expr}] else WORD_FALSE")
                self._rt("WORD_TRUE")
                self._rt("WORD_FALSE")
                return
            value = self._pack_check(b, d, shape, expr)
            b.add(d, f"out += {self._fold(head, shape.fmt, value)}")
        elif isinstance(shape, Str | Opaque) and not (isinstance(shape, Opaque) and shape.fixed):
            data, n = b.tmp("b"), b.tmp("n")
            if isinstance(shape, Str):
                # Strict UTF-8 is faster and fails only on lone surrogates.
                b.add(d, "try:")
                b.add(d + 1, f"{data} = {expr}.encode()")
                b.add(d, "except UnicodeEncodeError:")
                b.add(d + 1, f'{data} = {expr}.encode("utf-8", "surrogateescape")')
                limit, label = shape.max, shape.max_name
            else:
                b.add(d, f"{data} = {expr}")
                limit, label = shape.size, shape.size_name
            b.add(d, f"{n} = len({data})")
            if limit is not None:
                note = f"  # {label}" if label else ""
                b.add(d, f"if {n} > {limit}:{note}")
                b.add(
                    d + 1, f'raise {self._rt("fault")}(f"length {{{n}}} exceeds maximum {limit}")'
                )
            b.add(d, f"out += {self._fold(head, 'I', n)}")
            b.add(d, f"out += {data}")
            b.add(d, f"if {n} & 3:")
            b.add(d + 1, f"out += {self._rt('PAD')}[{n} & 3]")
        elif isinstance(shape, Opaque):
            size = shape.size or 0
            b.add(d, f"if len({expr}) != {size}:")
            b.add(d + 1, f'raise {self._rt("fault")}(f"need {size} bytes, got {{len({expr})}}")')
            b.add(d, f"out += {expr}")
            if size & 3:
                b.add(d, f"out += {self._rt('PAD')}[{size & 3}]")
        elif isinstance(shape, Chars):
            n = b.tmp("n")
            b.add(d, f"{n} = len({expr})")
            if shape.fixed:
                b.add(d, f"if {n} != {shape.size}:")
                b.add(d + 1, f'raise {self._rt("fault")}(f"need {shape.size} bytes, got {{{n}}}")')
            else:
                if shape.size is not None:
                    b.add(d, f"if {n} > {shape.size}:")
                    message = f'f"length {{{n}}} exceeds maximum {shape.size}"'
                    b.add(d + 1, f"raise {self._rt('fault')}({message})")
                b.add(d, f"out += {self._rt('u32_pack')}({n})")
            signed = f"{self._rt('pack_signed_chars')}({expr})"
            b.add(d, f'out += {self._rt("pack")}(f">{{{n}}}i", *{signed})')
        elif isinstance(shape, Array):
            self._encode_array(b, d, shape, expr)
        elif isinstance(shape, Opt):
            b.add(d, f"if {expr} is None:")
            b.add(d + 1, f"out += {self._rt('WORD_FALSE')}")
            b.add(d, "else:")
            b.add(d + 1, f"out += {self._rt('WORD_TRUE')}")
            self.encode(b, d + 1, shape.elem, expr)
        elif isinstance(shape, Ref):
            _, definition = self.ns.types[shape.name]
            if inline > 0 and shape.name in KEY_CACHED:
                self._keyed_encode(b, d, shape, expr, inline)
            elif inline > 0 and isinstance(definition, Struct):
                self._fields_encode(b, d, self._fields(definition), expr, True, inline - 1)
            elif inline > 0 and isinstance(definition, Union):
                self._union_encode(b, d, definition, expr, quiet=True)
            else:
                fn = self._ref(f"pack_{shape.name}", shape.module)
                b.add(d, f"{fn}(out, {expr})")

    def _keyed_encode(self, b: _Body, d: int, shape: Ref, expr: str, inline: int) -> None:
        """Encode a ``KEY_CACHED`` struct in place, its name's wire bytes from the cache."""
        field, field_shape, value, value_shape, _ = self._keyed_parts(shape.name)
        names = self._ref(f"{shape.name.upper()}_NAMES", shape.module)
        name, wire = b.tmp("f"), b.tmp("k")
        b.add(d, f"{name} = {expr}.{field}")
        b.add(d, f"{wire} = {names}.get({name})")
        b.add(d, f"if {wire} is None:")
        store = f"{self._rt('store_name')}({names}, {name}, {field_shape.max})"
        b.add(d + 1, f"{wire} = {store}")
        b.add(d, f"out += {wire}")
        item = b.tmp("f")
        b.add(d, f"{item} = {expr}.{value}")
        self.encode(b, d, value_shape, item, inline - 1)

    def _encode_array(self, b: _Body, d: int, shape: Array, expr: str) -> None:
        elem = shape.elem
        n = b.tmp("n")
        b.add(d, f"if not isinstance({expr}, list | tuple):")
        message = f'f"expected a list, got {{type({expr}).__name__}}"'
        b.add(d + 1, f"raise {self._rt('fault')}({message})")
        b.add(d, f"{n} = len({expr})")
        if shape.fixed:
            b.add(d, f"if {n} != {shape.size}:")
            b.add(d + 1, f'raise {self._rt("fault")}(f"need {shape.size} elements, got {{{n}}}")')
        else:
            if shape.size is not None:
                note = f"  # {shape.size_name}" if shape.size_name else ""
                b.add(d, f"if {n} > {shape.size}:{note}")
                b.add(
                    d + 1,
                    f'raise {self._rt("fault")}(f"length {{{n}}} exceeds maximum {shape.size}")',
                )
            b.add(d, f"out += {self._rt('u32_pack')}({n})")
        if isinstance(elem, Prim):
            items = expr
            if elem.kind == "bool":
                items = f"[{self._rt('BOOLS')}[x] for x in {expr}]"
            elif self._needs_check(elem):
                x = b.tmp("x")
                b.add(d, f"for {x} in {expr}:")
                self._pack_check(b, d + 1, elem, x)
            b.add(d, f'out += {self._rt("pack")}(f">{{{n}}}{elem.fmt}", *{items})')
            return
        x = b.tmp("x")
        if isinstance(elem, Ref):
            b.add(d, "try:")
            b.add(d + 1, f"for {x} in {expr}:")
            self.encode(b, d + 2, elem, x, inline=2)
            fn = self._ref(f"pack_{elem.name}", elem.module)
            b.add(d, f"except {self._rt('ENCODE_ERRORS')} as e:")
            args = ["e", fn, expr]
            head = f"raise {self._rt('fail_pack_items')}"
            for line in self._wrap_call(head, args, " from None", 0, 12 + 4 * d):
                b.add(d + 1, line)
        else:
            i = "_" + b.tmp("i")
            b.add(d, f"{i} = 0")
            b.add(d, "try:")
            b.add(d + 1, f"for {i}, {x} in enumerate({expr}):")
            self.encode(b, d + 2, elem, x)
            b.add(d, f"except {self._rt('ENCODE_ERRORS')} as e:")
            b.add(d + 1, f"raise {self._rt('fail_pack_item')}(e, {i}) from None")

    # -- definitions -------------------------------------------------------

    def _signature(self, name: str, params: str, ret: str) -> list[str]:
        one = f"def {name}({params}) -> {ret}:"
        if len(one) <= 100:
            return [one]
        return [f"def {name}(", f"    {params}", f") -> {ret}:"]

    def _assign_marker(self, b: _Body, d: int, marker: str) -> None:
        """Emit ``where = "<marker>"``, split over lines when long."""
        if len(marker) + 8 + 4 * (d + 2) <= 100:
            b.add(d, f'where = "{marker}"')
            return
        chunks = [""]
        for part in marker.split(","):
            piece = part if not chunks[-1] else "," + part
            if len(chunks[-1]) + len(piece) > 60:
                chunks.append(piece)
            else:
                chunks[-1] += piece
        b.add(d, "where = (")
        for chunk in chunks:
            b.add(d + 1, f'"{chunk}"')
        b.add(d, ")")

    def _decoder(self, name: str, py_type: str, body: _Body, result: str) -> list[str]:
        lines = self._signature(
            f"unpack_{name}", "buf: bytes | memoryview, pos: int", f"tuple[{py_type}, int]"
        )
        lines.append('    where = ""')
        text = body.lines
        if any("buf[" in line or _CALLS_DECODER.search(line) for line in text):
            lines.append("    if type(buf) is not bytes:")
            lines.append("        buf = bytes(buf)")
        uses = sum(line.count("len(buf)") for line in text)
        if uses > 1 or (uses and any(" in range(" in line for line in text)):
            lines.append("    end = len(buf)")
            text = [line.replace("len(buf)", "end") for line in text]
        lines.append("    try:")
        lines.extend("        " + line for line in text)
        lines.append(f"    except {self._rt('DECODE_ERRORS')} as e:")
        lines.extend(
            self._wrap_call(
                f"raise {self._rt('fail')}", [f'e, "{name}", where, buf, pos'], " from None", 2
            )
        )
        lines.append(f"    return {result}, pos")
        return lines

    def _encoder(self, name: str, py_type: str, body: _Body) -> list[str]:
        lines = self._signature(f"pack_{name}", f"out: bytearray, v: {py_type}", "None")
        lines.append('    where = ""')
        lines.append("    try:")
        lines.extend("        " + line for line in body.lines)
        lines.append(f"    except {self._rt('ENCODE_ERRORS')} as e:")
        lines.extend(
            self._wrap_call(
                f"raise {self._rt('fail_pack')}", [f'e, "{name}", where, v'], " from None", 2
            )
        )
        return lines

    def _wrap_call(
        self, head: str, args: list[str], tail: str, depth: int, extra: int = 0
    ) -> list[str]:
        """One line if it fits in 100 columns (``extra`` = indentation added later)."""
        indent = "    " * depth
        one = f"{indent}{head}({', '.join(args)}){tail}"
        if len(one) + extra <= 100:
            return [one]
        return [f"{indent}{head}("] + [f"{indent}    {a}," for a in args] + [f"{indent}){tail}"]

    def render_struct(self, s: Struct) -> list[str]:
        fields = [(f, self.shaper.shape(f, s.pos)) for f in s.fields]
        attrs = [attr_name(f.name) for f, _ in fields]
        anns = [self.annotation(sh) for _, sh in fields]
        out: list[str] = []
        if s.annotations:
            out.append(f"# {' '.join(s.annotations)}")
        out.append(f"class {s.name}(XDRStruct):")
        slots = ", ".join(f'"{a}"' for a in attrs) + ("," if len(attrs) == 1 else "")
        out.extend(
            self._wrap_call("__slots__ = ", [f'"{a}"' for a in attrs], "", 1)
            if len(f"    __slots__ = ({slots})") > 100
            else [f"    __slots__ = ({slots})"]
        )
        out.append("")
        params = [f"{a}: {t}" for a, t in zip(attrs, anns, strict=True)]
        out.extend(self._wrap_call("def __init__", ["self"] + params, " -> None:", 1))
        for (f, _), a in zip(fields, attrs, strict=True):
            note = f"  # {' '.join(f.annotations)}" if f.annotations else ""
            out.append(f"        self.{a} = {a}{note}")
        out.append("")
        out.append("")

        dec = _Body()
        locals_ = [_local(f.name) for f, _ in fields]
        self._fields_decode(
            dec,
            0,
            [(a, sh) for a, (_, sh) in zip(attrs, fields, strict=True)],
            locals_,
            quiet=False,
        )
        self._construct(dec, 0, "result", s.name, attrs, locals_)
        out.extend(self._decoder(s.name, s.name, dec, "result"))
        out.append("")
        out.append("")
        enc = _Body()
        self._fields_encode(enc, 0, self._fields(s), "v", quiet=False)
        out.extend(self._encoder(s.name, s.name, enc))
        if s.name in KEY_CACHED:
            out.extend(self._key_cache(s))
        return out

    def _key_cache(self, s: Struct) -> list[str]:
        """The ``KeyCache`` of a ``KEY_CACHED`` struct and the discriminants it may hold."""
        field, _, value, _, u = self._keyed_parts(s.name)
        _, _, arms, _, _ = self._union_parts(u)
        cases = ", ".join(str(c) for c in sorted({c for cs, _, _ in arms for c in cs}))
        kind = attr_name(u.discriminant.name)
        return [
            "",
            "",
            f"# {field} and {value}.{kind} of the {s.name} values decoded in arrays, keyed by",
            f"# their wire bytes (see load_key), and the {value}.{kind} cases they may hold.",
            f"{s.name.upper()}_KEYS: Final[{self._rt('KeyCache')}] = {{}}",
            f"{s.name.upper()}_CASES: Final = frozenset({{{cases}}})",
            f"# The wire bytes of the {field} of {s.name} values encoded in arrays, by {field}.",
            f"{s.name.upper()}_NAMES: Final[{self._rt('NameCache')}] = {{}}",
        ]

    def _fields(self, s: Struct) -> list[tuple[str, Shape]]:
        return [(attr_name(f.name), self.shaper.shape(f, s.pos)) for f in s.fields]

    def _runnable(self, shape: Shape) -> bool:
        if isinstance(shape, Prim):
            return True
        return (
            isinstance(shape, Opaque)
            and shape.fixed
            and bool(shape.size)
            and (shape.size or 0) % 4 == 0
        )

    def _runs(self, fields: list[tuple[str, Shape]]) -> list[tuple[int, int]]:
        """Split fields into ``(start, end)`` groups; groups of 2+ form merged runs."""
        groups = []
        i = 0
        while i < len(fields):
            j = i
            while j < len(fields) and self._runnable(fields[j][1]):
                j += 1
            if j - i >= 2:
                groups.append((i, j))
                i = j
            else:
                groups.append((i, i + 1))
                i += 1
        return groups

    def _fields_decode(
        self,
        b: _Body,
        d: int,
        fields: list[tuple[str, Shape]],
        names: list[str],
        quiet: bool,
        inline: int = 0,
        lead: str | None = None,
        follow: str | None = None,
    ) -> None:
        groups = self._runs(fields)
        assert lead is None or groups[0][1] == 1, "a lead word is read by the first field alone"
        if quiet and lead is not None and self._string_run(fields, groups):
            # In an array: the string and the fixed fields after it in one struct call.
            j = groups[1][1]
            last = follow if len(groups) == 2 else None
            self._decode_string_run(b, d, fields[:j], names[:j], lead, last)
            groups = groups[2:]
        for i, j in groups:
            last = follow if (i, j) == groups[-1] else None
            if j - i >= 2 or (last and self._runnable(fields[i][1])):
                self._decode_run(b, d, fields[i:j], names[i:j], quiet, last)
                continue
            attr, sh = fields[i]
            if not quiet:
                b.add(d, f'where = "{attr}"')
            first = lead if i == 0 else None
            self._tail = sum(self.shaper.min_size(after) for _, after in fields[i + 1 :])
            self.decode(b, d, sh, names[i], True, inline, lead=first, follow=last)
            self._tail = 0

    def _fields_encode(
        self,
        b: _Body,
        d: int,
        fields: list[tuple[str, Shape]],
        obj: str,
        quiet: bool,
        inline: int = 0,
    ) -> None:
        for i, j in self._runs(fields):
            if j - i >= 2:
                self._encode_run(b, d, fields[i:j], obj, quiet)
                continue
            attr, sh = fields[i]
            if not quiet:
                b.add(d, f'where = "{attr}"')
            if isinstance(sh, Ref) and not inline:
                self.encode(b, d, sh, f"{obj}.{attr}")
            else:
                local = b.tmp("f")
                b.add(d, f"{local} = {obj}.{attr}")
                self.encode(b, d, sh, local, inline)

    @staticmethod
    def _item_fmt(shape: Shape) -> tuple[str, int]:
        if isinstance(shape, Prim):
            return shape.fmt, shape.size
        assert isinstance(shape, Opaque) and shape.size is not None
        return f"{shape.size}s", shape.size

    def _decode_run(
        self,
        b: _Body,
        d: int,
        run: list[tuple[str, Shape]],
        names: list[str],
        quiet: bool,
        follow: str | None = None,
    ) -> None:
        fmt, places, off = self._run_layout(run)
        offsets = [(attr, o) for (attr, _), o in zip(run, places, strict=True)]
        if not quiet:
            marker = ",".join(f"{n}@{o}" for n, o in offsets) + f",@{off}"
            self._assign_marker(b, d, marker)
        checked, raws = self._raw_targets(b, run, names)
        if follow is None:
            self._unpack_into(b, d, raws, fmt)
        elif self._follow_always:
            self._unpack_into(b, d, raws + [follow], fmt + "I")
        else:
            b.add(d, f"if pos + {off + 4} <= len(buf):")
            self._unpack_into(b, d + 1, raws + [follow], fmt + "I")
            b.add(d, "else:")
            self._unpack_into(b, d + 1, raws, fmt)
        for (attr, o), (_, sh), raw, n, c in zip(offsets, run, raws, names, checked, strict=True):
            if c and isinstance(sh, Prim):
                if not quiet:
                    b.add(d, f'where = "{attr}"')
                self._check_prim(b, d, sh, raw, f"pos + {o}", n)
        b.add(d, f"pos += {off}")

    def _run_layout(self, run: list[tuple[str, Shape]]) -> tuple[str, list[int], int]:
        """A run of fixed-size fields: its ``struct`` format, each field's offset, its size."""
        fmt, offsets, off = "", [], 0
        for _, sh in run:
            f, size = self._item_fmt(sh)
            fmt += f
            offsets.append(off)
            off += size
        return fmt, offsets, off

    def _raw_targets(
        self, b: _Body, run: list[tuple[str, Shape]], names: list[str]
    ) -> tuple[list[bool], list[str]]:
        """Which fields of a run need a check, and where each is unpacked: its own name, or
        a temporary that the check reads first."""
        checked = [isinstance(sh, Prim) and self._needs_check(sh) for _, sh in run]
        return checked, [b.tmp("r") if c else n for c, n in zip(checked, names, strict=True)]

    def _unpack_into(
        self, b: _Body, d: int, targets: list[str], fmt: str, fn: str | None = None
    ) -> None:
        """Unpack ``fmt`` at ``pos`` into ``targets``, with ``fn`` or the run's own struct."""
        if fn is None and len(targets) == 1 and fmt in _SINGLE_FROM:
            b.add(d, f"({targets[0]},) = {self._rt(_SINGLE_FROM[fmt])}(buf, pos)")
            return
        fn = fn or self._run_struct(fmt, "unpack")
        text = ", ".join(targets) + ("," if len(targets) == 1 else "")
        if len(f"({text}) = {fn}(buf, pos)") + 8 + 4 * d <= 100:
            b.add(d, f"({text}) = {fn}(buf, pos)")
            return
        for line in self._wrap_call("", targets, f" = {fn}(buf, pos)", 0, 8 + 4 * d):
            b.add(d, line)

    def _string_run(self, fields: list[tuple[str, Shape]], groups: list[tuple[int, int]]) -> bool:
        """Whether the fields open with a string (or variable opaque) then fixed fields."""
        if len(groups) < 2 or groups[0] != (0, 1):
            return False
        first = fields[0][1]
        if not (isinstance(first, Str) or (isinstance(first, Opaque) and not first.fixed)):
            return False
        i, j = groups[1]
        return all(self._runnable(sh) for _, sh in fields[i:j])

    def _decode_string_run(
        self,
        b: _Body,
        d: int,
        fields: list[tuple[str, Shape]],
        names: list[str],
        n: str,
        follow: str | None,
    ) -> None:
        """Decode a string whose length word is in ``n`` and the fixed fields after it with
        one call of a ``StringRun``; only inside arrays, whose ``redecode_items`` finds the
        field at fault, as the call reports a string cut short like any truncation."""
        shape = fields[0][1]
        assert isinstance(shape, Str | Opaque)
        limit = shape.max if isinstance(shape, Str) else shape.size
        run = fields[1:]
        fmt, offsets, off = self._run_layout(run)
        unpack, step, zeros = b.tmp("f"), b.tmp("k"), b.tmp("z")
        entry = self._string_run_entry(fmt, follow is not None, off, limit, n)
        b.add(d, f"({unpack}, {step}, {zeros}) = {entry}")
        padding = f"buf[pos + 4 + {n} : pos + {step} - {off}]"
        b.add(d, f"if {zeros} and {padding} != {zeros}:")
        b.add(d + 1, f"raise {self._rt('bad_padding')}(pos + 4 + {n})")
        checked, raws = self._raw_targets(b, run, names[1:])
        data = b.tmp("b") if isinstance(shape, Str) else names[0]
        if follow is None:
            self._unpack_into(b, d, [data] + raws, fmt, unpack)
        elif self._follow_always:
            self._unpack_into(b, d, [data] + raws + [follow], fmt, unpack)
        else:
            b.add(d, f"if pos + {step} + 4 <= len(buf):")
            self._unpack_into(b, d + 1, [data] + raws + [follow], fmt, unpack)
            b.add(d, "else:  # the array ends the buffer: no word after it")
            last = f"{self._string_run_entry(fmt, False, off, limit, n)}[0]"
            self._unpack_into(b, d + 1, [data] + raws, fmt, last)
        if isinstance(shape, Str):
            self._decode_utf8(b, d, names[0], data)
        for o, (_, sh), raw, nm, c in zip(offsets, run, raws, names[1:], checked, strict=True):
            if c and isinstance(sh, Prim):
                self._check_prim(b, d, sh, raw, f"pos + {step} - {off - o}", nm)
        b.add(d, f"pos += {step}")

    def _string_run_entry(
        self, fmt: str, ahead: bool, size: int, limit: int | None, n: str
    ) -> str:
        """The entry for length ``n`` of the ``StringRun`` of the run ``fmt`` (``size``
        bytes), reading the word after it if ``ahead``, for strings up to ``limit``."""
        self._rt("StringRun")
        self.string_runs.add((fmt, ahead, size, limit))
        return f"{_string_run_name(fmt, ahead, limit)}[{n}]"

    def _encode_run(
        self, b: _Body, d: int, run: list[tuple[str, Shape]], obj: str, quiet: bool
    ) -> None:
        fmt = ""
        values = []
        for attr, sh in run:
            f, size = self._item_fmt(sh)
            fmt += f
            expr = f"{obj}.{attr}"
            if isinstance(sh, Prim) and self._needs_check(sh):
                if not quiet:
                    b.add(d, f'where = "{attr}"')
                expr = self._pack_check(b, d, sh, expr)
            elif isinstance(sh, Opaque):
                if not quiet:
                    b.add(d, f'where = "{attr}"')
                b.add(d, f"if len({expr}) != {size}:")
                b.add(
                    d + 1, f'raise {self._rt("fault")}(f"need {size} bytes, got {{len({expr})}}")'
                )
            values.append(expr)
        if not quiet:
            marker = ",".join(f"{a}@{self._item_fmt(sh)[0]}" for a, sh in run)
            self._assign_marker(b, d, marker)
        fn = self._run_struct(fmt, "pack")
        for line in self._wrap_call(f"out += {fn}", values, "", 0, 8 + 4 * d):
            b.add(d, line)

    def _union_parts(
        self, u: Union
    ) -> tuple[str, Prim, list[tuple[tuple[int, ...], str, Shape]], tuple[str, Shape] | None, str]:
        disc_shape = self.shaper.shape(u.discriminant, u.pos)
        if not isinstance(disc_shape, Prim):
            raise CodegenError(
                f"union {u.name!r} needs a scalar discriminant",
                u.pos.file,
                u.pos.line,
                u.pos.column,
            )
        disc = attr_name(u.discriminant.name)
        arms = [
            (
                tuple(self.ns.value(c, u.pos) for c in a.cases),
                attr_name(a.decl.name) if a.decl.name else disc,
                self.shaper.shape(a.decl, u.pos),
            )
            for a in u.arms
        ]
        default = None
        if u.default is not None:
            name = attr_name(u.default.name) if u.default.name else disc
            default = (name, self.shaper.shape(u.default, u.pos))
        arm_types: list[str] = []
        for sh in [a[2] for a in arms] + ([default[1]] if default else []):
            t = self.annotation(sh)
            if t not in arm_types:
                arm_types.append(t)
        return disc, disc_shape, arms, default, " | ".join(arm_types)

    def _union_decode(
        self,
        b: _Body,
        d: int,
        u: Union,
        module: str,
        target: str,
        quiet: bool,
        follow: str | None = None,
        disc: str | None = None,
        made: bool = False,
    ) -> None:
        """Decode union ``u`` into ``target``; ``disc`` names a local already holding its
        discriminant, read (and ``pos`` moved past it) by the caller."""
        name, disc_shape, arms, default, value_type = self._union_parts(u)
        dv = b.tmp("d") if disc is None else disc
        val = b.tmp("u")
        if disc is None:
            if not quiet:
                b.add(d, f'where = "{name}"')
            self.decode(b, d, disc_shape, dv, True)
        b.add(d, f"{val}: {value_type}")
        word = "if"
        for cases, arm, sh in arms:
            b.add(d, f"{word} {' or '.join(f'{dv} == {c}' for c in cases)}:")
            if not quiet:
                b.add(d + 1, f'where = "{arm}"')
            self._arm_decode(b, d + 1, sh, val, follow)
            word = "elif"
        b.add(d, "else:")
        if default is not None:
            if not quiet:
                b.add(d + 1, f'where = "{default[0]}"')
            self._arm_decode(b, d + 1, default[1], val, follow)
        else:
            b.add(d + 1, f"raise {self._rt('bad_discriminant')}({dv}, pos - 4)")
        cls = self._ref(u.name, module)
        self._construct(b, d, target, cls, [name, "value"], [dv, val], made)

    def _arm_decode(self, b: _Body, d: int, shape: Shape, target: str, follow: str | None) -> None:
        if follow is None:
            self.decode(b, d, shape, target, False)
        elif isinstance(shape, Prim):
            self._decode_run(b, d, [("", shape)], [target], True, follow)
        else:
            self.decode(b, d, shape, target, False)
            self._peek(b, d, follow)

    def _union_encode(self, b: _Body, d: int, u: Union, expr: str, quiet: bool) -> None:
        disc, disc_shape, arms, default, _ = self._union_parts(u)
        dv, val = b.tmp("d"), b.tmp("u")
        if not quiet:
            b.add(d, f'where = "{disc}"')
        b.add(d, f"{dv} = {expr}.{disc}")
        # Each arm packs the discriminant (one of its case values, so it
        # cannot fail) with its own first word; the default arm packs it alone.
        head: tuple[str, str] | None = None
        if disc_shape.kind == "bool":
            self.encode(b, d, disc_shape, dv)
        else:
            head = (disc_shape.fmt, self._pack_check(b, d, disc_shape, dv))
        b.add(d, f"{val}: Any = {expr}.value")
        word = "if"
        for cases, arm, sh in arms:
            b.add(d, f"{word} {' or '.join(f'{dv} == {c}' for c in cases)}:")
            if not quiet:
                b.add(d + 1, f'where = "{arm}"')
            if isinstance(sh, Void):
                b.add(d + 1, self._lone(head))
            else:
                self.encode(b, d + 1, sh, val, head=head)
            word = "elif"
        b.add(d, "else:")
        if default is not None and head is not None:
            if not quiet:
                b.add(d + 1, f'where = "{disc}"')
            b.add(d + 1, self._lone(head))
        if default is not None and not isinstance(default[1], Void):
            if not quiet:
                b.add(d + 1, f'where = "{default[0]}"')
            self.encode(b, d + 1, default[1], val)
        elif default is not None and head is None:
            b.add(d + 1, "pass")
        else:
            b.add(d + 1, f'raise {self._rt("fault")}(f"unknown union discriminant {{{dv}!r}}")')

    def _lone(self, head: tuple[str, str] | None) -> str:
        """Pack a folded discriminant by itself (void and default arms)."""
        return f"out += {self._rt(_SINGLE_PACK[head[0]])}({head[1]})" if head else "pass"

    def render_union(self, u: Union) -> list[str]:
        disc, disc_shape, _, _, value_type = self._union_parts(u)
        disc_type = self.annotation(disc_shape)
        out = [f"class {u.name}(XDRStruct):", f'    __slots__ = ("{disc}", "value")', ""]
        params = ["self", f"{disc}: {disc_type}", f"value: {value_type}"]
        out.extend(self._wrap_call("def __init__", params, " -> None:", 1))
        out.append(f"        self.{disc} = {disc}")
        out.append("        self.value = value")
        out.append("")
        out.append("")
        dec = _Body()
        self._union_decode(dec, 0, u, self.module, "x", quiet=False)
        out.extend(self._decoder(u.name, u.name, dec, "x"))
        out.append("")
        out.append("")
        enc = _Body()
        self._union_encode(enc, 0, u, "v", quiet=False)
        out.extend(self._encoder(u.name, u.name, enc))
        return out

    def render_typedef(self, t: Typedef) -> list[str]:
        shape = self.shaper.shape(t.decl, t.pos)
        py_type = self.annotation(shape)
        out = [
            f"{t.name} = {py_type}"
            if "|" not in py_type and "[" not in py_type
            else f"{t.name}: TypeAlias = {py_type}"
        ]
        out.append("")
        out.append("")
        dec = _Body()
        self.decode(dec, 0, shape, "x", True)
        out.extend(self._decoder(t.name, t.name, dec, "x"))
        out.append("")
        out.append("")
        enc = _Body()
        self.encode(enc, 0, shape, "v")
        out.extend(self._encoder(t.name, t.name, enc))
        return out

    def render_enum(self, e: Enum) -> list[str]:
        out = [f"class {e.name}(IntEnum):"]
        for m in e.members:
            out.append(f"    {m.name} = {self.ns.value(m.name, e.pos)}")
        out.append("")
        out.append("")
        table = f"{e.name.upper()}_VALUES"
        line = f"{table}: Final[dict[int, {e.name}]] = {{int(m): m for m in {e.name}}}"
        if len(line) > 100:
            line = f"{table}: Final[dict[int, {e.name}]] = {{\n    int(m): m for m in {e.name}\n}}"
        out.append(line)
        out.append("")
        out.append("")
        dec = _Body()
        self.decode(dec, 0, Prim("enum", e.name), "x", True)
        out.extend(self._decoder(e.name, e.name, dec, "x"))
        out.append("")
        out.append("")
        enc = _Body()
        self.encode(enc, 0, Prim("enum", e.name), "v")
        out.extend(self._encoder(e.name, e.name, enc))
        return out

    # -- procedures ----------------------------------------------------------

    def render_procedures(self) -> list[str]:
        p = self.program
        if p.procedure_enum is None:
            return []
        prog = f"{p.procedure_enum[: -len('_procedure')].upper()}"
        out = ["PROCEDURES: Final[dict[int, Procedure]] = {"]
        for proc in p.procedures:
            if proc.generate is not None:
                out.append(f"    # @generate: {proc.generate}")
            for rule in proc.aclfilter:
                out.append(f"    # @aclfilter: {rule}")
            args = [
                f"{prog}_PROGRAM",
                f"{prog}_PROTOCOL_VERSION",
                str(proc.number),
                f'"{proc.name}"',
            ]
            args.append(self._proc_type(proc.args))
            args.append(self._proc_type(proc.ret))
            for name in (proc.args, proc.ret):
                args.append(self._proc_fn("pack", name))
                args.append(self._proc_fn("unpack", name))
            args.append(f'"{proc.stream}"' if proc.stream else "None")
            args.append(f'"{proc.sparseflag}"' if proc.sparseflag else "None")
            args.append(f'"{proc.priority}"')
            acl = "".join(f'"{a}", ' for a in proc.acl).rstrip(" ")
            acl = f"({acl})" if len(proc.acl) != 1 else f"({acl})"
            if len(acl) > 84:
                items = "".join(f'            "{a}",\n' for a in proc.acl)
                acl = "(\n" + items + "        )"
            elif len(proc.acl) > 1:
                acl = acl[:-2] + ")"
            args.append(acl)
            lines = self._wrap_call("Procedure", args, ",", 1)
            lines[0] = f"    {proc.number}: " + lines[0].lstrip()
            out.extend(lines)
        out.append("}")
        return out

    def _proc_type(self, name: str | None) -> str:
        if name is None:
            return "None"
        module, _ = self.ns.types[name]
        return self._ref(name, module)

    def _proc_fn(self, mode: str, name: str | None) -> str:
        if name is None:
            return "None"
        module, _ = self.ns.types[name]
        return self._ref(f"{mode}_{name}", module)

    # -- module --------------------------------------------------------------

    def render(self) -> str:
        body: list[str] = []
        p = self.program
        has_enum = False
        for d in p.spec.definitions:
            if isinstance(d, Const):
                body.append(f"{d.name}: Final = {p.constants[d.name]}")
                continue
            body.append("")
            body.append("")
            if isinstance(d, Struct):
                body.extend(self.render_struct(d))
            elif isinstance(d, Union):
                body.extend(self.render_union(d))
            elif isinstance(d, Typedef):
                body.extend(self.render_typedef(d))
            elif isinstance(d, Enum):
                has_enum = True
                body.extend(self.render_enum(d))
            body.append("")
            body.append("")
        procs = self.render_procedures()
        if procs:
            body.append("")
            body.append("")
            body.extend(procs)

        head = [
            f'"""Generated by `python -m codegen generate` from protocol/{self.source}'
            ' — do not edit."""',
            "",
            "from __future__ import annotations",
            "",
        ]
        std = []
        if self.structs:
            std.append("import struct")
        if has_enum:
            std.append("from enum import IntEnum")
        typing_names = ["Final"]
        if any(": Any = " in line for line in body):
            typing_names.append("Any")
        if any("TypeAlias" in line for line in body):
            typing_names.append("TypeAlias")
        std.append(f"from typing import {', '.join(sorted(typing_names))}")
        head.extend(std)
        head.append("")
        imports: dict[str, list[str]] = {}
        if procs:
            imports["virtwire.protocol._procedure"] = ["Procedure"]
        if any(line.endswith("(XDRStruct):") for line in body):
            imports["virtwire.protocol._struct"] = ["XDRStruct"]
        for module in self.imported:
            names = sorted(self.imported[module], key=_isort_key)
            imports[f"virtwire.protocol.{module}_gen"] = names
        imports["virtwire.xdr.runtime"] = sorted(self.used_runtime, key=_isort_key)
        for module in sorted(imports):
            head.extend(self._wrap_import(module, imports[module]))
        if self.structs:
            head.append("")
            for fmt in sorted(self.structs):
                head.append(f'_unpack_{fmt}: Final = struct.Struct(">{fmt}").unpack_from')
                head.append(f'_pack_{fmt}: Final = struct.Struct(">{fmt}").pack')
        if self.string_runs:
            head.append("")
            for fmt, ahead, size, limit in sorted(
                self.string_runs, key=lambda r: (r[0], r[1], r[3] or 0)
            ):
                name = _string_run_name(fmt, ahead, limit)
                full = fmt + ("I" if ahead else "")
                head.append(f'{name}: Final = StringRun("{full}", {size}, {limit})')
        head.append("")
        text = "\n".join(head + body)
        lines = text.split("\n")
        cleaned: list[str] = []
        for line in lines:
            if line == "" and len(cleaned) >= 2 and cleaned[-1] == "" and cleaned[-2] == "":
                continue
            cleaned.append(line.rstrip())
        while cleaned and cleaned[-1] == "":
            cleaned.pop()
        return "\n".join(cleaned) + "\n"

    def _wrap_import(self, module: str, names: list[str]) -> list[str]:
        one = f"from {module} import {', '.join(names)}"
        if len(one) <= 100:
            return [one]
        return [f"from {module} import ("] + [f"    {n}," for n in names] + [")"]


def _string_run_name(fmt: str, ahead: bool, limit: int | None) -> str:
    return f"_string_{fmt}" + ("_ahead" if ahead else "") + ("" if limit is None else f"_{limit}")


def _isort_key(name: str) -> tuple[int, str]:
    """Order names as ruff's isort does: CONSTANTS, Classes, then functions."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def render_program(program: Program, ns: Namespace, source: str) -> str:
    """Render one linked program to module source."""
    return ModuleRenderer(program, ns, source).render()
