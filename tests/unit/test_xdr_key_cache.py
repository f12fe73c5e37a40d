"""Typed parameters in arrays take their name and type from a cache keyed by their bytes,
and, when encoded, their name's wire bytes from a cache keyed by the name.

A hit must decode (or encode) exactly as a miss does, and input that is not valid
must fail with the same error whether or not the valid one is cached.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.errors import CodegenError
from codegen.link import Namespace, link
from codegen.parser import parse
from codegen.render import render_program
from virtwire.errors import XDRError
from virtwire.protocol import admin_gen as admin
from virtwire.protocol import remote_gen as remote
from virtwire.xdr import decode, encode, runtime
from virtwire.xdr.runtime import KEY_CACHE_SIZE, KEY_NAME_MAX, load_key, store_name

UUID = bytes(range(16))
SCHED = remote.remote_domain_get_scheduler_parameters_ret
PACK_SCHED = remote.pack_remote_domain_get_scheduler_parameters_ret
UNPACK_SCHED = remote.unpack_remote_domain_get_scheduler_parameters_ret
PACK_STATS = remote.pack_remote_connect_get_all_domain_stats_ret
UNPACK_STATS = remote.unpack_remote_connect_get_all_domain_stats_ret


def words(*values: int) -> bytes:
    return b"".join(struct.pack(">I", v & 0xFFFFFFFF) for v in values)


def param(name: str, kind: int, value: object) -> remote.remote_typed_param:
    return remote.remote_typed_param(name, remote.remote_typed_param_value(kind, value))


def stats(names: list[str], records: int = 3) -> remote.remote_connect_get_all_domain_stats_ret:
    return remote.remote_connect_get_all_domain_stats_ret(
        [
            remote.remote_domain_stats_record(
                remote.remote_nonnull_domain(f"dom{r}", UUID, r),
                [param(name, 2, r * 100 + k) for k, name in enumerate(names)],
            )
            for r in range(records)
        ]
    )


class _Forgetful(dict[bytes, tuple[str, int]]):
    """A cache that never stores: every lookup misses."""

    def __setitem__(self, key: bytes, value: tuple[str, int]) -> None:
        pass


@contextmanager
def uncached() -> Iterator[None]:
    """Decode typed parameters without the cache, as the standalone decoders do."""
    saved = remote.REMOTE_TYPED_PARAM_KEYS
    remote.REMOTE_TYPED_PARAM_KEYS = _Forgetful()  # type: ignore[misc]
    try:
        yield
    finally:
        remote.REMOTE_TYPED_PARAM_KEYS = saved  # type: ignore[misc]


def outcome(unpack: Any, data: bytes) -> object:
    """The decoded value, or the message of the error decoding raises."""
    try:
        return decode(unpack, data)
    except XDRError as e:
        return e.args[0]


@pytest.fixture(autouse=True)
def cold_cache() -> Iterator[None]:
    caches = [remote.REMOTE_TYPED_PARAM_KEYS, admin.ADMIN_TYPED_PARAM_KEYS]
    caches += [remote.REMOTE_TYPED_PARAM_NAMES, admin.ADMIN_TYPED_PARAM_NAMES]
    for cache in caches:
        cache.clear()
    yield
    for cache in caches:
        cache.clear()


def test_hits_decode_like_misses() -> None:
    value = SCHED([param("cpu_shares", 4, 2**40), param("s", 7, "text"), param("w", 1, -5)])
    data = encode(PACK_SCHED, value)
    with uncached():
        assert decode(UNPACK_SCHED, data) == value
    assert remote.REMOTE_TYPED_PARAM_KEYS == {}
    assert decode(UNPACK_SCHED, data) == value  # misses, then stores
    assert set(remote.REMOTE_TYPED_PARAM_KEYS.values()) == {("cpu_shares", 4), ("s", 7), ("w", 1)}
    key = data[4 : 4 + 4 + 12 + 4]  # length word, "cpu_shares" and padding, type
    assert remote.REMOTE_TYPED_PARAM_KEYS[key] == ("cpu_shares", 4)
    assert decode(UNPACK_SCHED, data) == value  # hits


def test_names_keep_every_byte() -> None:
    value = SCHED([param("caf\u00e9", 1, 1), param("\udcff", 2, 2), param("caf\u00e9", 1, 3)])
    data = encode(PACK_SCHED, value)
    assert decode(UNPACK_SCHED, data) == value
    assert decode(UNPACK_SCHED, data) == value


# Two parameters named "abc" of type 1 (int): 16 bytes each, the second at byte 20:
# length word at 20, "abc" at 24, one padding byte at 27, type at 28, value at 32.
ABC = encode(PACK_SCHED, SCHED([param("abc", 1, 5), param("abc", 1, 6)]))
WHERE = "remote_domain_get_scheduler_parameters_ret.params[1]"


def _bad(start: int, patch: bytes) -> bytes:
    data = bytearray(ABC)
    data[start : start + len(patch)] = patch
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_bad(27, b"\1"), f"{WHERE}.field: non-zero padding at byte 27"),
        (_bad(28, words(99)), f"{WHERE}.value.type: unknown union discriminant 99 at byte 28"),
        (_bad(28, words(0)), f"{WHERE}.value.type: unknown union discriminant 0 at byte 28"),
        (_bad(20, words(5)), f"{WHERE}.field: non-zero padding at byte 29"),
        (_bad(20, words(5_000_000)), f"{WHERE}.field: length 5000000 exceeds maximum 4194304"),
        (ABC[:28], f"{WHERE}.value.type: truncated at byte 28"),
        (ABC[:30], f"{WHERE}.value.type: truncated at byte 28"),
        (ABC[:34], f"{WHERE}.value.i: truncated at byte 32"),
    ],
    ids=[
        "padding",
        "unknown-type",
        "type-zero",
        "length-shifts-key",
        "too-long",
        "cut-before-type",
        "cut-in-type",
        "cut-in-value",
    ],
)
def test_malformed_keys_fail_alike_once_the_valid_key_is_cached(data: bytes, message: str) -> None:
    with uncached():
        cold = outcome(UNPACK_SCHED, data)
    assert decode(UNPACK_SCHED, ABC) == decode(UNPACK_SCHED, ABC)  # "abc" of type 1 cached
    assert len(remote.REMOTE_TYPED_PARAM_KEYS) == 1
    warm = outcome(UNPACK_SCHED, data)
    assert warm == cold
    assert isinstance(warm, str) and warm.startswith(message)
    assert len(remote.REMOTE_TYPED_PARAM_KEYS) == 1  # nothing invalid was stored


NAMES = st.sampled_from(["a", "abc", "cpu.time", "block.0.rd.bytes", "caf\u00e9", "x" * 90])
VALUES: dict[int, st.SearchStrategy[Any]] = {
    1: st.integers(-(2**31), 2**31 - 1),
    2: st.integers(0, 2**32 - 1),
    3: st.integers(-(2**63), 2**63 - 1),
    4: st.integers(0, 2**64 - 1),
    5: st.floats(allow_nan=False),
    6: st.integers(0, 1),
    7: st.text(max_size=6),
}
PARAMS = st.lists(
    st.integers(1, 7).flatmap(lambda k: st.builds(param, NAMES, st.just(k), VALUES[k])),
    max_size=12,
)
FUZZ = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@FUZZ
@given(PARAMS, st.data())
def test_mutated_messages_decode_alike_with_and_without_the_cache(
    params: list[remote.remote_typed_param], data: st.DataObject
) -> None:
    value = remote.remote_connect_get_all_domain_stats_ret(
        [remote.remote_domain_stats_record(remote.remote_nonnull_domain("d", UUID, 1), params)] * 2
    )
    wire = bytearray(encode(PACK_STATS, value))
    assert decode(UNPACK_STATS, bytes(wire)) == value  # its keys are cached now
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(wire) - 1))
        action = data.draw(st.sampled_from(["flip", "cut", "word"]))
        if action == "flip":
            wire[at] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "cut":
            del wire[at:]
            break
        else:
            wire[at : at + 4] = words(data.draw(st.sampled_from([0, 1, 3, 7, 8, 2**31])))
    mutated = bytes(wire)
    with uncached():
        cold = outcome(UNPACK_STATS, mutated)
    assert outcome(UNPACK_STATS, mutated) == cold


def test_the_cache_stays_bounded() -> None:
    keys: dict[bytes, tuple[str, int]] = {}
    for i in range(KEY_CACHE_SIZE + 10):
        name = f"n{i}".encode()
        data = words(len(name)) + name + bytes(-len(name) % 4) + words(2)
        assert load_key(keys, frozenset({2}), data, 0) == (name.decode(), 2)
        assert len(keys) <= KEY_CACHE_SIZE
    assert 0 < len(keys) <= KEY_CACHE_SIZE


def test_long_names_and_bad_keys_are_not_stored() -> None:
    keys: dict[bytes, tuple[str, int]] = {}
    for n in (KEY_NAME_MAX, KEY_NAME_MAX + 1):
        data = words(n) + b"x" * n + bytes(-n % 4) + words(1)
        assert load_key(keys, frozenset({1}), data, 0) == ("x" * n, 1)
    assert list(keys.values()) == [("x" * KEY_NAME_MAX, 1)]
    with pytest.raises(XDRError, match="unknown union discriminant 9 at byte 8"):
        load_key(keys, frozenset({1}), words(3) + b"abc\0" + words(9), 0)
    with pytest.raises(XDRError, match="non-zero padding at byte 7"):
        load_key(keys, frozenset({1}), words(3) + b"abc\1" + words(1), 0)
    with pytest.raises(XDRError, match="truncated at byte 4"):
        load_key(keys, frozenset({1}), words(3) + b"abc", 0)
    with pytest.raises(struct.error):  # the decoder turns it into "truncated"
        load_key(keys, frozenset({1}), words(3) + b"abc\0", 0)
    assert len(keys) == 1


def test_small_caches_still_code_right(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "KEY_CACHE_SIZE", 8)
    value = stats([f"vcpu.{k}.time" for k in range(20)])
    data = encode(PACK_STATS, value)
    for _ in range(3):
        assert decode(UNPACK_STATS, data) == value
        assert encode(PACK_STATS, value) == data
        assert len(remote.REMOTE_TYPED_PARAM_KEYS) <= 8
        assert len(remote.REMOTE_TYPED_PARAM_NAMES) <= 8


def test_threads_share_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runtime, "KEY_CACHE_SIZE", 16)  # emptied often while others read it
    messages = [stats([f"t{t}.p{k}" for k in range(30)], records=4) for t in range(4)]
    wires = [encode(PACK_STATS, m) for m in messages]
    failures: list[object] = []

    def work(t: int) -> None:
        for _ in range(30):
            got = decode(UNPACK_STATS, wires[t])
            if got != messages[t]:
                failures.append(got)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert failures == []


def test_admin_typed_params_use_their_own_cache() -> None:
    ret = admin.admin_server_get_threadpool_parameters_ret(
        [admin.admin_typed_param("minWorkers", admin.admin_typed_param_value(2, 5))] * 3
    )
    data = encode(admin.pack_admin_server_get_threadpool_parameters_ret, ret)
    unpack = admin.unpack_admin_server_get_threadpool_parameters_ret
    assert decode(unpack, data) == ret == decode(unpack, data)
    assert list(admin.ADMIN_TYPED_PARAM_KEYS.values()) == [("minWorkers", 2)]
    assert remote.REMOTE_TYPED_PARAM_KEYS == {}


def encoded(pack: Any, value: object) -> object:
    """The encoding, or the message of the error encoding raises."""
    try:
        return encode(pack, value)
    except XDRError as e:
        return e.args[0]


def test_encoding_hits_write_what_misses_write() -> None:
    names = ["cpu_shares", "caf\u00e9", "\udcff", "abcd"]
    value = SCHED([param(n, 2, k) for k, n in enumerate(names)] * 2)
    reference = b"".join(encode(remote.pack_remote_typed_param, p) for p in value.params)
    cold = encode(PACK_SCHED, value)  # misses, then stores
    assert cold == struct.pack(">I", 8) + reference
    assert remote.REMOTE_TYPED_PARAM_NAMES["abcd"] == words(4) + b"abcd"
    assert remote.REMOTE_TYPED_PARAM_NAMES["\udcff"] == words(1) + b"\xff\0\0\0"
    assert encode(PACK_SCHED, value) == cold  # hits
    assert decode(UNPACK_SCHED, cold) == value


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (b"cpu", "remote_domain_get_scheduler_parameters_ret.params[1].field: wrong type"),
        (7, "remote_domain_get_scheduler_parameters_ret.params[1].field: wrong type"),
        (["x"], "remote_domain_get_scheduler_parameters_ret.params[1].field: wrong type"),
    ],
)
def test_bad_names_fail_alike_once_a_valid_name_is_cached(bad: object, message: str) -> None:
    value = SCHED([param("cpu", 2, 1), param(bad, 2, 2)])  # type: ignore[arg-type]
    cold = encoded(PACK_SCHED, value)
    assert isinstance(cold, str) and cold.startswith(message)
    assert "cpu" in remote.REMOTE_TYPED_PARAM_NAMES
    assert encoded(PACK_SCHED, value) == cold
    assert len(remote.REMOTE_TYPED_PARAM_NAMES) == 1


def test_name_over_the_maximum_and_long_names() -> None:
    names: dict[str, bytes] = {}
    with pytest.raises(XDRError, match="length 5 exceeds maximum 4"):
        store_name(names, "abcde", 4)
    for n in (KEY_NAME_MAX, KEY_NAME_MAX + 1):
        assert store_name(names, "x" * n, None) == words(n) + b"x" * n + bytes(-n % 4)
    assert list(names) == ["x" * KEY_NAME_MAX]
    for i in range(KEY_CACHE_SIZE + 10):
        store_name(names, f"n{i}", None)
        assert len(names) <= KEY_CACHE_SIZE


def test_a_key_cached_struct_must_be_a_name_and_a_union() -> None:
    text = "struct remote_typed_param { int a; int b; };\nstruct h { remote_typed_param p<4>; };"
    spec = parse(text, "remote_protocol.x")
    [program] = link([("remote", spec)], {})
    ns = Namespace({})
    ns.add("remote", spec)
    with pytest.raises(CodegenError, match="KEY_CACHED"):
        render_program(program, ns, "remote_protocol.x")
