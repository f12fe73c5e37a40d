"""Sys::Virt::NWFilter and NWFilterBinding, both runtimes, against the real nwfilter driver
(the test driver has none); cross-checked with virsh."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from virtwire import Error

from .daemon import Daemon
from .test_objects_support import connect, expect_error, quiet, unique, virsh, virsh_column

ERR = Error


def filter_xml(name: str, priority: int = 500, fid: str = "") -> str:
    ident = f"<uuid>{fid}</uuid>" if fid else ""
    return (
        f"<filter name='{name}' chain='root'>{ident}<rule action='accept' direction='in' "
        f"priority='{priority}'><all/></rule></filter>"
    )


def binding_xml(portdev: str, filtername: str) -> str:
    return (
        f"<filterbinding><owner><name>vwguest</name><uuid>{uuid.uuid4()}</uuid></owner>"
        f"<portdev name='{portdev}'/><mac address='52:54:00:66:00:01'/>"
        f"<filterref filter='{filtername}'/></filterbinding>"
    )


@pytest.fixture
def tconn(kind: str, daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, daemon.uri())


@pytest.fixture
def fconn(kind: str, storage_daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, storage_daemon.uri("nwfilter"))


@pytest.fixture
def nwfilter(fconn: Any) -> Iterator[Any]:
    f = fconn.define_nwfilter(filter_xml(unique("vwf")))
    try:
        yield f
    finally:
        quiet(f.undefine)


def test_filters(fconn: Any, storage_daemon: Daemon, nwfilter: Any) -> None:
    uri = storage_daemon.uri("nwfilter")
    name = nwfilter.get_name()
    fid = nwfilter.get_uuid_string()
    assert nwfilter.get_uuid() == uuid.UUID(fid).bytes
    assert fid in virsh_column(uri, "nwfilter-list")
    assert nwfilter.get_xml_description() == virsh(uri, "nwfilter-dumpxml", name)
    assert fconn.get_nwfilter_by_name(name) == nwfilter
    assert fconn.get_nwfilter_by_uuid(fid) == nwfilter
    assert fconn.get_nwfilter_by_uuid(nwfilter.get_uuid()) == nwfilter
    assert fconn.get_nwfilter_by_uuid_string(fid) == nwfilter
    assert name in fconn.list_nwfilter_names()
    assert name in fconn.list_nwfilter_names(fconn.num_of_nwfilters())
    assert nwfilter in fconn.list_nwfilters()
    assert nwfilter in fconn.list_all_nwfilters()
    assert nwfilter in fconn.list_all_nwfilters(0)
    redefined = fconn.define_nwfilter(filter_xml(name, 400, fid), 1)  # VALIDATE
    assert redefined == nwfilter
    assert "priority='400'" in nwfilter.get_xml_description()
    nwfilter.undefine()
    expect_error(ERR.ERR_NO_NWFILTER, lambda: fconn.get_nwfilter_by_name(name))
    expect_error(ERR.ERR_NO_NWFILTER, lambda: fconn.get_nwfilter_by_uuid(fid))
    expect_error(ERR.ERR_INVALID_ARG, lambda: fconn.get_nwfilter_by_uuid("zz"))


def test_bindings(fconn: Any, storage_daemon: Daemon, nwfilter: Any) -> None:
    uri = storage_daemon.uri("nwfilter")
    portdev = unique("vn")[:15]
    binding = fconn.create_nwfilter_binding(binding_xml(portdev, nwfilter.get_name()))
    try:
        assert binding.get_port_dev() == portdev
        assert binding.get_filter_name() == nwfilter.get_name()
        assert binding in fconn.list_all_nwfilter_bindings()
        assert binding in fconn.list_all_nwfilter_bindings(0)
        assert fconn.get_nwfilter_binding_by_port_dev(portdev) == binding
        assert binding.get_xml_description() == virsh(uri, "nwfilter-binding-dumpxml", portdev)
        assert portdev in virsh_column(uri, "nwfilter-binding-list")
    finally:
        binding.delete()
    assert binding not in fconn.list_all_nwfilter_bindings()
    expect_error(
        ERR.ERR_NO_NWFILTER_BINDING, lambda: fconn.get_nwfilter_binding_by_port_dev(portdev)
    )


def test_test_driver_has_no_filters(tconn: Any) -> None:
    conn = tconn
    expect_error(ERR.ERR_NO_SUPPORT, conn.list_all_nwfilters, domain=ERR.FROM_NWFILTER)
    expect_error(ERR.ERR_NO_SUPPORT, conn.num_of_nwfilters)
    expect_error(ERR.ERR_NO_SUPPORT, conn.list_all_nwfilter_bindings)
    expect_error(ERR.ERR_NO_SUPPORT, lambda: conn.define_nwfilter(filter_xml("vwx")))
