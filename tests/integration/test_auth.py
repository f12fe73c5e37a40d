"""Authentication against a real libvirtd: SASL (with layers), TLS client certificates, polkit.

One daemon per module serves SASL on the unix socket, plain TCP and TLS, with the
mechanisms SCRAM-SHA-256, SCRAM-SHA-1, DIGEST-MD5 and PLAIN (on plain TCP the daemon
itself demands a layer, so it offers only DIGEST-MD5 there). Expected errors are the
ones Sys::Virt gets from the same daemon (checked with the Perl module while writing
these tests).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import virtwire
from virtwire import Error
from virtwire.auth import CRED_AUTHNAME, CRED_PASSPHRASE, CRED_REALM
from virtwire.errors import AuthCancelledError
from virtwire.rpc.handshake import AUTH_NONE, AUTH_SASL

from .clients import open_client
from .conftest import start_with_sasl, unavailable
from .daemon import Daemon
from .pki import PkiFiles

USER = "fred"
PASSWORD = "Sw0rd-fish-7Q"
UTF8_USER = "jose"
UTF8_PASSWORD = "pässwörd-ñ"
MECHS = ("SCRAM-SHA-256", "SCRAM-SHA-1", "DIGEST-MD5", "PLAIN")
DBUS_ERROR = (
    "internal error: Unable to get system bus connection: "
    "Could not connect: No such file or directory"
)


@pytest.fixture(scope="module")
def sasl_daemon(tmp_path_factory: pytest.TempPathFactory, pki: PkiFiles) -> Iterator[Daemon]:
    """SASL on unix, TCP and TLS, with users fred and jose."""
    d = start_with_sasl(
        tmp_path_factory.mktemp("sasl-daemon"),
        mechs=MECHS,
        users={USER: PASSWORD, UTF8_USER: UTF8_PASSWORD},
        tcp=True,
        tls=pki,
        auth_unix_rw="sasl",
        auth_tcp="sasl",
        auth_tls="sasl",
        private_namespace=os.geteuid() == 0,
    )
    with d:
        yield d


def answers(
    user: str = USER, password: str = PASSWORD, status: Any = 0, seen: list[Any] | None = None
) -> Callable[[list[dict[str, Any]]], Any]:
    """A Sys::Virt-style callback answering the authname and the passphrase."""

    def callback(creds: list[dict[str, Any]]) -> Any:
        if seen is not None:
            seen.append([dict(c) for c in creds])
        for cred in creds:
            if cred["type"] == CRED_AUTHNAME:
                cred["result"] = user
            elif cred["type"] == CRED_PASSPHRASE:
                cred["result"] = password
        return status

    return callback


def open_auth(kind: str, uri: str, **kw: Any) -> Any:
    """Open with ``auth=1`` and Sys::Virt's example credlist."""
    callback = kw.pop("callback", None) or answers(
        kw.pop("user", USER), kw.pop("password", PASSWORD)
    )
    return open_client(
        kind, uri, auth=1, credlist=[CRED_AUTHNAME, CRED_PASSPHRASE], callback=callback, **kw
    )


def with_mech(daemon: Daemon, transport: str, mech: str | None) -> str:
    return daemon.uri(transport=transport, params={"auth": f"sasl.{mech}"} if mech else {})


def auth_failure(info: pytest.ExceptionInfo[Error], message: str, domain: int) -> None:
    err = info.value
    assert (err.code, err.domain, err.message) == (Error.ERR_AUTH_FAILED, domain, message)


# ---------------------------------------------------------------- mechanisms


@pytest.mark.parametrize("transport", ["unix", "tls"])
@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_scram(kind: str, sasl_daemon: Daemon, transport: str, mech: str) -> None:
    conn = open_auth(kind, with_mech(sasl_daemon, transport, mech))
    try:
        session = conn.session
        assert (session.auth, session.sasl_mechanism, session.sasl_ssf) == (AUTH_SASL, mech, 0)
        assert conn.get_hostname()
        assert conn.get_uri() == "test:///default"
        assert conn.num_of_domains() >= 1
    finally:
        conn.close()


def test_default_choice_on_a_secure_channel(kind: str, sasl_daemon: Daemon) -> None:
    conn = open_auth(kind, sasl_daemon.uri())
    try:
        assert conn.session.sasl_mechanism == "SCRAM-SHA-256"
    finally:
        conn.close()


