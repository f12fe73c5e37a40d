# Generated from virtwire/api/_async/node_device.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::NodeDevice: a host device (blocking)."""

from __future__ import annotations

from typing import Any, ClassVar

from virtwire.api._sync.base import RemoteObject
from virtwire.api.sysvirt_gen import NodeDeviceConstants


class NodeDevice(NodeDeviceConstants, RemoteObject):
    """A host device, as Sys::Virt::NodeDevice; compares by name."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("name",)

    _arg: ClassVar[str] = "name"

    def _arg_value(self) -> Any:
        return self._ref.name

    def get_name(self) -> str:
        """The device's name."""
        return str(self._ref.name)

    def get_parent(self) -> str | None:
        """The parent device's name, or None for a root device."""
        parent = (self._do("node_device_get_parent")).parentName
        return None if parent is None else str(parent)

    def get_xml_description(self, flags: int = 0) -> str:
        """The device's XML description."""
        return str((self._do("node_device_get_xml_desc", flags=flags)).xml)

    def dettach(self, driver: str | None = None, flags: int = 0) -> None:
        """Unbind the device from its host driver (to ``driver``, if given)."""
        if driver is not None or flags:
            self._do("node_device_detach_flags", driverName=driver, flags=flags)
        else:
            self._do("node_device_dettach")

    def reattach(self) -> None:
        """Bind the device back to its host driver."""
        self._do("node_device_re_attach")

    def reset(self) -> None:
        """Reset the (detached) device."""
        self._do("node_device_reset")

    def create(self, flags: int = 0) -> None:
        """Start the defined device."""
        self._do("node_device_create", flags=flags)

    def undefine(self, flags: int = 0) -> None:
        """Remove the device's persistent configuration."""
        self._do("node_device_undefine", flags=flags)

    def destroy(self) -> None:
        """Remove the (virtual) device from the host."""
        self._do("node_device_destroy")

    def get_autostart(self) -> int:
        """1 if the device starts with the host, else 0."""
        return int((self._do("node_device_get_autostart")).autostart)

    def set_autostart(self, flag: int | bool) -> None:
        """Set whether the device starts with the host."""
        self._do("node_device_set_autostart", autostart=1 if flag else 0)

    def is_active(self) -> int:
        """1 if the device is present, else 0."""
        return int((self._do("node_device_is_active")).active)

    def is_persistent(self) -> int:
        """1 if the device has a persistent configuration, else 0."""
        return int((self._do("node_device_is_persistent")).persistent)

    def num_of_capabilities(self) -> int:
        """The number of the device's capabilities."""
        return int((self._do("node_device_num_of_caps")).num)

    def list_capabilities(self) -> list[str]:
        """Names of the device's capabilities (``pci``, ``net``, ``scsi_host`` ...)."""
        count = self.num_of_capabilities()
        return [str(n) for n in (self._do("node_device_list_caps", maxnames=count)).names]
