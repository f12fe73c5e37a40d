"""DIGEST-MD5 client (RFC 2831) with its integrity and confidentiality layers.

Layer choice follows cyrus-sasl's client: the strongest cipher the server
offers within ``[need_ssf, limit_ssf]`` (rc4-40: 40, rc4-56: 56, des: 55,
3des: 112, rc4: 128), else ``auth-int`` (SSF 1), else ``auth`` (SSF 0).
RC4 and DES come from ``cryptography``'s decrepit module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import importlib
import secrets
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from virtwire.errors import AuthError, RemoteProtocolError

from .credentials import (
    CRED_REALM,
    PROMPT_REALM,
    CredentialRequest,
    CredentialSource,
)
from .mechanism import SaslClient, SaslParams
from .security_layer import SecurityLayer

#: Largest challenge RFC 2831 allows.
MAX_CHALLENGE = 2048
#: Largest maxbuf value cyrus-sasl accepts.
MAX_SASL_BUFSIZE = 0xFFFFFF

QOP_AUTH = "auth"
QOP_INT = "auth-int"
QOP_CONF = "auth-conf"

_SEQ = struct.Struct(">I")
_VERSION = b"\x00\x01"

#: A stateful cipher direction: bytes in, the same number of bytes out (CBC: whole blocks).
Transform = Callable[[bytes | memoryview], bytes]

SIGN_CLIENT = b"Digest session key to client-to-server signing key magic constant"
SIGN_SERVER = b"Digest session key to server-to-client signing key magic constant"
SEAL_CLIENT = b"Digest H(A1) to client-to-server sealing key magic constant"
SEAL_SERVER = b"Digest H(A1) to server-to-client sealing key magic constant"


@dataclass(frozen=True, slots=True)
class Cipher:
    """A DIGEST-MD5 confidentiality cipher: name, SSF and key bytes of H(A1) used."""

    name: str
    ssf: int
    key_bytes: int
    block: bool


CIPHERS: tuple[Cipher, ...] = (
    Cipher("rc4-40", 40, 5, False),
    Cipher("rc4-56", 56, 7, False),
    Cipher("rc4", 128, 16, False),
    Cipher("des", 55, 16, True),
    Cipher("3des", 112, 16, True),
)
_CIPHER_BY_NAME = {c.name: c for c in CIPHERS}


def parse_directives(data: bytes) -> list[tuple[str, str]]:
    """Parse ``name=value`` / ``name="quoted"`` pairs separated by commas."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AuthError("DIGEST-MD5 challenge is not UTF-8") from exc
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n,":
            i += 1
        if i >= n:
            break
        eq = text.find("=", i)
        if eq < 0:
            raise AuthError("DIGEST-MD5 challenge parse error")
        name = text[i:eq].strip().lower()
        i = eq + 1
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i < n and text[i] == '"':
            i += 1
            value: list[str] = []
            while True:
                if i >= n:
                    raise AuthError("DIGEST-MD5 challenge has an unterminated string")
                ch = text[i]
                if ch == "\\" and i + 1 < n:
                    value.append(text[i + 1])
                    i += 2
                elif ch == '"':
                    i += 1
                    break
                else:
                    value.append(ch)
                    i += 1
            out.append((name, "".join(value)))
        else:
            end = text.find(",", i)
            end = n if end < 0 else end
            out.append((name, text[i:end].strip()))
            i = end
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i < n and text[i] != ",":
            raise AuthError("DIGEST-MD5 challenge parse error")
    return out


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _split_list(value: str) -> list[str]:
    return [item.strip().lower() for item in value.split(",") if item.strip()]


