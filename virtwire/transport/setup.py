"""Opening a connection, written once for blocking and asyncio use.

Each transport's setup is a generator over a non-blocking socket. It never
waits itself: it yields a request (:class:`WaitReadable`, :class:`WaitWritable`
or :class:`Resolve`) and the driver (blocking in :mod:`.sync`, asyncio in
:mod:`.aio`) fulfils it and resumes it, sending back a result for
:class:`Resolve`. The generator returns a :class:`Channel`: the connected
socket and what is known about it.
"""

from __future__ import annotations

import datetime as _dt
import errno
import os
import socket
import ssl
import subprocess
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from virtwire.errors import ConnectionClosedError, Error, TransportError
from virtwire.transport.ssh_command import command_argv, command_environment
from virtwire.transport.tls_config import (
    check_peer_certificate,
    create_context,
    locate_credentials,
)
from virtwire.transport.uri import SSH_TRANSPORTS, RemoteTarget

__all__ = [
    "Channel",
    "Progress",
    "Request",
    "Resolve",
    "Setup",
    "SetupFunction",
    "WaitReadable",
    "WaitWritable",
    "command_setup",
    "stderr_tail",
    "tcp_setup",
    "tls_setup",
    "unix_setup",
]

#: Bytes of a tunnel command's stderr quoted in errors.
STDERR_TAIL: Final = 1024
_UNIX_PATH_MAX: Final = 107
#: Send buffer asked for on unix sockets. The kernel doubles it, so a whole stream packet
#: (256 KiB) fits with room to spare and the daemon takes each message in one read, which
#: about halves its CPU time per byte uploaded (the usual default, 208 KiB, splits them).
_UNIX_SEND_BUFFER: Final = 256 * 1024
_HOSTNAME_MISMATCH: Final = 62  # X509_V_ERR_HOSTNAME_MISMATCH


@dataclass(frozen=True, slots=True)
class WaitReadable:
    """Resume me when the socket is readable."""


@dataclass(frozen=True, slots=True)
class WaitWritable:
    """Resume me when the socket is writable."""


@dataclass(frozen=True, slots=True)
class Resolve:
    """Send me ``socket.getaddrinfo(host, port, type=SOCK_STREAM, flags=...)``."""

    host: str
    port: int
    flags: int


Request = WaitReadable | WaitWritable | Resolve
READ: Final = WaitReadable()
WRITE: Final = WaitWritable()


@dataclass(slots=True)
class Channel:
    """A connected socket and its properties; the transports wrap one."""

    sock: socket.socket
    label: str
    secure: bool = False
    ssf: int = 0
    can_pass_fds: bool = False
    process: subprocess.Popen[bytes] | None = None
    stderr_fd: int | None = None


Setup = Generator[Request, Any, Channel]
Env = Mapping[str, str]
#: A transport's setup: ``(target, progress, env, euid)`` to a generator.
SetupFunction = Callable[[RemoteTarget, "Progress", Env, int], Setup]
AddrInfo = list[tuple[Any, Any, Any, Any, Any]]


class Progress:
    """The socket a setup waits on; drivers poll it, and close it if the setup is abandoned."""

    def __init__(self) -> None:
        self.sock: socket.socket | None = None


def _connect(sock: socket.socket, address: Any) -> Generator[Request, Any, None]:
    err = sock.connect_ex(address)
    if err == errno.EAGAIN and sock.family == socket.AF_UNIX:
        # The listener's backlog is full: nothing is in progress to wait for.
        # Queue up like libvirt's blocking connect does.
        sock.setblocking(True)
        try:
            sock.connect(address)
        finally:
            sock.setblocking(False)
        return
    if err in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK, errno.EALREADY):
        yield WRITE
        err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    if err:
        raise OSError(err, os.strerror(err))


def unix_setup(target: RemoteTarget, progress: Progress, env: Env, euid: int) -> Setup:
    """Connect to the target's UNIX socket (``@name`` is an abstract socket)."""
    path = target.socket
    if path is None:
        raise TransportError("no UNIX socket path for this connection")
    if len(path.encode()) > _UNIX_PATH_MAX:
        raise TransportError(f"Path {path} too long for unix socket")
    address: str | bytes = "\0" + path[1:] if path.startswith("@") else path
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.setblocking(False)
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) < 2 * _UNIX_SEND_BUFFER:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, _UNIX_SEND_BUFFER)
    progress.sock = sock
    try:
        yield from _connect(sock, address)
    except OSError as exc:
        sock.close()
        raise TransportError(
            f"Failed to connect socket to '{path}': {exc.strerror or exc}"
        ) from exc
    return Channel(sock, label=path, secure=True, can_pass_fds=True)


def tcp_setup(target: RemoteTarget, progress: Progress, env: Env, euid: int) -> Setup:
    """Connect over TCP to each resolved address in turn, as ``virNetSocketNewConnectTCP``."""
    host, port = target.hostname, target.service or 0
    flags = socket.AI_ADDRCONFIG | socket.AI_V4MAPPED
    try:
        infos: AddrInfo = yield Resolve(host, port, flags)
    except socket.gaierror as exc:
        raise TransportError(
            f"Unable to resolve address '{host}' service '{port}': {exc.strerror}"
        ) from exc
    last: OSError = OSError(errno.ENOENT, os.strerror(errno.ENOENT))
    for family, type_, proto, _canon, address in infos:
        sock = socket.socket(family, type_, proto)
        sock.setblocking(False)
        progress.sock = sock
        try:
            yield from _connect(sock, address)
        except OSError as exc:
            sock.close()
            last = exc
            continue
        if family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Channel(sock, label=f"{host}:{port}")
    raise TransportError(
        f"unable to connect to server at '{host}:{port}': {last.strerror or last}"
    ) from last


