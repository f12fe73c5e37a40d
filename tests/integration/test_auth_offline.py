"""The open/auth exchange against scripted replies, and libvirt's ``auth.conf``; no daemon.

(Socket-free: these could live in tests/unit.)
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from virtwire import Error
from virtwire.auth import CRED_AUTHNAME, CRED_PASSPHRASE, CRED_REALM, CRED_USERNAME
from virtwire.auth.auth_conf import AuthConfig, auth_file_path, parse_keyfile, preset_credentials
from virtwire.auth.credentials import CredentialSource
from virtwire.errors import AuthError
from virtwire.protocol import remote_gen as r
from virtwire.rpc.exchange import Call, ChannelInfo, SetSecurityLayer, TransportFacts
from virtwire.rpc.handshake import AUTH_NONE, AUTH_POLKIT, authenticate

SECURE = ChannelInfo(secure=True, ssf=0, can_pass_fds=True, host="localhost")


def drive(gen: Generator[Any, Any, Any], script: dict[str, Any]) -> tuple[Any, list[Any]]:
    """Run an exchange; ``script`` maps procedure names to a reply, an Error, or a callable."""
    seen: list[Any] = []
    try:
        item = next(gen)
        while True:
            seen.append(item)
            if isinstance(item, TransportFacts):
                item = gen.send(SECURE)
                continue
            if isinstance(item, SetSecurityLayer):
                item = gen.send(None)
                continue
            assert isinstance(item, Call)
            answer = script[item.proc.name]
            if callable(answer) and not isinstance(answer, Error):
                answer = answer(item.args)
            if isinstance(answer, Error):
                item = gen.throw(answer)
            else:
                item = gen.send(answer)
    except StopIteration as stop:
        return stop.value, seen


def names(seen: list[Any]) -> list[str]:
    return [c.proc.name for c in seen if isinstance(c, Call)]


def creds() -> CredentialSource:
    def callback(cs: list[dict[str, Any]]) -> int:
        for c in cs:
            c["result"] = "fred" if c["type"] == CRED_AUTHNAME else "pw"
        return 0

    return CredentialSource([CRED_AUTHNAME, CRED_PASSPHRASE], callback)


def test_old_daemon_without_auth_list() -> None:
    missing = Error("unknown procedure", code=Error.ERR_NO_SUPPORT)
    result, seen = drive(authenticate(None, creds()), {"REMOTE_PROC_AUTH_LIST": missing})
    assert result == (AUTH_NONE, None, 0)
    assert names(seen) == ["REMOTE_PROC_AUTH_LIST"]


def test_polkit_is_one_call() -> None:
    script = {
        "REMOTE_PROC_AUTH_LIST": r.remote_auth_list_ret(
            types=[r.remote_auth_type.REMOTE_AUTH_POLKIT]
        ),
        "REMOTE_PROC_AUTH_POLKIT": r.remote_auth_polkit_ret(complete=1),
    }
    result, seen = drive(authenticate(None, creds()), script)
    assert result == (AUTH_POLKIT, None, 0)
    assert names(seen) == ["REMOTE_PROC_AUTH_LIST", "REMOTE_PROC_AUTH_POLKIT"]


def test_polkit_refusal_passes_through() -> None:
    denied = Error("authentication failed: access denied", code=Error.ERR_AUTH_FAILED)
    script = {
        "REMOTE_PROC_AUTH_LIST": r.remote_auth_list_ret(
            types=[r.remote_auth_type.REMOTE_AUTH_POLKIT]
        ),
        "REMOTE_PROC_AUTH_POLKIT": denied,
    }
    with pytest.raises(Error) as info:
        drive(authenticate(None, creds()), script)
    assert info.value is denied


def test_plain_completes_without_a_step() -> None:
    starts: list[Any] = []

    def start(args: Any) -> Any:
        starts.append(args)
        return r.remote_auth_sasl_start_ret(complete=1, nil=1, data=b"")

    script = {
        "REMOTE_PROC_AUTH_LIST": r.remote_auth_list_ret(
            types=[r.remote_auth_type.REMOTE_AUTH_SASL]
        ),
        "REMOTE_PROC_AUTH_SASL_INIT": r.remote_auth_sasl_init_ret(mechlist="PLAIN"),
        "REMOTE_PROC_AUTH_SASL_START": start,
    }
    result, seen = drive(authenticate(None, creds(), host="h.example"), script)
    assert result == (1, "PLAIN", 0)
    assert (starts[0].mech, starts[0].nil, bytes(starts[0].data)) == ("PLAIN", 0, b"\0fred\0pw")
    assert "REMOTE_PROC_AUTH_SASL_STEP" not in names(seen)


def test_digest_md5_uses_the_uri_host() -> None:
    responses: list[bytes] = []

    def step(args: Any) -> Any:
        responses.append(bytes(args.data))
        raise_now = Error("authentication failed: authentication failed", code=45, domain=7)
        return raise_now

    challenge = b'nonce="abc",qop="auth",charset=utf-8,algorithm=md5-sess'
    script = {
        "REMOTE_PROC_AUTH_LIST": r.remote_auth_list_ret(
            types=[r.remote_auth_type.REMOTE_AUTH_SASL]
        ),
        "REMOTE_PROC_AUTH_SASL_INIT": r.remote_auth_sasl_init_ret(mechlist="DIGEST-MD5"),
        "REMOTE_PROC_AUTH_SASL_START": r.remote_auth_sasl_start_ret(
            complete=0, nil=0, data=challenge
        ),
        "REMOTE_PROC_AUTH_SASL_STEP": step,
    }
    with pytest.raises(Error) as info:
        drive(authenticate(None, creds(), host="h.example"), script)
    assert info.value.message == "authentication failed: authentication failed"
    assert b'digest-uri="libvirt/h.example"' in responses[0]


@pytest.mark.parametrize(
    ("pref", "message"),
    [
        ("kerberos", "unknown authentication type kerberos"),
        ("polkit", "requested authentication type polkit rejected"),
        ("sasl.CRAM-MD5", "SASL mechanism CRAM-MD5 not supported by server"),
    ],
)
def test_preference_errors(pref: str, message: str) -> None:
    script = {
        "REMOTE_PROC_AUTH_LIST": r.remote_auth_list_ret(
            types=[r.remote_auth_type.REMOTE_AUTH_SASL]
        ),
        "REMOTE_PROC_AUTH_SASL_INIT": r.remote_auth_sasl_init_ret(mechlist="PLAIN,SCRAM-SHA-1"),
    }
    with pytest.raises(AuthError) as info:
        drive(authenticate(pref, creds()), script)
    err = info.value
    assert (err.code, err.domain) == (Error.ERR_AUTH_FAILED, Error.FROM_REMOTE)
    assert err.message == f"authentication failed: {message}"


# ---------------------------------------------------------------- auth.conf

AUTH_CONF = """
# libvirt's example, trimmed
[credentials-test]
authname=fred
password=123456

