# Generated from virtwire/api/_async/nwfilter.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::NWFilter: a network filter (blocking)."""

from __future__ import annotations

from typing import ClassVar

from virtwire.api._sync.base import RemoteObject, UuidMethods
from virtwire.api.sysvirt_gen import NWFilterConstants


class NWFilter(NWFilterConstants, UuidMethods, RemoteObject):
    """A network filter, as Sys::Virt::NWFilter; compares by UUID."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("uuid",)

    _arg: ClassVar[str] = "nwfilter"

    def get_name(self) -> str:
        """The filter's name."""
        return str(self._ref.name)

    def get_xml_description(self, flags: int = 0) -> str:
        """The filter's XML description."""
        return str((self._do("nwfilter_get_xml_desc", flags=flags)).xml)

    def undefine(self) -> None:
        """Delete the filter."""
        self._do("nwfilter_undefine")
