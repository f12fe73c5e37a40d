"""Mechanism selection (libvirt's SSF rules), PLAIN, EXTERNAL and GSSAPI wiring."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from virtwire.auth import (
    CRED_AUTHNAME,
    CRED_PASSPHRASE,
    CRED_USERNAME,
    CredentialSource,
    choose_client,
    parse_mechlist,
)
from virtwire.auth.external import ExternalClient
from virtwire.auth.gssapi import GssapiClient
from virtwire.auth.mechanism import SaslParams
from virtwire.auth.plain import PlainClient
from virtwire.errors import AuthError

HAVE_GSSAPI = importlib.util.find_spec("gssapi") is not None
ALL = "SCRAM-SHA-256,SCRAM-SHA-1,DIGEST-MD5,PLAIN,GSSAPI,EXTERNAL"


def source(**answers: str) -> CredentialSource:
    values = {CRED_AUTHNAME: answers.get("user", "fred"), CRED_PASSPHRASE: "pw"}
    if "authzid" in answers:
        values[CRED_USERNAME] = answers["authzid"]

    def callback(creds: list[dict[str, Any]]) -> int:
        for cred in creds:
            cred["result"] = values.get(cred["type"])
        return 0

    return CredentialSource(list(values), callback)


def choose(mechs: Any, **kw: Any) -> str:
    kw.setdefault("external_ssf", 0)
    kw.setdefault("min_ssf", 0)
    return choose_client(mechs, host="h", credentials=source(), **kw).mechanism


def test_parse_mechlist() -> None:
    assert parse_mechlist("scram-sha-256,DIGEST-MD5 plain,, ") == [
        "SCRAM-SHA-256",
        "DIGEST-MD5",
        "PLAIN",
    ]


def test_secure_channel_prefers_scram_sha256() -> None:
    assert choose(ALL) == "SCRAM-SHA-256"
    assert choose("PLAIN SCRAM-SHA-1 DIGEST-MD5") == "SCRAM-SHA-1"
    assert choose(["digest-md5", "plain"]) == "DIGEST-MD5"
    assert choose("PLAIN") == "PLAIN"
    assert choose(ALL, external_ssf=256) == "SCRAM-SHA-256"  # TLS


def test_insecure_channel_needs_a_layer() -> None:
    expected = "GSSAPI" if HAVE_GSSAPI else "DIGEST-MD5"
    assert choose(ALL, min_ssf=56) == expected
    with pytest.raises(AuthError, match="no SASL mechanism"):
        choose("SCRAM-SHA-256,PLAIN,EXTERNAL", min_ssf=56)


def test_secure_channel_negotiates_no_layer() -> None:
    client = choose_client("DIGEST-MD5", host="h", credentials=source(), external_ssf=0, min_ssf=0)
    assert client.params.max_ssf == 0 and client.params.limit_ssf == 0
    insecure = choose_client(
        "DIGEST-MD5", host="h", credentials=source(), external_ssf=0, min_ssf=56
    )
    assert insecure.params.need_ssf == 56 and insecure.params.limit_ssf == 100000


def test_forced_mechanism() -> None:
    assert choose(ALL, forced="plain") == "PLAIN"
    assert choose(ALL, forced="EXTERNAL", external_ssf=256) == "EXTERNAL"
    with pytest.raises(AuthError, match="not supported by server"):
        choose("SCRAM-SHA-256", forced="DIGEST-MD5")
    with pytest.raises(AuthError, match="not implemented"):
        choose("CRAM-MD5", forced="CRAM-MD5")
    with pytest.raises(AuthError, match="too weak"):
        choose(ALL, forced="PLAIN", min_ssf=56)
    with pytest.raises(AuthError, match="too weak"):
        choose(ALL, forced="SCRAM-SHA-256", min_ssf=56)


def test_external_never_chosen_automatically() -> None:
    with pytest.raises(AuthError):
        choose("EXTERNAL")


def test_plain_initial_response() -> None:
    client = PlainClient(SaslParams(service="libvirt", host="h"), source(authzid="admin"))
    assert client.start() == b"admin\0fred\0pw"
    assert client.complete and client.ssf == 0 and client.security_layer() is None
    same = PlainClient(SaslParams(service="libvirt", host="h"), source(authzid="fred"))
    assert same.start() == b"\0fred\0pw"


def test_plain_refused_on_insecure_channel() -> None:
    client = PlainClient(SaslParams(service="libvirt", host="h", min_ssf=56), source())
    with pytest.raises(AuthError, match="not secure"):
        client.start()


def test_external() -> None:
    client = ExternalClient(SaslParams(service="libvirt", host="h"), source(authzid="admin"))
    assert client.start() == b"admin"
    assert client.complete
    anonymous = ExternalClient(SaslParams(service="libvirt", host="h"), source())
    assert anonymous.start() == b""


def test_step_protocol_misuse() -> None:
    client = PlainClient(SaslParams(service="libvirt", host="h"), source())
    with pytest.raises(AuthError):
        client.step(b"x")
    client.start()
    assert client.step(None) is None  # server confirms; nothing more to say
    with pytest.raises(AuthError):
        client.step(b"unexpected")
    with pytest.raises(AuthError):
        client.start()


@pytest.mark.skipif(HAVE_GSSAPI, reason="python-gssapi is installed")
def test_gssapi_missing_is_a_clear_error() -> None:
    client = choose_client(
        "GSSAPI", host="h", credentials=source(), external_ssf=0, min_ssf=56, forced="GSSAPI"
    )
    assert isinstance(client, GssapiClient)
    with pytest.raises(AuthError, match="gssapi"):
        client.start()
