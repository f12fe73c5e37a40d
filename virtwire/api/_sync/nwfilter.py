# Generated from virtwire/api/_async/nwfilter.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::NWFilter: a network filter (blocking)."""

from __future__ import annotations

import uuid as _uuid
from typing import Any, ClassVar

from virtwire.api._sync.base import RemoteObject
from virtwire.api.sysvirt_gen import NWFilterConstants
from virtwire.protocol import remote_gen as r


class NWFilter(NWFilterConstants, RemoteObject):
    """A network filter, as Sys::Virt::NWFilter; compares by UUID."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("uuid",)

    def _do(self, proc: str, **fields: Any) -> Any:
        args = getattr(r, f"remote_{proc}_args")(nwfilter=self._ref, **fields)
        return self._call(proc, args)

    def get_uuid(self) -> bytes:
        """The raw 16-byte UUID."""
        return bytes(self._ref.uuid)

    def get_uuid_string(self) -> str:
        """The UUID as ``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx``."""
        return str(_uuid.UUID(bytes=bytes(self._ref.uuid)))

    def get_name(self) -> str:
        """The filter's name."""
        return str(self._ref.name)

    def get_xml_description(self, flags: int = 0) -> str:
        """The filter's XML description."""
        return str((self._do("nwfilter_get_xml_desc", flags=flags)).xml)

    def undefine(self) -> None:
        """Delete the filter."""
        self._do("nwfilter_undefine")
