"""Sys::Virt::StoragePool and StorageVol, both runtimes: the test driver, and the real
storage driver with ``dir`` pools in temporary directories; cross-checked with virsh."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from virtwire import Error
from virtwire.constants_gen import (
    virConnectListAllStoragePoolsFlags,
    virStoragePoolState,
    virStorageVolInfoFlags,
    virStorageVolResizeFlags,
    virStorageVolType,
    virStorageVolWipeAlgorithm,
    virStorageXMLFlags,
)

from .daemon import Daemon
from .test_objects_support import (
    connect,
    expect_error,
    quiet,
    unique,
    virsh,
    virsh_column,
    virsh_fields,
)

ERR = Error
MiB = 1024 * 1024


def pool_xml(name: str, path: Path) -> str:
    return f"<pool type='dir'><name>{name}</name><target><path>{path}</path></target></pool>"


def vol_xml(name: str, capacity: int, allocation: int = 0) -> str:
    return (
        f"<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity>"
        f"<allocation unit='bytes'>{allocation}</allocation>"
        "<target><format type='raw'/></target></volume>"
    )


def virsh_bytes(text: str) -> float:
    """virsh's ``1.50 MiB`` as bytes."""
    number, unit = text.split()
    scale = {"B": 1, "bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
    return float(number) * scale[unit]


@pytest.fixture
def conn(kind: str, daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, daemon.uri())


@pytest.fixture
def sconn(kind: str, storage_daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, storage_daemon.uri("storage"))


@pytest.fixture
def dir_pool(sconn: Any, tmp_path: Path) -> Iterator[Any]:
    """A running persistent ``dir`` pool in a fresh directory."""
    path = tmp_path / "pool"
    pool = sconn.define_storage_pool(pool_xml(unique("vwpool"), path))
    try:
        pool.build()
        pool.create()
        yield pool
    finally:
        for vol in quiet(pool.list_all_volumes) or []:
            quiet(vol.delete)
        quiet(pool.destroy)
        quiet(pool.undefine)


# ---------------------------------------------------------------------- test driver


def test_test_driver_pool(conn: Any, daemon: Daemon) -> None:
    pool = conn.get_storage_pool_by_name("default-pool")
    v = virsh_fields(daemon.uri(), "pool-info", "default-pool")
    assert pool.get_name() == v["Name"]
    assert pool.get_uuid_string() == v["UUID"]
    assert pool.get_uuid() == uuid.UUID(v["UUID"]).bytes
    info = pool.get_info()
    assert set(info) == {"state", "capacity", "allocation", "available"}
    assert info["state"] == virStoragePoolState.VIR_STORAGE_POOL_RUNNING and v["State"] == "running"
    assert abs(info["capacity"] - virsh_bytes(v["Capacity"])) < 0.01 * info["capacity"] + 1024
    assert pool.is_active() == 1 and pool.is_persistent() == 1
    assert pool.get_xml_description() == virsh(daemon.uri(), "pool-dumpxml", "default-pool")
    assert conn.get_storage_pool_by_uuid(pool.get_uuid()) == pool
    assert conn.get_storage_pool_by_uuid(pool.get_uuid_string()) == pool
    assert conn.get_storage_pool_by_uuid_string(pool.get_uuid_string()) == pool
    assert pool in conn.list_all_storage_pools()
    assert "default-pool" in conn.list_storage_pool_names()
    assert pool in conn.list_storage_pools()
    expect_error(ERR.ERR_NO_STORAGE_POOL, lambda: conn.get_storage_pool_by_name("nope"))
    expect_error(ERR.ERR_INVALID_ARG, lambda: conn.get_storage_pool_by_uuid("1234"))


def test_test_driver_volumes(conn: Any, daemon: Daemon) -> None:
    pool = conn.get_storage_pool_by_name("default-pool")
    name = unique("vwvol")
    vol = pool.create_volume(vol_xml(name, 10 * MiB))
    try:
        assert vol.get_name() == name
        assert name in pool.list_storage_vol_names()
        assert name in pool.list_storage_vol_names(pool.num_of_storage_volumes())
        assert vol in pool.list_volumes() and vol in pool.list_all_volumes()
        assert pool.get_volume_by_name(name) == vol
        path = vol.get_path()
        assert conn.get_storage_volume_by_path(path) == vol
        assert conn.get_storage_volume_by_key(vol.get_key()) == vol
        assert conn.get_storage_pool_by_volume(vol) == pool
        assert vol.get_pool() == pool
        info = vol.get_info()
        assert info["capacity"] == 10 * MiB
        assert set(info) == {"type", "capacity", "allocation"}
        assert vol.get_xml_description() == virsh(daemon.uri(), "vol-dumpxml", path)
        clone = pool.clone_volume(vol_xml(name + "-c", 10 * MiB), vol)
        assert clone.get_info()["capacity"] == 10 * MiB
        clone.delete()
        # The test driver has no resize, wipe, upload, download or info flags.
        expect_error(ERR.ERR_NO_SUPPORT, lambda: vol.resize(20 * MiB))
        expect_error(ERR.ERR_NO_SUPPORT, vol.wipe)
        expect_error(ERR.ERR_NO_SUPPORT, lambda: vol.get_info(1))
    finally:
        vol.delete()
    expect_error(ERR.ERR_NO_STORAGE_VOL, lambda: pool.get_volume_by_name(name))


def test_test_driver_pool_lifecycle(conn: Any, daemon: Daemon) -> None:
    name = unique("vwtp")
    pool = conn.define_storage_pool(pool_xml(name, Path("/vw/" + name)))
    try:
        assert pool.is_active() == 0 and pool.is_persistent() == 1
        assert name in conn.list_defined_storage_pool_names()
        assert name in conn.list_defined_storage_pool_names(conn.num_of_defined_storage_pools())
        assert pool in conn.list_defined_storage_pools()
        inactive = virConnectListAllStoragePoolsFlags.VIR_CONNECT_LIST_STORAGE_POOLS_INACTIVE
        assert pool in conn.list_all_storage_pools(inactive)
        pool.set_autostart(True)
        assert pool.get_autostart() == 1
        assert virsh_fields(daemon.uri(), "pool-info", name)["Autostart"] == "yes"
        pool.set_autostart(0)
        assert pool.get_autostart() == 0
        pool.build()
        pool.create()
        assert pool.is_active() == 1
        by_path = lambda: conn.get_storage_pool_by_target_path("/vw/" + name)  # noqa: E731
        expect_error(ERR.ERR_NO_SUPPORT, by_path)  # the test driver lacks it
        pool.refresh()
        pool.destroy()
        pool.delete()
    finally:
        quiet(pool.destroy)
        pool.undefine()
    transient = conn.create_storage_pool(pool_xml(name, Path("/vw/" + name)))
    assert transient.is_persistent() == 0 and transient.is_active() == 1
    transient.destroy()
    expect_error(ERR.ERR_NO_STORAGE_POOL, lambda: conn.get_storage_pool_by_name(name))


def test_find_storage_pool_sources(conn: Any) -> None:
    xml = conn.find_storage_pool_sources("logical")
    assert "<sources>" in xml and "testvg1" in xml
    xml = conn.find_storage_pool_sources("netfs", "<source><host name='example.org'/></source>", 0)
    assert "example.org" in xml


# ---------------------------------------------------------------------- real storage driver


def test_dir_pool(sconn: Any, storage_daemon: Daemon, dir_pool: Any, tmp_path: Path) -> None:
    uri = storage_daemon.uri("storage")
    name = dir_pool.get_name()
    v = virsh_fields(uri, "pool-info", name)
    info = dir_pool.get_info()
    assert info["state"] == virStoragePoolState.VIR_STORAGE_POOL_RUNNING
    assert v["State"] == "running"
    assert abs(info["capacity"] - virsh_bytes(v["Capacity"])) <= 0.01 * info["capacity"]
    assert info["allocation"] + info["available"] <= info["capacity"] + MiB
    assert dir_pool.get_uuid_string() == v["UUID"]
    assert sconn.get_storage_pool_by_target_path(str(tmp_path / "pool")) == dir_pool
    assert name in virsh_column(uri, "pool-list", "--all")
    assert dir_pool in sconn.list_all_storage_pools()
    assert dir_pool.get_xml_description(virStorageXMLFlags.VIR_STORAGE_XML_INACTIVE) == virsh(
        uri, "pool-dumpxml", "--inactive", name
    )
    dir_pool.refresh()


def test_dir_volumes(sconn: Any, storage_daemon: Daemon, dir_pool: Any, tmp_path: Path) -> None:
    uri = storage_daemon.uri("storage")
    vol = dir_pool.create_volume(vol_xml("a.img", 4 * MiB))
    path = str(tmp_path / "pool" / "a.img")
    assert vol.get_path() == path and os.path.getsize(path) == 4 * MiB
    assert vol.get_key() == path
    assert sconn.get_storage_volume_by_key(path) == vol
    assert sconn.get_storage_volume_by_path(path) == vol
    assert sconn.get_storage_pool_by_volume(vol) == dir_pool
    info = vol.get_info()
    assert info["type"] == virStorageVolType.VIR_STORAGE_VOL_FILE
    assert info["capacity"] == 4 * MiB
    v = virsh_fields(uri, "vol-info", path)
    assert v["Type"] == "file" and virsh_bytes(v["Capacity"]) == 4 * MiB
    assert virsh_bytes(v["Allocation"]) == pytest.approx(info["allocation"], rel=0.01, abs=1024)
    phys = vol.get_info(virStorageVolInfoFlags.VIR_STORAGE_VOL_GET_PHYSICAL)
    assert phys["capacity"] == 4 * MiB
    assert vol.get_xml_description() == virsh(uri, "vol-dumpxml", path)
    assert dir_pool.list_storage_vol_names() == ["a.img"]
    assert dir_pool.list_volumes() == [vol] == dir_pool.list_all_volumes()
    assert dir_pool.num_of_storage_volumes() == 1

    vol.resize(8 * MiB)
    assert vol.get_info()["capacity"] == 8 * MiB == os.path.getsize(path)
    vol.resize(MiB, virStorageVolResizeFlags.VIR_STORAGE_VOL_RESIZE_DELTA)
    assert vol.get_info()["capacity"] == 9 * MiB
    expect_error(ERR.ERR_INVALID_ARG, lambda: vol.resize(MiB))  # shrinking needs RESIZE_SHRINK

    Path(path).write_bytes(b"\xff" * 4096 + b"\0" * (9 * MiB - 4096))
    dir_pool.refresh()  # the driver wipes as many bytes as it knows are allocated
    vol.wipe()
    with open(path, "rb") as f:
        assert f.read(4096) == b"\0" * 4096
    vol.wipe_pattern(virStorageVolWipeAlgorithm.VIR_STORAGE_VOL_WIPE_ALG_ZERO)

    clone = dir_pool.clone_volume(vol_xml("b.img", 9 * MiB), vol)
    assert clone.get_info()["capacity"] == 9 * MiB
    assert sorted(dir_pool.list_storage_vol_names()) == ["a.img", "b.img"]
    clone.delete()
    vol.delete(0)
    assert not os.path.exists(path)
    assert dir_pool.list_all_volumes() == []
    expect_error(ERR.ERR_NO_STORAGE_VOL, lambda: sconn.get_storage_volume_by_path(path))


def test_upload_download(sconn: Any, dir_pool: Any) -> None:
    vol = dir_pool.create_volume(vol_xml("data.img", MiB))
    payload = bytes(range(256)) * 1024  # 256 KiB
    st = sconn.new_stream()
    vol.upload(st, 4096, len(payload))
    st.send(payload)
    st.finish()
    st = sconn.new_stream()
    vol.download(st, 4096, len(payload))
    got = bytearray()
    while True:
        buf = bytearray()
        n = st.recv(buf, 65536)
        if n == 0:
            break
        got += buf[:n]
    st.finish()
    assert bytes(got) == payload
    st = sconn.new_stream()
    vol.download(st, 0, 0)
    whole = bytearray()
    while (chunk := st.read()) != b"":
        whole += chunk
    st.finish()
    assert len(whole) == MiB and bytes(whole[4096 : 4096 + len(payload)]) == payload


def test_pool_lifecycle_real(sconn: Any, storage_daemon: Daemon, tmp_path: Path) -> None:
    uri = storage_daemon.uri("storage")
    name = unique("vwlife")
    path = tmp_path / "life"
    pool = sconn.define_storage_pool(pool_xml(name, path))
    try:
        assert name in sconn.list_defined_storage_pool_names()
        assert pool in sconn.list_defined_storage_pools()
        assert sconn.num_of_defined_storage_pools() >= 1
        expect_error(ERR.ERR_OPERATION_INVALID, pool.refresh)  # not running
        pool.build()
        assert path.is_dir()
        pool.set_autostart(1)
        assert pool.get_autostart() == 1
        assert virsh_fields(uri, "pool-info", name)["Autostart"] == "yes"
        pool.set_autostart(0)
        pool.create()
        assert pool.is_active() == 1
        assert name in sconn.list_storage_pool_names(sconn.num_of_storage_pools())
        assert pool in sconn.list_storage_pools()
        pool.destroy()
        pool.delete()
        assert not path.exists()
    finally:
        quiet(pool.destroy)
        pool.undefine()
    expect_error(ERR.ERR_NO_STORAGE_POOL, lambda: sconn.get_storage_pool_by_name(name))
    transient = sconn.create_storage_pool(pool_xml(name, tmp_path))
    try:
        assert transient.is_persistent() == 0 and transient.get_name() == name
    finally:
        transient.destroy()


def test_find_sources_real(sconn: Any) -> None:
    expect_error(ERR.ERR_NO_SUPPORT, lambda: sconn.find_storage_pool_sources("dir"))
