# Generated from virtwire/api/_async/network_port.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::NetworkPort: a port of a virtual network (blocking)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from virtwire.api._sync.base import RemoteObject, UuidMethods
from virtwire.api.sysvirt_gen import NetworkPortConstants
from virtwire.api.typed_params import UINT, pack_typed_params, param_types, unpack_typed_params

if TYPE_CHECKING:
    from virtwire.api._sync.network import Network

#: Types of the port's tunables, used when the daemon reports none of them.
PORT_PARAM_TYPES: dict[str, int] = {
    "inbound.average": UINT,
    "inbound.peak": UINT,
    "inbound.burst": UINT,
    "inbound.floor": UINT,
    "outbound.average": UINT,
    "outbound.peak": UINT,
    "outbound.burst": UINT,
}


class NetworkPort(NetworkPortConstants, UuidMethods, RemoteObject):
    """A network port, as Sys::Virt::NetworkPort; compares by UUID."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("uuid",)

    def __repr__(self) -> str:
        return f"<NetworkPort {self.get_uuid_string()}>"

    _arg: ClassVar[str] = "port"

    def get_network(self) -> Network:
        """The network this port belongs to."""
        from virtwire.api._sync.network import Network

        return Network(self._conn, self._ref.net)

    def get_xml_description(self, flags: int = 0) -> str:
        """The port's XML description."""
        return str((self._do("network_port_get_xml_desc", flags=flags)).xml)

    def delete(self, flags: int = 0) -> None:
        """Remove the port from its network."""
        self._do("network_port_delete", flags=flags)

    def get_parameters(self, flags: int = 0) -> dict[str, Any]:
        """The port's tunables (``inbound.average`` ...: ``BANDWIDTH_*`` keys)."""
        ret = self._do("network_port_get_parameters", nparams=0, flags=flags)
        return unpack_typed_params(ret.params)

    def set_parameters(self, params: Mapping[str, Any], flags: int = 0) -> None:
        """Change the port's tunables given in ``params``."""
        current = self._do("network_port_get_parameters", nparams=0, flags=0)
        types = {**PORT_PARAM_TYPES, **param_types(current.params)}
        packed = pack_typed_params(params, types)
        self._do("network_port_set_parameters", params=packed, flags=flags)
