"""DIGEST-MD5: the RFC 2831 example, challenge parsing, layer choice, and the
security layer against a server side computed independently in this file
(keys derived from the RFC text; DES/3DES through libcrypto's legacy DES API,
the one cyrus-sasl uses)."""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import hmac
import os
import struct
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from virtwire.auth import CRED_AUTHNAME, CRED_PASSPHRASE, CRED_REALM, CredentialSource
from virtwire.auth.digest_md5 import (
    CIPHERS,
    DigestMD5Client,
    DigestMD5Layer,
    choose_protection,
    parse_challenge,
    parse_directives,
)
from virtwire.auth.mechanism import SaslParams
from virtwire.errors import AuthError, RemoteProtocolError

RFC_CHALLENGE = (
    b'realm="elwood.innosoft.com",nonce="OA6MG9tEQGm2hh",qop="auth",'
    b"algorithm=md5-sess,charset=utf-8"
)


def source(
    user: str = "chris", password: str = "secret", realm: str | None = None
) -> CredentialSource:
    answers: dict[int, str | None] = {
        CRED_AUTHNAME: user,
        CRED_PASSPHRASE: password,
        CRED_REALM: realm,
    }

    def callback(creds: list[dict[str, Any]]) -> int:
        for cred in creds:
            if answers[cred["type"]] is not None:
                cred["result"] = answers[cred["type"]]
        return 0

    return CredentialSource([CRED_AUTHNAME, CRED_PASSPHRASE, CRED_REALM], callback)


def test_rfc2831_example() -> None:
    params = SaslParams(service="imap", host="elwood.innosoft.com")
    client = DigestMD5Client(params, source(), cnonce="OA6MHXh6VqTrRk")
    assert client.start() is None
    response = client.step(RFC_CHALLENGE)
    assert response is not None
    fields = dict(parse_directives(response))
    assert fields["response"] == "d388dad90d4bbd760a152321f2143af7"
    assert fields["username"] == "chris"
    assert fields["realm"] == "elwood.innosoft.com"
    assert fields["digest-uri"] == "imap/elwood.innosoft.com"
    assert fields["nc"] == "00000001" and fields["qop"] == "auth"
    assert fields["charset"] == "utf-8"
    assert not client.complete
    assert client.step(b"rspauth=ea40f60335c427b5527b84dbabcdfffd") is None
    assert client.complete and client.ssf == 0 and client.security_layer() is None


def test_bad_rspauth_rejected() -> None:
    params = SaslParams(service="imap", host="elwood.innosoft.com")
    client = DigestMD5Client(params, source(), cnonce="OA6MHXh6VqTrRk")
    client.start()
    client.step(RFC_CHALLENGE)
    with pytest.raises(AuthError, match="rspauth"):
        client.step(b"rspauth=00000000000000000000000000000000")
    assert not client.complete


def test_parse_directives_quoting() -> None:
    parsed = parse_directives(b' realm="a\\"b\\\\c" , nonce=xyz,qop="auth, auth-int" ,,')
    assert parsed == [("realm", 'a"b\\c'), ("nonce", "xyz"), ("qop", "auth, auth-int")]
    with pytest.raises(AuthError):
        parse_directives(b'realm="unterminated')


@pytest.mark.parametrize(
    "challenge",
    [
        b"nonce=abc",  # no algorithm
        b"nonce=abc,algorithm=md5",
        b"algorithm=md5-sess",  # no nonce
        b"nonce=abc,algorithm=md5-sess,maxbuf=16",
        b"nonce=abc,algorithm=md5-sess,maxbuf=1,maxbuf=2",
        b"nonce=abc,algorithm=md5-sess,charset=latin1",
        b"nonce=abc,algorithm=md5-sess,qop=bogus",
        b"nonce=" + b"a" * 3000 + b",algorithm=md5-sess",
    ],
)
def test_bad_challenges(challenge: bytes) -> None:
    with pytest.raises(AuthError):
        parse_challenge(challenge)


OFFER = parse_challenge(
    b'nonce="n",realm="r",qop="auth,auth-int,auth-conf",'
    b'cipher="rc4-40,rc4-56,rc4,des,3des",maxbuf=2048,charset=utf-8,algorithm=md5-sess'
)


