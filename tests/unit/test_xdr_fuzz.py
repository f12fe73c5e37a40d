"""Fuzz the decoders of the largest types: random and mutated bytes only raise XDRError."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.ir import Struct
from tests.unit.test_xdr_roundtrip import ALL_TYPES, module_of, strategy_for_type, world
from virtwire.errors import XDRError
from virtwire.xdr import decode, encode


def _largest(count: int) -> list[tuple[str, str]]:
    ns, _ = world()
    sized = []
    for module, name in ALL_TYPES:
        _, d = ns.types[name]
        if isinstance(d, Struct):
            sized.append((len(d.fields), module, name))
    sized.sort(key=lambda t: (-t[0], t[2]))
    return [(m, n) for _, m, n in sized[:count]]


TARGETS = sorted(
    set(_largest(12))
    | {
        ("remote", "remote_connect_get_all_domain_stats_ret"),
        ("remote", "remote_connect_list_all_domains_ret"),
        ("remote", "remote_domain_get_scheduler_parameters_ret"),
        ("remote", "remote_domain_interface_addresses_ret"),
        ("remote", "remote_domain_get_fsinfo_ret"),
        ("remote", "remote_node_get_info_ret"),
        ("remote", "remote_error"),
        ("virnet", "virNetMessageHeader"),
        ("admin", "admin_client_get_info_ret"),
    }
)

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _decode_only_xdr_errors(unpack: Any, data: bytes) -> None:
    for exact in (True, False):
        try:
            decode(unpack, data, exact=exact)
        except XDRError:
            pass
    try:
        decode(unpack, memoryview(data))
    except XDRError:
        pass


@pytest.mark.parametrize(("module", "name"), TARGETS, ids=[n for _, n in TARGETS])
def test_random_bytes(module: str, name: str) -> None:
    unpack = getattr(module_of(module), f"unpack_{name}")

    @FUZZ
    @given(st.binary(max_size=256))
    def check(data: bytes) -> None:
        _decode_only_xdr_errors(unpack, data)

    check()


@pytest.mark.parametrize(("module", "name"), TARGETS, ids=[n for _, n in TARGETS])
def test_mutated_encodings(module: str, name: str) -> None:
    mod = module_of(module)
    pack = getattr(mod, f"pack_{name}")
    unpack = getattr(mod, f"unpack_{name}")

    @FUZZ
    @given(strategy_for_type(module, name), st.data())
    def check(value: Any, data: st.DataObject) -> None:
        wire = bytearray(encode(pack, value))
        for _ in range(data.draw(st.integers(1, 4))):
            action = data.draw(st.sampled_from(["flip", "cut", "insert", "word"]))
            at = data.draw(st.integers(0, max(len(wire) - 1, 0)))
            if action == "flip" and wire:
                wire[at] ^= 1 << data.draw(st.integers(0, 7))
            elif action == "cut":
                del wire[at:]
            elif action == "insert":
                wire[at:at] = data.draw(st.binary(min_size=1, max_size=8))
            elif action == "word" and len(wire) >= at + 4:
                wire[at : at + 4] = data.draw(st.sampled_from([b"\xff" * 4, b"\x7f\xff\xff\xff"]))
        _decode_only_xdr_errors(unpack, bytes(wire))

    check()