def _latin1_if_possible(value: str) -> bytes:
    """UTF-8 text converted to ISO 8859-1 when it fits, as RFC 2831 and cyrus do."""
    try:
        return value.encode("iso-8859-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def session_key(
    username: str, realm: str, password: str, nonce: str, cnonce: str, authzid: str | None
) -> bytes:
    """H(A1) of RFC 2831, binary (16 bytes)."""
    secret = _md5(
        _latin1_if_possible(username)
        + b":"
        + _latin1_if_possible(realm)
        + b":"
        + _latin1_if_possible(password)
    )
    a1 = secret + b":" + nonce.encode() + b":" + cnonce.encode()
    if authzid:
        a1 += b":" + authzid.encode("utf-8")
    return _md5(a1)


def response_digest(
    ha1: bytes, nonce: str, nc: str, cnonce: str, qop: str, digest_uri: str, *, method: str
) -> str:
    """The ``response`` (method ``AUTHENTICATE``) or ``rspauth`` (method ``""``) value."""
    a2 = f"{method}:{digest_uri}"
    if qop in (QOP_INT, QOP_CONF):
        a2 += ":" + "0" * 32
    ha2 = _md5(a2.encode("utf-8")).hex()
    kd = f"{ha1.hex()}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}"
    return _md5(kd.encode("utf-8")).hex()


def layer_keys(
    ha1: bytes, cipher: Cipher | None, *, client: bool
) -> tuple[bytes, bytes, bytes, bytes]:
    """(send integrity, receive integrity, send sealing, receive sealing) keys."""
    sign_out, sign_in = (SIGN_CLIENT, SIGN_SERVER) if client else (SIGN_SERVER, SIGN_CLIENT)
    seal_out, seal_in = (SEAL_CLIENT, SEAL_SERVER) if client else (SEAL_SERVER, SEAL_CLIENT)
    n = cipher.key_bytes if cipher is not None else 16
    return (
        _md5(ha1 + sign_out),
        _md5(ha1 + sign_in),
        _md5(ha1[:n] + seal_out),
        _md5(ha1[:n] + seal_in),
    )


def _des_key(seven: bytes) -> bytes:
    """Spread 56 key bits over 8 bytes (cyrus ``slidebits``); parity bits left 0."""
    value = int.from_bytes(seven, "big")
    return bytes(((value >> (49 - 7 * i)) & 0x7F) << 1 for i in range(8))


def _decrepit() -> Any:
    """The module holding ARC4 and TripleDES (moved to ``decrepit`` in cryptography 43)."""
    try:
        return importlib.import_module("cryptography.hazmat.decrepit.ciphers.algorithms")
    except ImportError:
        return importlib.import_module("cryptography.hazmat.primitives.ciphers.algorithms")


def make_cipher_pair(cipher: Cipher, enc_key: bytes, dec_key: bytes) -> tuple[Transform, Transform]:
    """Stateful encrypt/decrypt functions; RC4 and CBC state run across tokens."""
    from cryptography.hazmat.primitives.ciphers import Cipher as _Cipher
    from cryptography.hazmat.primitives.ciphers import modes

    algorithms = _decrepit()

    def make(key: bytes) -> tuple[Any, Any]:
        if cipher.name.startswith("rc4"):
            algo = algorithms.ARC4(key)
            return _Cipher(algo, None).encryptor(), _Cipher(algo, None).decryptor()
        if cipher.name == "3des":
            # Two-key EDE: K1, K2, K1.
            k1 = _des_key(key[0:7])
            des_key = k1 + _des_key(key[7:14]) + k1
        else:
            des_key = _des_key(key[0:7]) * 3
        algo = algorithms.TripleDES(des_key)
        iv = key[8:16]
        return (
            _Cipher(algo, modes.CBC(iv)).encryptor(),
            _Cipher(algo, modes.CBC(iv)).decryptor(),
        )

    encryptor, _ = make(enc_key)
    _, decryptor = make(dec_key)
    return encryptor.update, decryptor.update


