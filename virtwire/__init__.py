"""virtwire: a pure-Python client of libvirt's RPC wire protocol, with the Sys::Virt API.

``virtwire.Connection(uri)`` is the blocking connection (``Sys::Virt->new``);
``virtwire.aio.Connection`` the asyncio one. Every failure is a :class:`virtwire.Error`.
Heavy modules (the generated protocol, the API) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from virtwire.auth.credentials import (
    CRED_AUTHNAME,
    CRED_CNONCE,
    CRED_ECHOPROMPT,
    CRED_EXTERNAL,
    CRED_LANGUAGE,
    CRED_NOECHOPROMPT,
    CRED_PASSPHRASE,
    CRED_REALM,
    CRED_USERNAME,
)
from virtwire.errors import (
    AuthCancelledError,
    AuthError,
    CallTimeoutError,
    ConnectionClosedError,
    Error,
    KeepaliveTimeoutError,
    LocalProtocolError,
    RemoteProtocolError,
    TransportError,
    XDRError,
)
from virtwire.rpc.connection import (
    CLOSE_REASON_CLIENT,
    CLOSE_REASON_EOF,
    CLOSE_REASON_ERROR,
    CLOSE_REASON_KEEPALIVE,
)

if TYPE_CHECKING:
    from virtwire.api.blocking import Connection

__version__ = "0.1.0"


__all__ = [
    "CLOSE_REASON_CLIENT",
    "CLOSE_REASON_EOF",
    "CLOSE_REASON_ERROR",
    "CLOSE_REASON_KEEPALIVE",
    "CRED_AUTHNAME",
    "CRED_CNONCE",
    "CRED_ECHOPROMPT",
    "CRED_EXTERNAL",
    "CRED_LANGUAGE",
    "CRED_NOECHOPROMPT",
    "CRED_PASSPHRASE",
    "CRED_REALM",
    "CRED_USERNAME",
    "AuthCancelledError",
    "AuthError",
    "CallTimeoutError",
    "Connection",
    "ConnectionClosedError",
    "Error",
    "KeepaliveTimeoutError",
    "LocalProtocolError",
    "RemoteProtocolError",
    "TransportError",
    "XDRError",
]


#: Public object classes and the module of ``virtwire/api/_sync`` (and ``_async``) holding each.
OBJECT_CLASSES: dict[str, str] = {
    "Domain": "domain",
    "DomainSnapshot": "domain_snapshot",
    "DomainCheckpoint": "domain_checkpoint",
    "Network": "network",
    "NetworkPort": "network_port",
    "StoragePool": "storage_pool",
    "StorageVol": "storage_vol",
    "NodeDevice": "node_device",
    "Interface": "interface",
    "Secret": "secret",
    "NWFilter": "nwfilter",
    "NWFilterBinding": "nwfilter_binding",
    "Stream": "stream",
    "Event": "event",
}


def load_class(name: str, package: str) -> Any:
    """Import an object class from ``virtwire.api.<package>`` on first use."""
    import importlib

    module = importlib.import_module(f"virtwire.api.{package}.{OBJECT_CLASSES[name]}")
    return getattr(module, name)


def __getattr__(name: str) -> Any:
    if name == "Connection":
        from virtwire.api.blocking import Connection

        return Connection
    if name in OBJECT_CLASSES:
        return load_class(name, "_sync")
    if name.isupper():
        from virtwire.api import sysvirt_gen

        value = getattr(sysvirt_gen, name, None)
        if value is not None and not isinstance(value, type):
            return value
    if name == "aio":
        import virtwire.aio

        return virtwire.aio
    raise AttributeError(f"module 'virtwire' has no attribute {name!r}")
