"""Transports against real sockets: local servers started here, then a real libvirtd.

The first half needs no daemon: echo servers (unix, TCP, TLS with throwaway
certificates) and tunnel commands, including every failure the transports
must name precisely. The second half sends a hand-packed
``REMOTE_PROC_CONNECT_OPEN`` to libvirtd over each transport and checks the
reply, and compares our ssh command lines with the ones libvirt's own client
runs.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from virtwire.errors import ConnectionClosedError, Error, TransportError
from virtwire.transport import open_async_transport, open_transport, parse_uri
from virtwire.transport.base import AsyncTransport, Transport
from virtwire.transport.ssh_command import ssh_argv
from virtwire.transport.uri import RemoteTarget

from .conftest import unavailable
from .daemon import Daemon
from .pki import PkiFiles
from .sshd import Sshd


def target(uri: str) -> RemoteTarget:
    return parse_uri(uri, exists=lambda p: False)


def recv_exact(t: Transport, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = t.recv_into(view[got:])
        if k == 0:
            raise EOFError(f"EOF after {got} of {n} bytes")
        got += k
    return bytes(buf)


async def arecv_exact(t: AsyncTransport, n: int) -> bytes:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = await t.recv_into(view[got:])
        if k == 0:
            raise EOFError(f"EOF after {got} of {n} bytes")
        got += k
    return bytes(buf)


# ================================================================ local servers


class Server:
    """A threaded accept loop running ``handle(conn)`` per connection."""

    def __init__(self, listener: socket.socket, handle: Callable[[socket.socket], None]) -> None:
        self.listener = listener
        self.handle = handle
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.handle(conn)
            except OSError:
                pass

    def close(self) -> None:
        self.listener.close()


def echo(conn: socket.socket) -> None:
    while data := conn.recv(65536):
        conn.sendall(data)


def echo_with_fds(conn: socket.socket) -> None:
    """Echo bytes; for each descriptor received, send back its contents read as text."""
    while True:
        data, fds, _flags, _addr = socket.recv_fds(conn, 65536, 8)
        if not data:
            return
        for fd in fds:
            with os.fdopen(fd, "rb") as fh:
                conn.sendall(fh.read())
        conn.sendall(data)


@pytest.fixture
def unix_server(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "echo.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    server = Server(listener, echo_with_fds)
    yield path
    server.close()


@pytest.fixture
def tcp_server() -> Iterator[int]:
    listener = socket.create_server(("127.0.0.1", 0))
    server = Server(listener, echo)
    yield listener.getsockname()[1]
    server.close()


def tls_server(
    pki: PkiFiles, *, verdict: bytes | None = b"\x01", wrong_host: bool = False
) -> tuple[Server, int]:
    """A TLS echo server that answers the handshake with ``verdict`` (``None``: hang up)."""
    files = pki.with_wrong_host() if wrong_host else pki
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(files.servercert, files.serverkey)
    ctx.load_verify_locations(pki.cacert)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    listener = socket.create_server(("127.0.0.1", 0))

    def handle(conn: socket.socket) -> None:
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with tls:
            if verdict is None:
                return
            tls.sendall(verdict)
            echo(tls)

    return Server(listener, handle), listener.getsockname()[1]


def test_unix_echo_and_fds(unix_server: str, tmp_path: Path) -> None:
    t = open_transport(target(f"test+unix:///default?socket={unix_server}"))
    try:
        assert (t.secure, t.can_pass_fds, t.ssf, t.pending()) == (True, True, 0, 0)
        t.sendall(b"hello")
        assert recv_exact(t, 5) == b"hello"
        note = tmp_path / "note"
        note.write_bytes(b"via fd:")
        with open(note, "rb") as fh:
            t.send_with_fds(b"x", [fh.fileno()])
        assert recv_exact(t, 8) == b"via fd:x"
    finally:
        t.close()
    t.close()  # idempotent


async def test_nowait_calls_for_runtimes_polling_the_socket(
    unix_server: str, tmp_path: Path
) -> None:
    t = await open_async_transport(target(f"test+unix:///default?socket={unix_server}"))
    try:
        assert t.sock.fileno() == t.fileno()
        with pytest.raises(BlockingIOError):
            t.recv_fds_nowait(16, 4)
        note = tmp_path / "n"
        note.write_bytes(b"fd!")
        with open(note, "rb") as fh:
            assert t.send_with_fds_nowait(b"ab", [fh.fileno()]) == 2
        assert await arecv_exact(t, 5) == b"fd!ab"
    finally:
        await t.close()


def test_unix_receives_fds(tmp_path: Path) -> None:
    a, b = socket.socketpair()
    path = str(tmp_path / "fd.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()

    def handle(conn: socket.socket) -> None:
        socket.send_fds(conn, [b"fd"], [a.fileno()])
        conn.recv(1)

    server = Server(listener, handle)
    t = open_transport(target(f"test+unix:///default?socket={path}"))
    try:
        data, fds = t.recv_fds(16, 4)
        assert data == b"fd" and len(fds) == 1
        with socket.socket(fileno=fds[0]) as got:
            got.sendall(b"ping")
            assert b.recv(4) == b"ping"
    finally:
        t.close()
        server.close()
        a.close()
        b.close()


def test_unix_eof_is_zero(tmp_path: Path) -> None:
    path = str(tmp_path / "eof.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen()
    server = Server(listener, lambda conn: None)
    with open_transport(target(f"test+unix:///default?socket={path}")) as t:
        assert t.recv_into(memoryview(bytearray(4))) == 0
    server.close()


def test_missing_socket_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nothing-here.sock"
    with pytest.raises(TransportError) as info:
        open_transport(target(f"test+unix:///default?socket={path}"))
    assert info.value.message == f"Failed to connect socket to '{path}': No such file or directory"


def test_socket_path_too_long() -> None:
    with pytest.raises(TransportError, match="too long for unix socket"):
        open_transport(target("test+unix:///default?socket=/" + "x" * 120))


def test_tcp_echo(tcp_server: int) -> None:
    with open_transport(target(f"test+tcp://127.0.0.1:{tcp_server}/default")) as t:
        assert (t.secure, t.can_pass_fds) == (False, False)
        t.sendall(memoryview(b"abc"))
        assert recv_exact(t, 3) == b"abc"
        with pytest.raises(TransportError, match="cannot pass file descriptors"):
            t.send_with_fds(b"x", [0])


def test_tcp_refused_names_host_port_and_error() -> None:
    port = socket.create_server(("127.0.0.1", 0))
    number = port.getsockname()[1]
    port.close()
    with pytest.raises(TransportError) as info:
        open_transport(target(f"test+tcp://127.0.0.1:{number}/default"))
    assert info.value.message == (
        f"unable to connect to server at '127.0.0.1:{number}': Connection refused"
    )


def test_tcp_unknown_host() -> None:
    with pytest.raises(TransportError, match="Unable to resolve address 'no-such-host.invalid'"):
        open_transport(target("test+tcp://no-such-host.invalid/default"))


def test_tls_echo(pki: PkiFiles) -> None:
    server, port = tls_server(pki)
    uri = f"test+tls://localhost:{port}/default?pkipath={pki.client_pkipath}"
    with open_transport(target(uri)) as t:
        assert t.secure and t.ssf >= 128 and not t.can_pass_fds
        t.sendall(b"x" * 100)
        assert recv_exact(t, 10) == b"x" * 10
        assert t.pending() == 90 or recv_exact(t, 90)
    server.close()


def test_tls_wrong_ca(pki: PkiFiles) -> None:
    server, port = tls_server(pki)
    uri = f"test+tls://localhost:{port}/default?pkipath={pki.wrong_ca_pkipath}"
    with pytest.raises(TransportError) as info:
        open_transport(target(uri))
    assert info.value.code == Error.ERR_AUTH_FAILED
    assert info.value.message.startswith(
        "Failed to verify peer's certificate: Certificate failed validation:"
    )
    server.close()


def test_tls_wrong_host(pki: PkiFiles) -> None:
    server, port = tls_server(pki, wrong_host=True)
    uri = f"test+tls://localhost:{port}/default?pkipath={pki.client_pkipath}"
    with pytest.raises(TransportError) as info:
        open_transport(target(uri))
    assert info.value.message == "Certificate [session] owner does not match the hostname localhost"
    # no_verify=1 skips every check of the server's certificate, as libvirt's client does.
    with open_transport(target(uri + "&no_verify=1")) as t:
        t.sendall(b"ok")
        assert recv_exact(t, 2) == b"ok"
    server.close()


@pytest.mark.parametrize(
    ("verdict", "detail"), [(None, "closed the connection"), (b"\x00", "sent b'\\x00'")]
)
def test_tls_rejected_by_server(pki: PkiFiles, verdict: bytes | None, detail: str) -> None:
    server, port = tls_server(pki, verdict=verdict)
    uri = f"test+tls://localhost:{port}/default?pkipath={pki.client_pkipath}"
    with pytest.raises(ConnectionClosedError) as info:
        open_transport(target(uri))
    assert info.value.message.startswith(
        "server verification (of our certificate or IP address) failed"
    )
    assert detail in info.value.message
    server.close()


def test_tls_missing_ca(tmp_path: Path) -> None:
    with pytest.raises(TransportError, match="Cannot read CA certificate"):
        open_transport(target(f"test+tls://localhost:1/default?pkipath={tmp_path}"))


def test_open_timeout(pki: PkiFiles) -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, never answers the handshake
    port = listener.getsockname()[1]
    uri = f"test+tls://localhost:{port}/default?pkipath={pki.client_pkipath}"
    with pytest.raises(TransportError, match="timed out after 0.2s"):
        open_transport(target(uri), timeout=0.2)

    async def attempt() -> None:
        await open_async_transport(target(uri), timeout=0.2)

    with pytest.raises(TransportError, match="timed out after 0.2s"):
        asyncio.run(attempt())
    listener.close()


def test_blocking_timeout(unix_server: str) -> None:
    with open_transport(target(f"test+unix:///default?socket={unix_server}")) as t:
        t.settimeout(0.05)
        with pytest.raises(TimeoutError):
            t.recv_into(memoryview(bytearray(4)))
        t.settimeout(None)
        t.sendall(b"still fine")
        assert recv_exact(t, 10) == b"still fine"


async def test_async_close_wakes_a_reader(unix_server: str) -> None:
    t = await open_async_transport(target(f"test+unix:///default?socket={unix_server}"))
    reader = asyncio.create_task(t.recv_into(memoryview(bytearray(4))))
    await asyncio.sleep(0.01)
    await t.close()
    with pytest.raises(ConnectionClosedError):
        await asyncio.wait_for(reader, 5)


async def test_async_cancelled_read_leaves_transport_usable(unix_server: str) -> None:
    t = await open_async_transport(target(f"test+unix:///default?socket={unix_server}"))
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(t.recv_into(memoryview(bytearray(4))), 0.05)
        await t.sendall(b"again")
        assert await arecv_exact(t, 5) == b"again"
    finally:
        await t.close()


def test_ext_command(tmp_path: Path) -> None:
    cat = shutil.which("cat")
    with open_transport(target(f"test+ext:///default?command={cat}")) as t:
        assert (t.secure, t.can_pass_fds) == (False, False)
        t.sendall(b"through cat")
        assert recv_exact(t, 11) == b"through cat"


def test_ext_command_that_dies_reports_its_stderr(tmp_path: Path) -> None:
    script = tmp_path / "dies"
    script.write_text("#!/bin/sh\necho 'noise' >&2\necho 'tunnel: no route to host' >&2\nexit 3\n")
    script.chmod(0o755)
    with open_transport(target(f"test+ext:///default?command={script}")) as t:
        with pytest.raises(ConnectionClosedError) as info:
            t.recv_into(memoryview(bytearray(4)))
    assert info.value.message == ("End of file while reading data: noise\ntunnel: no route to host")


def test_ext_command_missing(tmp_path: Path) -> None:
    with pytest.raises(TransportError) as info:
        open_transport(target(f"test+ext:///default?command={tmp_path}/nope"))
    assert info.value.message == (
        f"Cannot run '{tmp_path}/nope' for the ext transport: No such file or directory"
    )


def test_ext_command_gets_a_reduced_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VIRTWIRE_SECRET", "x")
    script = tmp_path / "env"
    script.write_text("#!/bin/sh\nenv | sort\n")
    script.chmod(0o755)
    with open_transport(target(f"test+ext:///default?command={script}")) as t:
        out = b""
        buf = bytearray(4096)
        while n := t.recv_into(memoryview(buf)):
            out += buf[:n]
    names = {line.split("=", 1)[0] for line in out.decode().splitlines()}
    assert "LC_ALL" in names and "VIRTWIRE_SECRET" not in names


async def test_async_unix_echo_and_fds(unix_server: str, tmp_path: Path) -> None:
    t = await open_async_transport(target(f"test+unix:///default?socket={unix_server}"))
    try:
        await t.sendall(b"hello")
        assert await arecv_exact(t, 5) == b"hello"
        note = tmp_path / "note"
        note.write_bytes(b"async fd:")
        with open(note, "rb") as fh:
            await t.send_with_fds(b"y", [fh.fileno()])
        assert await arecv_exact(t, 10) == b"async fd:y"
        await t.sendall(b"z" * 200000)
        assert await arecv_exact(t, 200000) == b"z" * 200000
    finally:
        await t.close()


async def test_async_tls_and_read(pki: PkiFiles) -> None:
    server, port = tls_server(pki)
    uri = f"test+tls://localhost:{port}/default?pkipath={pki.client_pkipath}"
    t = await open_async_transport(target(uri))
    try:
        assert t.ssf >= 128
        await t.sendall(b"q" * 300000)
        got = b""
        while len(got) < 300000:
            chunk = await t.read(65536)
            assert chunk
            got += chunk
        assert got == b"q" * 300000
    finally:
        await t.close()
        server.close()


async def test_async_errors(tmp_path: Path, pki: PkiFiles) -> None:
    with pytest.raises(TransportError, match="Failed to connect socket to"):
        await open_async_transport(target(f"test+unix:///default?socket={tmp_path}/none"))
    server, port = tls_server(pki, wrong_host=True)
    uri = f"test+tls://localhost:{port}/default?pkipath={pki.client_pkipath}"
    with pytest.raises(TransportError, match="owner does not match the hostname localhost"):
        await open_async_transport(target(uri))
    server.close()


async def test_async_ext(tmp_path: Path) -> None:
    t = await open_async_transport(target(f"test+ext:///default?command={shutil.which('cat')}"))
    try:
        await t.sendall(b"cat")
        assert await arecv_exact(t, 3) == b"cat"
    finally:
        await t.close()


# ================================================================ a real libvirtd

REMOTE_PROGRAM = 0x20008086
REMOTE_PROTOCOL_VERSION = 1
PROC_CONNECT_OPEN = 1
PROC_CONNECT_GET_URI = 110
HEADER = struct.Struct(">IIIIiIi")  # length, prog, vers, proc, type, serial, status


def xdr_string(text: str) -> bytes:
    raw = text.encode()
    return struct.pack(">I", len(raw)) + raw + b"\0" * (-len(raw) % 4)


def call(proc: int, serial: int, body: bytes = b"") -> bytes:
    return HEADER.pack(HEADER.size + len(body), REMOTE_PROGRAM, 1, proc, 0, serial, 0) + body


def connect_open(name: str, serial: int = 1) -> bytes:
    # remote_connect_open_args: remote_string name (present: 1, then the string), u_int flags.
    return call(
        PROC_CONNECT_OPEN, serial, struct.pack(">I", 1) + xdr_string(name) + struct.pack(">I", 0)
    )


def read_reply(t: Transport) -> tuple[tuple[int, ...], bytes]:
    (length,) = struct.unpack(">I", recv_exact(t, 4))
    rest = recv_exact(t, length - 4)
    header = HEADER.unpack(struct.pack(">I", length) + rest[: HEADER.size - 4])
    return header, rest[HEADER.size - 4 :]


async def aread_reply(t: AsyncTransport) -> tuple[tuple[int, ...], bytes]:
    (length,) = struct.unpack(">I", await arecv_exact(t, 4))
    rest = await arecv_exact(t, length - 4)
    header = HEADER.unpack(struct.pack(">I", length) + rest[: HEADER.size - 4])
    return header, rest[HEADER.size - 4 :]


def check_open(t: Transport, name: str) -> None:
    t.sendall(connect_open(name))
    (length, prog, vers, proc, type_, serial, status), body = read_reply(t)
    assert (prog, vers, proc, type_, serial, status) == (
        REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, PROC_CONNECT_OPEN, 1, 1, 0,
    ), body  # fmt: skip
    assert length == HEADER.size and body == b""
    t.sendall(call(PROC_CONNECT_GET_URI, 2))
    header, body = read_reply(t)
    assert header[5:] == (2, 0)
    assert body == xdr_string(name)


def daemon_uris(daemon: Daemon) -> list[str]:
    return [
        daemon.uri(),
        daemon.uri(readonly=True),
        daemon.uri(transport="tcp"),
        daemon.uri(transport="tls"),
    ]


def test_connect_open_over_each_transport(daemon: Daemon) -> None:
    for uri in daemon_uris(daemon):
        t = open_transport(target(uri), timeout=10)
        try:
            assert t.secure is (not uri.startswith("test+tcp"))
            check_open(t, "test:///default")
        finally:
            t.close()


def test_connect_open_over_ssh(daemon: Daemon, sshd: Sshd) -> None:
    tgt = target(sshd.uri(daemon))
    assert tgt.proxy == "netcat"  # socket= given: nc, as libvirt
    with open_transport(tgt, timeout=20) as t:
        assert t.secure
        check_open(t, tgt.name)


@pytest.mark.parametrize("transport", ["libssh", "libssh2"])
def test_connect_open_over_libssh_via_openssh(daemon: Daemon, sshd: Sshd, transport: str) -> None:
    tgt = target(sshd.uri(daemon, transport=transport, params={"no_tty": "1"}))
    with open_transport(tgt, timeout=20) as t:
        check_open(t, tgt.name)


def test_ssh_that_cannot_log_in_reports_ssh_stderr(
    daemon: Daemon, sshd: Sshd, tmp_path: Path
) -> None:
    uri = sshd.uri(
        daemon, params={"command": shutil.which("ssh") or "ssh", "keyfile": str(tmp_path / "none")}
    )
    with open_transport(target(uri), timeout=20) as t:
        with pytest.raises(ConnectionClosedError) as info:
            t.recv_into(memoryview(bytearray(4)))
    assert info.value.message.startswith("End of file while reading data: ")
    assert len(info.value.message) > len("End of file while reading data: ")


def test_tls_refused_by_allowed_dn_list(
    daemon_factory: Callable[..., Daemon], pki: PkiFiles
) -> None:
    d = daemon_factory(
        tls=pki, tls_allowed_dn_list=["CN=nobody"], private_namespace=os.geteuid() == 0
    )
    with pytest.raises(ConnectionClosedError, match="server verification"):
        open_transport(target(d.uri(transport="tls")), timeout=10)


async def test_async_connect_open(daemon: Daemon) -> None:
    for uri in daemon_uris(daemon):
        t = await open_async_transport(target(uri), timeout=10)
        try:
            await t.sendall(connect_open("test:///default"))
            header, body = await aread_reply(t)
            assert header[1:] == (REMOTE_PROGRAM, 1, PROC_CONNECT_OPEN, 1, 1, 0), body
        finally:
            await t.close()


# ================================================================ libvirt's own client

LIBVIRT_PROBE = r"""
import json, os, sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
out = []
for uri in json.load(sys.stdin):
    rec = {"uri": uri, "argv": None, "error": None}
    try:
        libvirt.openReadOnly(uri)
    except libvirt.libvirtError as e:
        rec["error"] = e.get_error_message()
    if os.path.exists(sys.argv[1]):
        with open(sys.argv[1]) as f:
            rec["argv"] = json.load(f)
        os.unlink(sys.argv[1])
    out.append(rec)
