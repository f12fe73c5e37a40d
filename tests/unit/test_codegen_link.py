"""Linking: constant resolution, type checks, procedures paired with their types."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.errors import CodegenError
from codegen.link import link
from codegen.parser import parse
from codegen.pipeline import load
from virtwire.protocol import (
    admin_gen,
    keepalive_gen,
    lxc_gen,
    qemu_gen,
    remote_gen,
    virnet_gen,
)

PROTOCOL = Path(__file__).resolve().parents[2] / "protocol"

DEMO = """
const DEMO_PROGRAM = 0x1234;
const DEMO_PROTOCOL_VERSION = 1;
const DEMO_MAX = EXTERNAL_LEN;
struct demo_ping_args { int n; string s<DEMO_MAX>; };
struct demo_ping_ret { int n; };
struct demo_event_tick_msg { int t; };
enum demo_procedure {
    /* @generate: both */
    /* @priority: high */
    /* @acl: connect:read */
    DEMO_PROC_PING = 1,
    /* @writestream: 1 */
    /* @sparseflag: DEMO_SPARSE */
    DEMO_PROC_UPLOAD = 2,
    /* @acl: none */
    DEMO_PROC_EVENT_TICK = 3
};
"""


def test_demo_program_links() -> None:
    [program] = link([("demo", parse(DEMO, "demo.x"))], {"EXTERNAL_LEN": 64})
    assert program.program == 0x1234 and program.version == 1
    assert program.constants["DEMO_MAX"] == 64
    ping, upload, tick = program.procedures
    assert (ping.name, ping.number, ping.args, ping.ret) == (
        "DEMO_PROC_PING",
        1,
        "demo_ping_args",
        "demo_ping_ret",
    )
    assert (ping.priority, ping.acl, ping.generate, ping.stream) == (
        "high",
        ("connect:read",),
        "both",
        None,
    )
    assert (upload.args, upload.ret, upload.stream, upload.stream_param) == (None, None, "write", 1)
    assert upload.sparseflag == "DEMO_SPARSE" and upload.priority == "low"
    assert (tick.args, tick.ret, tick.acl) == ("demo_event_tick_msg", None, ())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("const A = B;", "unknown constant 'B'"),
        ("const A = A;", "defined in terms of itself"),
        ("struct s { missing x; };", "unknown type 'missing'"),
        ("struct s { int a; int a; };", "repeats field 'a'"),
        ("enum e { A = 1, B = 1 };", "repeats value 1"),
        ("const A = 1; const A = 2;", "constant 'A' defined twice"),
        ("union u switch (int d) { case 1: int a; case 1: int b; };", "repeats case 1"),
    ],
)
def test_link_errors_are_located(text: str, message: str) -> None:
    with pytest.raises(CodegenError) as info:
        link([("m", parse(text, "m.x"))], {})
    assert message in str(info.value)
    assert str(info.value).startswith("m.x:1:")


def test_libvirt_programs() -> None:
    programs, _ = load(PROTOCOL)
    by_module = {p.module: p for p in programs}
    assert list(by_module) == ["virnet", "keepalive", "remote", "qemu", "lxc", "admin"]
    remote = by_module["remote"]
    assert len(remote.procedures) == 453
    assert by_module["qemu"].imports == ("remote",)
    assert by_module["lxc"].imports == ("remote",)
    assert by_module["admin"].imports == ()
    procs = {p.name: p for p in remote.procedures}
    assert procs["REMOTE_PROC_STORAGE_VOL_DOWNLOAD"].stream == "read"
    assert procs["REMOTE_PROC_STORAGE_VOL_DOWNLOAD"].sparseflag == (
        "VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM"
    )
    assert procs["REMOTE_PROC_DOMAIN_OPEN_CONSOLE"].stream_param == 2
    assert procs["REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE"].args == "remote_domain_event_lifecycle_msg"


def test_generated_tables() -> None:
    assert remote_gen.REMOTE_PROGRAM == 0x20008086
    assert remote_gen.REMOTE_PROTOCOL_VERSION == 1
    assert remote_gen.REMOTE_STRING_MAX == 4194304
    assert remote_gen.REMOTE_SECURITY_MODEL_MAX == 257  # from VIR_SECURITY_MODEL_BUFLEN
    assert virnet_gen.VIR_NET_MESSAGE_MAX == 33554432
    assert keepalive_gen.KEEPALIVE_PROGRAM == 0x6B656570
    assert set(keepalive_gen.PROCEDURES) == {1, 2}
    assert keepalive_gen.PROCEDURES[1].args is None
    assert remote_gen.remote_auth_type.REMOTE_AUTH_SASL == 1
    proc = remote_gen.PROCEDURES[remote_gen.remote_procedure.REMOTE_PROC_DOMAIN_GET_INFO]
    assert proc.name == "REMOTE_PROC_DOMAIN_GET_INFO"
    assert proc.args is remote_gen.remote_domain_get_info_args
    assert proc.ret is remote_gen.remote_domain_get_info_ret
    assert proc.unpack_ret is remote_gen.unpack_remote_domain_get_info_ret
    assert proc.program == remote_gen.REMOTE_PROGRAM
    assert len(remote_gen.PROCEDURES) == len(remote_gen.remote_procedure)
    upload = remote_gen.PROCEDURES[remote_gen.remote_procedure.REMOTE_PROC_STORAGE_VOL_UPLOAD]
    assert upload.stream == "write"
    assert upload.sparseflag == "VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM"
    assert qemu_gen.PROCEDURES[1].args is qemu_gen.qemu_domain_monitor_command_args
    assert qemu_gen.remote_nonnull_domain is remote_gen.remote_nonnull_domain
    assert lxc_gen.LXC_PROGRAM == 0x00068000
    assert admin_gen.ADMIN_PROGRAM == 0x06900690
    open_ = remote_gen.PROCEDURES[1]
    assert open_.priority == "high" and open_.acl == ("connect:getattr",)
    event = remote_gen.PROCEDURES[remote_gen.remote_procedure.REMOTE_PROC_DOMAIN_EVENT_LIFECYCLE]
    assert event.args is remote_gen.remote_domain_event_lifecycle_msg and event.ret is None


def test_struct_classes() -> None:
    a = remote_gen.remote_nonnull_domain(name="x", uuid=bytes(16), id=3)
    b = remote_gen.remote_nonnull_domain("x", bytes(16), 3)
    assert a == b and a != remote_gen.remote_nonnull_domain("y", bytes(16), 3)
    assert repr(a) == "remote_nonnull_domain(name='x', uuid=" + repr(bytes(16)) + ", id=3)"
    assert not hasattr(a, "__dict__")
    restore = remote_gen.remote_domain_restore_args(from_="/tmp/img")
    assert restore.from_ == "/tmp/img"
    u = remote_gen.remote_typed_param_value(type=7, value="s")
    assert u.type == 7 and u.value == "s"
