# Generated from virtwire/api/_async/nwfilter_binding.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::NWFilterBinding: a network filter bound to a port device (blocking)."""

from __future__ import annotations

from typing import ClassVar

from virtwire.api._sync.base import RemoteObject
from virtwire.api.sysvirt_gen import NWFilterBindingConstants


class NWFilterBinding(NWFilterBindingConstants, RemoteObject):
    """A filter binding, as Sys::Virt::NWFilterBinding; compares by port device."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("portdev",)

    def __repr__(self) -> str:
        return f"<NWFilterBinding {self._ref.portdev!r} {self._ref.filtername!r}>"

    _arg: ClassVar[str] = "nwfilter"

    def get_port_dev(self) -> str:
        """The name of the port device the filter is bound to."""
        return str(self._ref.portdev)

    def get_filter_name(self) -> str:
        """The name of the bound filter."""
        return str(self._ref.filtername)

    def get_xml_description(self, flags: int = 0) -> str:
        """The binding's XML description."""
        return str((self._do("nwfilter_binding_get_xml_desc", flags=flags)).xml)

    def delete(self) -> None:
        """Unbind the filter from the port device."""
        self._do("nwfilter_binding_delete")
