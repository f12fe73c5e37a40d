"""virtwire.errors: the hierarchy, Error's fields and text, Sys::Virt's constants."""

from __future__ import annotations

import pickle
from types import SimpleNamespace
from typing import Any

import pytest

from virtwire import errors
from virtwire.constants_gen import virErrorDomain, virErrorLevel, virErrorNumber
from virtwire.errors import (
    AuthCancelledError,
    AuthError,
    CallTimeoutError,
    ConnectionClosedError,
    Error,
    KeepaliveTimeoutError,
    LocalProtocolError,
    RemoteProtocolError,
    TransportError,
    XDRError,
)

# Every constant named in the Sys::Virt::Error manual page (Sys::Virt 8.0.0).
SYS_VIRT_ERROR_CONSTANTS = """
    ERR_ACCESS_DENIED ERR_AGENT_UNRESPONSIVE ERR_AGENT_UNSYNCED ERR_ARGUMENT_UNSUPPORTED
    ERR_AUTH_CANCELLED ERR_AUTH_FAILED ERR_AUTH_UNAVAILABLE ERR_BLOCK_COPY_ACTIVE
    ERR_BUILD_FIREWALL ERR_CALL_FAILED ERR_CHECKPOINT_INCONSISTENT ERR_CONFIG_UNSUPPORTED
    ERR_CONF_SYNTAX ERR_CPU_INCOMPATIBLE ERR_DBUS_SERVICE ERR_DEVICE_MISSING ERR_DOM_EXIST
    ERR_DRIVER_FULL ERR_GET_FAILED ERR_GNUTLS_ERROR ERR_HOOK_SCRIPT_FAILED ERR_HTTP_ERROR
    ERR_INTERNAL_ERROR ERR_INVALID_ARG ERR_INVALID_CONN ERR_INVALID_DOMAIN
    ERR_INVALID_DOMAIN_CHECKPOINT ERR_INVALID_DOMAIN_SNAPSHOT ERR_INVALID_INTERFACE
    ERR_INVALID_MAC ERR_INVALID_NETWORK ERR_INVALID_NETWORK_PORT ERR_INVALID_NODE_DEVICE
    ERR_INVALID_NWFILTER ERR_INVALID_NWFILTER_BINDING ERR_INVALID_SCHEMA ERR_INVALID_SECRET
    ERR_INVALID_STORAGE_POOL ERR_INVALID_STORAGE_VOL ERR_INVALID_STREAM ERR_LIBSSH
    ERR_MIGRATE_FINISH_OK ERR_MIGRATE_PERSIST_FAILED ERR_MIGRATE_UNSAFE ERR_MULTIPLE_DOMAINS
    ERR_MULTIPLE_INTERFACES ERR_NETWORK_EXIST ERR_NETWORK_PORT_EXIST ERR_NO_CLIENT
    ERR_NO_CONNECT ERR_NO_DEVICE ERR_NO_DOMAIN ERR_NO_DOMAIN_BACKUP ERR_NO_DOMAIN_CHECKPOINT
    ERR_NO_DOMAIN_METADATA ERR_NO_DOMAIN_SNAPSHOT ERR_NO_HOSTNAME ERR_NO_INTERFACE
    ERR_NO_KERNEL ERR_NO_MEMORY ERR_NO_NAME ERR_NO_NETWORK ERR_NO_NETWORK_PORT
    ERR_NO_NODE_DEVICE ERR_NO_NWFILTER ERR_NO_NWFILTER_BINDING ERR_NO_OS ERR_NO_ROOT
    ERR_NO_SECRET ERR_NO_SECURITY_MODEL ERR_NO_SERVER ERR_NO_SOURCE ERR_NO_STORAGE_POOL
    ERR_NO_STORAGE_VOL ERR_NO_SUPPORT ERR_NO_TARGET ERR_NO_XEN ERR_NO_XENSTORE ERR_OK
    ERR_OPEN_FAILED ERR_OPERATIONED_DENIED ERR_OPERATION_ABORTED ERR_OPERATION_FAILED
    ERR_OPERATION_INVALID ERR_OPERATION_TIMEOUT ERR_OPERATION_UNSUPPORTED ERR_OS_TYPE
    ERR_OVERFLOW ERR_PARSE_FAILED ERR_POST_FAILED ERR_READ_FAILED ERR_RESOURCE_BUSY ERR_RPC
    ERR_SEXPR_SERIAL ERR_SNAPSHOT_REVERT_RISKY ERR_SSH ERR_STORAGE_POOL_BUILT
    ERR_STORAGE_PROBE_FAILED ERR_STORAGE_VOL_EXIST ERR_SYSTEM_ERROR ERR_UNKNOWN_HOST
    ERR_WRITE_FAILED ERR_XEN_CALL ERR_XML_DETAIL ERR_XML_ERROR FROM_ACCESS FROM_ADMIN
    FROM_AUDIT FROM_AUTH FROM_BHYVE FROM_BPF FROM_CAPABILITIES FROM_CGROUP FROM_CH FROM_CONF
    FROM_CPU FROM_CRYPTO FROM_DBUS FROM_DEVICE FROM_DOM FROM_DOMAIN FROM_DOMAIN_CHECKPOINT
    FROM_DOMAIN_SNAPSHOT FROM_ESX FROM_EVENT FROM_FIREWALL FROM_FIREWALLD FROM_HOOK
    FROM_HYPERV FROM_IDENTITY FROM_INITCTL FROM_INTERFACE FROM_LIBSSH FROM_LIBXL
    FROM_LOCKING FROM_LOCKSPACE FROM_LOGGING FROM_LXC FROM_NET FROM_NETWORK FROM_NODEDEV
    FROM_NONE FROM_NWFILTER FROM_ONE FROM_OPENVZ FROM_PARALLELS FROM_PERF FROM_PHYP
    FROM_POLKIT FROM_PROXY FROM_QEMU FROM_REMOTE FROM_RESCTRL FROM_RPC FROM_SECRET
    FROM_SECURITY FROM_SEXPR FROM_SSH FROM_STATS_LINUX FROM_STORAGE FROM_STREAMS
    FROM_SYSINFO FROM_SYSTEMD FROM_TEST FROM_THREAD FROM_TPM FROM_UML FROM_URI FROM_VBOX
    FROM_VMWARE FROM_XEN FROM_XENAPI FROM_XEND FROM_XENSTORE FROM_XENXL FROM_XENXM
    FROM_XEN_INOTIFY FROM_XML LEVEL_ERROR LEVEL_NONE LEVEL_WARNING WAR_NO_INTERFACE
    WAR_NO_NETWORK WAR_NO_NODE WAR_NO_NWFILTER WAR_NO_SECRET WAR_NO_STORAGE
""".split()