def test_environment_forces_the_mechanism(
    kind: str, sasl_daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRTWIRE_SASL_MECH", "SCRAM-SHA-1")
    conn = open_auth(kind, sasl_daemon.uri())
    try:
        assert conn.session.sasl_mechanism == "SCRAM-SHA-1"
    finally:
        conn.close()
    # The URI's auth=sasl.MECH wins over the environment.
    conn = open_auth(kind, with_mech(sasl_daemon, "unix", "PLAIN"))
    try:
        assert conn.session.sasl_mechanism == "PLAIN"
    finally:
        conn.close()


def test_plain_over_tls(kind: str, sasl_daemon: Daemon) -> None:
    conn = open_auth(kind, with_mech(sasl_daemon, "tls", "PLAIN"))
    try:
        assert (conn.session.sasl_mechanism, conn.session.sasl_ssf) == ("PLAIN", 0)
        assert conn.is_encrypted() is True
        assert "<capabilities>" in conn.get_capabilities()
    finally:
        conn.close()


@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "DIGEST-MD5"])
def test_utf8_password(kind: str, sasl_daemon: Daemon, mech: str) -> None:
    transport = "tcp" if mech == "DIGEST-MD5" else "unix"
    conn = open_auth(
        kind, with_mech(sasl_daemon, transport, mech), user=UTF8_USER, password=UTF8_PASSWORD
    )
    try:
        assert conn.session.sasl_mechanism == mech
        assert conn.get_hostname()
    finally:
        conn.close()


# ---------------------------------------------------------------- DIGEST-MD5 layer


