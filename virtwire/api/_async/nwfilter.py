"""Sys::Virt::NWFilter: a network filter (asyncio)."""

from __future__ import annotations

from typing import ClassVar

from virtwire.api._async.base import RemoteObject, UuidMethods
from virtwire.api.sysvirt_gen import NWFilterConstants


class NWFilter(NWFilterConstants, UuidMethods, RemoteObject):
    """A network filter, as Sys::Virt::NWFilter; compares by UUID."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("uuid",)

    _arg: ClassVar[str] = "nwfilter"

    def get_name(self) -> str:
        """The filter's name."""
        return str(self._ref.name)

    async def get_xml_description(self, flags: int = 0) -> str:
        """The filter's XML description."""
        return str((await self._do("nwfilter_get_xml_desc", flags=flags)).xml)

    async def undefine(self) -> None:
        """Delete the filter."""
        await self._do("nwfilter_undefine")