class DigestMD5Layer(SecurityLayer):
    """The ``auth-int``/``auth-conf`` layer; one side's view of it.

    Token layout: integrity ``msg, MAC(10), 0x0001, seq``; confidentiality
    ``CIPHER(msg, pad, MAC(10)), 0x0001, seq`` with
    ``MAC = HMAC-MD5(Ki, seq || msg)[:10]``.
    """

    __slots__ = (
        "_block",
        "_cipher",
        "_decrypt",
        "_encrypt",
        "_ki_in",
        "_ki_out",
        "_seq_in",
        "_seq_out",
    )

    def __init__(
        self,
        ha1: bytes,
        cipher: Cipher | None,
        *,
        peer_maxbuf: int,
        own_maxbuf: int,
        client: bool = True,
    ) -> None:
        overhead = 25 if cipher is not None else 16
        super().__init__(max_plaintext=peer_maxbuf - overhead, max_token=own_maxbuf)
        self._ki_out, self._ki_in, kc_out, kc_in = layer_keys(ha1, cipher, client=client)
        self._cipher = cipher
        self._block = cipher is not None and cipher.block
        self._seq_out = 0
        self._seq_in = 0
        self._encrypt: Transform | None = None
        self._decrypt: Transform | None = None
        if cipher is not None:
            self._encrypt, self._decrypt = make_cipher_pair(cipher, kc_out, kc_in)

    def wrap(self, plaintext: bytes) -> bytes:
        return b"".join(self.wrap_parts(memoryview(plaintext)))

    def wrap_parts(self, plaintext: memoryview) -> list[bytes]:
        seq = _SEQ.pack(self._seq_out)
        self._seq_out = (self._seq_out + 1) & 0xFFFFFFFF
        mac = hmac.new(self._ki_out, seq, "md5")
        mac.update(plaintext)
        tag = mac.digest()[:10]
        encrypt = self._encrypt
        if encrypt is None:
            return [bytes(plaintext), tag, _VERSION + seq]
        if self._block:
            pad = 8 - (len(plaintext) + 10) % 8
            tail = bytes([pad]) * pad + tag
        else:
            tail = tag
        # The cipher runs across calls (RC4's stream, CBC's chaining), so the body can be
        # encrypted in two pieces without joining them first.
        return [encrypt(plaintext), encrypt(tail), _VERSION + seq]

    def unwrap(self, token: bytes | memoryview) -> bytes | memoryview:
        size = len(token)
        if size < 16:
            raise RemoteProtocolError("DIGEST-MD5 token shorter than 16 bytes")
        if bytes(token[size - 6 : size - 4]) != _VERSION:
            raise RemoteProtocolError("DIGEST-MD5 token has a wrong version")
        seq = bytes(token[size - 4 :])
        if _SEQ.unpack(seq)[0] != self._seq_in:
            raise RemoteProtocolError("DIGEST-MD5 token has a wrong sequence number")
        body: bytes | memoryview = token[: size - 6]
        decrypt = self._decrypt
        if decrypt is not None:
            if self._block and len(body) % 8:
                raise RemoteProtocolError("DIGEST-MD5 token is not a whole number of blocks")
            body = decrypt(body)
        n = len(body) - 10
        msg = memoryview(body)[:n]
        mac = bytes(body[n:])
        if self._block:
            pad = msg[-1] if n else 0
            if not 1 <= pad <= 8 or msg[n - pad : n] != bytes([pad]) * pad:
                raise RemoteProtocolError("DIGEST-MD5 token has bad padding")
            msg = msg[: n - pad]
        check = hmac.new(self._ki_in, seq, "md5")
        check.update(msg)
        if not hmac.compare_digest(check.digest()[:10], mac):
            raise RemoteProtocolError("DIGEST-MD5 token failed its integrity check")
        self._seq_in = (self._seq_in + 1) & 0xFFFFFFFF
        # Without a cipher the message still points into the caller's buffer.
        return msg if decrypt is not None else bytes(msg)


