# Generated from virtwire/api/_async/connection_events.py by scripts/unasync.py -- do not edit.
"""Connection methods registering event callbacks, and the event stream."""

from __future__ import annotations

from virtwire.api._sync.base import Caller


class EventMethods(Caller):
    """Connection methods registering event callbacks, and the event stream."""

    __slots__ = ()
