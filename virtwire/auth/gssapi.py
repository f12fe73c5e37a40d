"""GSSAPI (Kerberos V5) client (RFC 4752) using the optional ``gssapi`` package.

The package is imported only when the mechanism is used; without it the
mechanism raises ``AuthError``.  Using it needs a Kerberos ticket for a KDC
that knows the ``libvirt/HOST`` service principal.  Layer choice follows
cyrus-sasl: confidentiality, then integrity (SSF 1), then none.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from virtwire.errors import AuthError, RemoteProtocolError

from .credentials import (
    CHALLENGE_AUTHZID,
    CRED_USERNAME,
    PROMPT_AUTHZID,
    CredentialRequest,
    CredentialSource,
)
from .mechanism import SaslClient, SaslParams
from .security_layer import SecurityLayer

LAYER_NONE = 1
LAYER_INTEGRITY = 2
LAYER_CONFIDENTIALITY = 4

#: SSF of a Kerberos confidentiality layer when the library cannot say (cyrus's K5_MAX_SSF).
DEFAULT_CONF_SSF = 256
#: GSS_C_SEC_CONTEXT_SASL_SSF, asked of the library for the real strength.
_SASL_SSF_OID = "1.2.840.113554.1.2.2.5.15"


def load_gssapi() -> Any:
    """Import python-gssapi, or raise ``AuthError`` saying it is missing."""
    try:
        return importlib.import_module("gssapi")
    except ImportError as exc:
        raise AuthError(
            "SASL GSSAPI needs the optional 'gssapi' Python package (python-gssapi)"
        ) from exc


def gssapi_available() -> bool:
    """Whether python-gssapi can be imported."""
    return importlib.util.find_spec("gssapi") is not None


class GssapiLayer(SecurityLayer):
    """Tokens produced by ``gss_wrap`` and checked by ``gss_unwrap``."""

    __slots__ = ("_context", "_encrypt")

    def __init__(self, context: Any, *, encrypt: bool, max_plaintext: int, max_token: int) -> None:
        super().__init__(max_plaintext=max_plaintext, max_token=max_token)
        self._context = context
        self._encrypt = encrypt

    def wrap(self, plaintext: bytes) -> bytes:
        return bytes(self._context.wrap(plaintext, self._encrypt).message)

    def unwrap(self, token: bytes | memoryview) -> bytes:
        try:
            result = self._context.unwrap(bytes(token))
        except Exception as exc:  # the library's GSSError family
            raise RemoteProtocolError("GSSAPI token failed its check") from exc
        if self._encrypt and not result.encrypted:
            raise RemoteProtocolError("GSSAPI token was not encrypted")
        return bytes(result.message)


class GssapiClient(SaslClient):
    """Establishes a security context, then negotiates the layer in one wrapped message."""

    mechanism = "GSSAPI"
    max_mech_ssf = DEFAULT_CONF_SSF
    needs = ()

    def __init__(self, params: SaslParams, credentials: CredentialSource) -> None:
        super().__init__(params, credentials)
        self._gssapi: Any = None
        self._context: Any = None

    def _start(self) -> bytes:
        gssapi = load_gssapi()
        self._gssapi = gssapi
        flags = (
            gssapi.RequirementFlag.mutual_authentication
            | gssapi.RequirementFlag.out_of_sequence_detection
            | gssapi.RequirementFlag.integrity
            | gssapi.RequirementFlag.confidentiality
        )
        try:
            name = gssapi.Name(
                f"{self.params.service}@{self.params.host}", gssapi.NameType.hostbased_service
            )
            self._context = gssapi.SecurityContext(name=name, usage="initiate", flags=flags)
            token = self._context.step()
        except gssapi.exceptions.GSSError as exc:
            raise AuthError(f"GSSAPI context setup failed: {exc.gen_message()}") from exc
        return bytes(token or b"")

    def _step(self, challenge: bytes) -> bytes | None:
        gssapi = self._gssapi
        if not self._context.complete:
            try:
                token = self._context.step(challenge)
            except gssapi.exceptions.GSSError as exc:
                raise AuthError(f"GSSAPI context setup failed: {exc.gen_message()}") from exc
            return bytes(token or b"")
        try:
            offer = bytes(self._context.unwrap(challenge).message)
        except gssapi.exceptions.GSSError as exc:
            raise AuthError("GSSAPI security layer offer failed its check") from exc
        if len(offer) != 4:
            raise AuthError("GSSAPI security layer offer must be 4 bytes")
        return self._choose_layer(offer[0], int.from_bytes(offer[1:4], "big"))

    def _conf_ssf(self) -> int:
        try:
            raw = importlib.import_module("gssapi.raw")
            oid = self._gssapi.OID.from_int_seq(_SASL_SSF_OID)
            (value,) = raw.inquire_sec_context_by_oid(self._context, oid)
            return int.from_bytes(bytes(value)[:4], "big")
        except Exception:
            return DEFAULT_CONF_SSF

    def _choose_layer(self, server_has: int, server_maxbuf: int) -> bytes:
        need, allowed = self.params.need_ssf, self.params.limit_ssf
        conf_ssf = self._conf_ssf()
        if server_has & LAYER_CONFIDENTIALITY and need <= conf_ssf <= allowed:
            choice, ssf = LAYER_CONFIDENTIALITY, conf_ssf
        elif server_has & LAYER_INTEGRITY and need <= 1 <= allowed:
            choice, ssf = LAYER_INTEGRITY, 1
        elif server_has & LAYER_NONE and need <= 0:
            choice, ssf = LAYER_NONE, 0
        else:
            raise AuthError("GSSAPI server offers no acceptable security layer")
        (authzid,) = self.credentials.collect(
            [CredentialRequest(CRED_USERNAME, PROMPT_AUTHZID, CHALLENGE_AUTHZID, required=False)]
        )
        own_maxbuf = min(self.params.maxbuf, 0xFFFFFF) if choice != LAYER_NONE else 0
        reply = bytes([choice]) + own_maxbuf.to_bytes(3, "big") + (authzid or "").encode()
        wrapped = bytes(self._context.wrap(reply, False).message)
        layer: SecurityLayer | None = None
        if choice != LAYER_NONE:
            encrypt = choice == LAYER_CONFIDENTIALITY
            try:
                max_plain = int(self._context.get_wrap_size_limit(server_maxbuf, encrypt))
            except Exception:
                max_plain = server_maxbuf - 128
            layer = GssapiLayer(
                self._context,
                encrypt=encrypt,
                max_plaintext=max(1, max_plain),
                max_token=self.params.maxbuf,
            )
        self._finish(ssf, layer)
        return wrapped


__all__ = ["GssapiClient", "GssapiLayer", "gssapi_available", "load_gssapi"]