N = virErrorNumber
D = virErrorDomain
L = virErrorLevel

DEFAULTS: list[tuple[type[Error], int, int]] = [
    (Error, N.VIR_ERR_INTERNAL_ERROR, D.VIR_FROM_NONE),
    (LocalProtocolError, N.VIR_ERR_INTERNAL_ERROR, D.VIR_FROM_RPC),
    (RemoteProtocolError, N.VIR_ERR_RPC, D.VIR_FROM_RPC),
    (XDRError, N.VIR_ERR_RPC, D.VIR_FROM_RPC),
    (TransportError, N.VIR_ERR_SYSTEM_ERROR, D.VIR_FROM_RPC),
    (ConnectionClosedError, N.VIR_ERR_SYSTEM_ERROR, D.VIR_FROM_RPC),
    (KeepaliveTimeoutError, N.VIR_ERR_INTERNAL_ERROR, D.VIR_FROM_RPC),
    (AuthError, N.VIR_ERR_AUTH_FAILED, D.VIR_FROM_AUTH),
    (AuthCancelledError, N.VIR_ERR_AUTH_CANCELLED, D.VIR_FROM_AUTH),
    (CallTimeoutError, N.VIR_ERR_OPERATION_TIMEOUT, D.VIR_FROM_RPC),
]


