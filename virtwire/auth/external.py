"""EXTERNAL client (RFC 4422 appendix A): identity comes from the channel."""

from __future__ import annotations

from virtwire.errors import AuthError

from .credentials import CHALLENGE_AUTHZID, CRED_USERNAME, PROMPT_AUTHZID, CredentialRequest
from .mechanism import SaslClient


class ExternalClient(SaslClient):
    """Sends the optional authorization identity; the server checks the channel."""

    mechanism = "EXTERNAL"
    needs = ()

    def _start(self) -> bytes:
        (authzid,) = self.credentials.collect(
            [CredentialRequest(CRED_USERNAME, PROMPT_AUTHZID, CHALLENGE_AUTHZID, required=False)]
        )
        # The channel's strength is all EXTERNAL offers; it has no layer of its own.
        if self.params.external_ssf < self.params.min_ssf:
            raise AuthError(f"negotiation SSF {self.params.external_ssf} was not strong enough")
        self.complete = True
        return (authzid or "").encode("utf-8")

    def _step(self, challenge: bytes) -> bytes | None:
        raise AuthError("unexpected SASL EXTERNAL challenge")


__all__ = ["ExternalClient"]
