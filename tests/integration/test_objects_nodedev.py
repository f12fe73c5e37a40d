"""Sys::Virt::NodeDevice, both runtimes: the test driver and the real nodedev driver
(udev devices of this host); cross-checked with virsh."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from virtwire import Error
from virtwire.constants_gen import virConnectListAllNodeDeviceFlags

from .daemon import Daemon
from .test_objects_support import connect, expect_error, virsh, virsh_column

ERR = Error

VHBA = (
    "<device><parent>scsi_host1</parent><capability type='scsi_host'>"
    "<capability type='fc_host'><wwnn>2001001b32a9da4e</wwnn><wwpn>2101001b32a9da4e</wwpn>"
    "</capability></capability></device>"
)


@pytest.fixture
def conn(kind: str, daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, daemon.uri())


@pytest.fixture
def dconn(kind: str, storage_daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, storage_daemon.uri("nodedev"))


# ---------------------------------------------------------------------- test driver


def test_test_driver_devices(conn: Any, daemon: Daemon) -> None:
    # virsh 9.0.0's nodedev-list passes a flag the test driver rejects; check each device.
    names = conn.list_node_device_names()
    assert {"computer", "scsi_host1", "scsi_host2"} <= set(names)
    for name in names:
        assert f"<name>{name}</name>" in virsh(daemon.uri(), "nodedev-dumpxml", name)
    assert conn.num_of_node_devices() == len(names)
    assert sorted(d.get_name() for d in conn.list_node_devices()) == sorted(names)
    assert sorted(d.get_name() for d in conn.list_all_node_devices()) == sorted(names)
    hosts = [n for n in names if n.startswith("scsi_host")]
    assert sorted(conn.list_node_device_names("scsi_host")) == sorted(hosts)
    assert conn.num_of_node_devices("scsi_host") == len(hosts)
    assert len(conn.list_node_device_names("scsi_host", 1)) == 1
    assert sorted(d.get_name() for d in conn.list_node_devices("scsi_host")) == sorted(hosts)
    flag = virConnectListAllNodeDeviceFlags.VIR_CONNECT_LIST_NODE_DEVICES_CAP_SCSI_HOST
    assert sorted(d.get_name() for d in conn.list_all_node_devices(flag)) == sorted(hosts)

    computer = conn.get_node_device_by_name("computer")
    assert computer.get_parent() is None
    assert computer.list_capabilities() == ["system"]
    assert computer.num_of_capabilities() == 1
    assert computer.get_xml_description() == virsh(daemon.uri(), "nodedev-dumpxml", "computer")
    host = conn.get_node_device_by_name("scsi_host1")
    assert host.get_parent() == "computer"
    assert host.list_capabilities() == ["scsi_host"]
    assert conn.get_node_device_by_name("computer") == computer
    expect_error(ERR.ERR_NO_NODE_DEVICE, lambda: conn.get_node_device_by_name("nope"))


def test_test_driver_vhba(conn: Any) -> None:
    dev = conn.create_node_device(VHBA)
    try:
        assert dev.get_parent() == "scsi_host1"
        assert dev in conn.list_all_node_devices()
        assert "2101001b32a9da4e" in dev.get_xml_description()
    finally:
        dev.destroy()
    assert dev not in conn.list_all_node_devices()


def test_test_driver_unsupported(conn: Any) -> None:
    dev = conn.get_node_device_by_name("computer")
    for fn in (
        dev.dettach,
        lambda: dev.dettach("vfio", 0),
        dev.reattach,
        dev.reset,
        dev.is_active,
        dev.is_persistent,
        dev.get_autostart,
        lambda: dev.set_autostart(1),
        dev.create,
        dev.undefine,
        lambda: conn.define_node_device(VHBA),
        lambda: conn.get_node_device_scsihost_by_wwn("2001001b32a9da4e", "2101001b32a9da4e"),
    ):
        expect_error(ERR.ERR_NO_SUPPORT, fn, domain=ERR.FROM_NODEDEV)


# ---------------------------------------------------------------------- real nodedev driver


def test_host_devices(dconn: Any, storage_daemon: Daemon) -> None:
    uri = storage_daemon.uri("nodedev")
    names = virsh_column(uri, "nodedev-list")
    assert sorted(dconn.list_node_device_names()) == sorted(names)
    assert sorted(d.get_name() for d in dconn.list_all_node_devices()) == sorted(names)
    nets = virsh_column(uri, "nodedev-list", "--cap", "net")
    assert sorted(dconn.list_node_device_names("net")) == sorted(nets)
    assert nets, "this host has no network devices"
    dev = dconn.get_node_device_by_name(nets[0])
    assert dev.list_capabilities() == ["net"]
    assert dev.get_xml_description() == virsh(uri, "nodedev-dumpxml", nets[0])
    parent = dev.get_parent()
    assert parent is None or f"<parent>{parent}</parent>" in dev.get_xml_description()
    assert dev.is_active() == 1
    assert dev.is_persistent() == 0
    assert dev.get_autostart() == 0


def test_host_device_errors(dconn: Any, storage_daemon: Daemon) -> None:
    net = dconn.list_node_device_names("net")[0]
    dev = dconn.get_node_device_by_name(net)
    # PCI passthrough belongs to the hypervisor drivers, not the nodedev driver.
    for fn in (dev.dettach, lambda: dev.dettach("vfio", 0), dev.reattach, dev.reset):
        expect_error(ERR.ERR_NO_SUPPORT, fn, domain=ERR.FROM_NODEDEV)
    expect_error(ERR.ERR_OPERATION_UNSUPPORTED, lambda: dev.set_autostart(1))
    expect_error(ERR.ERR_CONFIG_UNSUPPORTED, dev.destroy)
    expect_error(ERR.ERR_OPERATION_INVALID, dev.create)  # already active
    expect_error(ERR.ERR_OPERATION_INVALID, dev.undefine)  # not defined
    mdev = (
        "<device><parent>computer</parent><capability type='mdev'><type id='vw-1'/>"
        "<uuid>8a05ad6a-1111-2222-3333-444444444444</uuid></capability></device>"
    )
    expect_error(ERR.ERR_PARSE_FAILED, lambda: dconn.define_node_device(mdev))
    expect_error(ERR.ERR_PARSE_FAILED, lambda: dconn.create_node_device(mdev))
    # libvirt 9.0.0's nodedev driver fails this lookup without setting an error.
    err = expect_error(
        ERR.ERR_INTERNAL_ERROR,
        lambda: dconn.get_node_device_scsihost_by_wwn("2000000012341234", "1000000012341234"),
    )
    assert err.domain == ERR.FROM_NONE
