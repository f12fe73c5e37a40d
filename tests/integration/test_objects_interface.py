"""Sys::Virt::Interface, both runtimes: the test driver (full support) and the real
interface driver (udev backend: read-only); cross-checked with virsh."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from virtwire import Error
from virtwire.constants_gen import virConnectListAllInterfacesFlags, virInterfaceXMLFlags

from .daemon import Daemon
from .test_objects_support import connect, expect_error, quiet, unique, virsh, virsh_column

ERR = Error
ACTIVE = virConnectListAllInterfacesFlags.VIR_CONNECT_LIST_INTERFACES_ACTIVE
INACTIVE = virConnectListAllInterfacesFlags.VIR_CONNECT_LIST_INTERFACES_INACTIVE


def iface_xml(name: str, mac: str) -> str:
    return (
        f"<interface type='ethernet' name='{name}'><start mode='onboot'/>"
        f"<mac address='{mac}'/><protocol family='ipv4'><dhcp/></protocol></interface>"
    )


@pytest.fixture
def conn(kind: str, daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, daemon.uri())


@pytest.fixture
def iconn(kind: str, storage_daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, storage_daemon.uri("interface"))


# ---------------------------------------------------------------------- test driver


def test_default_interface(conn: Any, daemon: Daemon) -> None:
    eth1 = conn.get_interface_by_name("eth1")
    assert eth1.get_name() == "eth1"
    rows = {
        line.split()[0]: line.split()
        for line in virsh(daemon.uri(), "iface-list", "--all").splitlines()
    }
    assert eth1.get_mac() == rows["eth1"][2]
    assert eth1.is_active() == (1 if rows["eth1"][1] == "active" else 0)
    assert conn.get_interface_by_mac(eth1.get_mac()) == eth1
    assert conn.get_interface_by_mac_string(eth1.get_mac()) == eth1
    assert eth1.get_xml_description() == virsh(daemon.uri(), "iface-dumpxml", "eth1")
    inactive = virInterfaceXMLFlags.VIR_INTERFACE_XML_INACTIVE
    expect_error(ERR.ERR_INVALID_ARG, lambda: eth1.get_xml_description(inactive))
    assert "eth1" in conn.list_interface_names()
    assert eth1 in conn.list_interfaces() and eth1 in conn.list_all_interfaces(ACTIVE)
    expect_error(ERR.ERR_NO_INTERFACE, lambda: conn.get_interface_by_name("nope0"))
    expect_error(ERR.ERR_NO_INTERFACE, lambda: conn.get_interface_by_mac("52:54:00:ff:ff:fe"))


def test_define_create_destroy(conn: Any, daemon: Daemon) -> None:
    name = unique("vw")[:15]
    mac = "52:54:00:77:00:01"
    iface = conn.define_interface(iface_xml(name, mac))
    try:
        assert iface.get_name() == name and iface.get_mac() == mac
        assert iface.is_active() == 0
        assert name in conn.list_defined_interface_names()
        assert name in conn.list_defined_interface_names(conn.num_of_defined_interfaces())
        assert iface in conn.list_defined_interfaces()
        assert iface in conn.list_all_interfaces(INACTIVE)
        assert name in virsh_column(daemon.uri(), "iface-list", "--inactive")
        iface.create()
        assert iface.is_active() == 1
        assert name in conn.list_interface_names(conn.num_of_interfaces())
        iface.destroy()
        assert iface.is_active() == 0
    finally:
        quiet(iface.destroy)
        iface.undefine()
    expect_error(ERR.ERR_NO_INTERFACE, lambda: conn.get_interface_by_name(name))
    again = conn.create_interface(iface_xml(name, mac))  # Sys::Virt: defines only
    assert again.is_active() == 0
    again.undefine()


def test_change_transactions(conn: Any) -> None:
    name = unique("vwtx")[:15]
    conn.interface_change_begin()
    expect_error(ERR.ERR_OPERATION_INVALID, conn.interface_change_begin)
    conn.define_interface(iface_xml(name, "52:54:00:77:00:02"))
    conn.interface_change_rollback()
    expect_error(ERR.ERR_NO_INTERFACE, lambda: conn.get_interface_by_name(name))
    expect_error(ERR.ERR_OPERATION_INVALID, conn.interface_change_commit)
    conn.interface_change_begin(0)
    iface = conn.define_interface(iface_xml(name, "52:54:00:77:00:03"))
    conn.interface_change_commit(0)
    assert conn.get_interface_by_name(name) == iface
    iface.undefine()
    expect_error(ERR.ERR_OPERATION_INVALID, conn.interface_change_rollback)


# ---------------------------------------------------------------------- real interface driver


def test_host_interfaces(iconn: Any, storage_daemon: Daemon) -> None:
    uri = storage_daemon.uri("interface")
    active = virsh_column(uri, "iface-list")
    inactive = virsh_column(uri, "iface-list", "--inactive")
    assert sorted(iconn.list_interface_names()) == sorted(active)
    assert sorted(i.get_name() for i in iconn.list_all_interfaces(INACTIVE)) == sorted(inactive)
    # The udev backend leaves the loopback device out of the older listing calls.
    defined = iconn.list_defined_interface_names()
    assert sorted(defined) == sorted(n for n in inactive if n != "lo")
    assert iconn.num_of_interfaces() == len(active)
    assert iconn.num_of_defined_interfaces() == len(defined)
    assert sorted(i.get_name() for i in iconn.list_all_interfaces()) == sorted(active + inactive)
    assert sorted(i.get_name() for i in iconn.list_interfaces()) == sorted(active)
    assert sorted(i.get_name() for i in iconn.list_defined_interfaces()) == sorted(defined)
    iface = iconn.get_interface_by_name(active[0])
    assert iface.is_active() == 1
    assert iface.get_xml_description() == virsh(uri, "iface-dumpxml", active[0])
    if iface.get_mac() != "00:00:00:00:00:00":
        assert iconn.get_interface_by_mac(iface.get_mac()) == iface


def test_host_interfaces_read_only(iconn: Any) -> None:
    iface = iconn.list_all_interfaces()[0]
    for fn in (
        lambda: iconn.define_interface(iface_xml("vwx0", "52:54:00:77:00:04")),
        iconn.interface_change_begin,
        iconn.interface_change_commit,
        iconn.interface_change_rollback,
        iface.create,
        iface.destroy,
        iface.undefine,
    ):
        expect_error(ERR.ERR_NO_SUPPORT, fn, domain=ERR.FROM_INTERFACE)