@pytest.mark.parametrize(
    ("need", "limit", "qop", "cipher"),
    [
        (0, 0, "auth", None),  # secure channel: libvirt sets max_ssf 0
        (56, 100000, "auth-conf", "rc4"),  # plain TCP: strongest cipher
        (0, 100000, "auth-conf", "rc4"),
        (56, 112, "auth-conf", "3des"),
        (40, 55, "auth-conf", "des"),
        (0, 1, "auth-int", None),
        (1, 1, "auth-int", None),
    ],
)
def test_choose_protection(need: int, limit: int, qop: str, cipher: str | None) -> None:
    chosen_qop, chosen = choose_protection(OFFER, need, limit)
    assert chosen_qop == qop
    assert (chosen.name if chosen else None) == cipher


def test_choose_protection_too_weak() -> None:
    only_auth = parse_challenge(b'nonce="n",qop="auth",algorithm=md5-sess')
    with pytest.raises(AuthError):
        choose_protection(only_auth, 56, 100000)
    no_auth = parse_challenge(b'nonce="n",qop="auth-int",algorithm=md5-sess')
    with pytest.raises(AuthError):
        choose_protection(no_auth, 0, 0)


def test_multiple_realms_ask_the_realm_credential() -> None:
    seen: list[dict[str, Any]] = []

    def callback(creds: list[dict[str, Any]]) -> int:
        seen.extend(dict(c) for c in creds)
        for cred in creds:
            cred["result"] = {CRED_AUTHNAME: "u", CRED_PASSPHRASE: "p", CRED_REALM: "two"}[
                cred["type"]
            ]
        return 0

    creds = CredentialSource([CRED_AUTHNAME, CRED_PASSPHRASE, CRED_REALM], callback)
    client = DigestMD5Client(SaslParams(service="libvirt", host="h"), creds)
    client.start()
    out = client.step(b'realm="one",realm="two",nonce="n",algorithm=md5-sess')
    assert out is not None and dict(parse_directives(out))["realm"] == "two"
    realm_request = [c for c in seen if c["type"] == CRED_REALM][0]
    assert realm_request["challenge"] == "Available realms: {one}, {two}."
    assert realm_request["result"] == "h"  # default offered: the host name


# ---------------------------------------------------------------------------
# An independent server side.

USER, REALM, PASSWORD = "fred", "vm", "pw"
NONCE, CNONCE = "servernonce", "clientnonce"


def server_ha1() -> bytes:
    inner = hashlib.md5(f"{USER}:{REALM}:{PASSWORD}".encode()).digest()
    return hashlib.md5(inner + f":{NONCE}:{CNONCE}".encode()).digest()


def slidebits(k: bytes) -> bytes:
    """cyrus-sasl's slidebits(), transcribed byte by byte."""
    return bytes(
        [
            k[0],
            (k[0] << 7 | k[1] >> 1) & 0xFF,
            (k[1] << 6 | k[2] >> 2) & 0xFF,
            (k[2] << 5 | k[3] >> 3) & 0xFF,
            (k[3] << 4 | k[4] >> 4) & 0xFF,
            (k[4] << 3 | k[5] >> 5) & 0xFF,
            (k[5] << 2 | k[6] >> 6) & 0xFF,
            (k[6] << 1) & 0xFF,
        ]
    )


_libcrypto_name = ctypes.util.find_library("crypto")
LIBCRYPTO = ctypes.CDLL(_libcrypto_name) if _libcrypto_name else None
needs_libcrypto = pytest.mark.skipif(
    (LIBCRYPTO is None or not hasattr(LIBCRYPTO, "DES_ede3_cbc_encrypt"))
    and os.environ.get("CI", "").lower() not in ("1", "true", "yes"),
    reason="libcrypto's DES API is not available",
)


class LibcryptoDesCbc:
    """Chained DES/2-key-3DES CBC with libcrypto's DES_* calls, as cyrus uses them."""

    def __init__(self, kc: bytes, triple: bool, encrypt: bool) -> None:
        assert LIBCRYPTO is not None
        self.ks1 = ctypes.create_string_buffer(128)
        self.ks2 = ctypes.create_string_buffer(128)
        LIBCRYPTO.DES_set_key_unchecked(slidebits(kc[0:7]), self.ks1)
        LIBCRYPTO.DES_set_key_unchecked(slidebits(kc[7:14]), self.ks2)
        self.iv = ctypes.create_string_buffer(kc[8:16], 8)
        self.triple, self.enc = triple, int(encrypt)

    def __call__(self, data: bytes) -> bytes:
        assert LIBCRYPTO is not None
        out = ctypes.create_string_buffer(len(data))
        if self.triple:
            LIBCRYPTO.DES_ede3_cbc_encrypt(
                data,
                out,
                ctypes.c_long(len(data)),
                self.ks1,
                self.ks2,
                self.ks1,
                self.iv,
                self.enc,
            )
        else:
            LIBCRYPTO.DES_ncbc_encrypt(
                data, out, ctypes.c_long(len(data)), self.ks1, self.iv, self.enc
            )
        return out.raw


