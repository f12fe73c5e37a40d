"""Sys::Virt::NodeDevice: a host device (asyncio)."""

from __future__ import annotations

from typing import Any, ClassVar

from virtwire.api._async.base import RemoteObject
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

    async def get_parent(self) -> str | None:
        """The parent device's name, or None for a root device."""
        parent = (await self._do("node_device_get_parent")).parentName
        return None if parent is None else str(parent)

    async def get_xml_description(self, flags: int = 0) -> str:
        """The device's XML description."""
        return str((await self._do("node_device_get_xml_desc", flags=flags)).xml)

    async def dettach(self, driver: str | None = None, flags: int = 0) -> None:
        """Unbind the device from its host driver (to ``driver``, if given)."""
        if driver is not None or flags:
            await self._do("node_device_detach_flags", driverName=driver, flags=flags)
        else:
            await self._do("node_device_dettach")

    async def reattach(self) -> None:
        """Bind the device back to its host driver."""
        await self._do("node_device_re_attach")

    async def reset(self) -> None:
        """Reset the (detached) device."""
        await self._do("node_device_reset")

    async def create(self, flags: int = 0) -> None:
        """Start the defined device."""
        await self._do("node_device_create", flags=flags)

    async def undefine(self, flags: int = 0) -> None:
        """Remove the device's persistent configuration."""
        await self._do("node_device_undefine", flags=flags)

    async def destroy(self) -> None:
        """Remove the (virtual) device from the host."""
        await self._do("node_device_destroy")

    async def get_autostart(self) -> int:
        """1 if the device starts with the host, else 0."""
        return int((await self._do("node_device_get_autostart")).autostart)

    async def set_autostart(self, flag: int | bool) -> None:
        """Set whether the device starts with the host."""
        await self._do("node_device_set_autostart", autostart=1 if flag else 0)

    async def is_active(self) -> int:
        """1 if the device is present, else 0."""
        return int((await self._do("node_device_is_active")).active)

    async def is_persistent(self) -> int:
        """1 if the device has a persistent configuration, else 0."""
        return int((await self._do("node_device_is_persistent")).persistent)

    async def num_of_capabilities(self) -> int:
        """The number of the device's capabilities."""
        return int((await self._do("node_device_num_of_caps")).num)

    async def list_capabilities(self) -> list[str]:
        """Names of the device's capabilities (``pci``, ``net``, ``scsi_host`` ...)."""
        count = await self.num_of_capabilities()
        return [str(n) for n in (await self._do("node_device_list_caps", maxnames=count)).names]