[credentials-defgrp]
username = defuser
password=  def\\spw\\\\x
realm=EXAMPLE

[auth-libvirt-test1.example.com]
credentials=test

[auth-libvirt-default]
credentials=defgrp

[auth-libvirt-broken]
credentials=missing

[auth-libvirt-empty]
"""


def test_keyfile_syntax() -> None:
    groups = parse_keyfile(AUTH_CONF)
    assert groups["credentials-defgrp"] == {
        "username": "defuser",
        "password": "def pw\\x",
        "realm": "EXAMPLE",
    }
    with pytest.raises(Error) as info:
        parse_keyfile("key=value\n")
    assert info.value.code == Error.ERR_CONF_SYNTAX


def test_lookup_by_host_then_default(tmp_path: Path) -> None:
    path = tmp_path / "auth.conf"
    path.write_text(AUTH_CONF)
    conf = AuthConfig.load(path)
    assert conf.credentials("libvirt", "test1.example.com") == {
        CRED_AUTHNAME: "fred",
        CRED_PASSPHRASE: "123456",
    }
    assert conf.credentials("libvirt", None) == {
        CRED_USERNAME: "defuser",
        CRED_PASSPHRASE: "def pw\\x",
        CRED_REALM: "EXAMPLE",
    }
    assert conf.credentials("esx", "test1.example.com") == {}
    for host, what in (("broken", "credentials-missing"), ("empty", "'credentials'")):
        with pytest.raises(Error) as info:
            conf.lookup("libvirt", host, "password")
        assert info.value.code == Error.ERR_CONF_SYNTAX and what in info.value.message
    assert "123456" not in repr(conf)


def test_file_search_order(tmp_path: Path) -> None:
    xdg = tmp_path / "xdg"
    (xdg / "libvirt").mkdir(parents=True)
    (xdg / "libvirt" / "auth.conf").write_text(AUTH_CONF)
    env = {"XDG_CONFIG_HOME": str(xdg), "HOME": str(tmp_path)}
    assert auth_file_path(None, env) == str(xdg / "libvirt" / "auth.conf")
    assert auth_file_path("/uri/param", env) == "/uri/param"
    assert auth_file_path("/uri/param", {**env, "LIBVIRT_AUTH_FILE": "/env"}) == "/env"
    assert preset_credentials("test1.example.com", environ=env)[CRED_AUTHNAME] == "fred"
    with pytest.raises(AuthError, match="unable to read the auth file"):
        preset_credentials("h", authfile=str(tmp_path / "absent"), environ={"HOME": "/nowhere"})
