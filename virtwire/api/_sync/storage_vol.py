# Generated from virtwire/api/_async/storage_vol.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::StorageVol: a storage volume (blocking)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from virtwire.api._sync.base import RemoteObject
from virtwire.api.sysvirt_gen import StorageVolConstants
from virtwire.protocol import remote_gen as r

if TYPE_CHECKING:
    from virtwire.api._sync.storage_pool import StoragePool
    from virtwire.api._sync.stream import Stream


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

    def get_path(self) -> str:
        """The volume's path on the host."""
        return str((self._do("storage_vol_get_path")).name)

    def get_pool(self) -> StoragePool:
        """The pool holding the volume."""
        from virtwire.api._sync.storage_pool import StoragePool

        ret = self._do("storage_pool_lookup_by_volume")
        return StoragePool(self._conn, ret.pool)

    def get_xml_description(self, flags: int = 0) -> str:
        """The volume's XML description."""
        return str((self._do("storage_vol_get_xml_desc", flags=flags)).xml)

    def delete(self, flags: int = 0) -> None:
        """Delete the volume (``DELETE_*`` flags)."""
        self._do("storage_vol_delete", flags=flags)

    def resize(self, newcapacity: int, flags: int = 0) -> None:
        """Change the volume's capacity (``RESIZE_*`` flags)."""
        self._do("storage_vol_resize", capacity=newcapacity, flags=flags)

    def wipe(self, flags: int = 0) -> None:
        """Overwrite the volume's data with zeros."""
        self._do("storage_vol_wipe", flags=flags)

    def wipe_pattern(self, algorithm: int, flags: int = 0) -> None:
        """Overwrite the volume's data with the ``WIPE_ALG_*`` ``algorithm``."""
        self._do("storage_vol_wipe_pattern", algorithm=algorithm, flags=flags)

    def get_info(self, flags: int = 0) -> dict[str, int]:
        """``{"type", "capacity", "allocation"}`` (type: ``TYPE_*``; ``flags``:
        ``USE_ALLOCATION`` or ``GET_PHYSICAL``)."""
        if flags:
            ret = self._do("storage_vol_get_info_flags", flags=flags)
        else:
            ret = self._do("storage_vol_get_info")
        return {
            "type": int(ret.type),
            "capacity": int(ret.capacity),
            "allocation": int(ret.allocation),
        }

    def download(self, st: Stream, offset: int, length: int, flags: int = 0) -> None:
        """Send the volume's bytes ``offset .. offset+length`` (0: to the end) down ``st``."""
        args = r.remote_storage_vol_download_args(
            vol=self._ref, offset=offset, length=length, flags=flags
        )
        st._open("storage_vol_download", args)

    def upload(self, st: Stream, offset: int, length: int, flags: int = 0) -> None:
        """Write what ``st`` sends into the volume at ``offset`` (``length`` 0: no limit)."""
        args = r.remote_storage_vol_upload_args(
            vol=self._ref, offset=offset, length=length, flags=flags
        )
        st._open("storage_vol_upload", args)
