# Generated from virtwire/api/_async/connection_objects.py by scripts/unasync.py -- do not edit.
"""Connection methods about networks, storage, node devices, interfaces, secrets and filters."""

from __future__ import annotations

from virtwire.api._sync.base import Caller


class ObjectMethods(Caller):
    """Connection methods about networks, storage, node devices, interfaces, secrets and filters."""

    __slots__ = ()
