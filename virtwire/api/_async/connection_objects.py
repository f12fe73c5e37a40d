"""Connection methods about networks, storage, node devices, interfaces, secrets and filters."""

from __future__ import annotations

from virtwire.api._async.base import Caller


class ObjectMethods(Caller):
    """Connection methods about networks, storage, node devices, interfaces, secrets and filters."""

    __slots__ = ()
