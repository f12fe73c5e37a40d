"""Connection methods about the host (node info, CPU, memory, capabilities, versions)."""

from __future__ import annotations

from virtwire.api._async.base import Caller


class HostMethods(Caller):
    """Connection methods about the host (node info, CPU, memory, capabilities, versions)."""

    __slots__ = ()
