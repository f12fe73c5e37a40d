# Generated from virtwire/api/_async/network.py by scripts/unasync.py -- do not edit.
"""Sys::Virt::Network: a virtual network (blocking)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from virtwire.api._sync.base import RemoteObject, UuidMethods
from virtwire.api._sync.connection_objects import uuid_bytes
from virtwire.api.sysvirt_gen import NetworkConstants
from virtwire.errors import Error
from virtwire.protocol import remote_gen as r

if TYPE_CHECKING:
    from virtwire.api._sync.network_port import NetworkPort


class Network(NetworkConstants, UuidMethods, RemoteObject):
    """A virtual network, as Sys::Virt::Network; compares by UUID."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("uuid",)

    _arg: ClassVar[str] = "net"

    def _port(self, ref: Any) -> NetworkPort:
        from virtwire.api._sync.network_port import NetworkPort

        return NetworkPort(self._conn, ref)

    # ------------------------------------------------------------------ identity

    def get_name(self) -> str:
        """The network's name."""
        return str(self._ref.name)

    # ------------------------------------------------------------------ state

    def is_active(self) -> int:
        """1 if the network is running, else 0."""
        return int((self._do("network_is_active")).active)

    def is_persistent(self) -> int:
        """1 if the network has a persistent configuration, else 0."""
        return int((self._do("network_is_persistent")).persistent)

    def get_xml_description(self, flags: int = 0) -> str:
        """The network's XML (``Network.XML_INACTIVE``: the persistent config)."""
        return str((self._do("network_get_xml_desc", flags=flags)).xml)

    def create(self) -> None:
        """Start the defined network."""
        self._do("network_create")

    def undefine(self) -> None:
        """Remove the network's persistent configuration."""
        self._do("network_undefine")

    def destroy(self) -> None:
        """Stop the network."""
        self._do("network_destroy")

    def update(
        self, command: int, section: int, parentIndex: int, xml: str, flags: int = 0
    ) -> None:
        """Apply ``command`` (``UPDATE_COMMAND_*``) with ``xml`` to ``section``
        (``SECTION_*``) of the configuration; ``flags``: ``UPDATE_AFFECT_*``."""
        self._do(
            "network_update",
            command=command,
            section=section,
            parentIndex=parentIndex,
            xml=xml,
            flags=flags,
        )

    def get_bridge_name(self) -> str:
        """The name of the network's bridge device."""
        return str((self._do("network_get_bridge_name")).name)

    def get_autostart(self) -> int:
        """1 if the network starts with the host, else 0."""
        return int((self._do("network_get_autostart")).autostart)

    def set_autostart(self, flag: int | bool) -> None:
        """Set whether the network starts with the host."""
        self._do("network_set_autostart", autostart=1 if flag else 0)

    def get_dhcp_leases(self, mac: str | None = None, flags: int = 0) -> list[dict[str, Any]]:
        """The DHCP leases (of ``mac`` only, if given), as dicts with Sys::Virt's keys:
        ``iface, expirytime, type, mac, iaid, ipaddr, prefix, hostname, clientid``."""
        ret = self._do("network_get_dhcp_leases", mac=mac, need_results=1, flags=flags)
        return [
            {
                "iface": lease.iface,
                "expirytime": int(lease.expirytime),
                "type": int(lease.type),
                "mac": lease.mac,
                "iaid": lease.iaid,
                "ipaddr": lease.ipaddr,
                "prefix": int(lease.prefix),
                "hostname": lease.hostname,
                "clientid": lease.clientid,
            }
            for lease in ret.leases
        ]

    # ------------------------------------------------------------------ ports

    def list_all_ports(self, flags: int = 0) -> list[NetworkPort]:
        """The network's ports."""
        args = r.remote_network_list_all_ports_args(network=self._ref, need_results=1, flags=flags)
        ret = self._call("network_list_all_ports", args)
        return [self._port(p) for p in ret.ports]

    def create_port(self, xml: str, flags: int = 0) -> NetworkPort:
        """Create a port from ``xml`` (``NetworkPort.CREATE_*`` flags)."""
        args = r.remote_network_port_create_xml_args(network=self._ref, xml=xml, flags=flags)
        return self._port((self._call("network_port_create_xml", args)).port)

    def get_port_by_uuid(self, uuid: str | bytes) -> NetworkPort:
        """The port with ``uuid`` (16 raw bytes, or 32/36 hex characters)."""
        raw = uuid_bytes(uuid, Error.FROM_NETWORK)
        args = r.remote_network_port_lookup_by_uuid_args(network=self._ref, uuid=raw)
        return self._port((self._call("network_port_lookup_by_uuid", args)).port)
