"""A scripted daemon on a real unix socket, for faults a healthy libvirtd never shows.

It answers the open sequence (AUTH_LIST, CONNECT_SUPPORTS_FEATURE, CONNECT_OPEN,
CONNECT_CLOSE) like libvirtd, then hands every other call to ``misbehave(call, sock)``.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from virtwire.protocol import remote_gen as r
from virtwire.rpc import framing

PROG = r.REMOTE_PROGRAM
P = r.remote_procedure


@dataclass(frozen=True)
class ClientCall:
    """A call the client sent: header fields and payload."""

    proc: int
    serial: int
    payload: bytes


def reply(call: ClientCall, payload: bytes = b"", *, status: int = framing.OK,
          serial: int | None = None, prog: int = PROG) -> bytes:
    """A reply frame to ``call`` (fields overridable to break the rules)."""
    return framing.encode_frame(
        prog, 1, call.proc, framing.REPLY,
        call.serial if serial is None else serial, status, payload,
    )


def _pack(fn: Callable[[bytearray, object], None], value: object) -> bytes:
    out = bytearray()
    fn(out, value)
    return bytes(out)


class FakeDaemon:
    """Serves one client at a time on ``path``; stop() ends it."""

    def __init__(self, path: Path, misbehave: Callable[[ClientCall, socket.socket], None]) -> None:
        self.path = path
        self.misbehave = misbehave
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(str(path))
        self.server.listen(4)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def uri(self) -> str:
        return f"test+unix:///default?socket={self.path}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn: socket.socket) -> None:
        reader = framing.FrameReader()
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                reader.feed(data)
                while (frame := reader.next_frame()) is not None:
                    head = framing.FRAME_HEAD.unpack_from(frame)
                    call = ClientCall(head[3], head[5], bytes(frame[framing.PAYLOAD_OFFSET:]))
                    if not self._standard(call, conn):
                        self.misbehave(call, conn)

    @staticmethod
    def _standard(call: ClientCall, conn: socket.socket) -> bool:
        if call.proc == P.REMOTE_PROC_AUTH_LIST:
            body = _pack(r.pack_remote_auth_list_ret, r.remote_auth_list_ret(types=[
                r.remote_auth_type.REMOTE_AUTH_NONE]))
        elif call.proc == P.REMOTE_PROC_CONNECT_SUPPORTS_FEATURE:
            body = _pack(r.pack_remote_connect_supports_feature_ret,
                         r.remote_connect_supports_feature_ret(supported=0))
        elif call.proc in (P.REMOTE_PROC_CONNECT_OPEN, P.REMOTE_PROC_CONNECT_CLOSE):
            body = b""
        else:
            return False
        conn.sendall(reply(call, body))
        return True

    def stop(self) -> None:
        try:
            self.server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.server.close()
