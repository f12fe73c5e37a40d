"""Property test: every generated type round-trips through its codec.

Value strategies are derived from the compiler's own shapes, so they follow
the ``.x`` maxima; sizes are capped to keep examples small.
"""

from __future__ import annotations

import importlib
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.ir import Enum, Struct, Typedef, Union
from codegen.link import Namespace
from codegen.pipeline import load
from codegen.render import attr_name
from codegen.shapes import Array, Chars, Opaque, Opt, Prim, Ref, Shape, Shaper, Str, Void
from virtwire.xdr import decode, encode

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"

_INT_RANGES = {
    "int": (-(2**31), 2**31 - 1),
    "unsigned int": (0, 2**32 - 1),
    "hyper": (-(2**63), 2**63 - 1),
    "unsigned hyper": (0, 2**64 - 1),
    "char": (-128, 127),
    "unsigned char": (0, 255),
    "short": (-(2**15), 2**15 - 1),
    "unsigned short": (0, 2**16 - 1),
}


@cache
def world() -> tuple[Namespace, list[tuple[str, str]]]:
    """The linked namespace and every ``(module, type name)`` with a codec."""
    programs, ns = load(PROTOCOL)
    names = []
    for program in programs:
        for d in program.spec.definitions:
            if isinstance(d, Struct | Union | Typedef | Enum):
                names.append((program.module, d.name))
    return ns, names


def module_of(module: str) -> ModuleType:
    return importlib.import_module(f"virtwire.protocol.{module}_gen")


def _small(limit: int | None, cap: int) -> int:
    return cap if limit is None else min(limit, cap)


_strategies: dict[str, st.SearchStrategy[Any]] = {}


def strategy_for_shape(shape: Shape) -> st.SearchStrategy[Any]:
    ns, _ = world()
    if isinstance(shape, Prim):
        if shape.kind == "bool":
            return st.booleans()
        if shape.kind == "float":
            return st.floats(width=32, allow_nan=False)
        if shape.kind == "double":
            return st.floats(allow_nan=False)
        if shape.kind == "enum" and shape.enum is not None:
            module, _ = ns.types[shape.enum]
            return st.sampled_from(list(getattr(module_of(module), shape.enum)))
        lo, hi = _INT_RANGES[shape.kind]
        return st.integers(lo, hi)
    if isinstance(shape, Str):
        size = _small(shape.max, 12)
        raw = st.binary(max_size=size).map(lambda b: b.decode("utf-8", "surrogateescape"))
        text = st.text(max_size=size).filter(lambda s: len(s.encode()) <= size)
        return raw | text
    if isinstance(shape, Opaque | Chars):
        if shape.fixed:
            return st.binary(min_size=shape.size or 0, max_size=shape.size or 0)
        return st.binary(max_size=_small(shape.size, 12))
    if isinstance(shape, Array):
        elem = strategy_for_shape(shape.elem)
        if shape.fixed:
            return st.lists(elem, min_size=shape.size or 0, max_size=shape.size or 0)
        return st.lists(elem, max_size=_small(shape.size, 3))
    if isinstance(shape, Opt):
        return st.none() | strategy_for_shape(shape.elem)
    if isinstance(shape, Ref):
        return st.deferred(lambda: strategy_for_type(shape.module, shape.name))
    assert isinstance(shape, Void)
    return st.none()


def strategy_for_type(module: str, name: str) -> st.SearchStrategy[Any]:
    """A strategy producing values of the generated type ``name``."""
    if name in _strategies:
        return _strategies[name]
    ns, _ = world()
    shaper = Shaper(ns)
    _, d = ns.types[name]
    mod = module_of(module)
    strategy: st.SearchStrategy[Any]
    if isinstance(d, Struct):
        fields = [strategy_for_shape(shaper.shape(f, d.pos)) for f in d.fields]
        strategy = st.builds(getattr(mod, name), *fields)
    elif isinstance(d, Union):
        cls = getattr(mod, name)
        disc = shaper.shape(d.discriminant, d.pos)
        arms = []
        taken: set[int] = set()
        for arm in d.arms:
            values = [ns.value(c, d.pos) for c in arm.cases]
            taken.update(values)
            arms.append(
                st.builds(
                    cls,
                    st.sampled_from([_disc_value(disc, v) for v in values]),
                    strategy_for_shape(shaper.shape(arm.decl, d.pos)),
                )
            )
        if d.default is not None:
            others = strategy_for_shape(disc).filter(lambda v: int(v) not in taken)
            arms.append(st.builds(cls, others, strategy_for_shape(shaper.shape(d.default, d.pos))))
        strategy = st.one_of(arms)
    elif isinstance(d, Typedef):
        strategy = strategy_for_shape(shaper.shape(d.decl, d.pos))
    else:
        strategy = st.sampled_from(list(getattr(mod, name)))
    _strategies[name] = strategy
    return strategy


def _disc_value(disc: Shape, value: int) -> Any:
    if isinstance(disc, Prim) and disc.kind == "enum" and disc.enum is not None:
        ns, _ = world()
        module, _ = ns.types[disc.enum]
        return getattr(module_of(module), disc.enum)(value)
    if isinstance(disc, Prim) and disc.kind == "bool":
        return bool(value)
    return value


ALL_TYPES = world()[1]


def test_every_type_is_covered() -> None:
    assert len(ALL_TYPES) > 700
    for module, name in ALL_TYPES:
        mod = module_of(module)
        assert callable(getattr(mod, f"pack_{name}"))
        assert callable(getattr(mod, f"unpack_{name}"))


@pytest.mark.parametrize(("module", "name"), ALL_TYPES, ids=[n for _, n in ALL_TYPES])
def test_round_trip(module: str, name: str) -> None:
    mod = module_of(module)
    pack = getattr(mod, f"pack_{name}")
    unpack = getattr(mod, f"unpack_{name}")

    @settings(
        max_examples=20,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(strategy_for_type(module, name))
    def check(value: Any) -> None:
        data = encode(pack, value)
        assert len(data) % 4 == 0
        again = decode(unpack, data)
        assert again == value
        assert encode(pack, again) == data
        # the same bytes inside a larger buffer, through a memoryview
        view = memoryview(b"\xff" * 8 + data + b"\xee" * 4)
        inner, end = unpack(view, 8)
        assert inner == value and end == 8 + len(data)

    check()


def test_attr_name_avoids_keywords() -> None:
    assert attr_name("from") == "from_"
    assert attr_name("flags") == "flags"
