"""Connection methods about networks, storage, node devices, interfaces, secrets and filters."""

from __future__ import annotations

import functools
import uuid as _uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from virtwire.api._async.base import Caller
from virtwire.errors import Error
from virtwire.protocol import remote_gen as r

if TYPE_CHECKING:
    from virtwire.api._async.interface import Interface
    from virtwire.api._async.network import Network
    from virtwire.api._async.node_device import NodeDevice
    from virtwire.api._async.nwfilter import NWFilter
    from virtwire.api._async.nwfilter_binding import NWFilterBinding
    from virtwire.api._async.secret import Secret
    from virtwire.api._async.storage_pool import StoragePool
    from virtwire.api._async.storage_vol import StorageVol


def uuid_bytes(value: str | bytes, domain: int) -> bytes:
    """A UUID given as 16 raw bytes or 32/36 hex characters, as raw bytes.

    Anything else raises ``ERR_INVALID_ARG`` from ``domain`` (``Error.FROM_*``).
    """
    if isinstance(value, (bytes, bytearray)) and len(value) == 16:
        return bytes(value)
    text = value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else value
    if len(text) in (32, 36):
        try:
            return _uuid.UUID(text).bytes
        except ValueError:
            pass
    raise Error(
        f"invalid argument: UUID must be either 16 unsigned bytes, or 32/36 hex characters "
        f"long: {text!r}",
        code=Error.ERR_INVALID_ARG,
        domain=domain,
    )


async def lookup_each(names: list[Any], lookup: Callable[[Any], Any]) -> list[Any]:
    """``lookup(name)`` for each name, skipping objects that went away meanwhile."""
    out: list[Any] = []
    for name in names:
        try:
            out.append(await lookup(name))
        except Error:
            continue
    return out


class _Classes(NamedTuple):
    """The object classes this module wraps references in."""

    Network: type[Network]
    StoragePool: type[StoragePool]
    StorageVol: type[StorageVol]
    NodeDevice: type[NodeDevice]
    Interface: type[Interface]
    Secret: type[Secret]
    NWFilter: type[NWFilter]
    NWFilterBinding: type[NWFilterBinding]


@functools.cache
def _classes() -> _Classes:
    """The object classes, imported once on first use (they import this module)."""
    from virtwire.api._async.interface import Interface
    from virtwire.api._async.network import Network
    from virtwire.api._async.node_device import NodeDevice
    from virtwire.api._async.nwfilter import NWFilter
    from virtwire.api._async.nwfilter_binding import NWFilterBinding
    from virtwire.api._async.secret import Secret
    from virtwire.api._async.storage_pool import StoragePool
    from virtwire.api._async.storage_vol import StorageVol

    return _Classes(
        Network, StoragePool, StorageVol, NodeDevice, Interface, Secret, NWFilter, NWFilterBinding
    )


