"""PLAIN client (RFC 4616): only on a channel that is already secure."""

from __future__ import annotations

from virtwire.errors import AuthError

from .mechanism import SaslClient


class PlainClient(SaslClient):
    """Sends ``authzid NUL authcid NUL password`` as the initial response."""

    mechanism = "PLAIN"

    def _start(self) -> bytes:
        if self.params.need_ssf > 0:
            raise AuthError("SASL PLAIN refused: the channel is not secure")
        authname, authzid, password = self._user_credentials()
        if authzid == authname:
            authzid = ""
        message = "\0".join((authzid, authname, password)).encode("utf-8")
        self._finish(0)
        return message

    def _step(self, challenge: bytes) -> bytes | None:
        raise AuthError("unexpected SASL PLAIN challenge")


__all__ = ["PlainClient"]
