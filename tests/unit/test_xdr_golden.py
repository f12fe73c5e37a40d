"""Golden frames captured from libvirtd 9.0.0 (see fixtures/capture.py).

Each frame decodes to the expected values and re-encodes to the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from virtwire.protocol import remote_gen as remote
from virtwire.protocol import virnet_gen as virnet
from virtwire.protocol.virnet_gen import virNetMessageStatus, virNetMessageType
from virtwire.xdr import decode, encode

FIXTURES = Path(__file__).parent / "fixtures"
TEST_UUID = bytes.fromhex("6695eb01f6a4830479aa97f2502e193f")
TEST_DOMAIN = remote.remote_nonnull_domain("test", TEST_UUID, 1)


def load(name: str) -> bytes:
    words = []
    for line in (FIXTURES / f"{name}.hex").read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        words.extend(w for w in text.split() if w != "--")
    return bytes.fromhex("".join(words))


def split(frame: bytes) -> tuple[virnet.virNetMessageHeader, bytes]:
    assert int.from_bytes(frame[:4], "big") == len(frame)
    header, end = virnet.unpack_virNetMessageHeader(frame, 4)
    assert end == 28
    return header, frame[28:]


def reframe(header: virnet.virNetMessageHeader, payload: bytes) -> bytes:
    body = encode(virnet.pack_virNetMessageHeader, header) + payload
    return (4 + len(body)).to_bytes(4, "big") + body


CASES: list[tuple[str, str, Any]] = [
    ("auth_list_call", "args", None),
    (
        "auth_list_reply",
        "ret",
        remote.remote_auth_list_ret([remote.remote_auth_type.REMOTE_AUTH_NONE]),
    ),
    ("connect_open_call", "args", remote.remote_connect_open_args("test:///default", 0)),
    ("connect_open_reply", "ret", None),
    ("connect_get_type_call", "args", None),
    ("connect_get_type_reply", "ret", remote.remote_connect_get_type_ret("TEST")),
    ("node_get_info_call", "args", None),
    (
        "node_get_info_reply",
        "ret",
        remote.remote_node_get_info_ret(b"i686".ljust(32, b"\0"), 3145728, 16, 1400, 2, 2, 2, 2),
    ),
    (
        "connect_list_all_domains_call",
        "args",
        remote.remote_connect_list_all_domains_args(1, 0),
    ),
    (
        "connect_list_all_domains_reply",
        "ret",
        remote.remote_connect_list_all_domains_ret([TEST_DOMAIN], 1),
    ),
    ("domain_lookup_by_name_call", "args", remote.remote_domain_lookup_by_name_args("test")),
    ("domain_lookup_by_name_reply", "ret", remote.remote_domain_lookup_by_name_ret(TEST_DOMAIN)),
    ("domain_get_info_call", "args", remote.remote_domain_get_info_args(TEST_DOMAIN)),
    (
        "domain_get_info_reply",
        "ret",
        remote.remote_domain_get_info_ret(1, 8388608, 2097152, 2, 1795599828051963000),
    ),
    (
        "domain_lookup_by_name_error_call",
        "args",
        remote.remote_domain_lookup_by_name_args("no-such-domain"),
    ),
    (
        "domain_get_scheduler_parameters_call",
        "args",
        remote.remote_domain_get_scheduler_parameters_args(TEST_DOMAIN, 1),
    ),
    (
        "domain_get_scheduler_parameters_reply",
        "ret",
        remote.remote_domain_get_scheduler_parameters_ret(
            [remote.remote_typed_param("weight", remote.remote_typed_param_value(2, 50))]
        ),
    ),
    (
        "connect_get_all_domain_stats_call",
        "args",
        remote.remote_connect_get_all_domain_stats_args([], 0, 0),
    ),
    (
        "connect_get_all_domain_stats_reply",
        "ret",
        remote.remote_connect_get_all_domain_stats_ret(
            [
                remote.remote_domain_stats_record(
                    TEST_DOMAIN,
                    [
                        remote.remote_typed_param(
                            "state.state", remote.remote_typed_param_value(1, 1)
                        ),
                        remote.remote_typed_param(
                            "state.reason", remote.remote_typed_param_value(1, 0)
                        ),
                    ],
                )
            ]
        ),
    ),
    ("connect_close_call", "args", None),
    ("connect_close_reply", "ret", None),
]


@pytest.mark.parametrize(("name", "side", "expected"), CASES, ids=[c[0] for c in CASES])
def test_golden_frame(name: str, side: str, expected: Any) -> None:
    frame = load(name)
    header, payload = split(frame)
    assert header.prog == remote.REMOTE_PROGRAM
    assert header.vers == remote.REMOTE_PROTOCOL_VERSION
    assert header.status is virNetMessageStatus.VIR_NET_OK
    want_type = (
        virNetMessageType.VIR_NET_CALL if side == "args" else virNetMessageType.VIR_NET_REPLY
    )
    assert header.type is want_type
    proc = remote.PROCEDURES[header.proc]
    unpack = proc.unpack_args if side == "args" else proc.unpack_ret
    pack = proc.pack_args if side == "args" else proc.pack_ret
    if expected is None:
        assert unpack is None and pack is None
        assert payload == b""
    else:
        assert unpack is not None and pack is not None
        value = decode(unpack, payload)
        assert value == expected
        assert reframe(header, encode(pack, value)) == frame


def test_error_reply() -> None:
    frame = load("domain_lookup_by_name_error_reply")
    header, payload = split(frame)
    assert header.status is virNetMessageStatus.VIR_NET_ERROR
    assert header.proc == remote.remote_procedure.REMOTE_PROC_DOMAIN_LOOKUP_BY_NAME
    error = decode(remote.unpack_remote_error, payload)
    assert error == remote.remote_error(
        code=42,
        domain=12,
        message="Domain not found",
        level=2,
        dom=None,
        str1="Domain not found",
        str2=None,
        str3=None,
        int1=-1,
        int2=-1,
        net=None,
    )
    # the virnet program describes the same wire layout
    same = decode(virnet.unpack_virNetMessageError, payload)
    assert same.message == "Domain not found"
    assert reframe(header, encode(remote.pack_remote_error, error)) == frame
