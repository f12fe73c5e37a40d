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


# Arrays decoded in place (a string and fixed fields in one struct call, the next word read
# ahead) must accept exactly what their element type's own decoder accepts.
IN_PLACE = [
    ("remote_connect_list_all_domains_ret", "remote_nonnull_domain", 16384, ">I"),
    ("remote_connect_list_all_storage_pools_ret", "remote_nonnull_storage_pool", 16384, ">I"),
    ("remote_node_get_cpu_stats_ret", "remote_node_get_cpu_stats", 16, ">i"),
]


@pytest.mark.parametrize(("name", "item", "limit", "tail"), IN_PLACE, ids=[n for n, *_ in IN_PLACE])
def test_arrays_decoded_in_place_agree_with_their_elements(
    name: str, item: str, limit: int, tail: str
) -> None:
    import struct

    from virtwire.xdr.runtime import redecode_items

    mod = module_of("remote")
    pack, unpack = getattr(mod, f"pack_{name}"), getattr(mod, f"unpack_{name}")
    unpack_item = getattr(mod, f"unpack_{item}")

    def reference(data: bytes) -> object:
        try:
            (count,) = struct.unpack_from(">I", data)
            if count > limit:
                return None
            items, pos = redecode_items(unpack_item, data, 4, count)
            (last,) = struct.unpack_from(tail, data, pos)
        except (XDRError, struct.error):
            return None
        return (items, last) if pos + 4 == len(data) else None

    @FUZZ
    @given(strategy_for_type("remote", name), st.data())
    def check(value: Any, data: st.DataObject) -> None:
        wire = bytearray(encode(pack, value))
        for _ in range(data.draw(st.sampled_from([1, 1, 1, 2, 3]))):
            at = data.draw(st.integers(0, max(len(wire) - 1, 0)))
            action = data.draw(st.sampled_from(["set", "poke", "poke", "cut", "insert"]))
            zeros = [k for k, byte in enumerate(wire) if not byte]
            if action == "set" and wire:
                wire[at] = data.draw(st.integers(0, 255))
            elif action == "poke" and zeros:  # a zero byte (padding, say) made non-zero
                wire[data.draw(st.sampled_from(zeros))] = data.draw(st.integers(1, 255))
            elif action == "cut":
                del wire[at:]
            elif action == "insert":
                wire[at:at] = data.draw(st.binary(min_size=1, max_size=4))
        try:
            got = decode(unpack, bytes(wire))
        except XDRError:
            assert reference(bytes(wire)) is None
        else:
            slots = type(got).__slots__
            assert reference(bytes(wire)) == (getattr(got, slots[0]), getattr(got, slots[1]))

    check()