class Server:
    """Server end of the layer, per RFC 2831 section 2.3/2.4."""

    def __init__(self, cipher: str | None) -> None:
        ha1 = server_ha1()
        md5 = hashlib.md5
        self.ki_send = md5(
            ha1 + b"Digest session key to server-to-client signing key magic constant"
        ).digest()
        self.ki_recv = md5(
            ha1 + b"Digest session key to client-to-server signing key magic constant"
        ).digest()
        n = {"rc4-40": 5, "rc4-56": 7}.get(cipher or "", 16)
        kcs = md5(ha1[:n] + b"Digest H(A1) to server-to-client sealing key magic constant").digest()
        kcc = md5(ha1[:n] + b"Digest H(A1) to client-to-server sealing key magic constant").digest()
        self.cipher = cipher
        self.seq_send = self.seq_recv = 0
        self.encrypt: Callable[[bytes], bytes] | None = None
        self.decrypt: Callable[[bytes], bytes] | None = None
        if cipher and cipher.startswith("rc4"):
            from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
            from cryptography.hazmat.primitives.ciphers import Cipher

            self.encrypt = Cipher(ARC4(kcs), None).encryptor().update
            self.decrypt = Cipher(ARC4(kcc), None).decryptor().update
        elif cipher in ("des", "3des"):
            self.encrypt = LibcryptoDesCbc(kcs, cipher == "3des", True)
            self.decrypt = LibcryptoDesCbc(kcc, cipher == "3des", False)

    def wrap(self, msg: bytes) -> bytes:
        seq = struct.pack(">I", self.seq_send)
        self.seq_send += 1
        mac = hmac.new(self.ki_send, seq + msg, "md5").digest()[:10]
        if self.encrypt is None:
            token = msg + mac
        else:
            pad = b""
            if self.cipher in ("des", "3des"):
                n = 8 - (len(msg) + 10) % 8
                pad = bytes([n]) * n
            token = self.encrypt(msg + pad + mac)
        token += b"\x00\x01" + seq
        return struct.pack(">I", len(token)) + token

    def unwrap_stream(self, data: bytes) -> list[bytes]:
        out = []
        while data:
            (length,) = struct.unpack(">I", data[:4])
            token, data = data[4 : 4 + length], data[4 + length :]
            assert token[-6:-4] == b"\x00\x01"
            seq = token[-4:]
            assert struct.unpack(">I", seq)[0] == self.seq_recv
            self.seq_recv += 1
            body = token[:-6] if self.decrypt is None else self.decrypt(token[:-6])
            msg, mac = body[:-10], body[-10:]
            if self.cipher in ("des", "3des"):
                msg = msg[: -msg[-1]]
            assert hmac.new(self.ki_recv, seq + msg, "md5").digest()[:10] == mac
            out.append(msg)
        return out


CIPHER_NAMES: list[str | None] = [None] + [c.name for c in CIPHERS]


def layer_params(name: str | None) -> list[Any]:
    marks = [needs_libcrypto] if name in ("des", "3des") else []
    return [pytest.param(name, marks=marks, id=name or "auth-int")]


ALL_LAYERS = [p for name in CIPHER_NAMES for p in layer_params(name)]


def negotiated(cipher: str | None, *, server_maxbuf: int = 65536) -> tuple[DigestMD5Client, Server]:
    """Run a full exchange against the test server; returns the completed client."""
    ssf = next((c.ssf for c in CIPHERS if c.name == cipher), 1)
    params = SaslParams(service="libvirt", host="vm", min_ssf=ssf, max_ssf=ssf)
    client = DigestMD5Client(params, source(USER, PASSWORD), cnonce=CNONCE)
    client.start()
    qop = "auth-conf" if cipher else "auth-int"
    response = client.step(
        f'realm="{REALM}",nonce="{NONCE}",qop="auth,auth-int,auth-conf",'
        f'cipher="rc4-40,rc4-56,rc4,des,3des",maxbuf={server_maxbuf},'
        "charset=utf-8,algorithm=md5-sess".encode()
    )
    assert response is not None
    fields = dict(parse_directives(response))
    assert fields["qop"] == qop and fields.get("cipher") == cipher
    ha1_hex = server_ha1().hex()
    a2 = hashlib.md5(b":libvirt/vm:" + b"0" * 32).hexdigest()
    rspauth = hashlib.md5(f"{ha1_hex}:{NONCE}:00000001:{CNONCE}:{qop}:{a2}".encode()).hexdigest()
    assert client.step(f"rspauth={rspauth}".encode()) is None
    assert client.complete and client.ssf == ssf
    return client, Server(cipher)


