"""Strict decoding and checked encoding: every failure is an XDRError naming its path."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from codegen.link import Namespace, link
from codegen.parser import parse
from codegen.render import render_program
from virtwire.errors import XDRError
from virtwire.protocol import remote_gen as remote
from virtwire.protocol import virnet_gen as virnet
from virtwire.xdr import XDRFieldError, decode, encode
from virtwire.xdr.runtime import STRING_RUN_KEEP, StringRun, redecode_items

UUID = bytes(range(16))
DOM = remote.remote_nonnull_domain("test", UUID, 1)


def words(*values: int) -> bytes:
    return b"".join(struct.pack(">I", v & 0xFFFFFFFF) for v in values)


def decode_error(unpack: object, data: bytes, exact: bool = True) -> XDRFieldError:
    with pytest.raises(XDRError) as info:
        decode(unpack, data, exact=exact)  # type: ignore[arg-type]
    assert isinstance(info.value, XDRFieldError)
    return info.value


def encode_error(pack: object, value: object) -> XDRFieldError:
    with pytest.raises(XDRError) as info:
        encode(pack, value)  # type: ignore[arg-type]
    assert isinstance(info.value, XDRFieldError)
    return info.value


# -- decoding ------------------------------------------------------------------


def test_truncated_inside_a_merged_run_names_the_field() -> None:
    e = decode_error(remote.unpack_remote_domain_get_info_ret, bytes(12))
    assert e.args[0] == "remote_domain_get_info_ret.memory: truncated at byte 12"
    e = decode_error(remote.unpack_remote_domain_get_info_ret, bytes(30))
    assert e.args[0] == "remote_domain_get_info_ret.cpuTime: truncated at byte 24"


def test_truncated_string() -> None:
    data = words(10) + b"abc"
    e = decode_error(remote.unpack_remote_connect_get_type_ret, data)
    assert e.args[0] == "remote_connect_get_type_ret.type: truncated at byte 4"
    e = decode_error(remote.unpack_remote_connect_get_type_ret, b"\0\0")
    assert e.args[0] == "remote_connect_get_type_ret.type: truncated at byte 0"


def test_huge_length_fails_before_allocating() -> None:
    data = words(2**31) + bytes(36)  # a 40-byte message claiming a 2 GiB string
    e = decode_error(remote.unpack_remote_connect_get_type_ret, data)
    assert "exceeds maximum 4194304" in e.reason
    assert e.where == "remote_connect_get_type_ret.type"


def test_count_beyond_remaining_bytes_fails_at_once() -> None:
    data = words(16000) + bytes(36)  # within REMOTE_DOMAIN_LIST_MAX, but no room
    e = decode_error(remote.unpack_remote_connect_list_all_domains_ret, data)
    assert e.args[0] == "remote_connect_list_all_domains_ret.domains: truncated at byte 4"


def test_count_over_maximum() -> None:
    data = words(16385) + bytes(64)
    e = decode_error(remote.unpack_remote_connect_list_all_domains_ret, data)
    assert e.reason == "length 16385 exceeds maximum 16384 at byte 0"


def test_unbounded_count_still_needs_the_bytes() -> None:
    # a fixed-size opaque is never longer than declared; cut it short
    e = decode_error(remote.unpack_remote_uuid, bytes(15))
    assert e.args[0] == "remote_uuid: truncated at byte 0"


def test_trailing_bytes_when_exact() -> None:
    data = encode(remote.pack_remote_domain_get_info_args, remote.remote_domain_get_info_args(DOM))
    e = decode_error(remote.unpack_remote_domain_get_info_args, data + b"\0\0\0\0")
    assert e.args[0] == "remote_domain_get_info_args: 4 trailing bytes at byte 28"
    value = decode(remote.unpack_remote_domain_get_info_args, data + b"\0\0\0\0", exact=False)
    assert value.dom == DOM


def test_non_zero_padding() -> None:
    data = words(6) + b"weight\0\1"
    e = decode_error(remote.unpack_remote_connect_get_type_ret, data)
    assert e.args[0] == "remote_connect_get_type_ret.type: non-zero padding at byte 10"
    fixed = bytes(16)
    assert decode(remote.unpack_remote_uuid, fixed) == fixed


def test_invalid_optional_flag() -> None:
    data = words(2)
    e = decode_error(remote.unpack_remote_string, data)
    assert e.args[0] == "remote_string: invalid bool 2 at byte 0"
    e = decode_error(remote.unpack_remote_connect_open_args, words(7, 0))
    assert e.args[0] == "remote_connect_open_args.name: invalid bool 7 at byte 0"


def test_unknown_enum_value() -> None:
    data = words(remote.REMOTE_PROGRAM, 1, 3, 99, 0, 0)
    e = decode_error(virnet.unpack_virNetMessageHeader, data)
    assert e.args[0] == "virNetMessageHeader.type: unknown virNetMessageType value 99 at byte 12"
    e = decode_error(remote.unpack_remote_auth_type, words(9))
    assert e.args[0] == "remote_auth_type: unknown remote_auth_type value 9 at byte 0"


def test_unknown_union_discriminant_inside_an_array() -> None:
    good = remote.remote_typed_param("weight", remote.remote_typed_param_value(2, 50))
    ret = remote.remote_domain_get_scheduler_parameters_ret([good, good])
    data = bytearray(encode(remote.pack_remote_domain_get_scheduler_parameters_ret, ret))
    data[4 + 16 + 16 : 4 + 16 + 20] = words(99)  # second element's discriminant
    e = decode_error(remote.unpack_remote_domain_get_scheduler_parameters_ret, bytes(data))
    assert e.args[0] == (
        "remote_domain_get_scheduler_parameters_ret.params[1].value.type:"
        " unknown union discriminant 99 at byte 36"
    )


def test_narrow_integer_ranges() -> None:
    data = words(256) + bytes(28)  # state is an unsigned char
    e = decode_error(remote.unpack_remote_domain_get_info_ret, data)
    assert (
        e.args[0]
        == "remote_domain_get_info_ret.state: unsigned char value 256 out of range at byte 0"
    )


def test_char_arrays_accept_signed_and_unsigned_bytes() -> None:
    model = [ord("x"), -61 & 0xFFFFFFFF, 195] + [0] * 29
    data = words(*model) + bytes(32)
    value = decode(remote.unpack_remote_node_get_info_ret, data)
    assert value.model[:3] == b"x\xc3\xc3"
    bad = words(300) + bytes(31 * 4 + 32)
    e = decode_error(remote.unpack_remote_node_get_info_ret, bad)
    assert e.args[0] == "remote_node_get_info_ret.model: char value 300 out of range at byte 0"


def test_strings_keep_every_byte() -> None:
    raw = b"caf\xc3\xa9 \xff\xfe"
    value = decode(remote.unpack_remote_nonnull_string, words(len(raw)) + raw)
    assert value == raw.decode("utf-8", "surrogateescape")
    assert encode(remote.pack_remote_nonnull_string, value)[4:12] == raw


def _domains(count: int) -> bytes:
    doms = [remote.remote_nonnull_domain(f"dom-{i:08d}", UUID, i) for i in range(count)]
    ret = remote.remote_connect_list_all_domains_ret(doms, count)
    return encode(remote.pack_remote_connect_list_all_domains_ret, ret)


def test_array_elements_cut_where_the_next_length_word_would_be_read() -> None:
    # Each domain takes 36 bytes; an element's last read also takes the next
    # element's length word, unless the buffer ends first.
    data = _domains(3)
    unpack = remote.unpack_remote_connect_list_all_domains_ret
    e = decode_error(unpack, data[:78])
    assert e.args[0] == "remote_connect_list_all_domains_ret.domains[2].name: truncated at byte 76"
    e = decode_error(unpack, data[:100])
    assert e.args[0] == "remote_connect_list_all_domains_ret.domains[2].uuid: truncated at byte 92"
    e = decode_error(unpack, data[:-4])
    assert e.args[0] == "remote_connect_list_all_domains_ret.ret: truncated at byte 112"
    assert decode(unpack, memoryview(data)).ret == 3


def test_string_over_its_maximum_inside_an_array() -> None:
    # The buffer holds all the bytes the length claims: only the maximum refuses them.
    unpack = remote.unpack_remote_connect_list_all_domains_ret
    long = 4194304 + 4
    data = words(2, 4, 0x74657374) + UUID + words(1, long) + bytes(long + 28)
    e = decode_error(unpack, data, exact=False)
    assert e.args[0] == (
        "remote_connect_list_all_domains_ret.domains[1].name: "
        "length 4194308 exceeds maximum 4194304 at byte 32"
    )
    e = decode_error(unpack, words(1, 2**32 - 1) + bytes(36))
    assert e.where == "remote_connect_list_all_domains_ret.domains[0].name"
    assert "exceeds maximum 4194304" in e.reason


def test_string_run_reads_a_string_and_the_run_after_it() -> None:
    run = StringRun("iI", 4, 300)  # an int, then the word after it
    data = words(5) + b"hello\0\0\0" + words(2**32 - 7, 9)
    unpack, step, zeros = run[5]
    assert unpack(data, 0) == (b"hello", -7, 9)
    assert (step, zeros) == (4 + 8 + 4, b"\0\0\0")
    assert run[8][1:] == (4 + 8 + 4, b"")
    with pytest.raises(struct.error):
        run[9][0](data, 0)  # the run would end past the buffer
    with pytest.raises(struct.error, match="exceeds maximum 300"):
        run[301]
    assert run[STRING_RUN_KEEP + 1][0](bytes(300), 0)[1:] == (0, 0)
    assert sorted(run) == [5, 8, 9]  # longer strings' entries are not kept


def test_array_decoders_and_element_decoders_agree() -> None:
    # The in-place loop and the element type's own decoder must accept the same input.
    data = _domains(4)
    unpack = remote.unpack_remote_connect_list_all_domains_ret
    for cut in range(len(data) + 1):
        fast: object
        try:
            fast = decode(unpack, data[:cut])
        except XDRError as exc:
            fast = str(exc)
        slow: object
        try:
            count = struct.unpack_from(">I", data)[0]
            doms, pos = redecode_items(remote.unpack_remote_nonnull_domain, data[:cut], 4, count)
            (ret,) = struct.unpack_from(">I", data[:cut], pos)
            slow = remote.remote_connect_list_all_domains_ret(doms, ret)
            assert pos + 4 == cut
        except (XDRError, struct.error, AssertionError):
            slow = None
        assert (fast == slow) if slow is not None else isinstance(fast, str), cut


def test_non_zero_padding_inside_an_array() -> None:
    doms = [DOM, remote.remote_nonnull_domain("x" * 13, UUID, 2)]
    ret = remote.remote_connect_list_all_domains_ret(doms, 2)
    data = bytearray(encode(remote.pack_remote_connect_list_all_domains_ret, ret))
    data[4 + 28 + 4 + 13] = 1  # first padding byte of the second name
    e = decode_error(remote.unpack_remote_connect_list_all_domains_ret, bytes(data))
    assert e.args[0] == (
        "remote_connect_list_all_domains_ret.domains[1].name: non-zero padding at byte 49"
    )


def test_union_arms_inside_an_array() -> None:
    def param(kind: int, value: object) -> remote.remote_typed_param:
        return remote.remote_typed_param("p", remote.remote_typed_param_value(kind, value))

    params = [param(7, "text"), param(3, -(2**40)), param(7, "\udcff"), param(1, -5)]
    ret = remote.remote_domain_get_scheduler_parameters_ret(params)
    pack = remote.pack_remote_domain_get_scheduler_parameters_ret
    unpack = remote.unpack_remote_domain_get_scheduler_parameters_ret
    data = encode(pack, ret)
    assert decode(unpack, data) == ret
    e = decode_error(unpack, data[:-2])
    assert e.args[0] == (
        "remote_domain_get_scheduler_parameters_ret.params[3].value.i: truncated at byte 76"
    )


def test_strings_keep_every_byte_inside_arrays() -> None:
    names = ["caf\u00e9", "\udcff\udcfe", "plain"]
    doms = [remote.remote_nonnull_domain(n, UUID, i) for i, n in enumerate(names)]
    ret = remote.remote_connect_list_all_domains_ret(doms, 3)
    data = encode(remote.pack_remote_connect_list_all_domains_ret, ret)
    assert data[8:13] == "café".encode() and data[40:42] == b"\xff\xfe"
    assert decode(remote.unpack_remote_connect_list_all_domains_ret, data) == ret


# -- encoding ------------------------------------------------------------------


def test_encode_string_over_maximum() -> None:
    label = remote.remote_domain_get_security_label_ret(b"x" * 5000, 0)
    e = encode_error(remote.pack_remote_domain_get_security_label_ret, label)
    assert e.args[0] == (
        "remote_domain_get_security_label_ret.label: length 5000 exceeds maximum 4097"
    )
    ret = remote.remote_connect_get_type_ret("é" * 2097153)
    e = encode_error(remote.pack_remote_connect_get_type_ret, ret)
    assert e.reason == "length 4194306 exceeds maximum 4194304"


def test_encode_array_over_maximum() -> None:
    ret = remote.remote_connect_list_all_domains_ret([DOM] * 16385, 0)
    e = encode_error(remote.pack_remote_connect_list_all_domains_ret, ret)
    assert e.args[0] == (
        "remote_connect_list_all_domains_ret.domains: length 16385 exceeds maximum 16384"
    )


def test_encode_int_out_of_range_names_the_field() -> None:
    info = remote.remote_domain_get_info_ret(1, 2**64, 0, 1, 0)
    e = encode_error(remote.pack_remote_domain_get_info_ret, info)
    assert e.where == "remote_domain_get_info_ret.maxMem"
    args = remote.remote_connect_list_all_domains_args(2**31, 0)
    e = encode_error(remote.pack_remote_connect_list_all_domains_args, args)
    assert e.where == "remote_connect_list_all_domains_args.need_results"


def test_encode_wrong_type() -> None:
    e = encode_error(
        remote.pack_remote_connect_get_type_ret, remote.remote_connect_get_type_ret(b"x")
    )
    assert e.where == "remote_connect_get_type_ret.type"
    assert "wrong type" in e.reason
    dom = remote.remote_nonnull_domain("d", "not bytes", 1)  # type: ignore[arg-type]
    e = encode_error(remote.pack_remote_nonnull_domain, dom)
    assert e.where == "remote_nonnull_domain.uuid"


def test_encode_nested_failure_has_index_and_field() -> None:
    doms = [DOM, remote.remote_nonnull_domain("x" * 10, b"short", 1)]
    ret = remote.remote_connect_list_all_domains_ret(doms, 2)
    e = encode_error(remote.pack_remote_connect_list_all_domains_ret, ret)
    assert e.args[0] == "remote_connect_list_all_domains_ret.domains[1].uuid: need 16 bytes, got 5"


def test_encode_unknown_enum_and_discriminant() -> None:
    header = virnet.virNetMessageHeader(1, 1, 1, 42, 0, 0)  # type: ignore[arg-type]
    e = encode_error(virnet.pack_virNetMessageHeader, header)
    assert e.where == "virNetMessageHeader.type"
    value = remote.remote_typed_param_value(99, 1)
    e = encode_error(remote.pack_remote_typed_param_value, value)
    assert e.args[0] == "remote_typed_param_value.type: unknown union discriminant 99"


def test_encode_array_needs_a_list() -> None:
    ret = remote.remote_connect_list_defined_domains_ret("abc")  # type: ignore[arg-type]
    e = encode_error(remote.pack_remote_connect_list_defined_domains_ret, ret)
    assert e.args[0] == "remote_connect_list_defined_domains_ret.names: expected a list, got str"


def test_encode_fixed_opaque_length() -> None:
    e = encode_error(remote.pack_remote_uuid, b"123")
    assert e.args[0] == "remote_uuid: need 16 bytes, got 3"


# -- arrays read ahead ---------------------------------------------------------

SPEC = """
struct item { string name<8>; int x; unsigned int y; };
struct tail_word { item items<>; int after; };
struct tail_none { int before; item items<>; };
"""


def _compile(text: str) -> dict[str, Any]:
    spec = parse(text, "sample.x")
    [program] = link([("sample", spec)], {})
    ns = Namespace({})
    ns.add("sample", spec)
    source = render_program(program, ns, "sample.x")
    module: dict[str, Any] = {}
    exec(compile(source, "sample_gen.py", "exec"), module)  # noqa: S102 - our own output
    module["__source__"] = source
    return module


def test_elements_read_the_next_word_unchecked_only_when_one_must_follow() -> None:
    m = _compile(SPEC)
    source = m["__source__"]
    with_word = source[source.index("def unpack_tail_word") : source.index("def pack_tail_word")]
    without = source[source.index("def unpack_tail_none") : source.index("def pack_tail_none")]
    assert "<= end" not in with_word and "_string_iI_ahead_8[" in with_word
    assert "<= end" in without and "_string_iI_ahead_8[" in without and "_string_iI_8[" in without
    items = [m["item"]("a" * k, -k, k) for k in range(6)]
    for cls, pack, unpack, value in [
        (m["tail_word"], m["pack_tail_word"], m["unpack_tail_word"], (items, 7)),
        (m["tail_none"], m["pack_tail_none"], m["unpack_tail_none"], (7, items)),
    ]:
        data = encode(pack, cls(*value))
        assert decode(unpack, data) == cls(*value)
        for cut in range(len(data)):  # every cut fails, naming a field
            assert decode_error(unpack, data[:cut]).where.startswith(cls.__name__)
    data = encode(m["pack_tail_word"], m["tail_word"](items, 7))
    e = decode_error(m["unpack_tail_word"], data[:-4])
    assert e.args[0] == f"tail_word.after: truncated at byte {len(data) - 4}"
    bad = bytearray(data)
    bad[4:8] = struct.pack(">I", 9)  # the first name is over its maximum of 8
    e = decode_error(m["unpack_tail_word"], bytes(bad) + bytes(12))
    assert e.args[0] == "tail_word.items[0].name: length 9 exceeds maximum 8 at byte 4"


def test_checked_fields_after_a_string_inside_an_array() -> None:
    m = _compile(
        "struct flagged { string name<8>; bool on; int x; };\n"
        "struct flags { flagged items<>; int after; };"
    )
    items = [m["flagged"]("ab", True, 1), m["flagged"]("abcde", False, 2)]
    data = bytearray(encode(m["pack_flags"], m["flags"](items, 3)))
    assert decode(m["unpack_flags"], bytes(data)) == m["flags"](items, 3)
    data[4 + 16 + 12] = 2  # the second item's bool (its last byte) becomes 2
    e = decode_error(m["unpack_flags"], bytes(data))
    assert e.where == "flags.items[1].on" and "bool" in e.reason
