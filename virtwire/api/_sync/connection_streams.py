# Generated from virtwire/api/_async/connection_streams.py by scripts/unasync.py -- do not edit.
"""Connection methods about streams (``new_stream``)."""

from __future__ import annotations

from virtwire.api._sync.base import Caller


class StreamMethods(Caller):
    """Connection methods about streams (``new_stream``)."""

    __slots__ = ()
