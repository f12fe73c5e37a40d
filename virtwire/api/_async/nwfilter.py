"""Sys::Virt::NWFilter: a network filter (asyncio)."""

from __future__ import annotations

import uuid as _uuid
from typing import Any, ClassVar

from virtwire.api._async.base import RemoteObject
from virtwire.api.sysvirt_gen import NWFilterConstants
from virtwire.protocol import remote_gen as r


class NWFilter(NWFilterConstants, RemoteObject):
    """A network filter, as Sys::Virt::NWFilter; compares by UUID."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("uuid",)

    async def _do(self, proc: str, **fields: Any) -> Any:
        args = getattr(r, f"remote_{proc}_args")(nwfilter=self._ref, **fields)
        return await self._call(proc, args)

    def get_uuid(self) -> bytes:
        """The raw 16-byte UUID."""
        return bytes(self._ref.uuid)

    def get_uuid_string(self) -> str:
        """The UUID as ``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx``."""
        return str(_uuid.UUID(bytes=bytes(self._ref.uuid)))

    def get_name(self) -> str:
        """The filter's name."""
        return str(self._ref.name)

    async def get_xml_description(self, flags: int = 0) -> str:
        """The filter's XML description."""
        return str((await self._do("nwfilter_get_xml_desc", flags=flags)).xml)

    async def undefine(self) -> None:
        """Delete the filter."""
        await self._do("nwfilter_undefine")
