"""SASL mechanism selection, following libvirt's client rules.

Security properties (``remoteAuthSASL``): on a channel that is not already
secure (plain TCP) the mechanism must bring SSF >= 56 and at most 100000,
so only layer-capable mechanisms qualify; on TLS or a UNIX socket
(``min_ssf == 0``) libvirt sets max SSF 0, so no layer is negotiated and the
TLS key size counts as the external SSF.

Preference, strongest first among those both sides allow:

* secure channel: SCRAM-SHA-256, SCRAM-SHA-1, GSSAPI, DIGEST-MD5, PLAIN;
* insecure channel: GSSAPI, DIGEST-MD5 (each with a confidentiality layer).

GSSAPI is chosen automatically only when python-gssapi is installed.
EXTERNAL is used only when forced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from virtwire.errors import AuthError

from .credentials import CRED_NAMES, CredentialSource
from .digest_md5 import DigestMD5Client
from .external import ExternalClient
from .gssapi import GssapiClient, gssapi_available
from .mechanism import INSECURE_MAX_SSF, SaslClient, SaslParams
from .plain import PlainClient
from .scram import ScramSha1Client, ScramSha256Client
from .security_layer import DEFAULT_MAXBUF, SecurityLayer

MechanismFactory = Callable[[SaslParams, CredentialSource], SaslClient]

MECHANISMS: dict[str, type[SaslClient]] = {
    cls.mechanism: cls
    for cls in (
        ScramSha256Client,
        ScramSha1Client,
        GssapiClient,
        DigestMD5Client,
        PlainClient,
        ExternalClient,
    )
}

#: Automatic preference when the channel is already secure.
SECURE_PREFERENCE = ("SCRAM-SHA-256", "SCRAM-SHA-1", "GSSAPI", "DIGEST-MD5", "PLAIN")
#: Automatic preference when the mechanism must provide the layer.
LAYER_PREFERENCE = ("GSSAPI", "DIGEST-MD5")


def parse_mechlist(mechlist: str) -> list[str]:
    """Split the AUTH_SASL_INIT list (comma- or space-separated) into upper-case names."""
    return [m.upper() for m in re.split(r"[\s,]+", mechlist) if m]


def default_max_ssf(min_ssf: int) -> int:
    """libvirt's pairing: max SSF 0 on a secure channel, 100000 otherwise."""
    return 0 if min_ssf <= 0 else INSECURE_MAX_SSF


def choose_client(
    server_mechs: Sequence[str] | str,
    *,
    service: str = "libvirt",
    host: str,
    credentials: CredentialSource,
    external_ssf: int,
    min_ssf: int,
    forced: str | None = None,
    max_ssf: int | None = None,
    maxbuf: int = DEFAULT_MAXBUF,
) -> SaslClient:
    """Pick a mechanism the server offers and return a client ready to ``start()``.

    ``forced`` (from ``auth=sasl.MECH`` or ``VIRTWIRE_SASL_MECH``) must be
    offered by the server and able to meet ``min_ssf``.  Raises
    ``AuthError`` when nothing qualifies.
    """
    offered = (
        parse_mechlist(server_mechs)
        if isinstance(server_mechs, str)
        else [m.strip().upper() for m in server_mechs if m.strip()]
    )
    params = SaslParams(
        service=service,
        host=host,
        external_ssf=external_ssf,
        min_ssf=min_ssf,
        max_ssf=default_max_ssf(min_ssf) if max_ssf is None else max_ssf,
        maxbuf=maxbuf,
    )
    if forced:
        name = forced.strip().upper()
        if name not in offered:
            raise AuthError(f"SASL mechanism {name} not supported by server")
        cls = MECHANISMS.get(name)
        if cls is None:
            raise AuthError(f"SASL mechanism {name} is not implemented by this client")
        if not _strong_enough(cls, params):
            raise AuthError(f"SASL mechanism {name} is too weak for this channel")
        if not _answerable(cls, credentials):
            raise AuthError(f"SASL mechanism {name} {_missing(cls, credentials)}")
        return cls(params, credentials)

    preference = LAYER_PREFERENCE if params.need_ssf > 0 else SECURE_PREFERENCE
    unanswerable: list[type[SaslClient]] = []
    for name in preference:
        if name not in offered:
            continue
        if name == "GSSAPI" and not gssapi_available():
            continue
        cls = MECHANISMS[name]
        if not _strong_enough(cls, params):
            continue
        if not _answerable(cls, credentials):
            unanswerable.append(cls)
            continue
        return cls(params, credentials)
    why = f" ({', '.join(offered) or 'none'} offered)"
    if unanswerable:
        names = ", ".join(c.mechanism for c in unanswerable)
        why += f"; {names} {_missing(unanswerable[0], credentials)}"
    raise AuthError(f"no SASL mechanism offered by the server is usable{why}")


def _answerable(cls: type[SaslClient], credentials: CredentialSource) -> bool:
    return all(credentials.supports(t) for t in cls.needs)


def _missing(cls: type[SaslClient], credentials: CredentialSource) -> str:
    names = ", ".join(
        f"CRED_{CRED_NAMES[t].upper()}" for t in cls.needs if not credentials.supports(t)
    )
    return f"needs credentials the callback does not accept ({names}; pass auth=1 or a credlist)"


def _strong_enough(cls: type[SaslClient], params: SaslParams) -> bool:
    if cls is ExternalClient:
        return params.external_ssf >= params.min_ssf
    return cls.max_mech_ssf >= params.need_ssf and (
        params.need_ssf == 0 or params.limit_ssf >= params.need_ssf
    )


__all__ = [
    "LAYER_PREFERENCE",
    "MECHANISMS",
    "SECURE_PREFERENCE",
    "SaslClient",
    "SaslParams",
    "SecurityLayer",
    "choose_client",
    "default_max_ssf",
    "parse_mechlist",
]
