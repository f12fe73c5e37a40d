"""Sys::Virt::StoragePool: a storage pool (asyncio)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from virtwire.api._async.base import RemoteObject, UuidMethods
from virtwire.api._async.connection_objects import lookup_each
from virtwire.api.sysvirt_gen import StoragePoolConstants

if TYPE_CHECKING:
    from virtwire.api._async.storage_vol import StorageVol


class StoragePool(StoragePoolConstants, UuidMethods, RemoteObject):
    """A storage pool, as Sys::Virt::StoragePool; compares by UUID."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("uuid",)

    _arg: ClassVar[str] = "pool"

    def _vol(self, ref: Any) -> StorageVol:
        from virtwire.api._async.storage_vol import StorageVol

        return StorageVol(self._conn, ref)

    # ------------------------------------------------------------------ identity

    def get_name(self) -> str:
        """The pool's name."""
        return str(self._ref.name)

    # ------------------------------------------------------------------ state

    async def is_active(self) -> int:
        """1 if the pool is running, else 0."""
        return int((await self._do("storage_pool_is_active")).active)

    async def is_persistent(self) -> int:
        """1 if the pool has a persistent configuration, else 0."""
        return int((await self._do("storage_pool_is_persistent")).persistent)

    async def get_xml_description(self, flags: int = 0) -> str:
        """The pool's XML (``StoragePool.XML_INACTIVE``: the persistent config)."""
        return str((await self._do("storage_pool_get_xml_desc", flags=flags)).xml)

    async def create(self, flags: int = 0) -> None:
        """Start the defined pool (``CREATE_WITH_BUILD*`` flags)."""
        await self._do("storage_pool_create", flags=flags)

    async def undefine(self) -> None:
        """Remove the pool's persistent configuration."""
        await self._do("storage_pool_undefine")

    async def destroy(self) -> None:
        """Stop the pool (its data stay)."""
        await self._do("storage_pool_destroy")

    async def get_autostart(self) -> int:
        """1 if the pool starts with the host, else 0."""
        return int((await self._do("storage_pool_get_autostart")).autostart)

    async def set_autostart(self, flag: int | bool) -> None:
        """Set whether the pool starts with the host."""
        await self._do("storage_pool_set_autostart", autostart=1 if flag else 0)

    async def refresh(self, flags: int = 0) -> None:
        """Rescan the pool's volumes."""
        await self._do("storage_pool_refresh", flags=flags)

    async def build(self, flags: int = 0) -> None:
        """Build the pool's underlying storage (``BUILD_*`` flags)."""
        await self._do("storage_pool_build", flags=flags)

    async def delete(self, flags: int = 0) -> None:
        """Delete the pool's underlying storage (``DELETE_*`` flags)."""
        await self._do("storage_pool_delete", flags=flags)

    async def get_info(self) -> dict[str, int]:
        """``{"state", "capacity", "allocation", "available"}`` (state: ``STATE_*``)."""
        ret = await self._do("storage_pool_get_info")
        return {
            "state": int(ret.state),
            "capacity": int(ret.capacity),
            "allocation": int(ret.allocation),
            "available": int(ret.available),
        }

    # ------------------------------------------------------------------ volumes

    async def num_of_storage_volumes(self) -> int:
        """The number of volumes in the pool."""
        return int((await self._do("storage_pool_num_of_volumes")).num)

    async def list_storage_vol_names(self, maxnames: int | None = None) -> list[str]:
        """Names of the pool's volumes (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_storage_volumes()
        ret = await self._do("storage_pool_list_volumes", maxnames=maxnames)
        return [str(n) for n in ret.names]

    async def list_volumes(self) -> list[StorageVol]:
        """The pool's volumes, one lookup per name (see :meth:`list_all_volumes`)."""
        names = await self.list_storage_vol_names(await self.num_of_storage_volumes())
        return await lookup_each(names, self.get_volume_by_name)

    async def list_all_volumes(self, flags: int = 0) -> list[StorageVol]:
        """The pool's volumes, in one call."""
        ret = await self._do("storage_pool_list_all_volumes", need_results=1, flags=flags)
        return [self._vol(v) for v in ret.vols]

    async def get_volume_by_name(self, name: str) -> StorageVol:
        """The pool's volume called ``name``."""
        return self._vol((await self._do("storage_vol_lookup_by_name", name=name)).vol)

    async def create_volume(self, xml: str, flags: int = 0) -> StorageVol:
        """Create a volume from ``xml`` (``StorageVol.CREATE_*`` flags)."""
        return self._vol((await self._do("storage_vol_create_xml", xml=xml, flags=flags)).vol)

    async def clone_volume(self, xml: str, clonevol: StorageVol, flags: int = 0) -> StorageVol:
        """Create a volume from ``xml``, filled with the data of ``clonevol``."""
        ret = await self._do(
            "storage_vol_create_xml_from", xml=xml, clonevol=clonevol.ref, flags=flags
        )
        return self._vol(ret.vol)