@pytest.mark.parametrize("cipher", ALL_LAYERS)
def test_layer_round_trip(cipher: str | None) -> None:
    client, server = negotiated(cipher)
    layer = client.security_layer()
    assert isinstance(layer, DigestMD5Layer)
    messages = [b"hello", b"", b"x" * 1000, bytes(range(256))]
    for msg in messages:
        sent = b"".join(layer.encode(msg))
        assert server.unwrap_stream(sent) == ([msg] if msg else [])
        assert layer.feed(server.wrap(msg)) == msg


@pytest.mark.parametrize("cipher", ALL_LAYERS)
def test_layer_byte_by_byte(cipher: str | None) -> None:
    client, server = negotiated(cipher)
    layer = client.security_layer()
    assert layer is not None
    stream = server.wrap(b"first message") + server.wrap(b"second")
    out = b"".join(layer.feed(stream[i : i + 1]) for i in range(len(stream)))
    assert out == b"first messagesecond"
    assert layer.pending == 0


@settings(max_examples=40, deadline=None)
@given(
    chunks=st.lists(st.binary(max_size=300), min_size=1, max_size=6),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=8),
)
def test_layer_arbitrary_slicing(chunks: list[bytes], cuts: list[int]) -> None:
    client, server = negotiated("rc4")
    layer = client.security_layer()
    assert layer is not None
    stream = b"".join(server.wrap(c) for c in chunks)
    points = sorted({0, len(stream), *(c % (len(stream) + 1) for c in cuts)})
    got = b"".join(layer.feed(stream[a:b]) for a, b in zip(points, points[1:], strict=False))
    assert got == b"".join(chunks)


@pytest.mark.parametrize("cipher", [None, "rc4"])
def test_honours_server_maxbuf(cipher: str | None) -> None:
    client, server = negotiated(cipher, server_maxbuf=2048)
    layer = client.security_layer()
    assert layer is not None
    data = bytes(range(256)) * 40
    tokens = layer.encode(data)
    assert len(tokens) > 1
    assert all(len(t) - 4 <= 2048 for t in tokens)
    assert b"".join(server.unwrap_stream(b"".join(tokens))) == data


@pytest.mark.parametrize("cipher", ALL_LAYERS)
@pytest.mark.parametrize("where", [4, -1, -7, -12])
def test_tampering_detected(cipher: str | None, where: int) -> None:
    client, server = negotiated(cipher)
    layer = client.security_layer()
    assert layer is not None
    token = bytearray(server.wrap(b"some payload bytes"))
    token[where] ^= 0x01
    with pytest.raises(RemoteProtocolError):
        layer.feed(bytes(token))
    with pytest.raises(RemoteProtocolError):
        layer.feed(server.wrap(b"later"))  # the layer stays failed


def test_replay_and_oversize_rejected() -> None:
    client, server = negotiated(None)
    layer = client.security_layer()
    assert layer is not None
    token = server.wrap(b"once")
    assert layer.feed(token) == b"once"
    with pytest.raises(RemoteProtocolError, match="sequence"):
        layer.feed(token)
    client2, _ = negotiated(None)
    layer2 = client2.security_layer()
    assert layer2 is not None
    with pytest.raises(RemoteProtocolError, match="exceeds"):
        layer2.feed(struct.pack(">I", 65537))


def test_password_not_in_repr_or_errors() -> None:
    client = DigestMD5Client(
        SaslParams(service="libvirt", host="vm"), source("fred", "Sup3rSecretPw"), cnonce="c"
    )
    client.start()
    client.step(b'nonce="n",algorithm=md5-sess')
    with pytest.raises(AuthError) as info:
        client.step(b"rspauth=0")
    assert "Sup3rSecretPw" not in str(info.value) and "Sup3rSecretPw" not in repr(client)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_challenge_parser_fails_cleanly(data: bytes) -> None:
    try:
        parse_challenge(data)
    except AuthError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=4, max_size=200))
def test_layer_rejects_garbage_cleanly(data: bytes) -> None:
    client, _ = negotiated("rc4")
    layer = client.security_layer()
    assert layer is not None
    try:
        out = layer.feed(data)
    except RemoteProtocolError:
        return
    assert out == b""  # only an incomplete token can pass without a verified MAC
