"""Sys::Virt::StorageVol: a storage volume (asyncio)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from virtwire.api._async.base import RemoteObject
from virtwire.api.sysvirt_gen import StorageVolConstants
from virtwire.protocol import remote_gen as r

if TYPE_CHECKING:
    from virtwire.api._async.storage_pool import StoragePool
    from virtwire.api._async.stream import Stream


class StorageVol(StorageVolConstants, RemoteObject):
    """A storage volume, as Sys::Virt::StorageVol; compares by key."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("key",)

    _arg: ClassVar[str] = "vol"

    def get_name(self) -> str:
        """The volume's name, unique in its pool."""
        return str(self._ref.name)

    def get_key(self) -> str:
        """The volume's globally unique key."""
        return str(self._ref.key)

    async def get_path(self) -> str:
        """The volume's path on the host."""
        return str((await self._do("storage_vol_get_path")).name)

    async def get_pool(self) -> StoragePool:
        """The pool holding the volume."""
        from virtwire.api._async.storage_pool import StoragePool

        ret = await self._do("storage_pool_lookup_by_volume")
        return StoragePool(self._conn, ret.pool)

    async def get_xml_description(self, flags: int = 0) -> str:
        """The volume's XML description."""
        return str((await self._do("storage_vol_get_xml_desc", flags=flags)).xml)

    async def delete(self, flags: int = 0) -> None:
        """Delete the volume (``DELETE_*`` flags)."""
        await self._do("storage_vol_delete", flags=flags)

    async def resize(self, newcapacity: int, flags: int = 0) -> None:
        """Change the volume's capacity (``RESIZE_*`` flags)."""
        await self._do("storage_vol_resize", capacity=newcapacity, flags=flags)

    async def wipe(self, flags: int = 0) -> None:
        """Overwrite the volume's data with zeros."""
        await self._do("storage_vol_wipe", flags=flags)

    async def wipe_pattern(self, algorithm: int, flags: int = 0) -> None:
        """Overwrite the volume's data with the ``WIPE_ALG_*`` ``algorithm``."""
        await self._do("storage_vol_wipe_pattern", algorithm=algorithm, flags=flags)

    async def get_info(self, flags: int = 0) -> dict[str, int]:
        """``{"type", "capacity", "allocation"}`` (type: ``TYPE_*``; ``flags``:
        ``USE_ALLOCATION`` or ``GET_PHYSICAL``)."""
        if flags:
            ret = await self._do("storage_vol_get_info_flags", flags=flags)
        else:
            ret = await self._do("storage_vol_get_info")
        return {
            "type": int(ret.type),
            "capacity": int(ret.capacity),
            "allocation": int(ret.allocation),
        }

    async def download(self, st: Stream, offset: int, length: int, flags: int = 0) -> None:
        """Send the volume's bytes ``offset .. offset+length`` (0: to the end) down ``st``."""
        args = r.remote_storage_vol_download_args(
            vol=self._ref, offset=offset, length=length, flags=flags
        )
        await st._open("storage_vol_download", args)

    async def upload(self, st: Stream, offset: int, length: int, flags: int = 0) -> None:
        """Write what ``st`` sends into the volume at ``offset`` (``length`` 0: no limit)."""
        args = r.remote_storage_vol_upload_args(
            vol=self._ref, offset=offset, length=length, flags=flags
        )
        await st._open("storage_vol_upload", args)
