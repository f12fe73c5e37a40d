"""SCRAM-SHA-1 / SCRAM-SHA-256 against the RFC 5802 and RFC 7677 examples and scramp."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import scramp

from virtwire.auth import CRED_AUTHNAME, CRED_PASSPHRASE, CRED_USERNAME, CredentialSource
from virtwire.auth.mechanism import SaslParams
from virtwire.auth.scram import ScramSha1Client, ScramSha256Client, saslname
from virtwire.errors import AuthError

PARAMS = SaslParams(service="libvirt", host="example.org")


def source(
    user: str = "user", password: str = "pencil", authzid: str | None = None
) -> CredentialSource:
    answers = {CRED_AUTHNAME: user, CRED_PASSPHRASE: password, CRED_USERNAME: authzid}

    def callback(creds: list[dict[str, Any]]) -> int:
        for cred in creds:
            cred["result"] = answers[cred["type"]]
        return 0

    types = [CRED_AUTHNAME, CRED_PASSPHRASE] + ([CRED_USERNAME] if authzid else [])
    return CredentialSource(types, callback)


def test_rfc5802_sha1_example() -> None:
    client = ScramSha1Client(PARAMS, source(), cnonce="fyko+d2lbbFgONRv9qkxdawL")
    assert client.start() == b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"
    final = client.step(b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096")
    assert final == (
        b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
    )
    assert not client.complete
    assert client.step(b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=") is None
    assert client.complete and client.ssf == 0
    assert client.security_layer() is None


def test_rfc7677_sha256_example() -> None:
    client = ScramSha256Client(PARAMS, source(), cnonce="rOprNGfwEbeRWgbNEkqO")
    assert client.start() == b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
    final = client.step(
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    )
    assert final == (
        b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    )
    client.step(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
    assert client.complete


def _after_first(client: ScramSha256Client) -> None:
    client.start()
    client.step(
        b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    )


def test_wrong_server_signature_is_rejected() -> None:
    client = ScramSha256Client(PARAMS, source(), cnonce="rOprNGfwEbeRWgbNEkqO")
    _after_first(client)
    with pytest.raises(AuthError, match="signature"):
        client.step(b"v=" + base64.b64encode(b"\0" * 32))
    assert not client.complete


def test_server_error_is_reported() -> None:
    client = ScramSha256Client(PARAMS, source(), cnonce="rOprNGfwEbeRWgbNEkqO")
    _after_first(client)
    with pytest.raises(AuthError, match="invalid-proof"):
        client.step(b"e=invalid-proof")


@pytest.mark.parametrize(
    "server_first",
    [
        b"r=someoneelse,s=QSXCR+Q6sek8bf92,i=4096",
        b"r=abc,s=QSXCR+Q6sek8bf92,i=4096",  # does not extend the nonce
        b"r=abcdef,s=QSXCR+Q6sek8bf92,i=0",
        b"r=abcdef,s=QSXCR+Q6sek8bf92,i=999999999999",
        b"r=abcdef,i=4096",
        b"m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096",
        b"garbage",
        b"\xff\xfe",
    ],
)
def test_bad_server_first(server_first: bytes) -> None:
    client = ScramSha1Client(PARAMS, source(), cnonce="abc")
    client.start()
    with pytest.raises(AuthError):
        client.step(server_first)


def test_names_are_escaped_and_authzid_sent() -> None:
    assert saslname("a=b,c") == "a=3Db=2Cc"
    client = ScramSha256Client(PARAMS, source("a,b", "pw", authzid="admin"), cnonce="xyz")
    assert client.start() == b"n,a=admin,n=a=2Cb,r=xyz"


def test_secret_not_in_repr() -> None:
    client = ScramSha256Client(PARAMS, source(password="hunter2-secret"), cnonce="xyz")
    client.start()
    assert "hunter2" not in repr(client)



@pytest.mark.parametrize(
    ("cls", "mech"), [(ScramSha1Client, "SCRAM-SHA-1"), (ScramSha256Client, "SCRAM-SHA-256")]
)
@pytest.mark.parametrize("password", ["correct horse", "wrong"])
def test_against_scramp_server(cls: type[ScramSha1Client], mech: str, password: str) -> None:
    mechanism = scramp.ScramMechanism(mech)
    salt, stored_key, server_key, iterations = mechanism.make_auth_info(
        "correct horse", iteration_count=4096
    )
    server = mechanism.make_server(lambda _user: (salt, stored_key, server_key, iterations))
    client = cls(PARAMS, source("user", password))
    first = client.start()
    assert first is not None
    server.set_client_first(first.decode())
    final = client.step(server.get_server_first().encode())
    assert final is not None
    if password != "correct horse":
        with pytest.raises(scramp.ScramException):
            server.set_client_final(final.decode())
        return
    server.set_client_final(final.decode())
    client.step(server.get_server_final().encode())
    assert client.complete
