# Generated from virtwire/api/_async/secret.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::Secret: a secret value held by the daemon (blocking)."""

from __future__ import annotations

from typing import ClassVar

from virtwire.api._sync.base import RemoteObject, UuidMethods
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

    def get_xml_description(self, flags: int = 0) -> str:
        """The secret's XML description."""
        return str((self._do("secret_get_xml_desc", flags=flags)).xml)

    def undefine(self) -> None:
        """Delete the secret."""
        self._do("secret_undefine")

    def get_value(self, flags: int = 0) -> bytes:
        """The secret's raw value."""
        return bytes((self._do("secret_get_value", flags=flags)).value)

    def set_value(self, value: bytes | str, flags: int = 0) -> None:
        """Set the secret's raw value (a str is sent as UTF-8)."""
        data = value.encode() if isinstance(value, str) else bytes(value)
        self._do("secret_set_value", value=data, flags=flags)
