# Generated from virtwire/api/_async/connection_domains.py by scripts/unasync.py -- do not edit.
"""Connection methods about domains (define, create, look up, list, migrate)."""

from __future__ import annotations

from virtwire.api._sync.base import Caller


class DomainMethods(Caller):
    """Connection methods about domains (define, create, look up, list, migrate)."""

    __slots__ = ()
