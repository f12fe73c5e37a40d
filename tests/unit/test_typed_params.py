"""virtwire.api.typed_params: packing dicts into wire parameters and back."""

from __future__ import annotations

from typing import Any

import pytest

from virtwire.api import typed_params as tp
from virtwire.errors import Error
from virtwire.protocol.remote_gen import (
    pack_remote_typed_param,
    remote_typed_param,
    remote_typed_param_value,
    unpack_remote_typed_param,
)


def _param(name: str, ptype: int, value: int | float | str) -> remote_typed_param:
    return remote_typed_param(field=name, value=remote_typed_param_value(type=ptype, value=value))


def test_pack_uses_table_types() -> None:
    packed = tp.pack_typed_params(
        {"migrate_uri": "tcp://h", "bandwidth": 5, "disks_port": 49152},
        tp.MIGRATE_PARAM_TYPES,
    )
    assert [(p.field, p.value.type, p.value.value) for p in packed] == [
        ("migrate_uri", tp.STRING, "tcp://h"),
        ("bandwidth", tp.ULLONG, 5),
        ("disks_port", tp.INT, 49152),
    ]


def test_pack_guesses_types_without_table() -> None:
    packed = tp.pack_typed_params({"b": True, "u": 7, "n": -7, "d": 1.5, "s": "x"})
    assert [(p.field, p.value.type, p.value.value) for p in packed] == [
        ("b", tp.BOOLEAN, 1),
        ("u", tp.ULLONG, 7),
        ("n", tp.LLONG, -7),
        ("d", tp.DOUBLE, 1.5),
        ("s", tp.STRING, "x"),
    ]


def test_pack_string_list_repeats_field_and_skips_none() -> None:
    packed = tp.pack_typed_params(
        {"migrate_disks": ["vda", "vdb"], "destination_name": None}, tp.MIGRATE_PARAM_TYPES
    )
    assert [(p.field, p.value.value) for p in packed] == [
        ("migrate_disks", "vda"),
        ("migrate_disks", "vdb"),
    ]


def test_pack_rejects_out_of_range_and_unknown_values() -> None:
    with pytest.raises(Error):
        tp.pack_typed_params({"x": -1}, {"x": tp.UINT})
    with pytest.raises(Error):
        tp.pack_typed_params({"x": 2**31}, {"x": tp.INT})
    with pytest.raises(Error):
        tp.pack_typed_params({"x": object()})


def test_unpack_values_and_string_lists() -> None:
    params = [
        _param("weight", tp.UINT, 500),
        _param("on", tp.BOOLEAN, 1),
        _param("disk", tp.STRING, "vda"),
        _param("disk", tp.STRING, "vdb"),
        _param("disk", tp.STRING, "vdc"),
        _param("ratio", tp.DOUBLE, 0.25),
    ]
    assert tp.unpack_typed_params(params) == {
        "weight": 500,
        "on": 1,
        "disk": ["vda", "vdb", "vdc"],
        "ratio": 0.25,
    }


def test_round_trip_through_xdr() -> None:
    values = {"hard_limit": 2**60, "mode": "strict", "shares": 1024, "cap": -3, "on": 1}
    types = {"hard_limit": tp.ULLONG, "mode": tp.STRING, "shares": tp.UINT, "cap": tp.INT}
    decoded = []
    for param in tp.pack_typed_params(values, {**types, "on": tp.BOOLEAN}):
        wire = bytearray()
        pack_remote_typed_param(wire, param)
        back, end = unpack_remote_typed_param(bytes(wire), 0)
        assert end == len(wire)
        decoded.append(back)
    assert tp.unpack_typed_params(decoded) == values


def test_pack_known_params_uses_daemon_types_and_drops_unknown() -> None:
    current = [_param("weight", tp.UINT, 100), _param("device_weight", tp.STRING, "")]
    packed = tp.pack_known_params({"weight": "300", "bogus": 1}, current)
    assert [(p.field, p.value.type, p.value.value) for p in packed] == [("weight", tp.UINT, 300)]
    assert tp.param_types(current) == {"weight": tp.UINT, "device_weight": tp.STRING}


# -- get_all_domain_stats replies decoded straight into dicts ---------------------------


def _stats_reply(records: list[tuple[str, list[remote_typed_param]]]) -> bytes:
    from virtwire.protocol import remote_gen as r

    ret = r.remote_connect_get_all_domain_stats_ret(
        [
            r.remote_domain_stats_record(
                r.remote_nonnull_domain(name, bytes(range(i, i + 16)), i - 1), params
            )
            for i, (name, params) in enumerate(records)
        ]
    )
    out = bytearray()
    r.pack_remote_connect_get_all_domain_stats_ret(out, ret)
    return bytes(out)


def _reference(buf: bytes, pos: int = 0) -> tuple[list[tuple[Any, dict[str, Any]]], int]:
    from virtwire.protocol import remote_gen as r

    ret, end = r.unpack_remote_connect_get_all_domain_stats_ret(buf, pos)
    return [
        ((rec.dom.name, rec.dom.uuid, rec.dom.id), tp.unpack_typed_params(rec.params))
        for rec in ret.retStats
    ], end


