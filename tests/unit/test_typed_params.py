"""virtwire.api.typed_params: packing dicts into wire parameters and back."""

from __future__ import annotations

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
