"""The SASL security layer: length-prefixed tokens wrapping the byte stream.

After a mechanism negotiates integrity or confidentiality, every byte in
each direction travels inside tokens, each a 4-byte big-endian length and
that many bytes.  Subclasses supply ``wrap``/``unwrap`` for one token.
"""

from __future__ import annotations

import abc
import struct

from virtwire.errors import RemoteProtocolError

_LENGTH = struct.Struct(">I")

#: Receive buffer size libvirt announces to the peer (``virNetSASLSession.maxbufsize``).
DEFAULT_MAXBUF = 65536


class SecurityLayer(abc.ABC):
    """Encodes plaintext into tokens and decodes tokens fed in any slicing.

    ``max_plaintext`` is the most plaintext one token may carry (derived
    from the peer's maximum buffer); ``max_token`` is the largest token
    accepted from the peer (the buffer size announced to it).
    """

    __slots__ = ("_buffer", "_failed", "max_plaintext", "max_token")

    def __init__(self, *, max_plaintext: int, max_token: int = DEFAULT_MAXBUF) -> None:
        if max_plaintext <= 0:
            raise ValueError("max_plaintext must be positive")
        self.max_plaintext = max_plaintext
        self.max_token = max_token
        self._buffer = bytearray()
        self._failed = False

    @abc.abstractmethod
    def wrap(self, plaintext: bytes) -> bytes:
        """Protect one chunk of at most ``max_plaintext`` bytes; return the token."""

    @abc.abstractmethod
    def unwrap(self, token: bytes | memoryview) -> bytes | memoryview:
        """Check and decode one token (without its length word).

        The result must not refer to ``token``'s memory (the caller reuses it).
        """

    def wrap_parts(self, plaintext: memoryview) -> list[bytes]:
        """One token as pieces to send in order; layers override it to save copies."""
        return [self.wrap(bytes(plaintext))]

    def encode(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Split ``data`` into tokens, each prefixed with its 4-byte length."""
        view = memoryview(data).cast("B")
        out: list[bytes] = []
        step = self.max_plaintext
        pack = _LENGTH.pack
        for start in range(0, len(view), step):
            parts = self.wrap_parts(view[start : start + step])
            out.append(b"".join([pack(sum(map(len, parts))), *parts]))
        return out

    def feed(self, data: bytes | bytearray | memoryview) -> bytes:
        """Take raw received bytes; return the plaintext of every complete token.

        Partial tokens are kept for the next call.  A bad or oversized token
        raises ``RemoteProtocolError`` and the layer refuses further input.
        """
        if self._failed:
            raise RemoteProtocolError("the SASL security layer already failed")
        buf = self._buffer
        buf += data
        out: list[bytes | memoryview] = []
        offset = 0
        size = len(buf)
        unpack = _LENGTH.unpack_from
        unwrap = self.unwrap
        try:
            with memoryview(buf) as view:
                while size - offset >= 4:
                    (length,) = unpack(view, offset)
                    if length > self.max_token:
                        raise RemoteProtocolError(
                            f"SASL token of {length} bytes exceeds the limit of {self.max_token}"
                        )
                    end = offset + 4 + length
                    if size < end:
                        break
                    out.append(unwrap(view[offset + 4 : end]))
                    offset = end
        except Exception:
            self._failed = True
            self._buffer = bytearray()  # a traceback may still hold a view of the old one
            raise
        del buf[:offset]
        return b"".join(out)

    @property
    def pending(self) -> int:
        """Bytes received but not yet decoded (an incomplete token)."""
        return len(self._buffer)


__all__ = ["DEFAULT_MAXBUF", "SecurityLayer"]