def _fast(buf: bytes | memoryview, pos: int = 0) -> tuple[list[tuple[Any, dict[str, Any]]], int]:
    records, end = tp.unpack_domain_stats_ret(buf, pos)
    return [
        ((rec["dom"].name, rec["dom"].uuid, rec["dom"].id), rec["data"]) for rec in records
    ], end


ALL_TYPES = [
    _param("i", tp.INT, -7),
    _param("ui", tp.UINT, 2**32 - 1),
    _param("l", tp.LLONG, -(2**63)),
    _param("ul", tp.ULLONG, 2**64 - 1),
    _param("d", tp.DOUBLE, 2.5),
    _param("b", tp.BOOLEAN, 1),
    _param("s", tp.STRING, "vda"),
    _param("disk", tp.STRING, "a"),
    _param("disk", tp.STRING, "bb"),
    _param("disk", tp.STRING, "ccc"),
    _param("é.x", tp.STRING, "ü" * 5),
    _param("s4", tp.STRING, "abcd"),
    _param("last", tp.INT, 3),
]


@pytest.mark.parametrize(
    "records",
    [
        [],
        [("a", [])],
        [("dom", ALL_TYPES), ("other-domain", []), ("x" * 9, ALL_TYPES[::-1])],
        [("one", [_param("s", tp.STRING, "")])],
        [("one", [_param("b", tp.BOOLEAN, 1)])],
        # the same bytes with padding, as names of different lengths
        [("a", [_param("abcde", tp.INT, 1)]), ("b", [_param("abcde\0", tp.INT, 2)])],
        [("a", [_param("abcde\0", tp.INT, 1), _param("abcde", tp.INT, 2)])],
    ],
)
def test_domain_stats_fast_decode_matches_generated(
    records: list[tuple[str, list[remote_typed_param]]],
) -> None:
    buf = _stats_reply(records)
    assert _fast(buf) == _reference(buf)
    # well-formed replies never need the generated decoder
    assert tp._fast_domain_stats(buf, 0, tp._same)[1] == len(buf)
    assert _fast(memoryview(b"head" + buf)[4:]) == _reference(buf)
    assert _fast(b"head" + buf, 4) == _reference(b"head" + buf, 4)


def test_domain_stats_wrap_and_booleans() -> None:
    buf = bytearray(_stats_reply([("d", [_param("b", tp.BOOLEAN, 0), _param("i", tp.INT, 1)])]))
    buf[-17] = 5  # a boolean sent as 5 reads as 1, as unpack_typed_params makes it
    records, end = tp.unpack_domain_stats_ret(bytes(buf), 0, wrap=lambda ref: ref.name)
    assert end == len(buf)
    assert records == [{"dom": "d", "data": {"b": 1, "i": 1}}]


def test_domain_stats_keeps_undecodable_bytes_like_the_generated_decoder() -> None:
    buf = _stats_reply([("dom", [_param("s", tp.STRING, "abcd")])])
    bad = buf.replace(b"abcd", b"ab\xffd")
    assert _fast(bad) == _reference(bad)
    assert _fast(bad)[0][0][1]["s"] == "ab\udcffd"


def _errors(buf: bytes) -> tuple[str, str]:
    from virtwire.errors import XDRError
    from virtwire.protocol import remote_gen as r

    with pytest.raises(XDRError) as want:
        r.unpack_remote_connect_get_all_domain_stats_ret(buf, 0)
    with pytest.raises(XDRError) as got:
        tp.unpack_domain_stats_ret(buf, 0)
    return str(got.value), str(want.value)


def test_domain_stats_errors_are_the_generated_decoders() -> None:
    buf = _stats_reply([("dom", ALL_TYPES), ("x", ALL_TYPES)])
    for cut in range(len(buf)):
        got, want = _errors(buf[:cut])
        assert got == want
    # non-zero padding after the domain name "dom"
    got, want = _errors(buf[:11] + b"\1" + buf[12:])
    assert got == want and "padding" in got
    # an unknown parameter type
    start = buf.index(b"last") + 4
    bad = buf[:start] + b"\0\0\0\x09" + buf[start + 4 :]
    got, want = _errors(bad)
    assert got == want and "discriminant" in got
    # a type word whose low byte is known but high bytes are not
    bad = buf[:start] + b"\1\0\0\1" + buf[start + 4 :]
    got, want = _errors(bad)
    assert got == want and "discriminant" in got


def test_domain_stats_rejects_over_long_lists() -> None:
    import struct

    got, want = _errors(struct.pack(">I", 16385) + bytes(64))
    assert got == want and "exceeds maximum" in got
    got, want = _errors(struct.pack(">II", 1, 1) + b"a\0\0\0" + bytes(20) + b"\xff" * 4)
    assert got == want and "exceeds maximum" in got