def tls_setup(target: RemoteTarget, progress: Progress, env: Env, euid: int) -> Setup:
    """TCP, then the TLS handshake, the server's checks and its one-byte verdict."""
    files = locate_credentials(target.pkipath, euid=euid, env=env, exists=os.path.exists)
    context = create_context(files, verify=target.verify, sanity=target.sanity)
    channel = yield from tcp_setup(target, progress, env, euid)
    host = target.hostname
    try:
        tls = context.wrap_socket(channel.sock, server_hostname=host, do_handshake_on_connect=False)
    except (ssl.SSLError, ValueError) as exc:
        channel.sock.close()
        raise TransportError(f"Unable to start TLS with {channel.label}: {exc}") from exc
    progress.sock = tls
    try:
        yield from _handshake(tls, channel.label, host)
        if target.verify:
            der = tls.getpeercert(binary_form=True)
            if der is None:
                raise TransportError(
                    "Failed to verify peer's certificate: The certificate has no peers",
                    code=Error.ERR_AUTH_FAILED,
                )
            check_peer_certificate(der, now=_dt.datetime.now(_dt.UTC))
        yield from _read_verdict(tls, channel.label)
    except BaseException:
        tls.close()
        raise
    cipher = tls.cipher()
    return Channel(tls, label=channel.label, secure=True, ssf=cipher[2] if cipher else 0)


def _handshake(tls: ssl.SSLSocket, label: str, host: str) -> Generator[Request, Any, None]:
    while True:
        try:
            tls.do_handshake()
            return
        except ssl.SSLWantReadError:
            yield READ
        except ssl.SSLWantWriteError:
            yield WRITE
        except ssl.SSLCertVerificationError as exc:
            if exc.verify_code == _HOSTNAME_MISMATCH:
                message = f"Certificate [session] owner does not match the hostname {host}"
                code = Error.ERR_RPC
            else:
                message = (
                    "Failed to verify peer's certificate: Certificate failed validation: "
                    f"{exc.verify_message}"
                )
                code = Error.ERR_AUTH_FAILED
            raise TransportError(message, code=code) from exc
        except (ssl.SSLError, OSError) as exc:
            raise TransportError(f"TLS handshake with {label} failed: {exc}") from exc


def _read_verdict(tls: ssl.SSLSocket, label: str) -> Generator[Request, Any, None]:
    """The server sends ``\\x01`` once it accepts our certificate and address, else closes."""
    rejected = "server verification (of our certificate or IP address) failed"
    while True:
        try:
            data = tls.recv(1)
            break
        except ssl.SSLWantReadError:
            yield READ
        except ssl.SSLWantWriteError:
            yield WRITE
        except (ssl.SSLError, OSError) as exc:
            raise ConnectionClosedError(f"{rejected} ({label}: {exc})", code=Error.ERR_RPC) from exc
    if data != b"\x01":
        raise ConnectionClosedError(
            f"{rejected} ({label} {'closed the connection' if not data else f'sent {data!r}'})",
            code=Error.ERR_RPC,
        )


def command_setup(target: RemoteTarget, progress: Progress, env: Env, euid: int) -> Setup:
    """Spawn the ssh or ext command on one end of a socketpair, stderr to a pipe."""
    yield from ()  # nothing to wait for; a generator like the others
    argv = command_argv(target, env=env)
    is_ssh = target.transport in SSH_TRANSPORTS
    child_env = command_environment(env, ssh=is_ssh, tty=target.tty)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    err_r, err_w = os.pipe()
    try:
        process = subprocess.Popen(
            argv,
            stdin=theirs.fileno(),
            stdout=theirs.fileno(),
            stderr=err_w,
            env=child_env,
            close_fds=True,
        )
    except OSError as exc:
        ours.close()
        os.close(err_r)
        raise TransportError(
            f"Cannot run '{argv[0]}' for the {target.transport} transport: {exc.strerror or exc}"
        ) from exc
    finally:
        theirs.close()
        os.close(err_w)
    os.set_blocking(err_r, False)
    ours.setblocking(False)
    progress.sock = ours
    return Channel(
        ours,
        label=f"{argv[0]} ({target.transport} to {target.hostname})"
        if is_ssh
        else f"{argv[0]} (ext)",
        secure=is_ssh,
        process=process,
        stderr_fd=err_r,
    )


def stderr_tail(channel: Channel, *, wait: float = 0.5) -> str:
    """What the tunnel command wrote to stderr (last bytes, whitespace-trimmed)."""
    if channel.stderr_fd is None:
        return ""
    if channel.process is not None:
        try:
            channel.process.wait(wait)
        except subprocess.TimeoutExpired:
            pass
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(channel.stderr_fd, 65536)
        except BlockingIOError:
            break
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    text = b"".join(chunks)[-STDERR_TAIL:].decode("utf-8", "replace")
    return text.strip()
