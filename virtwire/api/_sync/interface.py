# Generated from virtwire/api/_async/interface.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::Interface: a host network interface (blocking)."""

from __future__ import annotations

from typing import ClassVar

from virtwire.api._sync.base import RemoteObject
from virtwire.api.sysvirt_gen import InterfaceConstants


class Interface(InterfaceConstants, RemoteObject):
    """A host network interface, as Sys::Virt::Interface; compares by name and MAC."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("name", "mac")

    _arg: ClassVar[str] = "iface"

    def get_name(self) -> str:
        """The interface's name."""
        return str(self._ref.name)

    def get_mac(self) -> str:
        """The interface's MAC address."""
        return str(self._ref.mac)

    def is_active(self) -> int:
        """1 if the interface is up, else 0."""
        return int((self._do("interface_is_active")).active)

    def get_xml_description(self, flags: int = 0) -> str:
        """The interface's XML (``Interface.XML_INACTIVE``: the persistent config)."""
        return str((self._do("interface_get_xml_desc", flags=flags)).xml)

    def create(self, flags: int = 0) -> None:
        """Bring the defined interface up."""
        self._do("interface_create", flags=flags)

    def undefine(self) -> None:
        """Remove the interface's configuration."""
        self._do("interface_undefine")

    def destroy(self, flags: int = 0) -> None:
        """Bring the interface down."""
        self._do("interface_destroy", flags=flags)