@dataclass(frozen=True, slots=True)
class Challenge:
    """The fields of a DIGEST-MD5 challenge the client uses."""

    realms: tuple[str, ...]
    nonce: str
    qops: frozenset[str]
    ciphers: frozenset[str]
    maxbuf: int
    utf8: bool


def parse_challenge(data: bytes) -> Challenge:
    """Parse and check a digest-challenge as cyrus-sasl's client does."""
    if len(data) > MAX_CHALLENGE:
        raise AuthError("DIGEST-MD5 challenge is too long")
    realms: list[str] = []
    nonce: str | None = None
    qops: set[str] = set()
    saw_qop = False
    ciphers: set[str] = set()
    maxbuf: int | None = None
    algorithm = 0
    utf8 = False
    for name, value in parse_directives(data):
        if name == "realm":
            realms.append(value)
        elif name == "nonce":
            if nonce is not None:
                raise AuthError("DIGEST-MD5 challenge has two nonces")
            nonce = value
        elif name == "qop":
            saw_qop = True
            qops.update(q for q in _split_list(value) if q in (QOP_AUTH, QOP_INT, QOP_CONF))
        elif name == "cipher":
            ciphers.update(c for c in _split_list(value) if c in _CIPHER_BY_NAME)
        elif name == "maxbuf":
            if maxbuf is not None:
                raise AuthError("DIGEST-MD5 challenge has two maxbuf directives")
            if not value.isdigit() or not 16 < int(value) <= MAX_SASL_BUFSIZE:
                raise AuthError("DIGEST-MD5 challenge has an invalid maxbuf")
            maxbuf = int(value)
        elif name == "charset":
            if value.lower() != "utf-8":
                raise AuthError("DIGEST-MD5 charset must be utf-8")
            utf8 = True
        elif name == "algorithm":
            if value.lower() != "md5-sess":
                raise AuthError("DIGEST-MD5 algorithm is not md5-sess")
            algorithm += 1
    if algorithm != 1:
        raise AuthError("DIGEST-MD5 challenge must name the algorithm once")
    if not nonce:
        raise AuthError("DIGEST-MD5 challenge has no nonce")
    if not saw_qop:
        qops.add(QOP_AUTH)
    if not qops:
        raise AuthError("DIGEST-MD5 server offers no known qop")
    return Challenge(
        tuple(realms), nonce, frozenset(qops), frozenset(ciphers), maxbuf or 65536, utf8
    )


def choose_protection(
    challenge: Challenge, need_ssf: int, limit_ssf: int
) -> tuple[str, Cipher | None]:
    """Pick the qop and cipher the way cyrus-sasl's client does."""
    if limit_ssf > 1 and QOP_CONF in challenge.qops:
        best: Cipher | None = None
        for cipher in CIPHERS:
            if (
                need_ssf <= cipher.ssf <= limit_ssf
                and cipher.name in challenge.ciphers
                and (best is None or cipher.ssf > best.ssf)
            ):
                best = cipher
        if best is not None:
            return QOP_CONF, best
    if limit_ssf >= 1 and need_ssf <= 1 and QOP_INT in challenge.qops:
        return QOP_INT, None
    if need_ssf <= 0:
        if QOP_AUTH not in challenge.qops:
            raise AuthError('DIGEST-MD5 server does not support "no layer"')
        return QOP_AUTH, None
    raise AuthError("DIGEST-MD5 server offers no acceptable security layer")


