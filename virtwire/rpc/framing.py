"""Framing: libvirt's length word and message header, and cutting a byte stream into frames.

A frame on the wire is ``length (u32, counts itself) | prog | vers | proc | type | serial |
status | payload``. :class:`FrameReader` buffers received chunks without joining them and
hands out one whole frame at a time, checking the length word the moment it is complete.
"""

from __future__ import annotations

import struct
from collections import deque
from typing import Final

from virtwire.errors import RemoteProtocolError

#: Largest message after the length word (``VIR_NET_MESSAGE_MAX``).
MESSAGE_MAX: Final = 33554432
#: Size of the length word (``VIR_NET_MESSAGE_LEN_MAX``).
LEN_SIZE: Final = 4
#: Size of the header after the length word (``VIR_NET_MESSAGE_HEADER_MAX``).
HEADER_SIZE: Final = 24
#: Offset of the payload in a frame.
PAYLOAD_OFFSET: Final = LEN_SIZE + HEADER_SIZE
#: Largest stream payload libvirt puts in one packet (``VIR_NET_MESSAGE_LEGACY_PAYLOAD_MAX``).
STREAM_CHUNK_MAX: Final = 262120
#: Most file descriptors one message may carry (``VIR_NET_MESSAGE_NUM_FDS_MAX``).
NUM_FDS_MAX: Final = 32

# Message types (virNetMessageType).
CALL: Final = 0
REPLY: Final = 1
MESSAGE: Final = 2
STREAM: Final = 3
CALL_WITH_FDS: Final = 4
REPLY_WITH_FDS: Final = 5
STREAM_HOLE: Final = 6

# Message status (virNetMessageStatus).
OK: Final = 0
ERROR: Final = 1
CONTINUE: Final = 2

#: length word followed by the six header fields.
FRAME_HEAD: Final = struct.Struct(">IIIiiIi")
_U32: Final = struct.Struct(">I")


def frame_head(
    out: bytearray, prog: int, vers: int, proc: int, mtype: int, serial: int, status: int
) -> None:
    """Append a header whose length word is filled in later by :func:`seal`."""
    out += FRAME_HEAD.pack(0, prog, vers, proc, mtype, serial, status)


def seal(out: bytearray, start: int = 0) -> None:
    """Write the length word of the frame that begins at ``start`` and ends at ``len(out)``."""
    length = len(out) - start
    if length - LEN_SIZE > MESSAGE_MAX:
        from virtwire.errors import LocalProtocolError

        raise LocalProtocolError(
            f"message of {length - LEN_SIZE} bytes exceeds the limit of {MESSAGE_MAX}"
        )
    _U32.pack_into(out, start, length)


def encode_frame(
    prog: int, vers: int, proc: int, mtype: int, serial: int, status: int, payload: bytes = b""
) -> bytes:
    """Return one whole frame (used for small control messages)."""
    return FRAME_HEAD.pack(
        PAYLOAD_OFFSET + len(payload), prog, vers, proc, mtype, serial, status
    ) + payload


class FrameReader:
    """Buffers received bytes and yields whole frames (length word included).

    Chunks are kept as they came. A ``bytes`` chunk holding exactly one frame is returned
    as itself; a frame inside a larger chunk is a zero-copy ``memoryview`` slice of it; a
    frame spanning chunks is joined once.
    """

    __slots__ = ("_chunks", "_offset", "buffered", "_want", "_max")

    def __init__(self, max_message: int = MESSAGE_MAX) -> None:
        self._chunks: deque[bytes | memoryview] = deque()
        self._offset = 0  # read position inside the first chunk
        #: Bytes received and not yet handed out (0: no partial frame either).
        self.buffered = 0
        self._want = 0  # length of the frame being assembled, 0 if unknown
        self._max = max_message

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Add received bytes (``bytes`` are kept as they are, anything else is viewed)."""
        if data:
            self._chunks.append(data if type(data) is bytes else memoryview(data).cast("B"))
            self.buffered += len(data)

    def next_frame(self) -> bytes | memoryview | None:
        """Return the next whole frame, or None when more bytes are needed.

        Raises :class:`RemoteProtocolError` when the length word is out of bounds.
        """
        want = self._want
        if not want:
            if self.buffered < LEN_SIZE:
                return None
            first = self._chunks[0]
            if len(first) - self._offset >= LEN_SIZE:
                want = _U32.unpack_from(first, self._offset)[0]
            else:
                want = _U32.unpack(self._peek(LEN_SIZE))[0]
            if want < PAYLOAD_OFFSET:
                raise RemoteProtocolError(
                    f"packet {want} bytes received from server too small, "
                    f"want at least {PAYLOAD_OFFSET}"
                )
            if want - LEN_SIZE > self._max:
                raise RemoteProtocolError(
                    f"packet {want - LEN_SIZE} bytes received from server too large, "
                    f"want at most {self._max}"
                )
            self._want = want
        if self.buffered < want:
            return None
        self._want = 0
        return self.take(want)

    def take(self, n: int) -> bytes | memoryview:
        """Remove and return exactly ``n`` buffered bytes (``n`` <= :attr:`buffered`)."""
        self.buffered -= n
        first = self._chunks[0]
        start = self._offset
        end = start + n
        size = len(first)
        if end == size:
            self._chunks.popleft()
            self._offset = 0
            if not start:
                return first
            return memoryview(first)[start:end]
        if end < size:
            self._offset = end
            return memoryview(first)[start:end]
        parts = []
        while n:
            first = self._chunks[0]
            avail = len(first) - self._offset
            if avail <= n:
                parts.append(memoryview(first)[self._offset :])
                self._chunks.popleft()
                self._offset = 0
                n -= avail
            else:
                parts.append(memoryview(first)[self._offset : self._offset + n])
                self._offset += n
                n = 0
        return memoryview(b"".join(parts))

    def _peek(self, n: int) -> bytes:
        out = bytearray()
        offset = self._offset
        for chunk in self._chunks:
            out += chunk[offset : offset + n - len(out)]
            offset = 0
            if len(out) == n:
                break
        return bytes(out)
