"""Connection methods about streams (``new_stream``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from virtwire.api._async.base import Caller

if TYPE_CHECKING:
    from virtwire.api._async.stream import Stream


class StreamMethods(Caller):
    """Connection methods about streams (``new_stream``)."""

    __slots__ = ()

    def new_stream(self, flags: int = 0) -> Stream:
        """A new stream for a stream-carrying method (Sys::Virt's ``new_stream``);
        ``flags`` may be ``Stream.NONBLOCK``."""
        from virtwire.api._async.stream import Stream

        conn: Any = self
        return Stream(conn, flags)
