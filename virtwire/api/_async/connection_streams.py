"""Connection methods about streams (``new_stream``)."""

from __future__ import annotations

from virtwire.api._async.base import Caller


class StreamMethods(Caller):
    """Connection methods about streams (``new_stream``)."""

    __slots__ = ()