class ObjectMethods(Caller):
    """Connection methods about networks, storage, node devices, interfaces, secrets and filters."""

    __slots__ = ()

    # ------------------------------------------------------------------ wrappers

    def _conn(self) -> Any:
        return self

    def _network(self, ref: Any) -> Network:
        return _classes().Network(self._conn(), ref)

    def _pool(self, ref: Any) -> StoragePool:
        return _classes().StoragePool(self._conn(), ref)

    def _vol(self, ref: Any) -> StorageVol:
        return _classes().StorageVol(self._conn(), ref)

    def _node_device(self, ref: Any) -> NodeDevice:
        return _classes().NodeDevice(self._conn(), ref)

    def _interface(self, ref: Any) -> Interface:
        return _classes().Interface(self._conn(), ref)

    def _secret(self, ref: Any) -> Secret:
        return _classes().Secret(self._conn(), ref)

    def _nwfilter(self, ref: Any) -> NWFilter:
        return _classes().NWFilter(self._conn(), ref)

    def _nwfilter_binding(self, ref: Any) -> NWFilterBinding:
        return _classes().NWFilterBinding(self._conn(), ref)

    async def _num(self, proc: str, args: Any = None) -> int:
        return int((await self.call(proc, args)).num)

    # ------------------------------------------------------------------ networks

    async def create_network(self, xml: str, flags: int = 0) -> Network:
        """Create and start a transient network from ``xml`` (``Network.CREATE_*`` flags)."""
        if flags:
            args = r.remote_network_create_xml_flags_args(xml=xml, flags=flags)
            ret = await self.call("network_create_xml_flags", args)
        else:
            ret = await self.call("network_create_xml", r.remote_network_create_xml_args(xml=xml))
        return self._network(ret.net)

    async def define_network(self, xml: str, flags: int = 0) -> Network:
        """Define (without starting) a persistent network from ``xml``."""
        if flags:
            args = r.remote_network_define_xml_flags_args(xml=xml, flags=flags)
            ret = await self.call("network_define_xml_flags", args)
        else:
            ret = await self.call("network_define_xml", r.remote_network_define_xml_args(xml=xml))
        return self._network(ret.net)

    async def num_of_networks(self) -> int:
        """The number of active networks."""
        return await self._num("connect_num_of_networks")

    async def list_network_names(self, maxnames: int | None = None) -> list[str]:
        """Names of active networks (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_networks()
        args = r.remote_connect_list_networks_args(maxnames=maxnames)
        return [str(n) for n in (await self.call("connect_list_networks", args)).names]

    async def list_networks(self) -> list[Network]:
        """Active networks, one lookup per name (see :meth:`list_all_networks`)."""
        names = await self.list_network_names(await self.num_of_networks())
        return await lookup_each(names, self.get_network_by_name)

    async def num_of_defined_networks(self) -> int:
        """The number of inactive persistent networks."""
        return await self._num("connect_num_of_defined_networks")

    async def list_defined_network_names(self, maxnames: int | None = None) -> list[str]:
        """Names of inactive persistent networks (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_defined_networks()
        args = r.remote_connect_list_defined_networks_args(maxnames=maxnames)
        return [str(n) for n in (await self.call("connect_list_defined_networks", args)).names]

    async def list_defined_networks(self) -> list[Network]:
        """Inactive persistent networks, one lookup per name."""
        names = await self.list_defined_network_names(await self.num_of_defined_networks())
        return await lookup_each(names, self.get_network_by_name)

    async def list_all_networks(self, flags: int = 0) -> list[Network]:
        """Every network matching the ``Network.LIST_*`` ``flags``, in one call."""
        args = r.remote_connect_list_all_networks_args(need_results=1, flags=flags)
        return [self._network(n) for n in (await self.call("connect_list_all_networks", args)).nets]

    async def get_network_by_name(self, name: str) -> Network:
        """The network called ``name``."""
        args = r.remote_network_lookup_by_name_args(name=name)
        return self._network((await self.call("network_lookup_by_name", args)).net)

    async def get_network_by_uuid(self, uuid: str | bytes) -> Network:
        """The network with ``uuid`` (16 raw bytes, or 32/36 hex characters)."""
        raw = uuid_bytes(uuid, Error.FROM_NETWORK)
        args = r.remote_network_lookup_by_uuid_args(uuid=raw)
        return self._network((await self.call("network_lookup_by_uuid", args)).net)

    async def get_network_by_uuid_string(self, uuid: str) -> Network:
        """The network with the printable ``uuid``."""
        return await self.get_network_by_uuid(uuid)

    # ------------------------------------------------------------------ storage pools

    async def create_storage_pool(self, xml: str, flags: int = 0) -> StoragePool:
        """Create and start a transient storage pool from ``xml``."""
        args = r.remote_storage_pool_create_xml_args(xml=xml, flags=flags)
        return self._pool((await self.call("storage_pool_create_xml", args)).pool)

    async def define_storage_pool(self, xml: str, flags: int = 0) -> StoragePool:
        """Define (without starting) a persistent storage pool from ``xml``."""
        args = r.remote_storage_pool_define_xml_args(xml=xml, flags=flags)
        return self._pool((await self.call("storage_pool_define_xml", args)).pool)

    async def num_of_storage_pools(self) -> int:
        """The number of active storage pools."""
        return await self._num("connect_num_of_storage_pools")

    async def list_storage_pool_names(self, maxnames: int | None = None) -> list[str]:
        """Names of active storage pools (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_storage_pools()
        args = r.remote_connect_list_storage_pools_args(maxnames=maxnames)
        return [str(n) for n in (await self.call("connect_list_storage_pools", args)).names]

    async def list_storage_pools(self) -> list[StoragePool]:
        """Active storage pools, one lookup per name (see :meth:`list_all_storage_pools`)."""
        names = await self.list_storage_pool_names(await self.num_of_storage_pools())
        return await lookup_each(names, self.get_storage_pool_by_name)

    async def num_of_defined_storage_pools(self) -> int:
        """The number of inactive persistent storage pools."""
        return await self._num("connect_num_of_defined_storage_pools")

    async def list_defined_storage_pool_names(self, maxnames: int | None = None) -> list[str]:
        """Names of inactive persistent storage pools (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_defined_storage_pools()
        args = r.remote_connect_list_defined_storage_pools_args(maxnames=maxnames)
        ret = await self.call("connect_list_defined_storage_pools", args)
        return [str(n) for n in ret.names]

    async def list_defined_storage_pools(self) -> list[StoragePool]:
        """Inactive persistent storage pools, one lookup per name."""
        names = await self.list_defined_storage_pool_names(
            await self.num_of_defined_storage_pools()
        )
        return await lookup_each(names, self.get_storage_pool_by_name)

    async def list_all_storage_pools(self, flags: int = 0) -> list[StoragePool]:
        """Every storage pool matching the ``StoragePool.LIST_*`` ``flags``, in one call."""
        args = r.remote_connect_list_all_storage_pools_args(need_results=1, flags=flags)
        ret = await self.call("connect_list_all_storage_pools", args)
        return [self._pool(p) for p in ret.pools]

    async def get_storage_pool_by_name(self, name: str) -> StoragePool:
        """The storage pool called ``name``."""
        args = r.remote_storage_pool_lookup_by_name_args(name=name)
        return self._pool((await self.call("storage_pool_lookup_by_name", args)).pool)

    async def get_storage_pool_by_uuid(self, uuid: str | bytes) -> StoragePool:
        """The storage pool with ``uuid`` (16 raw bytes, or 32/36 hex characters)."""
        raw = uuid_bytes(uuid, Error.FROM_STORAGE)
        args = r.remote_storage_pool_lookup_by_uuid_args(uuid=raw)
        return self._pool((await self.call("storage_pool_lookup_by_uuid", args)).pool)

    async def get_storage_pool_by_uuid_string(self, uuid: str) -> StoragePool:
        """The storage pool with the printable ``uuid``."""
        return await self.get_storage_pool_by_uuid(uuid)

    async def get_storage_pool_by_volume(self, vol: StorageVol) -> StoragePool:
        """The storage pool holding the volume ``vol``."""
        args = r.remote_storage_pool_lookup_by_volume_args(vol=vol.ref)
        return self._pool((await self.call("storage_pool_lookup_by_volume", args)).pool)

    async def get_storage_pool_by_target_path(self, path: str) -> StoragePool:
        """The storage pool whose target is ``path``."""
        args = r.remote_storage_pool_lookup_by_target_path_args(path=path)
        return self._pool((await self.call("storage_pool_lookup_by_target_path", args)).pool)

    async def find_storage_pool_sources(
        self, type: str, srcspec: str | None = None, flags: int = 0
    ) -> str:
        """XML describing the pool sources of ``type`` found (``srcspec`` refines the probe)."""
        args = r.remote_connect_find_storage_pool_sources_args(
            type=type, srcSpec=srcspec, flags=flags
        )
        return str((await self.call("connect_find_storage_pool_sources", args)).xml)

    # ------------------------------------------------------------------ storage volumes

    async def get_storage_volume_by_path(self, path: str) -> StorageVol:
        """The storage volume at ``path``."""
        args = r.remote_storage_vol_lookup_by_path_args(path=path)
        return self._vol((await self.call("storage_vol_lookup_by_path", args)).vol)

    async def get_storage_volume_by_key(self, key: str) -> StorageVol:
        """The storage volume with the globally unique ``key``."""
        args = r.remote_storage_vol_lookup_by_key_args(key=key)
        return self._vol((await self.call("storage_vol_lookup_by_key", args)).vol)

    # ------------------------------------------------------------------ node devices

    async def create_node_device(self, xml: str, flags: int = 0) -> NodeDevice:
        """Create a transient (virtual) host device from ``xml``."""
        args = r.remote_node_device_create_xml_args(xml_desc=xml, flags=flags)
        return self._node_device((await self.call("node_device_create_xml", args)).dev)

    async def define_node_device(self, xml: str, flags: int = 0) -> NodeDevice:
        """Define (without starting) a persistent host device from ``xml``."""
        args = r.remote_node_device_define_xml_args(xml_desc=xml, flags=flags)
        return self._node_device((await self.call("node_device_define_xml", args)).dev)

    async def num_of_node_devices(self, capability: str | None = None, flags: int = 0) -> int:
        """The number of host devices (with ``capability``, if given)."""
        args = r.remote_node_num_of_devices_args(cap=capability, flags=flags)
        return await self._num("node_num_of_devices", args)

    async def list_node_device_names(
        self, capability: str | None = None, maxnames: int | None = None, flags: int = 0
    ) -> list[str]:
        """Names of host devices (with ``capability``; at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_node_devices(capability, flags)
        args = r.remote_node_list_devices_args(cap=capability, maxnames=maxnames, flags=flags)
        return [str(n) for n in (await self.call("node_list_devices", args)).names]

    async def list_node_devices(self, capability: str | None = None) -> list[NodeDevice]:
        """Host devices (with ``capability``), one lookup per name."""
        count = await self.num_of_node_devices(capability)
        names = await self.list_node_device_names(capability, count)
        return await lookup_each(names, self.get_node_device_by_name)

    async def list_all_node_devices(self, flags: int = 0) -> list[NodeDevice]:
        """Every host device matching the ``NodeDevice.LIST_*`` ``flags``, in one call."""
        args = r.remote_connect_list_all_node_devices_args(need_results=1, flags=flags)
        ret = await self.call("connect_list_all_node_devices", args)
        return [self._node_device(d) for d in ret.devices]

    async def get_node_device_by_name(self, name: str) -> NodeDevice:
        """The host device called ``name``."""
        args = r.remote_node_device_lookup_by_name_args(name=name)
        return self._node_device((await self.call("node_device_lookup_by_name", args)).dev)

    async def get_node_device_scsihost_by_wwn(
        self, wwnn: str, wwpn: str, flags: int = 0
    ) -> NodeDevice:
        """The SCSI host device with the world wide names ``wwnn`` and ``wwpn``."""
        args = r.remote_node_device_lookup_scsi_host_by_wwn_args(wwnn=wwnn, wwpn=wwpn, flags=flags)
        ret = await self.call("node_device_lookup_scsi_host_by_wwn", args)
        return self._node_device(ret.dev)

    # ------------------------------------------------------------------ interfaces

    async def create_interface(self, xml: str, flags: int = 0) -> Interface:
        """Define a host interface from ``xml`` (Sys::Virt defines it without starting it)."""
        return await self.define_interface(xml, flags)

    async def define_interface(self, xml: str, flags: int = 0) -> Interface:
        """Define (without starting) a host interface from ``xml``."""
        args = r.remote_interface_define_xml_args(xml=xml, flags=flags)
        return self._interface((await self.call("interface_define_xml", args)).iface)

    async def num_of_interfaces(self) -> int:
        """The number of active host interfaces."""
        return await self._num("connect_num_of_interfaces")

    async def list_interface_names(self, maxnames: int | None = None) -> list[str]:
        """Names of active host interfaces (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_interfaces()
        args = r.remote_connect_list_interfaces_args(maxnames=maxnames)
        return [str(n) for n in (await self.call("connect_list_interfaces", args)).names]

    async def list_interfaces(self) -> list[Interface]:
        """Active host interfaces, one lookup per name (see :meth:`list_all_interfaces`)."""
        names = await self.list_interface_names(await self.num_of_interfaces())
        return await lookup_each(names, self.get_interface_by_name)

    async def num_of_defined_interfaces(self) -> int:
        """The number of inactive host interfaces."""
        return await self._num("connect_num_of_defined_interfaces")

    async def list_defined_interface_names(self, maxnames: int | None = None) -> list[str]:
        """Names of inactive host interfaces (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_defined_interfaces()
        args = r.remote_connect_list_defined_interfaces_args(maxnames=maxnames)
        ret = await self.call("connect_list_defined_interfaces", args)
        return [str(n) for n in ret.names]

    async def list_defined_interfaces(self) -> list[Interface]:
        """Inactive host interfaces, one lookup per name."""
        names = await self.list_defined_interface_names(await self.num_of_defined_interfaces())
        return await lookup_each(names, self.get_interface_by_name)

    async def list_all_interfaces(self, flags: int = 0) -> list[Interface]:
        """Every host interface matching the ``Interface.LIST_*`` ``flags``, in one call."""
        args = r.remote_connect_list_all_interfaces_args(need_results=1, flags=flags)
        ret = await self.call("connect_list_all_interfaces", args)
        return [self._interface(i) for i in ret.ifaces]

    async def get_interface_by_name(self, name: str) -> Interface:
        """The host interface called ``name``."""
        args = r.remote_interface_lookup_by_name_args(name=name)
        return self._interface((await self.call("interface_lookup_by_name", args)).iface)

    async def get_interface_by_mac(self, mac: str) -> Interface:
        """The host interface with the MAC address ``mac``."""
        args = r.remote_interface_lookup_by_mac_string_args(mac=mac)
        return self._interface((await self.call("interface_lookup_by_mac_string", args)).iface)

    async def get_interface_by_mac_string(self, mac: str) -> Interface:
        """Alias of :meth:`get_interface_by_mac`."""
        return await self.get_interface_by_mac(mac)

    async def interface_change_begin(self, flags: int = 0) -> None:
        """Snapshot the host interface configuration, to commit or roll back later."""
        await self.call("interface_change_begin", r.remote_interface_change_begin_args(flags=flags))

    async def interface_change_commit(self, flags: int = 0) -> None:
        """Keep the interface changes made since :meth:`interface_change_begin`."""
        args = r.remote_interface_change_commit_args(flags=flags)
        await self.call("interface_change_commit", args)

    async def interface_change_rollback(self, flags: int = 0) -> None:
        """Undo the interface changes made since :meth:`interface_change_begin`."""
        args = r.remote_interface_change_rollback_args(flags=flags)
        await self.call("interface_change_rollback", args)

    # ------------------------------------------------------------------ secrets

    async def define_secret(self, xml: str, flags: int = 0) -> Secret:
        """Define (or redefine) a secret from ``xml``."""
        args = r.remote_secret_define_xml_args(xml=xml, flags=flags)
        return self._secret((await self.call("secret_define_xml", args)).secret)

    async def num_of_secrets(self) -> int:
        """The number of secrets."""
        return await self._num("connect_num_of_secrets")

    async def list_secret_uuids(self, maxuuids: int | None = None) -> list[str]:
        """Printable UUIDs of the secrets (at most ``maxuuids``; None: all)."""
        if maxuuids is None:
            maxuuids = await self.num_of_secrets()
        args = r.remote_connect_list_secrets_args(maxuuids=maxuuids)
        return [str(u) for u in (await self.call("connect_list_secrets", args)).uuids]

    async def list_secrets(self) -> list[Secret]:
        """The secrets, one lookup per UUID (see :meth:`list_all_secrets`)."""
        uuids = await self.list_secret_uuids(await self.num_of_secrets())
        return await lookup_each(uuids, self.get_secret_by_uuid)

    async def list_all_secrets(self, flags: int = 0) -> list[Secret]:
        """Every secret matching the ``Secret.LIST_*`` ``flags``, in one call."""
        args = r.remote_connect_list_all_secrets_args(need_results=1, flags=flags)
        ret = await self.call("connect_list_all_secrets", args)
        return [self._secret(s) for s in ret.secrets]

    async def get_secret_by_uuid(self, uuid: str | bytes) -> Secret:
        """The secret with ``uuid`` (16 raw bytes, or 32/36 hex characters)."""
        raw = uuid_bytes(uuid, Error.FROM_SECRET)
        args = r.remote_secret_lookup_by_uuid_args(uuid=raw)
        return self._secret((await self.call("secret_lookup_by_uuid", args)).secret)

    async def get_secret_by_uuid_string(self, uuid: str) -> Secret:
        """The secret with the printable ``uuid``."""
        return await self.get_secret_by_uuid(uuid)

    async def get_secret_by_usage(self, usageType: int, usageID: str) -> Secret:
        """The secret of usage type ``usageType`` (``Secret.USAGE_TYPE_*``) for ``usageID``."""
        args = r.remote_secret_lookup_by_usage_args(usageType=usageType, usageID=usageID)
        return self._secret((await self.call("secret_lookup_by_usage", args)).secret)

    # ------------------------------------------------------------------ network filters

    async def define_nwfilter(self, xml: str, flags: int = 0) -> NWFilter:
        """Define (or redefine) a network filter from ``xml``."""
        if flags:
            args = r.remote_nwfilter_define_xml_flags_args(xml=xml, flags=flags)
            ret = await self.call("nwfilter_define_xml_flags", args)
        else:
            ret = await self.call("nwfilter_define_xml", r.remote_nwfilter_define_xml_args(xml=xml))
        return self._nwfilter(ret.nwfilter)

    async def num_of_nwfilters(self) -> int:
        """The number of network filters."""
        return await self._num("connect_num_of_nwfilters")

    async def list_nwfilter_names(self, maxnames: int | None = None) -> list[str]:
        """Names of the network filters (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_nwfilters()
        args = r.remote_connect_list_nwfilters_args(maxnames=maxnames)
        return [str(n) for n in (await self.call("connect_list_nwfilters", args)).names]

    async def list_nwfilters(self) -> list[NWFilter]:
        """The network filters, one lookup per name (see :meth:`list_all_nwfilters`)."""
        names = await self.list_nwfilter_names(await self.num_of_nwfilters())
        return await lookup_each(names, self.get_nwfilter_by_name)

    async def list_all_nwfilters(self, flags: int = 0) -> list[NWFilter]:
        """Every network filter, in one call."""
        args = r.remote_connect_list_all_nwfilters_args(need_results=1, flags=flags)
        ret = await self.call("connect_list_all_nwfilters", args)
        return [self._nwfilter(f) for f in ret.filters]

    async def get_nwfilter_by_name(self, name: str) -> NWFilter:
        """The network filter called ``name``."""
        args = r.remote_nwfilter_lookup_by_name_args(name=name)
        return self._nwfilter((await self.call("nwfilter_lookup_by_name", args)).nwfilter)

    async def get_nwfilter_by_uuid(self, uuid: str | bytes) -> NWFilter:
        """The network filter with ``uuid`` (16 raw bytes, or 32/36 hex characters)."""
        raw = uuid_bytes(uuid, Error.FROM_NWFILTER)
        args = r.remote_nwfilter_lookup_by_uuid_args(uuid=raw)
        return self._nwfilter((await self.call("nwfilter_lookup_by_uuid", args)).nwfilter)

    async def get_nwfilter_by_uuid_string(self, uuid: str) -> NWFilter:
        """The network filter with the printable ``uuid``."""
        return await self.get_nwfilter_by_uuid(uuid)

    # ------------------------------------------------------------------ network filter bindings

    async def create_nwfilter_binding(self, xml: str, flags: int = 0) -> NWFilterBinding:
        """Bind a network filter to a port device, from ``xml``."""
        args = r.remote_nwfilter_binding_create_xml_args(xml=xml, flags=flags)
        ret = await self.call("nwfilter_binding_create_xml", args)
        return self._nwfilter_binding(ret.nwfilter)

    async def list_all_nwfilter_bindings(self, flags: int = 0) -> list[NWFilterBinding]:
        """Every network filter binding, in one call."""
        args = r.remote_connect_list_all_nwfilter_bindings_args(need_results=1, flags=flags)
        ret = await self.call("connect_list_all_nwfilter_bindings", args)
        return [self._nwfilter_binding(b) for b in ret.bindings]

    async def get_nwfilter_binding_by_port_dev(self, name: str) -> NWFilterBinding:
        """The network filter binding of the port device ``name``."""
        args = r.remote_nwfilter_binding_lookup_by_port_dev_args(name=name)
        ret = await self.call("nwfilter_binding_lookup_by_port_dev", args)
        return self._nwfilter_binding(ret.nwfilter)
