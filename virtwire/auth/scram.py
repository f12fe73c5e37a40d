"""SCRAM-SHA-1 and SCRAM-SHA-256 clients (RFC 5802, RFC 7677).

No channel binding (GS2 header ``n,,``) and no security layer.  The
password is used as UTF-8 without SASLprep, as cyrus-sasl's server does;
the two agree for every password SASLprep leaves unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from virtwire.errors import AuthError

from .credentials import CredentialSource
from .mechanism import SaslClient, SaslParams

#: Upper bound on the server's iteration count, against a hostile server.
MAX_ITERATIONS = 10_000_000


def saslname(name: str) -> str:
    """Escape ``=`` and ``,`` in a SCRAM user name."""
    return name.replace("=", "=3D").replace(",", "=2C")


def _parse(message: bytes) -> list[tuple[str, str]]:
    try:
        text = message.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AuthError("SCRAM server message is not UTF-8") from exc
    out: list[tuple[str, str]] = []
    for part in text.split(","):
        if len(part) < 2 or part[1] != "=":
            raise AuthError("malformed SCRAM server message")
        out.append((part[0], part[2:]))
    return out


def salted_password(digest: str, password: bytes, salt: bytes, iterations: int) -> bytes:
    """Hi(password, salt, i) of RFC 5802 (PBKDF2 with HMAC)."""
    return hashlib.pbkdf2_hmac(digest, password, salt, iterations)


class ScramClient(SaslClient):
    """SCRAM client; subclasses set the hash."""

    digest = "sha256"

    def __init__(
        self,
        params: SaslParams,
        credentials: CredentialSource,
        *,
        cnonce: str | None = None,
    ) -> None:
        super().__init__(params, credentials)
        self._cnonce = cnonce or base64.b64encode(secrets.token_bytes(24)).decode("ascii")
        self._gs2_header = b""
        self._client_first_bare = b""
        self._password = b""
        self._server_signature = b""
        self._state = 0

    def _hmac(self, key: bytes, msg: bytes) -> bytes:
        return hmac.new(key, msg, self.digest).digest()

    def _start(self) -> bytes:
        authname, authzid, password = self._user_credentials()
        self._password = password.encode("utf-8")
        gs2 = "n," + (f"a={saslname(authzid)}" if authzid and authzid != authname else "") + ","
        self._gs2_header = gs2.encode("utf-8")
        bare = f"n={saslname(authname)},r={self._cnonce}"
        self._client_first_bare = bare.encode("utf-8")
        self._state = 1
        return self._gs2_header + self._client_first_bare

    def _step(self, challenge: bytes) -> bytes | None:
        if self._state == 1:
            return self._client_final(challenge)
        if self._state == 2:
            self._verify_server_final(challenge)
            return None
        raise AuthError("unexpected SCRAM step")

    def _client_final(self, server_first: bytes) -> bytes:
        fields = _parse(server_first)
        if fields and fields[0][0] == "m":
            raise AuthError("SCRAM server requires an unsupported extension")
        if fields and fields[0][0] == "e":
            raise AuthError(f"SCRAM server error: {fields[0][1]}")
        values = dict(fields)
        nonce = values.get("r", "")
        if not nonce.startswith(self._cnonce) or len(nonce) <= len(self._cnonce):
            raise AuthError("SCRAM server nonce does not extend the client nonce")
        try:
            salt = base64.b64decode(values["s"], validate=True)
            iterations = int(values["i"])
        except (KeyError, ValueError) as exc:
            raise AuthError("SCRAM server-first-message lacks a valid salt or count") from exc
        if not 1 <= iterations <= MAX_ITERATIONS:
            raise AuthError(f"SCRAM iteration count {iterations} out of range")

        salted = salted_password(self.digest, self._password, salt, iterations)
        self._password = b""
        client_key = self._hmac(salted, b"Client Key")
        stored_key = hashlib.new(self.digest, client_key).digest()
        channel = base64.b64encode(self._gs2_header).decode("ascii")
        without_proof = f"c={channel},r={nonce}".encode()
        auth_message = self._client_first_bare + b"," + server_first + b"," + without_proof
        signature = self._hmac(stored_key, auth_message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        server_key = self._hmac(salted, b"Server Key")
        self._server_signature = self._hmac(server_key, auth_message)
        self._state = 2
        return without_proof + b",p=" + base64.b64encode(proof)

    def _verify_server_final(self, server_final: bytes) -> None:
        fields = dict(_parse(server_final))
        if "e" in fields:
            raise AuthError(f"SCRAM authentication failed: {fields['e']}")
        try:
            verifier = base64.b64decode(fields["v"], validate=True)
        except (KeyError, ValueError) as exc:
            raise AuthError("SCRAM server-final-message lacks a verifier") from exc
        if not hmac.compare_digest(verifier, self._server_signature):
            raise AuthError("SCRAM server signature does not match")
        self._state = 3
        self._finish(0)


class ScramSha1Client(ScramClient):
    """SCRAM-SHA-1 (RFC 5802)."""

    mechanism = "SCRAM-SHA-1"
    digest = "sha1"


class ScramSha256Client(ScramClient):
    """SCRAM-SHA-256 (RFC 7677)."""

    mechanism = "SCRAM-SHA-256"
    digest = "sha256"


__all__ = ["ScramClient", "ScramSha1Client", "ScramSha256Client", "saslname"]
