"""Transports: from a libvirt URI to a byte stream to the daemon.

Pure rules: :mod:`.uri` (``parse_uri`` → :class:`RemoteTarget`), :mod:`.libvirt_conf`
(default URI and aliases), :mod:`.socket_paths`, :mod:`.tls_config`,
:mod:`.ssh_command`. I/O: :mod:`.setup` (opening, written once), :mod:`.sync`
and :mod:`.aio` (the two faces), chosen by name in :mod:`.registry`.
"""

from virtwire.transport.aio import (
    AsyncExtTransport,
    AsyncSshTransport,
    AsyncStreamTransport,
    AsyncTcpTransport,
    AsyncTlsTransport,
    AsyncUnixTransport,
)
from virtwire.transport.base import AsyncTransport, Transport
from virtwire.transport.libvirt_conf import LibvirtConf, read_conf, resolve_uri
from virtwire.transport.registry import (
    ASYNC_TRANSPORTS,
    SYNC_TRANSPORTS,
    open_async_transport,
    open_transport,
)
from virtwire.transport.sync import (
    ExtTransport,
    SshTransport,
    StreamTransport,
    TcpTransport,
    TlsTransport,
    UnixTransport,
)
from virtwire.transport.uri import RemoteTarget, parse_uri

__all__ = [
    "ASYNC_TRANSPORTS",
    "SYNC_TRANSPORTS",
    "AsyncExtTransport",
    "AsyncSshTransport",
    "AsyncStreamTransport",
    "AsyncTcpTransport",
    "AsyncTlsTransport",
    "AsyncTransport",
    "AsyncUnixTransport",
    "ExtTransport",
    "LibvirtConf",
    "RemoteTarget",
    "SshTransport",
    "StreamTransport",
    "TcpTransport",
    "TlsTransport",
    "Transport",
    "UnixTransport",
    "open_async_transport",
    "open_transport",
    "parse_uri",
    "read_conf",
    "resolve_uri",
]
