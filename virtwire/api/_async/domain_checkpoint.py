"""Sys::Virt::DomainCheckpoint: a checkpoint of a domain (asyncio)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from virtwire.api._async.base import DomainChild
from virtwire.api.sysvirt_gen import DomainCheckpointConstants

if TYPE_CHECKING:
    pass


class DomainCheckpoint(DomainCheckpointConstants, DomainChild):
    """A domain checkpoint, as Sys::Virt::DomainCheckpoint; compares by domain UUID and name."""

    __slots__ = ()

    _arg: ClassVar[str] = "checkpoint"

    def get_name(self) -> str:
        """The checkpoint's name."""
        return str(self._ref.name)

    async def get_xml_description(self, flags: int = 0) -> str:
        """The checkpoint's XML description."""
        return str((await self._do("domain_checkpoint_get_xml_desc", flags=flags)).xml)

    async def delete(self, flags: int = 0) -> None:
        """Delete the checkpoint (``DELETE_*`` flags)."""
        await self._do("domain_checkpoint_delete", flags=flags)

    async def get_parent(self, flags: int = 0) -> DomainCheckpoint:
        """The parent checkpoint (raises ``ERR_NO_DOMAIN_CHECKPOINT`` for a root)."""
        ret = await self._do("domain_checkpoint_get_parent", flags=flags)
        return self._wrap(ret.parent)

    async def list_all_children(self, flags: int = 0) -> list[DomainCheckpoint]:
        """The child checkpoints matching ``flags``."""
        ret = await self._do("domain_checkpoint_list_all_children", need_results=1, flags=flags)
        return [self._wrap(c) for c in ret.checkpoints]