json.dump(out, sys.stdout)
"""

FAKE_SSH = """#!{python}
import json, sys
with open({out!r}, "w") as f:
    json.dump(sys.argv, f)
sys.exit(1)
"""

COMPAT_QUERIES = [
    "keyfile=/k&foo=a%20b",
    "Foo=x%2Fy%20z&bar",
    "a=1;b=2",
    "socket=/x/y&no_tty=1&no_verify=1",
    "netcat=/my%20nc&x='q'",
    "proxy=netcat",
    "proxy=native",
    "name=test:///default",
    "NAME=x&name=y",
    "no_tty=%201",
    "no_tty=abc",
    "mode=bogus",
    "proxy=native&netcat=nc",
    "v=%C3%A9!*'()",
    "authfile=/x&a=%26",
]
COMPAT_URIS = [
    "qemu+ssh://root@host:2222/system",
    "qemu+ssh://h",
    "qemu+ssh://h/sys%20tem:x",
    "remote+ssh://h/system",
    "Qemu+SSH://[fe80::1]:22/system",
    "test+ssh://u%40x@h/default",
]


def test_same_ssh_command_lines_as_libvirt(tmp_path: Path) -> None:
    system_python = "/usr/bin/python3"
    probe = subprocess.run(
        [system_python, "-c", "import libvirt"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        unavailable("libvirt's Python binding (python3-libvirt) is not installed")
    out = tmp_path / "argv.json"
    fake = tmp_path / "fakessh"
    fake.write_text(FAKE_SSH.format(python=system_python, out=str(out)))
    fake.chmod(0o755)
    uris = [f"{base}?{q}&command={fake}" for base in COMPAT_URIS[:1] for q in COMPAT_QUERIES]
    uris += [f"{base}?command={fake}" for base in COMPAT_URIS]
    env = {**os.environ, "LIBVIRT_AUTOSTART": "0"}
    result = subprocess.run(
        [system_python, "-c", LIBVIRT_PROBE, str(out)],
        input=json.dumps(uris),
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=120,
    )
    records: list[dict[str, Any]] = json.loads(result.stdout)
    assert len(records) == len(uris)
    for rec in records:
        uri = rec["uri"]
        try:
            ours: list[str] | None = ssh_argv(parse_uri(uri, readonly=True, exists=lambda p: False))
            our_error = None
        except Error as exc:
            ours, our_error = None, exc.message
        if rec["argv"] is None:
            assert our_error is not None, (uri, rec["error"])
            # libvirt has a typo in one message ("Unnkown proxy type").
            assert our_error.replace("Unknown proxy", "Unnkown proxy") in rec["error"], uri
        else:
            assert ours is not None, (uri, our_error)
            assert ours[1:] == rec["argv"][1:], uri
    assert sys.version_info >= (3, 11)
