"""Opening a connection, as libvirt's remote driver does it, written once as an exchange.

Steps: list the auth types the daemon offers and authenticate (none, polkit or SASL, an
explicit ``auth=`` preference first), ask whether the daemon speaks keepalive, send
``connect_open``, learn the URI the daemon picked when none was given, and probe the
features later calls depend on.

Failures read as libvirt's client reports them: ``Error.ERR_AUTH_FAILED`` with the message
prefixed ``authentication failed:``; domain ``FROM_REMOTE`` for the choices made here
(unknown or rejected ``auth=`` type, mechanism not offered, weak SSF, credentials not
collected), ``FROM_RPC`` for failures inside a mechanism. Errors the daemon sends pass
through unchanged. ``VIRTWIRE_SASL_MECH`` names a mechanism to use when the URI has no
``auth=sasl.MECH``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Final

from virtwire.errors import AuthCancelledError, AuthError, Error
from virtwire.protocol import remote_gen as r
from virtwire.protocol.lookup import procedure
from virtwire.rpc.exchange import Call, ChannelInfo, SetSecurityLayer, TransportFacts

# Driver features probed with connect_supports_feature (libvirt's internal numbering).
FEATURE_FD_PASSING: Final = 8
FEATURE_PROGRAM_KEEPALIVE: Final = 10
FEATURE_REMOTE_EVENT_CALLBACK: Final = 14
FEATURE_REMOTE_CLOSE_CALLBACK: Final = 15

AUTH_NONE: Final = 0
AUTH_SASL: Final = 1
AUTH_POLKIT: Final = 2

#: Largest SASL token either side may send (REMOTE_AUTH_SASL_DATA_MAX).
SASL_DATA_MAX: Final = 65536
#: Environment variable naming the SASL mechanism to use.
SASL_MECH_ENV: Final = "VIRTWIRE_SASL_MECH"
#: Strength libvirt demands of a layer on a channel that is not already secure.
MIN_INSECURE_SSF: Final = 56


@dataclass(frozen=True, slots=True)
class Session:
    """What the open exchange learnt about the daemon."""

    uri: str | None
    auth: int
    keepalive: bool
    event_callbacks: bool
    close_callback: bool
    fd_passing: bool
    sasl_mechanism: str | None
    sasl_ssf: int


def _supports(feature: int) -> Generator[Any, Any, bool]:
    try:
        ret = yield Call(
            procedure("REMOTE_PROC_CONNECT_SUPPORTS_FEATURE"),
            r.remote_connect_supports_feature_args(feature=feature),
        )
    except Error:
        return False
    return bool(ret.supported)


def _failed(message: str, *, domain: int = Error.FROM_REMOTE) -> AuthError:
    return AuthError(f"authentication failed: {message}", domain=domain)


def authenticate(
    auth_pref: str | None, credentials: Any, *, host: str | None = None
) -> Generator[Any, Any, tuple[int, str | None, int]]:
    """Pick and run the authentication the daemon asks for; return (type, mech, ssf).

    ``host`` is the URI's server name (SASL's digest-uri and GSSAPI's ``libvirt@host``);
    when None the runtime's transport facts name it.
    """
    try:
        ret = yield Call(procedure("REMOTE_PROC_AUTH_LIST"))
    except Error as exc:
        if exc.code == Error.ERR_NO_SUPPORT:
            return AUTH_NONE, None, 0
        raise
    types = [int(t) for t in ret.types]
    if not types:
        return AUTH_NONE, None, 0
    mech = None
    if auth_pref:
        pref = auth_pref.lower()
        if pref == "sasl" or pref.startswith("sasl."):
            want = AUTH_SASL
            if pref.startswith("sasl."):
                mech = auth_pref[5:]
        elif pref == "polkit":
            want = AUTH_POLKIT
        else:
            raise _failed(f"unknown authentication type {auth_pref}")
        if want not in types:
            raise _failed(f"requested authentication type {auth_pref} rejected")
        chosen = want
    else:
        chosen = types[0]
    if chosen == AUTH_NONE:
        return AUTH_NONE, None, 0
    if chosen == AUTH_POLKIT:
        # The daemon asks polkit (over D-Bus) whether this client's process may connect.
        yield Call(procedure("REMOTE_PROC_AUTH_POLKIT"))
        return AUTH_POLKIT, None, 0
    if chosen == AUTH_SASL:
        mech = mech or os.environ.get(SASL_MECH_ENV) or None
        name, ssf = yield from sasl_exchange(mech, credentials, host=host)
        return AUTH_SASL, name, ssf
    raise _failed(f"unsupported authentication type {chosen}")


def _sasl_args(out: bytes | None) -> dict[str, Any]:
    if out is not None and len(out) > SASL_DATA_MAX:
        raise _failed(f"SASL negotiation data too long: {len(out)} bytes")
    # None and b"" differ in SASL: nil marks "no data" as opposed to empty data.
    return {"nil": 1 if out is None else 0, "data": out or b""}


def sasl_exchange(
    forced: str | None, credentials: Any, *, host: str | None = None
) -> Generator[Any, Any, tuple[str, int]]:
    """SASL authentication (AUTH_SASL_INIT/START/STEP) as libvirt's client runs it.

    Returns the mechanism and the negotiated SSF; a layer, if one was negotiated, is
    installed before returning.
    """
    info: ChannelInfo = yield TransportFacts()
    if host:
        info = dataclasses.replace(info, host=host)
    init = yield Call(procedure("REMOTE_PROC_AUTH_SASL_INIT"))
    mechlist = [m for m in init.mechlist.replace(",", " ").split() if m]
    if forced and forced.upper() not in (m.upper() for m in mechlist):
        raise _failed(f"SASL mechanism {forced} not supported by server")
    try:
        client = _mechanism(mechlist, info, credentials, forced)
        out = client.start()
    except AuthCancelledError as exc:
        raise _cancelled(exc) from exc
    except AuthError as exc:
        raise _mechanism_failure(exc) from exc
    ret = yield Call(
        procedure("REMOTE_PROC_AUTH_SASL_START"),
        r.remote_auth_sasl_start_args(mech=client.mechanism, **_sasl_args(out)),
    )
    # Even when the daemon says it is done, the client takes one more step to check
    # the daemon's final message (mutual authentication).
    while not (ret.complete and client.complete):
        server_in = None if ret.nil else bytes(ret.data)
        try:
            out = client.step(server_in)
        except AuthCancelledError as exc:
            raise _cancelled(exc) from exc
        except AuthError as exc:
            raise _mechanism_failure(exc) from exc
        if ret.complete and client.complete:
            break
        ret = yield Call(
            procedure("REMOTE_PROC_AUTH_SASL_STEP"), r.remote_auth_sasl_step_args(**_sasl_args(out))
        )
    ssf = client.ssf
    if not info.secure and ssf < MIN_INSECURE_SSF:
        raise _failed(f"negotiation SSF {ssf} was not strong enough")
    layer = client.security_layer()
    if layer is not None:
        yield SetSecurityLayer(layer)
    return client.mechanism, ssf


def _mechanism(mechlist: list[str], info: ChannelInfo, credentials: Any, forced: str | None) -> Any:
    from virtwire.auth.credentials import CredentialSource
    from virtwire.auth.sasl import choose_client

    if credentials is None:
        credentials = CredentialSource((), None)
    return choose_client(
        mechlist,
        host=info.host,
        credentials=credentials,
        external_ssf=info.ssf,
        min_ssf=0 if info.secure else MIN_INSECURE_SSF,
        forced=forced,
    )


def _cancelled(exc: AuthCancelledError) -> AuthCancelledError:
    return AuthCancelledError(
        f"authentication failed: {exc.message}", code=exc.code, domain=Error.FROM_REMOTE
    )


def _mechanism_failure(exc: AuthError) -> AuthError:
    return AuthError(f"authentication failed: {exc.message}", code=exc.code, domain=Error.FROM_RPC)


def open_session(
    name: str | None,
    flags: int,
    *,
    auth_pref: str | None = None,
    credentials: Any = None,
    host: str | None = None,
) -> Generator[Any, Any, Session]:
    """The whole open sequence; its result describes the daemon."""
    auth, mech, ssf = yield from authenticate(auth_pref, credentials, host=host)
    keepalive = yield from _supports(FEATURE_PROGRAM_KEEPALIVE)
    yield Call(
        procedure("REMOTE_PROC_CONNECT_OPEN"), r.remote_connect_open_args(name=name, flags=flags)
    )
    uri = name
    if not name:
        got = yield Call(procedure("REMOTE_PROC_CONNECT_GET_URI"))
        uri = got.uri
    events = yield from _supports(FEATURE_REMOTE_EVENT_CALLBACK)
    close_cb = yield from _supports(FEATURE_REMOTE_CLOSE_CALLBACK)
    fd_passing = yield from _supports(FEATURE_FD_PASSING)
    return Session(
        uri=uri,
        auth=auth,
        keepalive=keepalive,
        event_callbacks=events,
        close_callback=close_cb,
        fd_passing=fd_passing,
        sasl_mechanism=mech,
        sasl_ssf=ssf,
    )
