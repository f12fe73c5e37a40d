"""The table from transport name to transport classes, and the functions that open one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from virtwire.errors import Error
from virtwire.transport.aio import (
    AsyncExtTransport,
    AsyncSshTransport,
    AsyncStreamTransport,
    AsyncTcpTransport,
    AsyncTlsTransport,
    AsyncUnixTransport,
)
from virtwire.transport.sync import (
    ExtTransport,
    SshTransport,
    StreamTransport,
    TcpTransport,
    TlsTransport,
    UnixTransport,
)
from virtwire.transport.uri import RemoteTarget

__all__ = ["ASYNC_TRANSPORTS", "SYNC_TRANSPORTS", "open_async_transport", "open_transport"]

#: Blocking transport class per transport name.
SYNC_TRANSPORTS: Final[Mapping[str, type[StreamTransport]]] = {
    "unix": UnixTransport,
    "tcp": TcpTransport,
    "tls": TlsTransport,
    "ssh": SshTransport,
    "libssh": SshTransport,
    "libssh2": SshTransport,
    "ext": ExtTransport,
}
#: asyncio transport class per transport name.
ASYNC_TRANSPORTS: Final[Mapping[str, type[AsyncStreamTransport]]] = {
    "unix": AsyncUnixTransport,
    "tcp": AsyncTcpTransport,
    "tls": AsyncTlsTransport,
    "ssh": AsyncSshTransport,
    "libssh": AsyncSshTransport,
    "libssh2": AsyncSshTransport,
    "ext": AsyncExtTransport,
}


def _unknown(transport: str) -> Error:
    return Error(
        f"unknown transport '{transport}'", code=Error.ERR_INVALID_ARG, domain=Error.FROM_REMOTE
    )


def open_transport(
    target: RemoteTarget,
    *,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    euid: int | None = None,
) -> StreamTransport:
    """Open a blocking transport to ``target``; ``timeout`` bounds the connecting only."""
    cls = SYNC_TRANSPORTS.get(target.transport)
    if cls is None:
        raise _unknown(target.transport)
    return cls.open(target, timeout=timeout, env=env, euid=euid)


async def open_async_transport(
    target: RemoteTarget,
    *,
    timeout: float | None = None,
    env: Mapping[str, str] | None = None,
    euid: int | None = None,
) -> AsyncStreamTransport:
    """Open an asyncio transport to ``target``; ``timeout`` bounds the connecting only."""
    cls = ASYNC_TRANSPORTS.get(target.transport)
    if cls is None:
        raise _unknown(target.transport)
    return await cls.open(target, timeout=timeout, env=env, euid=euid)
