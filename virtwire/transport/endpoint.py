"""What blocking and asyncio transports share: one socket attempt at a time, errors, closing.

:class:`Endpoint` wraps a :class:`~virtwire.transport.setup.Channel`. Its
methods never wait: they make one system call and translate its failure. The
blocking transports call them on a blocking socket; the asyncio ones on a
non-blocking socket, awaiting readiness when a call would block.
"""

from __future__ import annotations

import array
import os
import socket
import ssl
import subprocess
from collections.abc import Sequence
from typing import Final, NoReturn

from virtwire.errors import ConnectionClosedError, TransportError
from virtwire.transport.setup import Channel, stderr_tail

__all__ = ["Endpoint"]

_INT_SIZE: Final = array.array("i").itemsize
_CLOSED_ERRNOS: Final = frozenset({32, 104, 108})  # EPIPE, ECONNRESET, ESHUTDOWN
_TERMINATE_WAIT: Final = 1.0
_WOULD_BLOCK: Final = (
    BlockingIOError,
    InterruptedError,
    ssl.SSLWantReadError,
    ssl.SSLWantWriteError,
)


class Endpoint:
    """A connected channel: properties, file-descriptor passing, errors and closing."""

    __slots__ = ("_channel", "_sock", "can_pass_fds", "secure", "ssf", "_closed", "_tls")

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._sock = channel.sock
        self._tls = isinstance(channel.sock, ssl.SSLSocket)
        self.can_pass_fds = channel.can_pass_fds
        self.secure = channel.secure
        self.ssf = channel.ssf
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<{type(self).__name__} {self._channel.label} {state}>"

    @property
    def label(self) -> str:
        """Where this transport goes (socket path, ``host:port`` or command)."""
        return self._channel.label

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    @property
    def sock(self) -> socket.socket:
        """The connected socket, for runtimes that wait for readiness themselves.

        Reading and writing it directly is fine (it may be made non-blocking);
        closing it is :meth:`close`'s job.
        """
        return self._sock

    def fileno(self) -> int:
        """The socket's descriptor."""
        return self._sock.fileno()

    def recv_fds_nowait(self, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
        """One ``recvmsg`` attempt: ``BlockingIOError`` if nothing is there yet."""
        self._check_fds()
        try:
            data, fds = self._recvmsg_fds(bufsize, maxfds)
        except OSError as exc:
            self._fail(exc, "Cannot recv data")
        if not data:
            self._at_eof()
        return data, fds

    def send_with_fds_nowait(self, data: bytes | memoryview, fds: Sequence[int]) -> int:
        """One ``sendmsg`` attempt; the bytes sent (the fds go with the first one).

        ``BlockingIOError`` if the socket is full; nothing was sent then.
        """
        self._check_fds()
        try:
            return self._sendmsg_fds(data, fds)
        except OSError as exc:
            self._fail(exc, "Cannot write data")

    def pending(self) -> int:
        """Decrypted bytes buffered inside TLS; 0 for other transports."""
        if self._tls:
            sock = self._sock
            assert isinstance(sock, ssl.SSLSocket)
            return sock.pending()
        return 0

    def _fail(self, exc: OSError, what: str) -> NoReturn:
        """Raise ``exc`` as a TransportError (ConnectionClosedError when the peer left).

        "Would block" errors pass through unchanged for callers using non-blocking sockets.
        """
        if isinstance(exc, _WOULD_BLOCK):
            raise exc
        if self._closed:
            raise ConnectionClosedError(f"{what}: connection to {self.label} is closed") from exc
        detail = exc.strerror or str(exc)
        tail = stderr_tail(self._channel) if self._channel.process is not None else ""
        message = f"{what}: {detail}" + (f": {tail}" if tail else "")
        if isinstance(exc, ssl.SSLEOFError) or exc.errno in _CLOSED_ERRNOS:
            raise ConnectionClosedError(message) from exc
        raise TransportError(message) from exc

    def _at_eof(self) -> int:
        """End of file: 0, or an error quoting a tunnel command's stderr."""
        if self._channel.process is not None:
            tail = stderr_tail(self._channel)
            if tail:
                raise ConnectionClosedError(f"End of file while reading data: {tail}")
        return 0

    def _check_fds(self) -> None:
        if not self.can_pass_fds:
            raise TransportError(
                f"cannot pass file descriptors over {self.label}: only UNIX sockets can"
            )

    def _sendmsg_fds(self, data: bytes | memoryview, fds: Sequence[int]) -> int:
        ancillary = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds).tobytes())]
        return self._sock.sendmsg([data], ancillary if fds else [])

    def _recvmsg_fds(self, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
        data, ancdata, _flags, _addr = self._sock.recvmsg(
            bufsize, socket.CMSG_SPACE(maxfds * _INT_SIZE) if maxfds > 0 else 0
        )
        fds: list[int] = []
        for level, kind, payload in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                usable = len(payload) - len(payload) % _INT_SIZE
                fds.extend(array.array("i", payload[:usable]))
        return data, fds

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        channel = self._channel
        try:
            self._sock.close()
        finally:
            process = channel.process
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(_TERMINATE_WAIT)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if channel.stderr_fd is not None:
                os.close(channel.stderr_fd)
                channel.stderr_fd = None
