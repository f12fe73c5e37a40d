# Generated from virtwire/api/_async/domain_checkpoint.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::DomainCheckpoint: a checkpoint of a domain (blocking)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from virtwire.api._sync.base import RemoteObject
from virtwire.api.sysvirt_gen import DomainCheckpointConstants

if TYPE_CHECKING:
    from virtwire.api._sync.domain import Domain


class DomainCheckpoint(DomainCheckpointConstants, RemoteObject):
    """A domain checkpoint, as Sys::Virt::DomainCheckpoint; compares by domain UUID and name."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("name",)

    def _key(self) -> tuple[Any, ...]:
        return (bytes(self._ref.dom.uuid), self._ref.name)

    _arg: ClassVar[str] = "checkpoint"

    def _wrap(self, ref: Any) -> DomainCheckpoint:
        return type(self)(self._conn, ref)

    def get_name(self) -> str:
        """The checkpoint's name."""
        return str(self._ref.name)

    def get_domain(self) -> Domain:
        """The domain this checkpoint belongs to."""
        from virtwire.api._sync.domain import Domain

        return Domain(self._conn, self._ref.dom)

    def get_xml_description(self, flags: int = 0) -> str:
        """The checkpoint's XML description."""
        return str((self._do("domain_checkpoint_get_xml_desc", flags=flags)).xml)

    def delete(self, flags: int = 0) -> None:
        """Delete the checkpoint (``DELETE_*`` flags)."""
        self._do("domain_checkpoint_delete", flags=flags)

    def get_parent(self, flags: int = 0) -> DomainCheckpoint:
        """The parent checkpoint (raises ``ERR_NO_DOMAIN_CHECKPOINT`` for a root)."""
        ret = self._do("domain_checkpoint_get_parent", flags=flags)
        return self._wrap(ret.parent)

    def list_all_children(self, flags: int = 0) -> list[DomainCheckpoint]:
        """The child checkpoints matching ``flags``."""
        ret = self._do("domain_checkpoint_list_all_children", need_results=1, flags=flags)
        return [self._wrap(c) for c in ret.checkpoints]