def remote_error(**fields: Any) -> SimpleNamespace:
    """A stand-in for a decoded remote_error struct."""
    base: dict[str, Any] = dict(
        code=N.VIR_ERR_NO_DOMAIN,
        domain=D.VIR_FROM_QEMU,
        message="Domain not found: x",
        level=L.VIR_ERR_ERROR,
        dom=None,
        str1="x",
        str2=None,
        str3=None,
        int1=0,
        int2=0,
        net=None,
    )
    base.update(fields)
    return SimpleNamespace(**base)


def test_sys_virt_constants_exist() -> None:
    assert len(SYS_VIRT_ERROR_CONSTANTS) > 150
    missing = [n for n in SYS_VIRT_ERROR_CONSTANTS if not isinstance(getattr(Error, n, None), int)]
    assert missing == []


def test_sys_virt_misspelt_names_alias_header_names() -> None:
    assert Error.ERR_OPERATIONED_DENIED is Error.ERR_OPERATION_DENIED
    assert int(Error.ERR_OPERATION_DENIED) == 29
    assert Error.ERR_INVALID_SCHEMA == Error.ERR_XML_INVALID_SCHEMA


def test_every_header_member_is_a_class_attribute() -> None:
    for m in virErrorNumber:
        assert getattr(Error, m.name.removeprefix("VIR_")) is m
    for d in virErrorDomain:
        assert getattr(Error, d.name.removeprefix("VIR_")) is d
    for lv in virErrorLevel:
        assert getattr(Error, "LEVEL_" + lv.name.removeprefix("VIR_ERR_")) is lv


def test_constants_are_declared_not_only_added() -> None:
    # Declared in the class body, so static checkers see them too.
    source = errors.__loader__.get_source(errors.__name__)  # type: ignore[union-attr]
    assert source is not None
    for m in virErrorNumber:
        assert f"    {m.name.removeprefix('VIR_')}: Final = " in source


def test_well_known_values() -> None:
    assert (Error.ERR_OK, Error.ERR_INTERNAL_ERROR, Error.ERR_NO_DOMAIN) == (0, 1, 42)
    assert (Error.FROM_NONE, Error.FROM_QEMU, Error.FROM_REMOTE, Error.FROM_RPC) == (0, 10, 13, 7)
    assert (Error.LEVEL_NONE, Error.LEVEL_WARNING, Error.LEVEL_ERROR) == (0, 1, 2)
    assert int(Error.WAR_NO_NETWORK) == 41


@pytest.mark.parametrize(("cls", "code", "domain"), DEFAULTS)
def test_defaults_and_hierarchy(cls: type[Error], code: int, domain: int) -> None:
    err = cls("boom")
    assert isinstance(err, Error) and isinstance(err, Exception)
    assert (err.code, err.domain, err.level) == (code, domain, L.VIR_ERR_ERROR)
    assert type(err.code) is virErrorNumber and type(err.domain) is virErrorDomain
    assert err.message == "boom" and err.args == ("boom",)
    assert (err.str1, err.str2, err.str3, err.int1, err.int2) == (None, None, None, 0, 0)


def test_subclass_relations() -> None:
    assert issubclass(ConnectionClosedError, TransportError)
    assert issubclass(KeepaliveTimeoutError, ConnectionClosedError)
    assert issubclass(AuthCancelledError, AuthError)
    assert not issubclass(XDRError, RemoteProtocolError)
    assert not issubclass(LocalProtocolError, RemoteProtocolError)


def test_explicit_fields() -> None:
    err = Error("m", code=42, domain=10, level=1, str1="a", str2="b", str3="c", int1=4, int2=5)
    assert err.code is N.VIR_ERR_NO_DOMAIN and err.domain is D.VIR_FROM_QEMU
    assert err.level is L.VIR_ERR_WARNING
    assert (err.str1, err.str2, err.str3, err.int1, err.int2) == ("a", "b", "c", 4, 5)
    assert err.get_error_code() == 42 and err.get_error_domain() == 10
    assert err.get_error_level() == 1 and err.get_error_message() == "m"
    assert (err.get_str1(), err.get_str2(), err.get_str3()) == ("a", "b", "c")
    assert (err.get_int1(), err.get_int2()) == (4, 5)


