"""Byte-exact primitive encodings, cross-checked against xdrlib3."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import xdrlib3
from hypothesis import given
from hypothesis import strategies as st

from virtwire.errors import XDRError
from virtwire.protocol import remote_gen as remote
from virtwire.xdr import primitives as p

CASES: list[tuple[str, Callable[..., None], Callable[..., Any], Any, bytes]] = [
    ("int 0", p.pack_int, p.unpack_int, 0, b"\0\0\0\0"),
    ("int -1", p.pack_int, p.unpack_int, -1, b"\xff\xff\xff\xff"),
    ("int min", p.pack_int, p.unpack_int, -(2**31), b"\x80\0\0\0"),
    ("uint max", p.pack_uint, p.unpack_uint, 2**32 - 1, b"\xff\xff\xff\xff"),
    ("hyper -2", p.pack_hyper, p.unpack_hyper, -2, b"\xff" * 7 + b"\xfe"),
    ("uhyper", p.pack_uhyper, p.unpack_uhyper, 2**40 + 5, b"\0\0\1\0\0\0\0\5"),
    ("bool true", p.pack_bool, p.unpack_bool, True, b"\0\0\0\1"),
    ("float", p.pack_float, p.unpack_float, 1.5, b"\x3f\xc0\0\0"),
    ("double", p.pack_double, p.unpack_double, -2.0, b"\xc0" + b"\0" * 7),
]


@pytest.mark.parametrize(
    ("name", "pack", "unpack", "value", "wire"), CASES, ids=[c[0] for c in CASES]
)
def test_vectors(
    name: str, pack: Callable[..., None], unpack: Callable[..., Any], value: Any, wire: bytes
) -> None:
    out = bytearray()
    pack(out, value)
    assert bytes(out) == wire
    assert unpack(wire, 0) == (value, len(wire))


def _ours(pack: Callable[..., None], *args: Any) -> bytes:
    out = bytearray()
    pack(out, *args)
    return bytes(out)


@given(st.integers(-(2**31), 2**31 - 1))
def test_int_matches_xdrlib3(v: int) -> None:
    x = xdrlib3.Packer()
    x.pack_int(v)
    assert _ours(p.pack_int, v) == x.get_buffer()


@given(st.integers(0, 2**64 - 1))
def test_uhyper_matches_xdrlib3(v: int) -> None:
    x = xdrlib3.Packer()
    x.pack_uhyper(v)
    assert _ours(p.pack_uhyper, v) == x.get_buffer()
    assert p.unpack_uhyper(x.get_buffer(), 0) == (v, 8)


@given(st.integers(-(2**63), 2**63 - 1))
def test_hyper_matches_xdrlib3(v: int) -> None:
    x = xdrlib3.Packer()
    x.pack_hyper(v)
    assert _ours(p.pack_hyper, v) == x.get_buffer()


@given(st.floats(allow_nan=False))
def test_double_matches_xdrlib3(v: float) -> None:
    x = xdrlib3.Packer()
    x.pack_double(v)
    assert _ours(p.pack_double, v) == x.get_buffer()


@given(st.binary(max_size=40))
def test_opaque_and_string_match_xdrlib3(data: bytes) -> None:
    x = xdrlib3.Packer()
    x.pack_opaque(data)
    assert _ours(p.pack_opaque, data) == x.get_buffer()
    text = data.decode("utf-8", "surrogateescape")
    assert _ours(p.pack_string, text) == x.get_buffer()
    # the generated, inlined codec for remote_nonnull_string agrees
    assert _ours(remote.pack_remote_nonnull_string, text) == x.get_buffer()
    assert remote.unpack_remote_nonnull_string(x.get_buffer(), 0) == (text, len(x.get_buffer()))
    u = xdrlib3.Unpacker(_ours(p.pack_opaque, data))
    assert u.unpack_opaque() == data


@given(st.binary(min_size=16, max_size=16))
def test_fixed_opaque_matches_xdrlib3(data: bytes) -> None:
    x = xdrlib3.Packer()
    x.pack_fopaque(16, data)
    assert _ours(remote.pack_remote_uuid, data) == x.get_buffer()
    assert _ours(p.pack_fopaque, data, 16) == x.get_buffer()


@given(st.lists(st.integers(0, 2**64 - 1), max_size=8))
def test_uhyper_array_matches_xdrlib3(values: list[int]) -> None:
    x = xdrlib3.Packer()
    x.pack_array(values, x.pack_uhyper)
    args = remote.remote_node_get_cells_free_memory_ret(values)
    assert _ours(remote.pack_remote_node_get_cells_free_memory_ret, args) == x.get_buffer()


def test_primitive_errors() -> None:
    with pytest.raises(XDRError):
        p.unpack_int(b"\0\0\0", 0)
    with pytest.raises(XDRError):
        p.unpack_bool(b"\0\0\0\2", 0)
    with pytest.raises(XDRError):
        p.unpack_string(b"\0\0\0\5abcde\0\0\0", 0, 4)
    with pytest.raises(XDRError):
        p.unpack_opaque(b"\0\0\0\1a\1\0\0", 0)
    with pytest.raises(XDRError):
        p.pack_int(bytearray(), 2**31)
    with pytest.raises(XDRError):
        p.pack_uint(bytearray(), True)
    with pytest.raises(XDRError):
        p.pack_bool(bytearray(), 1)  # type: ignore[arg-type]
    with pytest.raises(XDRError):
        p.pack_string(bytearray(), b"bytes")  # type: ignore[arg-type]
    with pytest.raises(XDRError):
        p.pack_fopaque(bytearray(), b"abc", 4)
    with pytest.raises(XDRError):
        p.pack_opaque(bytearray(), b"abcdef", 4)
