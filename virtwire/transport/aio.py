"""asyncio transports: the setup generators and socket calls of the blocking ones, awaited."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
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
    "AsyncExtTransport",
    "AsyncSshTransport",
    "AsyncStreamTransport",
    "AsyncTcpTransport",
    "AsyncTlsTransport",
    "AsyncUnixTransport",
    "drive_async",
]

_WANT_READ = (BlockingIOError, InterruptedError, ssl.SSLWantReadError)


async def _ready(fd: int, write: bool) -> None:
    """Wait until ``fd`` is readable (or writable)."""
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not waiter.done():
            waiter.set_result(None)

    if write:
        loop.add_writer(fd, wake)
        try:
            await waiter
        finally:
            loop.remove_writer(fd)
    else:
        loop.add_reader(fd, wake)
        try:
            await waiter
        finally:
            loop.remove_reader(fd)


async def drive_async(gen: Setup, progress: Progress, timeout: float | None, what: str) -> Channel:
    """Run a setup generator to completion in the running loop."""
    loop = asyncio.get_running_loop()
    value: object = None
    error: BaseException | None = None
    try:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    request = gen.throw(error) if error is not None else gen.send(value)
                except StopIteration as stop:
                    channel: Channel = stop.value
                    return channel
                value, error = None, None
                if isinstance(request, Resolve):
                    try:
                        value = await loop.getaddrinfo(
                            request.host,
                            request.port,
                            type=socket.SOCK_STREAM,
                            flags=request.flags,
                        )
                    except OSError as exc:
                        error = exc
                    continue
                sock = progress.sock
                assert sock is not None
                await _ready(sock.fileno(), not isinstance(request, WaitReadable))
    except TimeoutError as exc:
        gen.close()
        if progress.sock is not None:
            progress.sock.close()
        raise TransportError(f"timed out after {timeout}s while opening {what}") from exc
    except BaseException:
        gen.close()
        if progress.sock is not None:
            progress.sock.close()
        raise


class _ReadWaiter:
    """Readiness for reads that stays registered between waits.

    A ping-pong of calls and replies would otherwise add and remove the reader
    (two ``epoll_ctl`` calls) on every reply. The reader goes away only when it
    fires with nobody waiting, or at close.
    """

    __slots__ = ("_loop", "_fd", "_waiter", "_registered")

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        self._loop = loop
        self._fd = fd
        self._waiter: asyncio.Future[None] | None = None
        self._registered = False

    def wait(self) -> asyncio.Future[None]:
        waiter = self._loop.create_future()
        self._waiter = waiter
        if not self._registered:
            self._loop.add_reader(self._fd, self._wake)
            self._registered = True
        return waiter

    def _wake(self) -> None:
        waiter = self._waiter
        self._waiter = None
        if waiter is None or waiter.done():
            self.stop()
        else:
            waiter.set_result(None)

    def stop(self) -> None:
        if self._registered:
            self._registered = False
            self._loop.remove_reader(self._fd)

    def close(self) -> None:
        """Stop watching and wake a waiter, which then finds the socket closed."""
        self.stop()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class AsyncStreamTransport(Endpoint):
    """An asyncio transport over a connected non-blocking socket."""

    __slots__ = ("_reads",)

    def __init__(self, channel: Channel) -> None:
        super().__init__(channel)
        self._reads: _ReadWaiter | None = None

    def _readable(self) -> asyncio.Future[None]:
        reads = self._reads
        if reads is None:
            reads = self._reads = _ReadWaiter(asyncio.get_running_loop(), self._sock.fileno())
        return reads.wait()

    @staticmethod
    def setup(target: RemoteTarget, progress: Progress, env: Env, euid: int) -> Setup:
        """The transport's setup generator; each concrete class supplies its own."""
        raise NotImplementedError

    @classmethod
    async def open(
        cls,
        target: RemoteTarget,
        *,
        timeout: float | None = None,
        env: Mapping[str, str] | None = None,
        euid: int | None = None,
    ) -> AsyncStreamTransport:
        """Connect to ``target``; ``timeout`` bounds connecting (and the TLS handshake)."""
        progress = Progress()
        gen = cls.setup(
            target,
            progress,
            os.environ if env is None else env,
            os.geteuid() if euid is None else euid,
        )
        channel = await drive_async(
            gen, progress, timeout, f"{target.transport} connection to {target.uri}"
        )
        return cls(channel)

    async def recv_into(self, buf: memoryview) -> int:
        """Read into ``buf``; 0 at end of file."""
        sock = self._sock
        while True:
            try:
                n = sock.recv_into(buf)
            except _WANT_READ:
                await self._readable()
                continue
            except ssl.SSLWantWriteError:
                await _ready(sock.fileno(), True)
                continue
            except OSError as exc:
                self._fail(exc, "Cannot recv data")
            return n if n else self._at_eof()

    async def read(self, n: int) -> bytes:
        """Read up to ``n`` bytes; ``b""`` at end of file."""
        buf = bytearray(n)
        got = await self.recv_into(memoryview(buf))
        del buf[got:]
        return bytes(buf)

    async def sendall(self, data: bytes | memoryview) -> None:
        """Write all of ``data``."""
        sock = self._sock
        view = memoryview(data).cast("B")
        while view:
            try:
                sent = sock.send(view)
            except (BlockingIOError, InterruptedError, ssl.SSLWantWriteError):
                await _ready(sock.fileno(), True)
                continue
            except ssl.SSLWantReadError:
                await self._readable()
                continue
            except OSError as exc:
                self._fail(exc, "Cannot write data")
            view = view[sent:]

    async def send_with_fds(self, data: bytes, fds: Sequence[int]) -> None:
        """Write ``data`` with ``fds`` attached to its first byte."""
        self._check_fds()
        while True:
            try:
                sent = self._sendmsg_fds(data, fds)
                break
            except (BlockingIOError, InterruptedError):
                await _ready(self._sock.fileno(), True)
            except OSError as exc:
                self._fail(exc, "Cannot write data")
        if sent < len(data):
            await self.sendall(memoryview(data)[sent:])

    async def recv_fds(self, bufsize: int, maxfds: int) -> tuple[bytes, list[int]]:
        """Read up to ``bufsize`` bytes and the descriptors that came with them."""
        self._check_fds()
        while True:
            try:
                data, fds = self._recvmsg_fds(bufsize, maxfds)
                break
            except (BlockingIOError, InterruptedError):
                await self._readable()
            except OSError as exc:
                self._fail(exc, "Cannot recv data")
        if not data:
            self._at_eof()
        return data, fds

    async def close(self) -> None:
        """Close the socket and end a tunnel command."""
        if self._reads is not None:
            self._reads.close()
        self._close()

    async def __aenter__(self) -> AsyncStreamTransport:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class AsyncUnixTransport(AsyncStreamTransport):
    """A local UNIX socket; passes file descriptors."""

    __slots__ = ()
    setup = staticmethod(unix_setup)


class AsyncTcpTransport(AsyncStreamTransport):
    """Plain TCP (insecure)."""

    __slots__ = ()
    setup = staticmethod(tcp_setup)


class AsyncTlsTransport(AsyncStreamTransport):
    """TCP with TLS, after the server's acceptance byte."""

    __slots__ = ()
    setup = staticmethod(tls_setup)


class AsyncSshTransport(AsyncStreamTransport):
    """The OpenSSH client tunnelling to the remote socket (ssh, libssh, libssh2)."""

    __slots__ = ()
    setup = staticmethod(command_setup)


class AsyncExtTransport(AsyncStreamTransport):
    """A user-given command whose stdin/stdout carry the protocol."""

    __slots__ = ()
    setup = staticmethod(command_setup)
