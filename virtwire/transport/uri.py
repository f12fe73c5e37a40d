"""Remote URIs: what libvirt's remote driver makes of ``driver[+transport]://[user@][host][:port]/path[?params]``.

:func:`parse_uri` applies the rules of ``remoteConnectOpen``/``doRemoteOpen``:

* the transport follows ``+`` in the scheme (any case); without one it is
  ``tls`` when a host is given, else ``unix``; ``unix`` with a host is an error;
* the parameters ``name command socket auth sshauth netcat keyfile pkipath
  known_hosts known_hosts_verify tls_priority mode proxy no_sanity no_verify
  no_tty`` (and ``authfile``) are matched case-insensitively and consumed,
  the last of a repeated one winning; every other parameter is passed on in
  the URI sent to the daemon;
* that URI (``name``) is ``name=`` when given, ``""`` for the ``remote``
  scheme (the daemon picks), else the URI rebuilt from the driver, path, the
  passed-on parameters and fragment, without transport, user, host or port;
* the UNIX socket (local, or on the remote host for ssh) comes from
  :mod:`virtwire.transport.socket_paths`; the session daemon is used for the
  path ``/session`` and for ``test+...`` schemes when not root.

``libssh`` and ``libssh2`` are accepted and served by the OpenSSH binary (see
:mod:`virtwire.transport.ssh_command`). virtwire never spawns a session daemon;
``autostart`` only records that libvirt would.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from virtwire.errors import Error
from virtwire.transport.libvirt_conf import LibvirtConf
from virtwire.transport.socket_paths import MODES, choose_socket
from virtwire.transport.uri_syntax import SplitURI, format_params, format_uri, split_uri

__all__ = [
    "PROXIES",
    "SSH_TRANSPORTS",
    "TCP_PORT",
    "TLS_PORT",
    "TRANSPORTS",
    "RemoteTarget",
    "parse_uri",
]

#: Transports in libvirt's order.
TRANSPORTS: Final = ("tls", "unix", "ssh", "libssh2", "ext", "tcp", "libssh")
#: Transports that tunnel through ssh.
SSH_TRANSPORTS: Final = ("ssh", "libssh", "libssh2")
#: Values of ``proxy=`` / ``remote_proxy``.
PROXIES: Final = ("auto", "netcat", "native")
#: Default ports of the network transports.
TLS_PORT: Final = 16514
TCP_PORT: Final = 16509
SSH_AUTH_METHODS: Final = ("agent", "privkey", "password", "keyboard-interactive")
KNOWN_HOSTS_VERIFY: Final = ("normal", "auto", "ignore")

_STRING_PARAMS: Final = (
    "name",
    "command",
    "socket",
    "auth",
    "sshauth",
    "netcat",
    "keyfile",
    "pkipath",
    "known_hosts",
    "known_hosts_verify",
    "tls_priority",
    "mode",
    "proxy",
)
_BOOL_PARAMS: Final = ("no_sanity", "no_verify", "no_tty")
_DROPPED_PARAMS: Final = ("authfile",)
# virStrToLong_i: C whitespace, a sign, decimal digits, nothing after.
_C_INT: Final = re.compile(r"[ \t\n\v\f\r]*[+-]?[0-9]+\Z")
_INT_MIN: Final = -(2**31)
_INT_MAX: Final = 2**31 - 1


@dataclass(frozen=True, slots=True)
class RemoteTarget:
    """Everything needed to reach a daemon and open the connection, from one URI."""

    #: The URI as given (``""`` when the daemon is to pick one).
    uri: str
    #: Driver part of the scheme (``qemu`` in ``qemu+ssh``); ``None`` without a URI.
    driver: str | None
    #: One of :data:`TRANSPORTS`, lower case.
    transport: str
    user: str | None
    #: Host from the URI (IPv6 without brackets), ``None`` when absent.
    host: str | None
    #: Port from the URI, ``None`` when absent.
    port: int | None
    path: str
    fragment: str | None
    #: All query parameters, in order, as given.
    params: tuple[tuple[str, str], ...]
    #: The parameters passed on to the daemon inside :attr:`name`.
    extra_params: tuple[tuple[str, str], ...]
    #: The URI sent in ``REMOTE_PROC_CONNECT_OPEN``.
    name: str
    #: The URI given to ``virt-ssh-helper`` (keeps ``mode`` and ``socket``).
    helper_uri: str
    #: Host to connect to (``localhost`` when the URI has none).
    hostname: str
    #: Port to connect to: the URI's, else 16514 (tls) / 16509 (tcp); ``None`` otherwise.
    service: int | None
    #: UNIX socket: local for ``unix``, on the remote host for ssh; ``None`` otherwise.
    socket: str | None
    #: Whether :attr:`socket` came from ``socket=``.
    socket_explicit: bool
    #: Daemon behind :attr:`socket` (``libvirtd``, ``virtqemud``...), ``None`` if explicit.
    daemon: str | None
    #: ``legacy`` or ``direct`` once resolved for a socket, else the requested mode.
    mode: str
    #: ``auto``, ``netcat`` or ``native``: how ssh reaches the remote socket.
    proxy: str
    command: str | None
    netcat: str | None
    keyfile: str | None
    known_hosts: str | None
    known_hosts_verify: str | None
    sshauth: str | None
    pkipath: str | None
    tls_priority: str | None
    #: ``auth=``: ``sasl``, ``sasl.MECH`` or ``polkit`` (any case), ``None`` for the first offered.
    auth: str | None
    #: ``authfile=``: the credential file to read (not passed on to the daemon).
    authfile: str | None
    #: Verify the server's certificate (tls) / host key (ssh); ``no_verify=`` clears it.
    verify: bool
    #: Check our own certificates before connecting; ``no_sanity=`` clears it.
    sanity: bool
    #: Let ssh prompt on a terminal; ``no_tty=`` clears it.
    tty: bool
    readonly: bool
    #: The per-user (session) daemon is wanted.
    session: bool
    #: libvirt would spawn the session daemon if its socket is missing.
    autostart: bool

    @property
    def secure(self) -> bool:
        """libvirt's ``is_secure``: true for unix, tls and ssh; false for tcp and ext."""
        return self.transport not in ("tcp", "ext")

    @property
    def sasl_mech(self) -> str | None:
        """The mechanism of ``auth=sasl.MECH``, else ``None``."""
        if self.auth is not None and self.auth[:5].lower() == "sasl.":
            return self.auth[5:]
        return None