class DigestMD5Client(SaslClient):
    """DIGEST-MD5 client: no initial response, one response, then ``rspauth``."""

    mechanism = "DIGEST-MD5"
    max_mech_ssf = 128

    def __init__(
        self,
        params: SaslParams,
        credentials: CredentialSource,
        *,
        cnonce: str | None = None,
    ) -> None:
        super().__init__(params, credentials)
        self._cnonce = cnonce or base64.b64encode(secrets.token_bytes(32)).decode("ascii")
        self._state = 0
        self._ha1 = b""
        self._expected_rspauth = ""
        self._qop = QOP_AUTH
        self._cipher: Cipher | None = None
        self._peer_maxbuf = 65536

    @property
    def digest_uri(self) -> str:
        """``service/host``, as sent in the response."""
        return f"{self.params.service}/{self.params.host}"

    def _start(self) -> None:
        self._state = 1
        return None

    def _step(self, challenge: bytes) -> bytes | None:
        if self._state == 1:
            return self._respond(challenge)
        if self._state == 2:
            self._check_rspauth(challenge)
            return None
        raise AuthError("unexpected DIGEST-MD5 step")

    def _choose_realm(self, challenge: Challenge) -> tuple[CredentialRequest | None, str]:
        if len(challenge.realms) == 1:
            return None, challenge.realms[0]
        if not challenge.realms:
            return None, self.params.host
        listing = "Available realms:" + ",".join(f" {{{r}}}" for r in challenge.realms) + "."
        return (
            CredentialRequest(
                CRED_REALM, PROMPT_REALM, listing, default=self.params.host, required=False
            ),
            self.params.host,
        )

    def _respond(self, data: bytes) -> bytes:
        challenge = parse_challenge(data)
        qop, cipher = choose_protection(challenge, self.params.need_ssf, self.params.limit_ssf)
        authname, authzid, password = self._user_credentials()
        realm_request, realm = self._choose_realm(challenge)
        if realm_request is not None:
            (answer,) = self.credentials.collect([realm_request])
            realm = answer if answer is not None else realm
        if authzid == authname:
            authzid = ""

        nc = "00000001"
        self._ha1 = session_key(authname, realm, password, challenge.nonce, self._cnonce, authzid)
        response = response_digest(
            self._ha1,
            challenge.nonce,
            nc,
            self._cnonce,
            qop,
            self.digest_uri,
            method="AUTHENTICATE",
        )
        self._expected_rspauth = response_digest(
            self._ha1, challenge.nonce, nc, self._cnonce, qop, self.digest_uri, method=""
        )
        self._qop, self._cipher, self._peer_maxbuf = qop, cipher, challenge.maxbuf

        parts = [f"username={_quote(authname)}", f"realm={_quote(realm)}"]
        if authzid:
            parts.append(f"authzid={_quote(authzid)}")
        parts += [
            f"nonce={_quote(challenge.nonce)}",
            f"cnonce={_quote(self._cnonce)}",
            f"nc={nc}",
            f"qop={qop}",
        ]
        if cipher is not None:
            parts.append(f"cipher={cipher.name}")
        if self.params.maxbuf:
            parts.append(f"maxbuf={self.params.maxbuf}")
        if challenge.utf8:
            parts.append("charset=utf-8")
        parts += [f"digest-uri={_quote(self.digest_uri)}", f"response={response}"]
        self._state = 2
        return ",".join(parts).encode("utf-8")

    def _check_rspauth(self, data: bytes) -> None:
        values = dict(parse_directives(data))
        rspauth = values.get("rspauth", "")
        if not hmac.compare_digest(rspauth.lower().encode(), self._expected_rspauth.encode()):
            raise AuthError("DIGEST-MD5 server authentication (rspauth) failed")
        self._state = 3
        if self._qop == QOP_AUTH:
            self._finish(0)
            return
        layer = DigestMD5Layer(
            self._ha1,
            self._cipher,
            peer_maxbuf=self._peer_maxbuf,
            own_maxbuf=self.params.maxbuf,
        )
        self._finish(self._cipher.ssf if self._cipher is not None else 1, layer)


__all__ = [
    "CIPHERS",
    "Challenge",
    "Cipher",
    "DigestMD5Client",
    "DigestMD5Layer",
    "choose_protection",
    "layer_keys",
    "parse_challenge",
    "parse_directives",
    "response_digest",
    "session_key",
]
