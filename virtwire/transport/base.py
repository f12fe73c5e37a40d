"""The interface the RPC layer sees: a byte stream, optionally carrying file descriptors.

Every transport is a socket underneath (ssh and ext run their command on a
socketpair), so ``fileno()`` always works with ``select``/``poll``. Reads
return 0 at end of file; failures raise :class:`virtwire.errors.TransportError`
(:class:`~virtwire.errors.ConnectionClosedError` when the peer went away), and
an expired blocking timeout raises the built-in :class:`TimeoutError`.

A runtime that runs its own readiness loop may take ``sock``, make it
non-blocking and use the ``*_nowait`` calls; "would block" errors then pass
through as ``BlockingIOError`` (``ssl.SSLWantReadError`` for TLS).
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

__all__ = ["AsyncTransport", "Transport"]


@runtime_checkable
class Transport(Protocol):
    """A blocking byte stream to a daemon."""

    #: File descriptors can be passed (UNIX sockets only).
    can_pass_fds: bool
    #: The channel is already private: unix, tls or ssh.
    secure: bool
    #: TLS key bits (the SSF SASL's EXTERNAL mechanism reports), 0 without TLS.
    ssf: int

    def recv_into(self, buf: memoryview) -> int:
        """Read into ``buf``; the count, 0 at end of file."""
        ...

    def sendall(self, data: bytes | memoryview) -> None:
        """Write all of ``data``."""
        ...

    def send_with_fds(self, data: bytes, fds: Sequence[int]) -> None:
        """Write ``data`` with ``fds`` attached (``SCM_RIGHTS``)."""
        ...

    def recv_fds(self, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
        """Read up to ``bufsize`` bytes and up to ``maxfds`` received descriptors."""
        ...

    def fileno(self) -> int:
        """The socket's descriptor, for ``select``/``poll``."""
        ...

    def pending(self) -> int:
        """Bytes already decrypted and buffered (TLS); a read will not block for them."""
        ...

    def settimeout(self, timeout: float | None) -> None:
        """Seconds a read or write may block; ``None`` for no limit."""
        ...

    @property
    def sock(self) -> socket.socket:
        """The connected socket, for a runtime that polls it itself (do not close it)."""
        ...

    def recv_fds_nowait(self, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
        """One non-blocking ``recvmsg``: ``BlockingIOError`` when nothing is there yet."""
        ...

    def send_with_fds_nowait(self, data: bytes | memoryview, fds: Sequence[int]) -> int:
        """One non-blocking ``sendmsg``: bytes sent, or ``BlockingIOError`` when full."""
        ...

    def close(self) -> None:
        """Close the stream (and end a tunnel command); idempotent."""
        ...


@runtime_checkable
class AsyncTransport(Protocol):
    """An asyncio byte stream to a daemon."""

    can_pass_fds: bool
    secure: bool
    ssf: int

    async def recv_into(self, buf: memoryview) -> int:
        """Read into ``buf``; the count, 0 at end of file."""
        ...

    async def read(self, n: int) -> bytes:
        """Read up to ``n`` bytes; ``b""`` at end of file."""
        ...

    async def sendall(self, data: bytes | memoryview) -> None:
        """Write all of ``data``."""
        ...

    async def send_with_fds(self, data: bytes, fds: Sequence[int]) -> None:
        """Write ``data`` with ``fds`` attached (``SCM_RIGHTS``)."""
        ...

    async def recv_fds(self, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
        """Read up to ``bufsize`` bytes and up to ``maxfds`` received descriptors."""
        ...

    def fileno(self) -> int:
        """The socket's descriptor."""
        ...

    def pending(self) -> int:
        """Bytes already decrypted and buffered (TLS)."""
        ...

    @property
    def sock(self) -> socket.socket:
        """The connected socket, for a runtime that polls it itself (do not close it)."""
        ...

    def recv_fds_nowait(self, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
        """One non-blocking ``recvmsg``: ``BlockingIOError`` when nothing is there yet."""
        ...

    def send_with_fds_nowait(self, data: bytes | memoryview, fds: Sequence[int]) -> int:
        """One non-blocking ``sendmsg``: bytes sent, or ``BlockingIOError`` when full."""
        ...

    async def close(self) -> None:
        """Close the stream (and end a tunnel command); idempotent."""
        ...