def _invalid(message: str) -> Error:
    return Error(message, code=Error.ERR_INVALID_ARG, domain=Error.FROM_REMOTE)


def _parse_bool(name: str, value: str) -> bool:
    """``no_*=N``: true when N is a non-zero C int, as ``EXTRACT_URI_ARG_BOOL``."""
    if not _C_INT.match(value) or not _INT_MIN <= int(value) <= _INT_MAX:
        raise _invalid(f"Failed to parse value of URI component {name}")
    return int(value) != 0


def _split_scheme(split: SplitURI, uri: str) -> tuple[str, str]:
    if split.scheme is None:
        raise Error(
            f"URI '{uri}' does not include a driver name",
            code=Error.ERR_NO_CONNECT,
            domain=Error.FROM_NONE,
        )
    driver, plus, transport = split.scheme.partition("+")
    if not plus:
        return driver, "tls" if split.server else "unix"
    transport = transport.lower()
    if transport not in TRANSPORTS:
        raise _invalid(
            "remote_open: transport in URL not recognised "
            "(should be tls|unix|ssh|ext|tcp|libssh2|libssh)"
        )
    if transport == "unix" and split.server:
        raise _invalid(f"using unix socket and remote server '{split.server}' is not supported.")
    return driver, transport


def _check_missing_slash(uri: str, split: SplitURI) -> None:
    """``qemu://system`` is a mistake for ``qemu:///system``, as libvirt tells."""
    if not split.server:
        return
    if split.scheme not in ("qemu", "vbox", "vz"):
        return
    if split.server in ("session", "system"):
        raise Error(
            f"invalid URI {uri} (maybe you want {split.scheme}:///{split.server})",
            code=Error.ERR_INTERNAL_ERROR,
            domain=Error.FROM_NONE,
        )


