"""Sys::Virt::Secret: a secret value held by the daemon (asyncio)."""

from __future__ import annotations

from typing import ClassVar

from virtwire.api._async.base import RemoteObject, UuidMethods
from virtwire.api.sysvirt_gen import SecretConstants


class Secret(SecretConstants, UuidMethods, RemoteObject):
    """A secret, as Sys::Virt::Secret; compares by UUID."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("uuid",)

    def __repr__(self) -> str:
        return f"<Secret {self.get_uuid_string()} {self._ref.usageID!r}>"

    _arg: ClassVar[str] = "secret"

    def get_usage_type(self) -> int:
        """What the secret is for (``Secret.USAGE_TYPE_*``)."""
        return int(self._ref.usageType)

    def get_usage_id(self) -> str:
        """The object the secret is for (a volume's path, a Ceph or iSCSI name ...)."""
        return str(self._ref.usageID)

    async def get_xml_description(self, flags: int = 0) -> str:
        """The secret's XML description."""
        return str((await self._do("secret_get_xml_desc", flags=flags)).xml)

    async def undefine(self) -> None:
        """Delete the secret."""
        await self._do("secret_undefine")

    async def get_value(self, flags: int = 0) -> bytes:
        """The secret's raw value."""
        return bytes((await self._do("secret_get_value", flags=flags)).value)

    async def set_value(self, value: bytes | str, flags: int = 0) -> None:
        """Set the secret's raw value (a str is sent as UTF-8)."""
        data = value.encode() if isinstance(value, str) else bytes(value)
        await self._do("secret_set_value", value=data, flags=flags)
