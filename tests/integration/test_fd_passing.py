"""File-descriptor passing: CALL_WITH_FDS to a real daemon (checked in its debug log),
REPLY_WITH_FDS from a scripted peer on a socket pair, and the refusal on TCP; both runtimes."""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from virtwire import Error
from virtwire.api._async.connection import _programs, procedure
from virtwire.api._async.runtime import AsyncRuntime
from virtwire.api._sync.runtime import BlockingRuntime
from virtwire.protocol import remote_gen as r
from virtwire.rpc import framing
from virtwire.rpc.connection import RpcConnection

from .clients import open_client
from .daemon import Daemon


def _domain_xml(name: str) -> str:
    return (
        f"<domain type='test'><name>{name}</name><memory>1024</memory>"
        "<os><type>hvm</type></os></domain>"
    )


def test_create_xml_with_files_hands_fds_to_the_daemon(
    kind: str, daemon_factory: Callable[..., Daemon], tmp_path: Path
) -> None:
    workdir = tmp_path / "fd-daemon"
    log = workdir / "debug.log"
    d = daemon_factory(
        workdir,
        extra_conf={"log_filters": "1:rpc.netmessage", "log_outputs": f"1:file:{log}"},
    )
    client = open_client(kind, d.uri())
    r1, w1 = os.pipe()
    name = "vw-fd-" + uuid.uuid4().hex[:8]
    try:
        ret = client.call(
            "domain_create_xml_with_files",
            r.remote_domain_create_xml_with_files_args(xml_desc=_domain_xml(name), flags=0),
            fds=[r1, w1],
        )
        assert ret.dom.name == name
        # the daemon read both descriptors (SCM_RIGHTS) before dispatching the call
        assert "Got 2 FDs from peer" in log.read_text()
        client.call("domain_destroy", r.remote_domain_destroy_args(dom=ret.dom))
        assert client.get_type() == "TEST"
    finally:
        os.close(r1)
        os.close(w1)
        client.close()


def test_tcp_cannot_carry_fds(kind: str, daemon: Daemon) -> None:
    client = open_client(kind, daemon.uri(transport="tcp"))
    r1, w1 = os.pipe()
    try:
        with pytest.raises(Error) as info:
            client.call(
                "domain_create_xml_with_files",
                r.remote_domain_create_xml_with_files_args(
                    xml_desc=_domain_xml("vw-fd-tcp"), flags=0
                ),
                fds=[r1],
            )
        assert info.value.code == Error.ERR_INTERNAL_ERROR
        assert info.value.domain == Error.FROM_RPC
        assert info.value.message == "Sending file descriptors is not supported on this socket"
        assert client.get_type() == "TEST"  # nothing was sent; the connection goes on
    finally:
        os.close(r1)
        os.close(w1)
        client.close()


class _Transport:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.can_pass_fds = True

    def close(self) -> None:
        self.sock.close()


def _fake_daemon(peer: socket.socket, payload: bytes) -> None:
    """Answer one call with REPLY_WITH_FDS carrying a pipe whose other end holds ``payload``."""
    head = peer.recv(4, socket.MSG_WAITALL)
    (length,) = struct.unpack(">I", head)
    frame = head + peer.recv(length - 4, socket.MSG_WAITALL)
    _, prog, vers, proc, _mtype, serial, _status = framing.FRAME_HEAD.unpack_from(frame)
    rd, wr = os.pipe()
    os.write(wr, payload)
    os.close(wr)
    reply = framing.encode_frame(
        prog, vers, proc, framing.REPLY_WITH_FDS, serial, framing.OK, struct.pack(">I", 1)
    )
    peer.sendall(reply)
    socket.send_fds(peer, [b"\0"], [rd])  # one carrier byte per descriptor, as libvirt does
    os.close(rd)


def _graphics_args() -> Any:
    dom = r.remote_nonnull_domain(name="x", uuid=bytes(16), id=1)
    return r.remote_domain_open_graphics_fd_args(dom=dom, idx=0, flags=0)


@pytest.mark.parametrize("runtime", ["sync", "async"])
def test_reply_with_fds_from_a_scripted_peer(runtime: str) -> None:
    ours, peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    server = threading.Thread(target=_fake_daemon, args=(peer, b"through SCM_RIGHTS"))
    server.start()
    proc = procedure("domain_open_graphics_fd")
    try:
        if runtime == "sync":
            rt = BlockingRuntime(_Transport(ours), RpcConnection(_programs()))
            value, fds = rt.call(proc, _graphics_args(), timeout=10)
            rt.shutdown()
        else:

            async def go() -> Any:
                art = AsyncRuntime(_Transport(ours), RpcConnection(_programs()))
                try:
                    return await art.call(proc, _graphics_args(), timeout=10)
                finally:
                    art.shutdown()

            value, fds = asyncio.run(go())
        assert value is None and len(fds) == 1
        with os.fdopen(fds[0], "rb") as f:
            assert f.read() == b"through SCM_RIGHTS"
    finally:
        server.join(10)
        peer.close()
