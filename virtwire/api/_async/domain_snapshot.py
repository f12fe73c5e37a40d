"""Sys::Virt::DomainSnapshot: a snapshot of a domain (asyncio)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from virtwire.api._async.base import DomainChild
from virtwire.api.sysvirt_gen import DomainSnapshotConstants
from virtwire.errors import Error
from virtwire.protocol import remote_gen as r

if TYPE_CHECKING:
    pass


class DomainSnapshot(DomainSnapshotConstants, DomainChild):
    """A domain snapshot, as Sys::Virt::DomainSnapshot; compares by domain UUID and name."""

    __slots__ = ()

    _arg: ClassVar[str] = "snap"

    def get_name(self) -> str:
        """The snapshot's name."""
        return str(self._ref.name)

    async def get_xml_description(self, flags: int = 0) -> str:
        """The snapshot's XML description."""
        return str((await self._do("domain_snapshot_get_xml_desc", flags=flags)).xml)

    async def delete(self, flags: int = 0) -> None:
        """Delete the snapshot (``DELETE_*`` flags)."""
        await self._do("domain_snapshot_delete", flags=flags)

    async def revert_to(self, flags: int = 0) -> None:
        """Revert the domain to this snapshot (``REVERT_*`` flags)."""
        args = r.remote_domain_revert_to_snapshot_args(snap=self._ref, flags=flags)
        await self._call("domain_revert_to_snapshot", args)

    async def get_parent(self, flags: int = 0) -> DomainSnapshot:
        """The parent snapshot (raises ``ERR_NO_DOMAIN_SNAPSHOT`` for a root)."""
        return self._wrap((await self._do("domain_snapshot_get_parent", flags=flags)).snap)

    async def is_current(self, flags: int = 0) -> int:
        """1 if this is the domain's current snapshot."""
        return int((await self._do("domain_snapshot_is_current", flags=flags)).current)

    async def has_metadata(self, flags: int = 0) -> int:
        """1 if the snapshot has libvirt metadata."""
        return int((await self._do("domain_snapshot_has_metadata", flags=flags)).metadata)

    async def num_of_child_snapshots(self, flags: int = 0) -> int:
        """The number of child snapshots."""
        return int((await self._do("domain_snapshot_num_children", flags=flags)).num)

    async def list_child_snapshot_names(
        self, maxnames: int | None = None, flags: int = 0
    ) -> list[str]:
        """Names of the child snapshots (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_child_snapshots(flags)
        ret = await self._do("domain_snapshot_list_children_names", maxnames=maxnames, flags=flags)
        return [str(n) for n in ret.names]

    async def list_child_snapshots(self) -> list[DomainSnapshot]:
        """The child snapshots, one lookup per name (see :meth:`list_all_children`)."""
        out = []
        for name in await self.list_child_snapshot_names():
            args = r.remote_domain_snapshot_lookup_by_name_args(
                dom=self._ref.dom, name=name, flags=0
            )
            try:
                ret = await self._call("domain_snapshot_lookup_by_name", args)
            except Error:
                continue
            out.append(self._wrap(ret.snap))
        return out

    async def list_all_children(self, flags: int = 0) -> list[DomainSnapshot]:
        """The child snapshots matching ``flags``, in one call."""
        args = r.remote_domain_snapshot_list_all_children_args(
            snapshot=self._ref, need_results=1, flags=flags
        )
        ret = await self._call("domain_snapshot_list_all_children", args)
        return [self._wrap(s) for s in ret.snapshots]