def test_unknown_numbers_stay_plain_ints() -> None:
    err = Error("m", code=100000, domain=100001, level=7)
    assert type(err.code) is int and err.code == 100000
    assert type(err.domain) is int and type(err.level) is int
    assert "code=100000" in repr(err)


def test_text_like_sys_virt() -> None:
    err = Error("Domain not found", code=Error.ERR_NO_DOMAIN)
    assert str(err) == "libvirt error code: 42, message: Domain not found"
    assert err.stringify() == "libvirt error code: 42, message: Domain not found\n"
    assert Error("two\n").stringify() == "libvirt error code: 1, message: two\n"


def test_repr() -> None:
    err = CallTimeoutError("late", str1="s", int2=3)
    text = repr(err)
    assert text.startswith("CallTimeoutError('late', code=VIR_ERR_OPERATION_TIMEOUT")
    assert "domain=VIR_FROM_RPC" in text and "str1='s'" in text and "int2=3" in text
    assert "str2" not in text and "int1" not in text


@pytest.mark.parametrize("cls", [c for c, _, _ in DEFAULTS])
def test_pickle_round_trip(cls: type[Error]) -> None:
    err = cls("m", code=38, domain=7, level=1, str1="a", str3="c", int1=-1, int2=2)
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is cls
    assert vars(copy) == vars(err)
    assert copy.code is N.VIR_ERR_SYSTEM_ERROR and copy.args == err.args
    assert str(copy) == str(err)


def test_from_remote() -> None:
    err = Error.from_remote(remote_error(int1=3, str2="y", dom="handle"))
    assert type(err) is Error
    assert err.code is N.VIR_ERR_NO_DOMAIN and err.domain is D.VIR_FROM_QEMU
    assert err.level is L.VIR_ERR_ERROR
    assert err.message == "Domain not found: x"
    assert (err.str1, err.str2, err.str3, err.int1, err.int2) == ("x", "y", None, 3, 0)
    assert err.dom == "handle" and err.net is None


def test_from_remote_without_message() -> None:
    err = Error.from_remote(remote_error(message=None))
    assert err.message == "Unknown error"


def test_from_remote_unknown_procedure_means_no_support() -> None:
    fields = dict(code=N.VIR_ERR_RPC, domain=D.VIR_FROM_REMOTE, message="unknown procedure: 999")
    assert Error.from_remote(remote_error(**fields)).code is N.VIR_ERR_NO_SUPPORT
    other = dict(fields, domain=D.VIR_FROM_QEMU)
    assert Error.from_remote(remote_error(**other)).code is N.VIR_ERR_RPC


def test_from_remote_old_daemon_numbering() -> None:
    shifted = remote_error(code=N.VIR_ERR_NO_NWFILTER, domain=D.VIR_FROM_SECRET)
    assert Error.from_remote(shifted).code is N.VIR_ERR_NO_SECRET
    same = remote_error(code=N.VIR_ERR_NO_NWFILTER, domain=D.VIR_FROM_NWFILTER)
    assert Error.from_remote(same).code is N.VIR_ERR_NO_NWFILTER
    timeout = remote_error(code=N.VIR_WAR_NO_SECRET, domain=D.VIR_FROM_QEMU)
    assert Error.from_remote(timeout).code is N.VIR_ERR_OPERATION_TIMEOUT


def test_from_remote_on_subclass_builds_subclass() -> None:
    assert type(RemoteProtocolError.from_remote(remote_error())) is RemoteProtocolError


def test_raise_from_keeps_cause() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        try:
            raise XDRError("short read")
        except XDRError as exc:
            raise RemoteProtocolError("bad reply") from exc
    assert isinstance(info.value.__cause__, XDRError)
