"""Opening a connection, as libvirt's remote driver does it, written once as an exchange.

Steps: list the auth types the daemon offers and authenticate (none, polkit or SASL, an
explicit ``auth=`` preference first), ask whether the daemon speaks keepalive, send
``connect_open``, learn the URI the daemon picked when none was given, and probe the
features later calls depend on.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Final

from virtwire.errors import AuthError, Error
from virtwire.rpc.exchange import Call, ChannelInfo, SetSecurityLayer, TransportFacts

# Driver features probed with connect_supports_feature (libvirt's internal numbering).
FEATURE_FD_PASSING: Final = 8
FEATURE_PROGRAM_KEEPALIVE: Final = 10
FEATURE_REMOTE_EVENT_CALLBACK: Final = 14
FEATURE_REMOTE_CLOSE_CALLBACK: Final = 15

AUTH_NONE: Final = 0
AUTH_SASL: Final = 1
AUTH_POLKIT: Final = 2


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


def _remote() -> Any:
    from virtwire.protocol import remote_gen

    return remote_gen


def _proc(name: str) -> Any:
    r = _remote()
    return r.PROCEDURES[int(getattr(r.remote_procedure, name))]


def _supports(feature: int) -> Generator[Any, Any, bool]:
    r = _remote()
    try:
        ret = yield Call(
            _proc("REMOTE_PROC_CONNECT_SUPPORTS_FEATURE"),
            r.remote_connect_supports_feature_args(feature=feature),
        )
    except Error:
        return False
    return bool(ret.supported)


def authenticate(
    auth_pref: str | None, credentials: Any
) -> Generator[Any, Any, tuple[int, str | None, int]]:
    """Pick and run the authentication the daemon asks for; return (type, mech, ssf)."""
    try:
        ret = yield Call(_proc("REMOTE_PROC_AUTH_LIST"))
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
            raise AuthError(f"unknown authentication type {auth_pref}")
        if want not in types:
            raise AuthError(f"requested authentication type {auth_pref} rejected")
        chosen = want
    else:
        chosen = types[0]
    if chosen == AUTH_NONE:
        return AUTH_NONE, None, 0
    if chosen == AUTH_POLKIT:
        yield Call(_proc("REMOTE_PROC_AUTH_POLKIT"))
        return AUTH_POLKIT, None, 0
    if chosen == AUTH_SASL:
        mech = mech or os.environ.get("VIRTWIRE_SASL_MECH") or None
        name, ssf = yield from sasl_exchange(mech, credentials)
        return AUTH_SASL, name, ssf
    raise AuthError(f"unsupported authentication type {chosen}")


def sasl_exchange(
    forced: str | None, credentials: Any
) -> Generator[Any, Any, tuple[str, int]]:
    """SASL authentication (AUTH_SASL_INIT/START/STEP) as libvirt's client runs it."""
    from virtwire.auth.sasl import choose_client

    r = _remote()
    info: ChannelInfo = yield TransportFacts()
    init = yield Call(_proc("REMOTE_PROC_AUTH_SASL_INIT"))
    mechlist = [m for m in init.mechlist.replace(",", " ").split() if m]
    if forced and forced.upper() not in (m.upper() for m in mechlist):
        raise AuthError(f"SASL mechanism {forced} not supported by server")
    client = choose_client(
        mechlist,
        host=info.host,
        credentials=credentials,
        external_ssf=info.ssf,
        min_ssf=0 if info.secure else 56,
        forced=forced,
    )
    out = client.start()
    ret = yield Call(
        _proc("REMOTE_PROC_AUTH_SASL_START"),
        r.remote_auth_sasl_start_args(
            mech=client.mechanism, nil=1 if out is None else 0, data=list(out or b"")
        ),
    )
    while True:
        server_in = None if ret.nil else bytes(b & 0xFF for b in ret.data)
        if ret.complete and client.complete:
            break
        out = client.step(server_in)
        if ret.complete and client.complete:
            break
        ret = yield Call(
            _proc("REMOTE_PROC_AUTH_SASL_STEP"),
            r.remote_auth_sasl_step_args(nil=1 if out is None else 0, data=list(out or b"")),
        )
    ssf = client.ssf
    if not info.secure and ssf < 56:
        raise AuthError(f"negotiation SSF {ssf} was not strong enough")
    layer = client.security_layer()
    if layer is not None:
        yield SetSecurityLayer(layer)
    return client.mechanism, ssf


def open_session(
    name: str | None, flags: int, *, auth_pref: str | None = None, credentials: Any = None
) -> Generator[Any, Any, Session]:
    """The whole open sequence; its result describes the daemon."""
    r = _remote()
    auth, mech, ssf = yield from authenticate(auth_pref, credentials)
    keepalive = yield from _supports(FEATURE_PROGRAM_KEEPALIVE)
    yield Call(
        _proc("REMOTE_PROC_CONNECT_OPEN"), r.remote_connect_open_args(name=name, flags=flags)
    )
    uri = name
    if not name:
        got = yield Call(_proc("REMOTE_PROC_CONNECT_GET_URI"))
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
