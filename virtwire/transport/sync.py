"""Blocking transports: the setup generators driven with ``poll``, then a blocking socket."""

from __future__ import annotations

import os
import select
import socket
import time
from collections.abc import Mapping, Sequence

from virtwire.errors import TransportError
from virtwire.transport.endpoint import Endpoint
from virtwire.transport.setup import (
    Channel,
    Env,
    Progress,
    Resolve,
    Setup,
    WaitReadable,
    command_setup,
    tcp_setup,
    tls_setup,
    unix_setup,
)
from virtwire.transport.uri import RemoteTarget

__all__ = [
    "ExtTransport",
    "SshTransport",
    "StreamTransport",
    "TcpTransport",
    "TlsTransport",
    "UnixTransport",
    "drive",
]


def drive(gen: Setup, progress: Progress, timeout: float | None, what: str) -> Channel:
    """Run a setup generator to completion, blocking; ``timeout`` bounds the whole setup."""
    deadline = None if timeout is None else time.monotonic() + timeout
    value: object = None
    error: BaseException | None = None
    try:
        while True:
            try:
                request = gen.throw(error) if error is not None else gen.send(value)
            except StopIteration as stop:
                channel: Channel = stop.value
                return channel
            value, error = None, None
            if isinstance(request, Resolve):
                try:
                    value = socket.getaddrinfo(
                        request.host, request.port, type=socket.SOCK_STREAM, flags=request.flags
                    )
                except OSError as exc:
                    error = exc
                continue
            sock = progress.sock
            assert sock is not None
            events = select.POLLIN if isinstance(request, WaitReadable) else select.POLLOUT
            poller = select.poll()
            poller.register(sock.fileno(), events)
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not poller.poll(None if remaining is None else remaining * 1000):
                raise TransportError(f"timed out after {timeout}s while opening {what}")
    except BaseException:
        gen.close()
        if progress.sock is not None:
            progress.sock.close()
        raise


class StreamTransport(Endpoint):
    """A blocking transport over a connected socket."""

    __slots__ = ()

    @staticmethod
    def setup(target: RemoteTarget, progress: Progress, env: Env, euid: int) -> Setup:
        """The transport's setup generator; each concrete class supplies its own."""
        raise NotImplementedError

    @classmethod
    def open(
        cls,
        target: RemoteTarget,
        *,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        euid: int | None = None,
    ) -> StreamTransport:
        """Connect to ``target``; ``timeout`` bounds connecting (and the TLS handshake)."""
        progress = Progress()
        gen = cls.setup(
            target,
            progress,
            os.environ if env is None else env,
            os.geteuid() if euid is None else euid,
        )
        channel = drive(gen, progress, timeout, f"{target.transport} connection to {target.uri}")
        channel.sock.setblocking(True)
        return cls(channel)

    def recv_into(self, buf: memoryview) -> int:
        """Read into ``buf``; 0 at end of file."""
        try:
            n = self._sock.recv_into(buf)
        except TimeoutError:
            raise
        except OSError as exc:
            self._fail(exc, "Cannot recv data")
        return n if n else self._at_eof()

    def sendall(self, data: bytes | memoryview) -> None:
        """Write all of ``data``."""
        try:
            self._sock.sendall(data)
        except TimeoutError:
            raise
        except OSError as exc:
            self._fail(exc, "Cannot write data")

    def send_with_fds(self, data: bytes, fds: Sequence[int]) -> None:
        """Write ``data`` with ``fds`` attached to its first byte."""
        self._check_fds()
        try:
            sent = self._sendmsg_fds(data, fds)
            if sent < len(data):
                self._sock.sendall(memoryview(data)[sent:])
        except TimeoutError:
            raise
        except OSError as exc:
            self._fail(exc, "Cannot write data")

    def recv_fds(self, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
        """Read up to ``bufsize`` bytes and the descriptors that came with them."""
        self._check_fds()
        try:
            data, fds = self._recvmsg_fds(bufsize, maxfds)
        except TimeoutError:
            raise
        except OSError as exc:
            self._fail(exc, "Cannot recv data")
        if not data:
            self._at_eof()
        return data, fds

    def settimeout(self, timeout: float | None) -> None:
        """Seconds a read or write may block before :class:`TimeoutError`; ``None``: no limit."""
        self._sock.settimeout(timeout)

    def close(self) -> None:
        """Close the socket and end a tunnel command."""
        self._close()

    def __enter__(self) -> StreamTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class UnixTransport(StreamTransport):
    """A local UNIX socket; passes file descriptors."""

    __slots__ = ()
    setup = staticmethod(unix_setup)


class TcpTransport(StreamTransport):
    """Plain TCP (insecure)."""

    __slots__ = ()
    setup = staticmethod(tcp_setup)


class TlsTransport(StreamTransport):
    """TCP with TLS, after the server's acceptance byte."""

    __slots__ = ()
    setup = staticmethod(tls_setup)


class SshTransport(StreamTransport):
    """The OpenSSH client tunnelling to the remote socket (ssh, libssh, libssh2)."""

    __slots__ = ()
    setup = staticmethod(command_setup)


class ExtTransport(StreamTransport):
    """A user-given command whose stdin/stdout carry the protocol."""

    __slots__ = ()
    setup = staticmethod(command_setup)