def parse_uri(
    uri: str,
    *,
    readonly: bool = False,
    conf: LibvirtConf | None = None,
    euid: int | None = None,
    env: Mapping[str, str] | None = None,
    exists: Callable[[str], bool] | None = None,
    prefer_direct: bool = False,
) -> RemoteTarget:
    """Turn a (resolved) libvirt URI into a :class:`RemoteTarget`.

    ``uri`` is what :func:`virtwire.transport.libvirt_conf.resolve_uri` gives;
    ``""`` means "no URI": a local socket and an empty ``name``, so the daemon
    picks. ``conf`` supplies ``remote_mode``, ``remote_proxy`` and
    ``tls_priority``; ``euid``, ``env`` and ``exists`` default to this
    process's and to :func:`os.path.exists` and only matter for local sockets.
    """
    euid = os.geteuid() if euid is None else euid
    env = os.environ if env is None else env
    exists = os.path.exists if exists is None else exists
    conf = LibvirtConf() if conf is None else conf

    if uri:
        split = split_uri(uri)
        if split.scheme is not None:
            _check_missing_slash(uri, split)
        driver, transport = _split_scheme(split, uri)
        driver_opt: str | None = driver
    else:
        split = SplitURI(None, None, None, 0, None, None, None, ())
        driver_opt, transport = None, "unix"

    values: dict[str, str] = {}
    flags: dict[str, bool] = {"no_sanity": False, "no_verify": False, "no_tty": False}
    extra: list[tuple[str, str]] = []
    masked_kept: list[tuple[str, str]] = []  # passed-on params plus mode/socket, in order
    for pname, pvalue in split.params:
        key = pname.lower()
        if key in _STRING_PARAMS:
            values[key] = pvalue
            if key in ("mode", "socket"):
                masked_kept.append((pname, pvalue))
        elif key in _BOOL_PARAMS:
            flags[key] = _parse_bool(pname, pvalue)
        elif key in _DROPPED_PARAMS:
            values[key] = pvalue  # used here, not passed on to the daemon
        else:
            extra.append((pname, pvalue))
            masked_kept.append((pname, pvalue))

    path = split.path or ""
    scheme = split.scheme or ""
    helper_uri: str | None = None
    if "name" in values:
        name = values["name"]
    elif not uri or scheme == "remote" or scheme.startswith("remote+"):
        name = ""
    else:
        name = format_uri(
            scheme=driver_opt, path=path, query=format_params(extra), fragment=split.fragment
        )
        helper_uri = format_uri(
            scheme=driver_opt,
            path=path,
            query=format_params(masked_kept),
            fragment=split.fragment,
        )

    mode = values["mode"] if "mode" in values else conf.remote_mode
    if mode is not None and mode not in MODES:
        raise _invalid(f"Unknown remote mode '{mode}'")

    sockname = values.get("socket")
    session = euid > 0 and (not uri or path == "/session" or scheme.startswith("test+"))
    autostart = (
        session
        and not split.server
        and transport == "unix"
        and env.get("LIBVIRT_AUTOSTART", "1") != "0"
    )

    proxy = values["proxy"] if "proxy" in values else conf.remote_proxy
    if proxy is not None:
        if proxy not in PROXIES:
            raise _invalid(f"Unknown proxy type '{proxy}'")
    elif sockname is not None:
        proxy = "netcat"
    elif session:
        proxy = "native"
    else:
        proxy = "auto"

    if transport == "ext" and not values.get("command"):
        raise _invalid("remote_open: for 'ext' transport, command is required")
    if transport in SSH_TRANSPORTS and proxy == "native" and values.get("netcat") is not None:
        raise _invalid("netcat path not valid with native proxy mode")

    auth = values.get("auth")  # checked after auth_list, as libvirt does
    _check_ssh_options(transport, values)

    daemon: str | None = None
    resolved_mode = mode or "auto"
    if transport in ("unix", *SSH_TRANSPORTS) and sockname is None:
        choice = choose_socket(
            transport,
            resolved_mode,
            driver_opt,
            session=session,
            readonly=readonly,
            env=env,
            exists=exists,
            euid=euid,
            prefer_direct=prefer_direct,
        )
        sockname, daemon, resolved_mode = choice.path, choice.daemon, choice.mode

    service: int | None
    if split.port:
        service = split.port
    elif transport == "tls":
        service = TLS_PORT
    elif transport == "tcp":
        service = TCP_PORT
    else:
        service = None
    if service is not None and not 0 < service < 65536:
        raise _invalid(f"port {service} in URI {uri} is out of range")

    return RemoteTarget(
        uri=uri,
        driver=driver_opt,
        transport=transport,
        user=split.user,
        host=split.server,
        port=split.port or None,
        path=path,
        fragment=split.fragment,
        params=split.params,
        extra_params=tuple(extra),
        name=name,
        helper_uri=name if helper_uri is None else helper_uri,
        hostname=split.server or "localhost",
        service=service,
        socket=sockname if transport in ("unix", *SSH_TRANSPORTS) else None,
        socket_explicit="socket" in values,
        daemon=daemon,
        mode=resolved_mode,
        proxy=proxy,
        command=values.get("command"),
        netcat=values.get("netcat"),
        keyfile=values.get("keyfile"),
        known_hosts=values.get("known_hosts"),
        known_hosts_verify=values.get("known_hosts_verify"),
        sshauth=values.get("sshauth"),
        pkipath=values.get("pkipath"),
        tls_priority=values["tls_priority"] if "tls_priority" in values else conf.tls_priority,
        auth=auth,
        authfile=values.get("authfile"),
        verify=not flags["no_verify"],
        sanity=not flags["no_sanity"],
        tty=not flags["no_tty"],
        readonly=readonly,
        session=session,
        autostart=autostart,
    )


def _check_ssh_options(transport: str, values: Mapping[str, str]) -> None:
    """Reject the libssh-only values libvirt rejects (it does so when connecting)."""
    if transport not in ("libssh", "libssh2"):
        return
    verify = values.get("known_hosts_verify")
    if verify is not None and verify.lower() not in KNOWN_HOSTS_VERIFY:
        raise _invalid(f"Invalid host key verification method: '{verify}'")
    methods = values.get("sshauth")
    if methods is not None:
        for method in methods.split(","):
            if method.lower() not in SSH_AUTH_METHODS:
                raise _invalid(f"Invalid authentication method: '{method}'")
