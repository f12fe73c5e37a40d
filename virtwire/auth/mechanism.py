"""The client side of one SASL mechanism, driven step by step without I/O."""

from __future__ import annotations

import abc
from dataclasses import dataclass

from virtwire.errors import AuthError

from .credentials import (
    CHALLENGE_AUTHNAME,
    CHALLENGE_AUTHZID,
    CHALLENGE_PASSWORD,
    CRED_AUTHNAME,
    CRED_PASSPHRASE,
    CRED_USERNAME,
    PROMPT_AUTHNAME,
    PROMPT_AUTHZID,
    PROMPT_PASSWORD,
    CredentialRequest,
    CredentialSource,
)
from .security_layer import DEFAULT_MAXBUF, SecurityLayer

#: Minimum SSF libvirt demands on a channel that is not already secure (DES level).
INSECURE_MIN_SSF = 56
#: Maximum SSF libvirt allows on such a channel.
INSECURE_MAX_SSF = 100000


@dataclass(frozen=True, slots=True)
class SaslParams:
    """Connection facts and security properties for one attempt.

    ``min_ssf``/``max_ssf`` bound the layer strength, ``external_ssf`` is what
    the channel already provides (TLS key bits); the mechanism must bring
    ``min_ssf - external_ssf`` itself.  ``maxbuf`` is the receive buffer size
    announced to the server.
    """

    service: str
    host: str
    external_ssf: int = 0
    min_ssf: int = 0
    max_ssf: int = 0
    maxbuf: int = DEFAULT_MAXBUF

    @property
    def need_ssf(self) -> int:
        """Strength the mechanism's own layer must reach."""
        return max(0, self.min_ssf - self.external_ssf)

    @property
    def limit_ssf(self) -> int:
        """Strongest layer the mechanism may negotiate."""
        if self.maxbuf <= 0:
            return 0
        return max(0, self.max_ssf - self.external_ssf)


class SaslClient(abc.ABC):
    """One authentication attempt with one mechanism.

    ``start()`` gives the initial response (``None``: none, distinct from
    ``b""``), then ``step()`` answers each server challenge until
    ``complete``.  ``ssf`` is the negotiated layer strength and
    ``security_layer()`` the layer to install once complete (``None`` when
    no layer was negotiated).
    """

    mechanism: str = ""
    #: Strongest layer the mechanism can offer (0: authentication only).
    max_mech_ssf: int = 0
    #: Credential types the mechanism cannot do without (as cyrus, it is passed over
    #: when the credential source cannot answer them).
    needs: tuple[int, ...] = (CRED_AUTHNAME, CRED_PASSPHRASE)

    def __init__(self, params: SaslParams, credentials: CredentialSource) -> None:
        self.params = params
        self.credentials = credentials
        self.complete = False
        self.ssf = 0
        self._layer: SecurityLayer | None = None
        self._started = False

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} mechanism={self.mechanism} host={self.params.host!r} "
            f"complete={self.complete} ssf={self.ssf}>"
        )

    def start(self) -> bytes | None:
        """Begin the exchange; return the initial response or ``None``."""
        if self._started:
            raise AuthError(f"SASL {self.mechanism} exchange already started")
        self._started = True
        return self._start()

    def step(self, challenge: bytes | None) -> bytes | None:
        """Answer one server challenge (``None`` when the server sent none)."""
        if not self._started:
            raise AuthError(f"SASL {self.mechanism} step before start")
        if self.complete:
            if challenge:
                raise AuthError(f"SASL {self.mechanism} server sent data after completion")
            return None
        return self._step(challenge or b"")

    def security_layer(self) -> SecurityLayer | None:
        """The negotiated layer, or ``None`` when there is none."""
        if not self.complete:
            raise AuthError(f"SASL {self.mechanism} exchange is not complete")
        return self._layer

    @abc.abstractmethod
    def _start(self) -> bytes | None: ...

    @abc.abstractmethod
    def _step(self, challenge: bytes) -> bytes | None: ...

    def _finish(self, ssf: int, layer: SecurityLayer | None = None) -> None:
        """Mark completion and check the SSF as libvirt does after the exchange."""
        if ssf < self.params.need_ssf:
            raise AuthError(f"negotiation SSF {ssf} was not strong enough")
        self.ssf = ssf
        self._layer = layer
        self.complete = True

    def _user_credentials(self) -> tuple[str, str, str]:
        """Ask for authname, optional authzid and password; returns (authcid, authzid, pw)."""
        authzid, authname, password = self.credentials.collect(
            [
                CredentialRequest(CRED_USERNAME, PROMPT_AUTHZID, CHALLENGE_AUTHZID, required=False),
                CredentialRequest(CRED_AUTHNAME, PROMPT_AUTHNAME, CHALLENGE_AUTHNAME),
                CredentialRequest(CRED_PASSPHRASE, PROMPT_PASSWORD, CHALLENGE_PASSWORD),
            ]
        )
        assert authname is not None and password is not None
        return authname, authzid or "", password


__all__ = ["INSECURE_MAX_SSF", "INSECURE_MIN_SSF", "SaslClient", "SaslParams"]
