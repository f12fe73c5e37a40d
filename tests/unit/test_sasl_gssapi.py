"""GSSAPI wiring (RFC 4752) against a stand-in for python-gssapi.

A real exchange needs a Kerberos KDC; here a fake ``gssapi`` module with a
reversible "wrap" checks the context loop, the layer negotiation message
and the resulting security layer.
"""

from __future__ import annotations

import enum
import importlib.machinery
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from virtwire.auth import CRED_USERNAME, CredentialSource, choose_client
from virtwire.auth.gssapi import GssapiClient
from virtwire.auth.mechanism import SaslParams
from virtwire.errors import AuthError, RemoteProtocolError


class GSSError(Exception):
    def gen_message(self) -> str:
        return "fake failure"


class FakeContext:
    def __init__(self, *, name: Any, usage: str, flags: int) -> None:
        assert usage == "initiate"
        assert name.text == "libvirt@host.example"
        self.complete = False
        self.steps = 0

    def step(self, token: bytes | None = None) -> bytes | None:
        if self.steps == 0:
            self.steps = 1
            return b"client-token-1"
        if token != b"server-token-1":
            raise GSSError()
        self.complete = True
        return None

    def wrap(self, message: bytes, encrypt: bool) -> Any:
        return types.SimpleNamespace(
            message=(b"E" if encrypt else b"I") + message[::-1], encrypted=encrypt
        )

    def unwrap(self, token: bytes) -> Any:
        if token[:1] not in (b"E", b"I"):
            raise GSSError()
        return types.SimpleNamespace(message=token[1:][::-1], encrypted=token[:1] == b"E")

    def get_wrap_size_limit(self, size: int, encrypt: bool) -> int:
        return size - 1


class FakeName:
    def __init__(self, text: str, name_type: object) -> None:
        self.text = text


class RequirementFlag(enum.IntFlag):
    mutual_authentication = 2
    out_of_sequence_detection = 8
    integrity = 32
    confidentiality = 16


@pytest.fixture
def fake_gssapi(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.ModuleType]:
    module = types.ModuleType("gssapi")
    module.__spec__ = importlib.machinery.ModuleSpec("gssapi", None)
    module.RequirementFlag = RequirementFlag  # type: ignore[attr-defined]
    module.Name = FakeName  # type: ignore[attr-defined]
    module.NameType = types.SimpleNamespace(hostbased_service=object())  # type: ignore[attr-defined]
    module.SecurityContext = FakeContext  # type: ignore[attr-defined]
    module.exceptions = types.SimpleNamespace(GSSError=GSSError)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "gssapi", module)
    yield module


def source(authzid: str = "") -> CredentialSource:
    def callback(creds: list[dict[str, Any]]) -> int:
        for cred in creds:
            cred["result"] = authzid
        return 0

    return CredentialSource([CRED_USERNAME], callback)


def offer(layers: int, maxbuf: int) -> bytes:
    return FakeContext.wrap(None, bytes([layers]) + maxbuf.to_bytes(3, "big"), False).message  # type: ignore[arg-type]


def run(client: GssapiClient, layers: int, maxbuf: int = 4096) -> bytes:
    assert client.start() == b"client-token-1"
    assert client.step(b"server-token-1") == b""
    reply = client.step(offer(layers, maxbuf))
    assert reply is not None and reply[:1] == b"I"
    return bytes(reply[1:][::-1])


def test_confidentiality_on_insecure_channel(fake_gssapi: types.ModuleType) -> None:
    client = choose_client(
        "DIGEST-MD5,GSSAPI",
        host="host.example",
        credentials=source("admin"),
        external_ssf=0,
        min_ssf=56,
    )
    assert isinstance(client, GssapiClient)
    choice = run(client, layers=7, maxbuf=4096)
    assert choice == bytes([4]) + (65536).to_bytes(3, "big") + b"admin"
    assert client.complete and client.ssf == 256
    layer = client.security_layer()
    assert layer is not None and layer.max_plaintext == 4095
    tokens = layer.encode(b"x" * 5000)
    assert len(tokens) == 2 and all(t[4:5] == b"E" for t in tokens)
    wire = b"".join(FakeContext.wrap(None, m, True).message for m in [b"hello"])  # type: ignore[arg-type]
    assert layer.feed(len(wire).to_bytes(4, "big") + wire) == b"hello"
    with pytest.raises(RemoteProtocolError):
        layer.feed(b"\0\0\0\x02Zz")


def test_no_layer_on_secure_channel(fake_gssapi: types.ModuleType) -> None:
    client = GssapiClient(SaslParams(service="libvirt", host="host.example"), source())
    choice = run(client, layers=7)
    assert choice == bytes([1, 0, 0, 0])
    assert client.complete and client.ssf == 0 and client.security_layer() is None


def test_integrity_only_is_too_weak(fake_gssapi: types.ModuleType) -> None:
    params = SaslParams(service="libvirt", host="host.example", min_ssf=56, max_ssf=100000)
    client = GssapiClient(params, source())
    client.start()
    client.step(b"server-token-1")
    with pytest.raises(AuthError, match="no acceptable security layer"):
        client.step(offer(2, 4096))


def test_context_failure_is_auth_error(fake_gssapi: types.ModuleType) -> None:
    client = GssapiClient(SaslParams(service="libvirt", host="host.example"), source())
    client.start()
    with pytest.raises(AuthError, match="fake failure"):
        client.step(b"wrong-token")
