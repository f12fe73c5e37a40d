"""Sys::Virt::Network and NetworkPort, both runtimes: the test driver and the real network
driver (bridge-mode networks: no dnsmasq or firewall needed); cross-checked with virsh."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from virtwire import Error
from virtwire.constants_gen import (
    virConnectListAllNetworksFlags,
    virNetworkUpdateCommand,
    virNetworkUpdateFlags,
    virNetworkUpdateSection,
    virNetworkXMLFlags,
)

from .daemon import Daemon
from .test_objects_support import connect, expect_error, quiet, unique, virsh, virsh_fields

ERR = Error
LIST = virConnectListAllNetworksFlags


def nat_xml(name: str, octet: int) -> str:
    return (
        f"<network><name>{name}</name><bridge name='vw{octet}'/>"
        f"<ip address='10.77.{octet}.1' netmask='255.255.255.0'>"
        f"<dhcp><range start='10.77.{octet}.10' end='10.77.{octet}.20'/></dhcp></ip></network>"
    )


def bridge_xml(name: str, bridge: str) -> str:
    return (
        f"<network><name>{name}</name><forward mode='bridge'/><bridge name='{bridge}'/></network>"
    )


@pytest.fixture
def conn(kind: str, daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, daemon.uri())


@pytest.fixture
def netconn(kind: str, storage_daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, storage_daemon.uri("network"))


# ---------------------------------------------------------------------- test driver


def test_default_network(conn: Any, daemon: Daemon) -> None:
    net = conn.get_network_by_name("default")
    v = virsh_fields(daemon.uri(), "net-info", "default")
    assert net.get_name() == v["Name"] == "default"
    assert net.get_uuid_string() == v["UUID"]
    assert net.get_uuid() == uuid.UUID(v["UUID"]).bytes
    assert net.get_bridge_name() == v["Bridge"]
    assert net.is_active() == 1 and v["Active"] == "yes"
    assert net.is_persistent() == 1
    assert net.get_autostart() == (1 if v["Autostart"] == "yes" else 0)
    assert net.get_xml_description() == virsh(daemon.uri(), "net-dumpxml", "default")
    # The test driver takes no flags here (the real driver does: test_real_network_basics).
    inactive = virNetworkXMLFlags.VIR_NETWORK_XML_INACTIVE
    expect_error(ERR.ERR_INVALID_ARG, lambda: net.get_xml_description(inactive))


def test_lookups(conn: Any) -> None:
    net = conn.get_network_by_name("default")
    assert conn.get_network_by_uuid(net.get_uuid()) == net
    assert conn.get_network_by_uuid(net.get_uuid_string()) == net
    assert conn.get_network_by_uuid(net.get_uuid_string().replace("-", "")) == net
    assert conn.get_network_by_uuid_string(net.get_uuid_string()) == net
    assert hash(conn.get_network_by_name("default")) == hash(net)
    expect_error(ERR.ERR_NO_NETWORK, lambda: conn.get_network_by_name("no-such-net"))
    expect_error(ERR.ERR_NO_NETWORK, lambda: conn.get_network_by_uuid(b"\x01" * 16))
    expect_error(ERR.ERR_INVALID_ARG, lambda: conn.get_network_by_uuid("not-a-uuid"))


def test_define_create_update_undefine(conn: Any, daemon: Daemon) -> None:
    name = unique("vwnet")
    net = conn.define_network(nat_xml(name, 31))
    try:
        assert net.get_name() == name
        assert net.is_active() == 0 and net.is_persistent() == 1
        assert name in conn.list_defined_network_names()
        assert name in conn.list_defined_network_names(conn.num_of_defined_networks())
        assert net in conn.list_defined_networks()
        assert name not in conn.list_network_names()
        net.set_autostart(1)
        assert net.get_autostart() == 1
        assert virsh_fields(daemon.uri(), "net-info", name)["Autostart"] == "yes"
        net.set_autostart(False)
        assert net.get_autostart() == 0
        net.create()
        assert net.is_active() == 1
        assert name in conn.list_network_names(conn.num_of_networks())
        assert net in conn.list_networks()
        assert net in conn.list_all_networks()
        host = "<host mac='52:54:00:00:00:31' name='vwhost' ip='10.77.31.15'/>"
        net.update(
            virNetworkUpdateCommand.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
            virNetworkUpdateSection.VIR_NETWORK_SECTION_IP_DHCP_HOST,
            -1,
            host,
            virNetworkUpdateFlags.VIR_NETWORK_UPDATE_AFFECT_LIVE
            | virNetworkUpdateFlags.VIR_NETWORK_UPDATE_AFFECT_CONFIG,
        )
        assert "vwhost" in net.get_xml_description()
        assert "vwhost" in virsh(daemon.uri(), "net-dumpxml", name)
        net.destroy()
        assert net.is_active() == 0
    finally:
        quiet(net.destroy)
        net.undefine()
    expect_error(ERR.ERR_NO_NETWORK, lambda: conn.get_network_by_name(name))


def test_transient_network_and_list_flags(conn: Any) -> None:
    name = unique("vwtr")
    net = conn.create_network(nat_xml(name, 32))
    try:
        assert net.is_active() == 1 and net.is_persistent() == 0
        transient = conn.list_all_networks(LIST.VIR_CONNECT_LIST_NETWORKS_TRANSIENT)
        assert net in transient
        persistent = conn.list_all_networks(LIST.VIR_CONNECT_LIST_NETWORKS_PERSISTENT)
        assert net not in persistent
        assert conn.get_network_by_name("default") in persistent
    finally:
        net.destroy()
    expect_error(ERR.ERR_NO_NETWORK, lambda: conn.get_network_by_name(name))
    flagged = conn.create_network(nat_xml(unique("vwtrf"), 33), 1)  # CREATE_VALIDATE
    flagged.destroy()
    defined = conn.define_network(nat_xml(unique("vwdf"), 34), 1)  # DEFINE_VALIDATE
    defined.undefine()


def test_test_driver_lacks_leases_and_ports(conn: Any) -> None:
    net = conn.get_network_by_name("default")
    expect_error(ERR.ERR_NO_SUPPORT, net.get_dhcp_leases, domain=ERR.FROM_NETWORK)
    expect_error(ERR.ERR_NO_SUPPORT, net.list_all_ports)
    expect_error(ERR.ERR_NO_SUPPORT, lambda: net.create_port("<networkport/>"))
    expect_error(ERR.ERR_NO_SUPPORT, lambda: net.get_port_by_uuid(str(uuid.uuid4())))


def test_invalid_xml(conn: Any) -> None:
    expect_error(ERR.ERR_XML_DETAIL, lambda: conn.define_network("<network>"))


# ---------------------------------------------------------------------- real network driver


@pytest.fixture
def bridge_net(netconn: Any) -> Iterator[Any]:
    name = unique("vwbr")
    net = netconn.define_network(bridge_xml(name, f"vb{uuid.uuid4().hex[:8]}"))
    net.create()
    try:
        yield net
    finally:
        quiet(net.destroy)
        quiet(net.undefine)


def test_real_network_basics(netconn: Any, storage_daemon: Daemon, bridge_net: Any) -> None:
    uri = storage_daemon.uri("network")
    v = virsh_fields(uri, "net-info", bridge_net.get_name())
    assert bridge_net.get_uuid_string() == v["UUID"]
    assert bridge_net.get_bridge_name() == v["Bridge"]
    assert bridge_net.is_active() == 1
    assert bridge_net in netconn.list_all_networks()
    assert bridge_net.get_name() in netconn.list_network_names()
    assert bridge_net.get_xml_description() == virsh(uri, "net-dumpxml", bridge_net.get_name())
    inactive = bridge_net.get_xml_description(virNetworkXMLFlags.VIR_NETWORK_XML_INACTIVE)
    assert inactive == virsh(uri, "net-dumpxml", "--inactive", bridge_net.get_name())
    assert bridge_net.get_dhcp_leases() == []
    assert bridge_net.get_dhcp_leases("52:54:00:00:00:01") == []


def test_real_network_needs_firewall(netconn: Any) -> None:
    # A NAT network needs iptables (or a firewall service) on the host.
    name = unique("vwnat")
    try:
        net = netconn.create_network(nat_xml(name, 35))
    except Error as exc:
        assert exc.code in (ERR.ERR_INTERNAL_ERROR, ERR.ERR_SYSTEM_ERROR), exc
    else:
        net.destroy()


def test_ports(netconn: Any, storage_daemon: Daemon, bridge_net: Any) -> None:
    port_uuid = str(uuid.uuid4())
    xml = (
        f"<networkport><uuid>{port_uuid}</uuid><owner><name>vwguest</name>"
        f"<uuid>{uuid.uuid4()}</uuid></owner><mac address='52:54:00:12:34:56'/>"
        "<bandwidth><inbound average='1000' peak='2000'/></bandwidth></networkport>"
    )
    port = bridge_net.create_port(xml)
    try:
        assert port.get_uuid_string() == port_uuid
        assert port.get_uuid() == uuid.UUID(port_uuid).bytes
        assert bridge_net.list_all_ports() == [port]
        assert bridge_net.get_port_by_uuid(port_uuid) == port
        assert bridge_net.get_port_by_uuid(uuid.UUID(port_uuid).bytes) == port
        assert port.get_network() == bridge_net
        desc = port.get_xml_description()
        assert f"<uuid>{port_uuid}</uuid>" in desc
        assert f"bridge='{bridge_net.get_bridge_name()}'" in desc
        params = port.get_parameters()
        assert params["inbound.average"] == 1000
        assert params["inbound.peak"] == 2000
        port.set_parameters({"inbound.average": 3000})
        assert port.get_parameters()["inbound.average"] == 3000
        assert "average='3000'" in port.get_xml_description()
        ports = virsh(storage_daemon.uri("network"), "net-port-list", bridge_net.get_name())
        assert port_uuid in ports
    finally:
        port.delete()
    assert bridge_net.list_all_ports() == []
    expect_error(ERR.ERR_NO_NETWORK_PORT, lambda: bridge_net.get_port_by_uuid(port_uuid))
    expect_error(ERR.ERR_INVALID_ARG, lambda: bridge_net.get_port_by_uuid("xyz"))
