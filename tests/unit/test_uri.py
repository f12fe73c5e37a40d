"""parse_uri: libvirt's remote-driver rules, table by table (checked against libvirt)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from virtwire.errors import Error
from virtwire.transport.libvirt_conf import LibvirtConf
from virtwire.transport.uri import RemoteTarget, parse_uri
from virtwire.transport.uri_syntax import format_params, format_uri, parse_params, split_uri

USER_ENV: Mapping[str, str] = {"HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/1000"}


def never(path: str) -> bool:
    return False


def root(uri: str, **kw: object) -> RemoteTarget:
    return parse_uri(uri, euid=0, env={"HOME": "/root"}, exists=never, **kw)  # type: ignore[arg-type]


def user(uri: str, **kw: object) -> RemoteTarget:
    return parse_uri(uri, euid=1000, env=USER_ENV, exists=never, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- transport, host, port


@pytest.mark.parametrize(
    ("uri", "transport", "host", "hostname", "port", "service"),
    [
        ("qemu:///system", "unix", None, "localhost", None, None),
        ("qemu+unix:///system", "unix", None, "localhost", None, None),
        ("qemu://example.com/system", "tls", "example.com", "example.com", None, 16514),
        ("qemu+tls://example.com/system", "tls", "example.com", "example.com", None, 16514),
        ("qemu+tls:///system", "tls", None, "localhost", None, 16514),
        ("qemu+TLS://h:1234/system", "tls", "h", "h", 1234, 1234),
        ("test+tcp://localhost:5000/default", "tcp", "localhost", "localhost", 5000, 5000),
        ("qemu+tcp:///system", "tcp", None, "localhost", None, 16509),
        ("xen+ssh://rjones@towada/system", "ssh", "towada", "towada", None, None),
        ("qemu+ssh://h:2222/system", "ssh", "h", "h", 2222, 2222),
        ("qemu+libssh://h/system", "libssh", "h", "h", None, None),
        ("qemu+libssh2://h/system", "libssh2", "h", "h", None, None),
        ("qemu+ext:///system?command=/bin/true", "ext", None, "localhost", None, None),
        ("qemu+tls://[::1]:99/system", "tls", "::1", "::1", 99, 99),
        ("qemu+tls://[fe80::1%25eth0]/system", "tls", "fe80::1%eth0", "fe80::1%eth0", None, 16514),
        # A port without a host is dropped, as libvirt does.
        ("qemu+tcp://:5000/system", "tcp", None, "localhost", None, 16509),
    ],
)
def test_transport_and_address(
    uri: str, transport: str, host: str | None, hostname: str, port: int | None, service: int | None
) -> None:
    t = root(uri)
    assert (t.transport, t.host, t.hostname, t.port, t.service) == (
        transport,
        host,
        hostname,
        port,
        service,
    )


@pytest.mark.parametrize(
    ("uri", "user_name"),
    [
        ("qemu+ssh://root@h/system", "root"),
        ("qemu+ssh://u%40x@h/system", "u@x"),
        ("qemu+ssh://h/system", None),
        ("qemu+tcp://a:b@h/system", "a:b"),
    ],
)
def test_user(uri: str, user_name: str | None) -> None:
    assert root(uri).user == user_name


@pytest.mark.parametrize(
    ("transport", "secure"),
    [
        ("unix", True),
        ("tls", True),
        ("ssh", True),
        ("libssh", True),
        ("tcp", False),
        ("ext", False),
    ],
)
def test_secure(transport: str, secure: bool) -> None:
    uri = "qemu+ext:///system?command=x" if transport == "ext" else f"qemu+{transport}://h/system"
    if transport == "unix":
        uri = "qemu+unix:///system"
    assert root(uri).secure is secure


# ---------------------------------------------------------------- name sent to the daemon

NAMES = [
    ("qemu:///system", "qemu:///system"),
    ("qemu+ssh://root@h:22/system", "qemu:///system"),
    ("qemu+ssh://h/system?Foo=x%2Fy%20z&bar", "qemu:///system?Foo=x%2Fy%20z&bar="),
    ("qemu+ssh://h/system?command=c;a=1", "qemu:///system?a=1"),
    ("qemu+ssh://h/system?a=1;b=2&command=c", "qemu:///system?a=1%3Bb%3D2"),
    ("qemu+ssh://h", "qemu://"),
    ("qemu+ssh://h/", "qemu:///"),
    ("qemu+ssh://h/sys%20tem:x", "qemu:///sys%20tem%3Ax"),
    ("qemu+ssh://h/system#frag%20x", "qemu:///system#frag%20x"),
    ("remote+ssh://h/system", ""),
    ("remote:///system", ""),
    ("qemu+ssh://h/system?name=test:///default", "test:///default"),
    ("qemu+ssh://h/system?NAME=x&name=y", "y"),
    ("qemu+ssh://h/system?name=", ""),
    ("qemu+ssh://h/system?v=%C3%A9!*'()", "qemu:///system?v=%C3%A9%21%2A%27%28%29"),
    ("test+ssh://h/default?authfile=/x&a=%26", "test:///default?a=%26"),
    ("Qemu+ssh://h/system", "Qemu:///system"),
    ("qemu+ssh://h/system?=x&&y=", "qemu:///system?y="),
    (
        "qemu+tls://h/system?no_verify=1&pkipath=/p&tls_priority=NORMAL&Keyfile=k&x=1",
        "qemu:///system?x=1",
    ),
    ("qemu+ssh://h/system?socket=/s&mode=legacy&z=1", "qemu:///system?z=1"),
    ("test:///default", "test:///default"),
    ("test:///tmp/file.xml", "test:///tmp/file.xml"),
    ("", ""),
]


@pytest.mark.parametrize(("uri", "name"), NAMES)
def test_name(uri: str, name: str) -> None:
    assert root(uri).name == name


@pytest.mark.parametrize(
    ("uri", "helper"),
    [
        # libvirt >= 10 keeps mode and socket for virt-ssh-helper, in their places.
        (
            "qemu+ssh://h/system?socket=/s&Mode=legacy&z=1",
            "qemu:///system?socket=%2Fs&Mode=legacy&z=1",
        ),
        ("qemu+ssh://h/system?name=x&mode=legacy", "x"),
        ("qemu+ssh://h/system", "qemu:///system"),
    ],
)
def test_helper_uri(uri: str, helper: str) -> None:
    assert root(uri).helper_uri == helper


def test_params_kept_and_passed_on() -> None:
    t = root("qemu+ssh://h/system?keyfile=/k&x=1&NO_TTY=1&y=%41")
    assert t.params == (("keyfile", "/k"), ("x", "1"), ("NO_TTY", "1"), ("y", "A"))
    assert t.extra_params == (("x", "1"), ("y", "A"))
    assert t.keyfile == "/k"
    assert t.tty is False


def test_last_repeated_parameter_wins() -> None:
    assert root("qemu+ssh://h/system?keyfile=a&KEYFILE=b").keyfile == "b"


# ---------------------------------------------------------------- boolean parameters


@pytest.mark.parametrize(
    ("value", "verify"),
    [("1", False), ("0", True), ("-3", False), ("+0", True), (" 1", False), ("00", True)],
)
def test_no_verify_values(value: str, verify: bool) -> None:
    assert root(f"qemu://h/system?no_verify={value.replace(' ', '%20')}").verify is verify


@pytest.mark.parametrize("value", ["", "abc", "0x1", "1%20", "1.0", "99999999999"])
def test_bad_boolean_is_an_error_naming_it(value: str) -> None:
    with pytest.raises(Error) as info:
        root(f"qemu+ssh://h/system?no_tty={value}")
    assert info.value.message == "Failed to parse value of URI component no_tty"
    assert info.value.code == Error.ERR_INVALID_ARG
    assert info.value.domain == Error.FROM_REMOTE


def test_defaults() -> None:
    t = root("qemu://h/system")
    assert (t.verify, t.sanity, t.tty, t.readonly, t.auth) == (True, True, True, False, None)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("uri", "message", "code"),
    [
        (
            "qemu+bogus://h/system",
            "remote_open: transport in URL not recognised "
            "(should be tls|unix|ssh|ext|tcp|libssh2|libssh)",
            Error.ERR_INVALID_ARG,
        ),
        (
            "qemu+unix://h/system",
            "using unix socket and remote server 'h' is not supported.",
            Error.ERR_INVALID_ARG,
        ),
        (
            "qemu://system",
            "invalid URI qemu://system (maybe you want qemu:///system)",
            Error.ERR_INTERNAL_ERROR,
        ),
        (
            "qemu+ext:///system",
            "remote_open: for 'ext' transport, command is required",
            Error.ERR_INVALID_ARG,
        ),
        ("qemu+ssh://h/system?mode=bogus", "Unknown remote mode 'bogus'", Error.ERR_INVALID_ARG),
        ("qemu:///system?mode=", "Unknown remote mode ''", Error.ERR_INVALID_ARG),
        ("qemu+ssh://h/system?proxy=bogus", "Unknown proxy type 'bogus'", Error.ERR_INVALID_ARG),
        (
            "qemu+ssh://h/system?proxy=native&netcat=nc",
            "netcat path not valid with native proxy mode",
            Error.ERR_INVALID_ARG,
        ),
        (
            "qemu+ssh://h/system?mode=direct",
            "Cannot use direct socket mode for ssh transport",
            Error.ERR_OPERATION_UNSUPPORTED,
        ),
        ("/system", "URI '/system' does not include a driver name", Error.ERR_NO_CONNECT),
        (
            "qemu+libssh://h/system?known_hosts_verify=maybe",
            "Invalid host key verification method: 'maybe'",
            Error.ERR_INVALID_ARG,
        ),
        (
            "qemu+libssh2://h/system?sshauth=agent,telepathy",
            "Invalid authentication method: 'telepathy'",
            Error.ERR_INVALID_ARG,
        ),
    ],
)
def test_errors(uri: str, message: str, code: int) -> None:
    with pytest.raises(Error) as info:
        root(uri)
    assert info.value.message == message
    assert info.value.code == code


@pytest.mark.parametrize(
    "uri",
    [
        "qemu+ssh://h:/system",
        "qemu+ssh://h:x/system",
        "qemu://h/sys tem",
        "qemu://[::1/system",
        "qemu://a@b@c/",
    ],
)
def test_unparsable(uri: str) -> None:
    with pytest.raises(Error) as info:
        root(uri)
    assert info.value.message.startswith(f"Unable to parse URI {uri}")


@pytest.mark.parametrize("auth", ["sasl", "SASL", "sasl.GSSAPI", "polkit", "PolKit"])
def test_auth_values(auth: str) -> None:
    assert root(f"qemu://h/system?auth={auth}").auth == auth


def test_sasl_mech() -> None:
    assert root("qemu://h/system?auth=sasl.SCRAM-SHA-256").sasl_mech == "SCRAM-SHA-256"
    assert root("qemu://h/system?auth=sasl").sasl_mech is None


# ---------------------------------------------------------------- sockets, modes, proxies


@pytest.mark.parametrize(
    ("uri", "readonly", "socket", "daemon", "mode"),
    [
        ("qemu:///system", False, "/var/run/libvirt/libvirt-sock", "libvirtd", "legacy"),
        ("qemu:///system", True, "/var/run/libvirt/libvirt-sock-ro", "libvirtd", "legacy"),
        (
            "qemu:///system?mode=direct",
            False,
            "/var/run/libvirt/virtqemud-sock",
            "virtqemud",
            "direct",
        ),
        (
            "network:///system?mode=direct",
            True,
            "/var/run/libvirt/virtnetworkd-sock-ro",
            "virtnetworkd",
            "direct",
        ),
        (
            "qemu:///system?mode=legacy",
            False,
            "/var/run/libvirt/libvirt-sock",
            "libvirtd",
            "legacy",
        ),
        ("qemu+unix:///system?socket=/tmp/s", False, "/tmp/s", None, "auto"),
        ("qemu+ssh://h/system", True, "/var/run/libvirt/libvirt-sock-ro", "libvirtd", "legacy"),
        ("qemu+ssh://h/session", False, "/var/run/libvirt/libvirt-sock", "libvirtd", "legacy"),
        ("qemu+tcp://h/system", False, None, None, "auto"),
        ("qemu+ext:///system?command=x", False, None, None, "auto"),
    ],
)
def test_socket_as_root(
    uri: str, readonly: bool, socket: str | None, daemon: str | None, mode: str
) -> None:
    t = root(uri, readonly=readonly)
    assert (t.socket, t.daemon, t.mode) == (socket, daemon, mode)


def test_auto_mode_prefers_an_existing_modular_socket() -> None:
    present = {"/var/run/libvirt/virtqemud-sock", "/var/run/libvirt/libvirt-sock"}
    t = parse_uri("qemu:///system", euid=0, env={}, exists=present.__contains__)
    assert (t.socket, t.mode, t.daemon) == (
        "/var/run/libvirt/virtqemud-sock",
        "direct",
        "virtqemud",
    )
    t = parse_uri("lxc:///system", euid=0, env={}, exists=present.__contains__)
    assert (t.socket, t.mode) == ("/var/run/libvirt/libvirt-sock", "legacy")


def test_session_socket_for_non_root() -> None:
    t = user("qemu:///session")
    assert t.session and t.autostart
    assert t.socket == "/run/user/1000/libvirt/libvirt-sock"
    assert user("qemu:///session", readonly=True).socket == "/run/user/1000/libvirt/libvirt-sock"
    assert user("qemu:///session?mode=direct").socket == "/run/user/1000/libvirt/virtqemud-sock"


def test_session_rules() -> None:
    assert user("test+unix:///default").session  # test+ schemes use the session daemon
    assert not user("test:///default").session
    assert not root("qemu:///session").session  # root: always the system daemon
    assert user("qemu+ssh://h/session").session and not user("qemu+ssh://h/session").autostart
    no_autostart = parse_uri(
        "qemu:///session", euid=1000, env={**USER_ENV, "LIBVIRT_AUTOSTART": "0"}, exists=never
    )
    assert no_autostart.session and not no_autostart.autostart


def test_session_without_runtime_dir_uses_cache_dir() -> None:
    t = parse_uri("qemu:///session", euid=1000, env={"HOME": "/home/u"}, exists=never)
    assert t.socket == "/home/u/.cache/libvirt/libvirt-sock"
    t = parse_uri(
        "qemu:///session", euid=1000, env={"HOME": "/h", "XDG_CACHE_HOME": "/c"}, exists=never
    )
    assert t.socket == "/c/libvirt/libvirt-sock"


def test_no_uri_probes_the_daemon() -> None:
    t = user("")
    assert (t.name, t.transport, t.driver, t.session) == ("", "unix", None, True)
    assert t.socket == "/run/user/1000/libvirt/libvirt-sock"
    t = root("")
    assert (t.name, t.socket, t.session) == ("", "/var/run/libvirt/libvirt-sock", False)


@pytest.mark.parametrize(
    ("uri", "proxy"),
    [
        ("qemu+ssh://h/system", "auto"),
        ("qemu+ssh://h/system?socket=/s", "netcat"),
        ("qemu+ssh://h/system?proxy=native", "native"),
        ("qemu+ssh://h/system?socket=/s&proxy=auto", "auto"),
    ],
)
def test_proxy_defaults(uri: str, proxy: str) -> None:
    assert root(uri).proxy == proxy


def test_proxy_native_for_session() -> None:
    assert user("qemu+ssh://h/session").proxy == "native"


def test_conf_supplies_mode_proxy_and_priority() -> None:
    conf = LibvirtConf(remote_mode="direct", remote_proxy="netcat", tls_priority="NORMAL")
    t = root("qemu:///system", conf=conf)
    assert (t.mode, t.socket) == ("direct", "/var/run/libvirt/virtqemud-sock")
    assert root("qemu+ssh://h/system?mode=legacy", conf=conf).proxy == "netcat"
    assert root("qemu://h/system", conf=conf).tls_priority == "NORMAL"
    assert root("qemu://h/system?tls_priority=X", conf=conf).tls_priority == "X"
    with pytest.raises(Error, match="Unknown remote mode 'weird'"):
        root("qemu:///system", conf=LibvirtConf(remote_mode="weird"))


def test_prefer_direct_probes_driver_without_uri() -> None:
    present = {"/run/libvirt/virtqemud-sock"}
    t = parse_uri("", euid=0, env={}, exists=present.__contains__, prefer_direct=True)
    assert (t.socket, t.daemon) == ("/var/run/libvirt/virtqemud-sock", "virtqemud")


# ---------------------------------------------------------------- generic syntax


@pytest.mark.parametrize(
    ("query", "params"),
    [
        (None, ()),
        ("", ()),
        ("a=1&b=2", (("a", "1"), ("b", "2"))),
        ("a=1;b=2", (("a", "1"), ("b", "2"))),
        ("a=1;b=2&c=3", (("a", "1;b=2"), ("c", "3"))),
        ("a&b=", (("a", ""), ("b", ""))),
        ("=x&&y=%2", (("y", "%2"),)),
        ("a+b=c+d", (("a+b", "c+d"),)),
        ("x=%41%4a%zz", (("x", "AJ%zz"),)),
    ],
)
def test_parse_params(query: str | None, params: tuple[tuple[str, str], ...]) -> None:
    assert parse_params(query) == params


def test_format_params_escapes_values_only() -> None:
    assert format_params([("a b", "x/y z~-._")]) == "a b=x%2Fy%20z~-._"
    assert format_params([]) is None


def test_format_uri() -> None:
    assert format_uri(scheme="qemu", path="/system") == "qemu:///system"
    assert format_uri(scheme="qemu", path="") == "qemu://"
    assert format_uri(scheme="qemu", path="/a:b c", query="x=1", fragment="f g") == (
        "qemu:///a%3Ab%20c?x=1#f%20g"
    )
    assert format_uri(scheme="qemu", server="::1", port=5, path="/s") == "qemu://[::1]:5/s"


def test_split_uri_parts() -> None:
    s = split_uri("qemu+ssh://u@h:22/p%20q?a=1#f")
    assert (s.scheme, s.user, s.server, s.port, s.path, s.query, s.fragment) == (
        "qemu+ssh",
        "u",
        "h",
        22,
        "/p q",
        "a=1",
        "f",
    )
    s = split_uri("test:///default")
    assert (s.server, s.path) == (None, "/default")


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8),
            st.text(max_size=12),
        ),
        max_size=5,
    )
)
def test_params_round_trip(params: list[tuple[str, str]]) -> None:
    assert parse_params(format_params(params)) == tuple(params)


@given(st.text(max_size=30))
def test_split_uri_never_crashes_unexpectedly(text: str) -> None:
    try:
        split_uri(text)
    except Error as exc:
        assert exc.message.startswith(f"Unable to parse URI {text}")