def _big_domain_xml(name: str, size: int) -> str:
    # Printable, not repetitive in a way that hides framing mistakes.
    text = "".join(f"{i:07d}-" for i in range(size // 8))
    return (
        f"<domain type='test'><name>{name}</name><memory>1024</memory>"
        f"<description>{text}</description>"
        "<os><type>hvm</type></os></domain>"
    )


def _xml_of(kind: str, conn: Any, name: str) -> str:
    if kind == "sync":
        return str(conn.get_domain_by_name(name).get_xml_description())

    async def fetch(c: virtwire.aio.Connection) -> str:
        return await (await c.get_domain_by_name(name)).get_xml_description()

    return str(conn.run(fetch))


def _undefine(kind: str, conn: Any, name: str) -> None:
    if kind == "sync":
        conn.get_domain_by_name(name).undefine()
        return

    async def drop(c: virtwire.aio.Connection) -> None:
        await (await c.get_domain_by_name(name)).undefine()

    conn.run(drop)


def test_digest_md5_confidentiality_over_tcp(kind: str, sasl_daemon: Daemon) -> None:
    conn = open_auth(kind, sasl_daemon.uri(transport="tcp"))
    name = f"auth-big-{kind}"
    try:
        session = conn.session
        # libvirt asks for SSF 56..100000 on plain TCP; cyrus offers rc4 (128) as strongest.
        assert (session.sasl_mechanism, session.sasl_ssf) == ("DIGEST-MD5", 128)
        # As libvirt: a layer of SSF >= 56 makes plain TCP secure and encrypted.
        assert (conn.is_secure(), conn.is_encrypted()) == (True, True)
        hostname = conn.get_hostname()
        for _ in range(300):
            assert conn.get_hostname() == hostname
        caps = conn.get_capabilities()
        assert caps.startswith("<capabilities>") and caps.rstrip().endswith("</capabilities>")
        for _ in range(20):
            assert conn.get_capabilities() == caps
        # ~1 MB each way: many tokens of the peer's maximum size, split across reads.
        xml = _big_domain_xml(name, 1 << 20)
        conn.define_domain(xml)
        try:
            got = _xml_of(kind, conn, name)
            assert got.count("-") >= (1 << 20) // 8
            assert _big_domain_xml(name, 1 << 20).split("<description>")[1].split("<")[0] in got
        finally:
            _undefine(kind, conn, name)
        if kind == "async":

            async def many(c: virtwire.aio.Connection) -> list[str]:
                return list(await asyncio.gather(*(c.get_hostname() for _ in range(200))))

            assert conn.run(many) == [hostname] * 200
    finally:
        conn.close()


# ---------------------------------------------------------------- failures


@pytest.mark.parametrize("transport", ["unix", "tcp"])
def test_wrong_password(kind: str, sasl_daemon: Daemon, transport: str) -> None:
    with pytest.raises(Error) as info:
        open_auth(kind, sasl_daemon.uri(transport=transport), password="not-" + PASSWORD)
    # The daemon's answer, passed on as Sys::Virt gets it.
    auth_failure(info, "authentication failed: authentication failed", Error.FROM_RPC)


def test_unknown_user(kind: str, sasl_daemon: Daemon) -> None:
    with pytest.raises(Error) as info:
        open_auth(kind, sasl_daemon.uri(), user="nobody-here")
    auth_failure(info, "authentication failed: authentication failed", Error.FROM_RPC)


@pytest.mark.parametrize(
    ("transport", "mech"), [("unix", "GSSAPI"), ("tcp", "PLAIN"), ("tcp", "SCRAM-SHA-256")]
)
def test_mechanism_not_offered(kind: str, sasl_daemon: Daemon, transport: str, mech: str) -> None:
    with pytest.raises(Error) as info:
        open_auth(kind, with_mech(sasl_daemon, transport, mech))
    auth_failure(
        info,
        f"authentication failed: SASL mechanism {mech} not supported by server",
        Error.FROM_REMOTE,
    )


def test_environment_mechanism_not_offered(
    kind: str, sasl_daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRTWIRE_SASL_MECH", "CRAM-MD5")
    with pytest.raises(Error) as info:
        open_auth(kind, sasl_daemon.uri())
    auth_failure(
        info,
        "authentication failed: SASL mechanism CRAM-MD5 not supported by server",
        Error.FROM_REMOTE,
    )


def test_requested_auth_type_rejected(kind: str, sasl_daemon: Daemon) -> None:
    with pytest.raises(Error) as info:
        open_auth(kind, sasl_daemon.uri(params={"auth": "polkit"}))
    auth_failure(
        info,
        "authentication failed: requested authentication type polkit rejected",
        Error.FROM_REMOTE,
    )


def test_callback_failure_aborts(kind: str, sasl_daemon: Daemon) -> None:
    with pytest.raises(AuthCancelledError) as info:
        open_auth(kind, sasl_daemon.uri(), callback=answers(status=-1))
    # libvirt's (and so Sys::Virt's) code and text for a callback that fails.
    auth_failure(
        info, "authentication failed: Failed to collect auth credentials", Error.FROM_REMOTE
    )


def test_callback_that_raises_aborts(kind: str, sasl_daemon: Daemon) -> None:
    def callback(creds: list[dict[str, Any]]) -> int:
        raise RuntimeError(f"no terminal for {PASSWORD}")

    with pytest.raises(AuthCancelledError) as info:
        open_auth(kind, sasl_daemon.uri(), callback=callback)
    assert info.value.code == Error.ERR_AUTH_FAILED
    assert PASSWORD not in info.value.message
    cause = info.value.__cause__
    assert cause is not None and isinstance(cause.__cause__, RuntimeError)


def test_non_zero_return_aborts(kind: str, sasl_daemon: Daemon) -> None:
    # Any non-zero return cancels; a callback that returns nothing (None) succeeds.
    with pytest.raises(AuthCancelledError) as info:
        open_auth(kind, sasl_daemon.uri(), callback=answers(status=1))
    assert info.value.message == "authentication failed: Failed to collect auth credentials"
    conn = open_auth(kind, sasl_daemon.uri(), callback=answers(status=None))
    conn.close()


def test_required_credential_left_empty(kind: str, sasl_daemon: Daemon) -> None:
    with pytest.raises(Error) as info:
        open_auth(kind, sasl_daemon.uri(), user="")
    auth_failure(
        info,
        "authentication failed: no value was supplied for credential 'authname'",
        Error.FROM_RPC,
    )


def test_without_auth_no_mechanism_is_usable(kind: str, sasl_daemon: Daemon) -> None:
    # Sys::Virt without auth=1 gives libvirt no callback: no mechanism can get a password.
    with pytest.raises(Error) as info:
        open_client(kind, sasl_daemon.uri())
    err = info.value
    assert (err.code, err.domain) == (Error.ERR_AUTH_FAILED, Error.FROM_RPC)
    assert "no SASL mechanism" in err.message and "CRED_AUTHNAME" in err.message


def test_callback_sees_sys_virt_shapes(kind: str, sasl_daemon: Daemon) -> None:
    seen: list[Any] = []
    conn = open_auth(kind, sasl_daemon.uri(), callback=answers(seen=seen))
    conn.close()
    assert seen == [
        [
            {
                "type": CRED_AUTHNAME,
                "prompt": "Please enter your authentication name",
                "challenge": "Authentication Name",
                "result": None,
            },
            {
                "type": CRED_PASSPHRASE,
                "prompt": "Please enter your password",
                "challenge": "Password",
                "result": None,
            },
        ]
    ]
    assert CRED_REALM not in [c["type"] for c in seen[0]]


def test_credentials_stay_out_of_text(
    kind: str, sasl_daemon: Daemon, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    conn = open_auth(kind, sasl_daemon.uri(transport="tcp"))
    try:
        texts = [repr(conn), repr(conn.session), str(conn.session)]
    finally:
        conn.close()
    wrong = "W" + PASSWORD
    with pytest.raises(Error) as info:
        open_auth(kind, sasl_daemon.uri(), password=wrong)
    texts += [str(info.value), repr(info.value), info.value.stringify(), caplog.text]
    for text in texts:
        assert PASSWORD not in text and wrong not in text


# ---------------------------------------------------------------- TLS client certificates


def test_tls_client_certificate_rejected(
    kind: str, daemon_factory: Callable[..., Daemon], pki: PkiFiles
) -> None:
    refused = daemon_factory(tls=pki, tls_allowed_dn_list=["C=GB,O=virtwire tests,CN=someone"])
    with pytest.raises(Error) as info:
        open_client(kind, refused.uri(transport="tls"))
    err = info.value
    # The daemon closes the connection instead of confirming the handshake; libvirt's
    # client reports "Unable to read TLS confirmation", virtwire says why that happens.
    assert err.domain == Error.FROM_RPC
    assert "server verification (of our certificate or IP address) failed" in err.message
    log = (refused.workdir / "libvirtd.log").read_text()
    assert "Client's Distinguished Name is not on the list of allowed clients" in log
    assert "authentication failed: Failed to verify peer's certificate" in log

    allowed = daemon_factory(tls=pki, tls_allowed_dn_list=[pki.client_dn])
    conn = open_client(kind, allowed.uri(transport="tls"))
    try:
        assert conn.session.auth == AUTH_NONE
        assert conn.is_encrypted() is True
    finally:
        conn.close()


# ---------------------------------------------------------------- polkit

_POLKIT_CLIENT = """
import json, sys
sys.path.insert(0, sys.argv[1])
from tests.integration.clients import open_client
out = {}
for kind in ("sync", "async"):
    try:
        open_client(kind, sys.argv[2]).close()
        out[kind] = "connected"
    except Exception as exc:
        out[kind] = [type(exc).__name__, int(exc.code), int(exc.domain), exc.message]
print(json.dumps(out))
"""


@pytest.fixture
def polkit_daemon(daemon_factory: Callable[..., Daemon]) -> Iterator[Daemon]:
    """auth_unix_rw=polkit, the socket open to every user, in a world-readable directory."""
    workdir = Path(tempfile.mkdtemp(prefix="vw-polkit-"))
    try:
        workdir.chmod(0o755)
        d = daemon_factory(
            workdir / "d",
            auth_unix_rw="polkit",
            extra_conf={"unix_sock_rw_perms": "0777"},
        )
        for path in (workdir / "d", d.sock.parent):
            path.chmod(0o755)
        yield d
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _as_nobody(argv: list[str]) -> subprocess.CompletedProcess[str]:
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        unavailable("setpriv not found (Debian package util-linux)")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent", "LANG": "C.UTF-8"}
    return subprocess.run(
        [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_polkit(kind: str, polkit_daemon: Daemon) -> None:
    """AUTH_POLKIT as libvirt's client performs it: one call, the daemon decides.

    The daemon lets root through without asking polkit (its auth list is empty for
    uid 0). For anyone else it asks polkit over the system D-Bus; with no system bus
    (as on this test machine) it answers the call with an internal error from its
    D-Bus code, exactly as virsh reports it.
    """
    if os.geteuid() != 0:
        unavailable("needs root to run the daemon and a client as another user")
    conn = open_client(kind, polkit_daemon.uri())
    try:
        assert conn.session.auth == AUTH_NONE
    finally:
        conn.close()

    repo = str(Path(__file__).resolve().parents[2])
    run = _as_nobody([sys.executable, "-c", _POLKIT_CLIENT, repo, polkit_daemon.uri()])
    assert run.returncode == 0, run.stderr
    outcome = json.loads(run.stdout)
    virsh = shutil.which("virsh")
    if virsh is not None:
        reference = _as_nobody([virsh, "-c", polkit_daemon.uri(), "hostname"])
        assert f"error: {DBUS_ERROR}" in reference.stderr, reference.stderr
    if not Path("/run/dbus/system_bus_socket").exists():
        assert outcome[kind] == ["Error", Error.ERR_INTERNAL_ERROR, Error.FROM_DBUS, DBUS_ERROR]
    else:
        assert outcome[kind] == "connected" or outcome[kind][1] != Error.ERR_AUTH_FAILED


# ---------------------------------------------------------------- auth.conf


def test_auth_conf_answers_before_the_callback(sasl_daemon: Daemon, tmp_path: Path) -> None:
    """libvirt's credential file, fed to the open exchange as preset credentials."""
    from virtwire.api._sync.runtime import BlockingRuntime
    from virtwire.auth.auth_conf import preset_credentials
    from virtwire.auth.credentials import CredentialSource
    from virtwire.rpc.connection import RpcConnection
    from virtwire.rpc.handshake import open_session
    from virtwire.transport import open_transport
    from virtwire.transport.uri import parse_uri

    path = tmp_path / "auth.conf"
    path.write_text(
        f"[credentials-t]\nauthname={USER}\npassword={PASSWORD}\n"
        "[auth-libvirt-localhost]\ncredentials=t\n"
    )
    asked: list[Any] = []

    def callback(creds: list[dict[str, Any]]) -> int:
        asked.append(creds)
        return -1

    preset = preset_credentials(None, authfile=str(path), environ={})
    source = CredentialSource([CRED_AUTHNAME, CRED_PASSPHRASE], callback, preset=preset)
    target = parse_uri(sasl_daemon.uri())
    rt = BlockingRuntime(open_transport(target), RpcConnection())
    try:
        session = rt.run(open_session(target.name, 0, credentials=source, host="localhost"))
        assert (session.auth, session.sasl_mechanism) == (AUTH_SASL, "SCRAM-SHA-256")
    finally:
        rt.shutdown()
    assert asked == []


def _virsh(uri: str, auth_file: Path) -> subprocess.CompletedProcess[str]:
    virsh = shutil.which("virsh")
    if virsh is None:
        unavailable("virsh not found (Debian package libvirt-clients)")
    env = {**os.environ, "LIBVIRT_AUTH_FILE": str(auth_file)}
    env.pop("LIBVIRT_DEFAULT_URI", None)
    return subprocess.run(
        [virsh, "-c", uri, "hostname"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.parametrize("transport", ["unix", "tcp", "tls"])
def test_same_outcome_as_virsh(
    kind: str, sasl_daemon: Daemon, tmp_path: Path, transport: str
) -> None:
    uri = sasl_daemon.uri(transport=transport)
    host = "localhost" if transport != "tcp" else "127.0.0.1"
    for password in (PASSWORD, "x" + PASSWORD):
        auth_file = tmp_path / "auth.conf"
        auth_file.write_text(
            f"[credentials-t]\nauthname={USER}\npassword={password}\n"
            f"[auth-libvirt-{host}]\ncredentials=t\n"
        )
        reference = _virsh(uri, auth_file)
        try:
            conn = open_auth(kind, uri, password=password)
        except Error as exc:
            assert reference.returncode != 0
            assert f"error: {exc.message}" in reference.stderr.splitlines()
        else:
            try:
                assert reference.returncode == 0, reference.stderr
                assert reference.stdout.strip() == conn.get_hostname()
            finally:
                conn.close()
