"""Connection methods registering event callbacks, and the event stream."""

from __future__ import annotations

from virtwire.api._async.base import Caller


class EventMethods(Caller):
    """Connection methods registering event callbacks, and the event stream."""

    __slots__ = ()
