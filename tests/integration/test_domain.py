"""Sys::Virt::Domain against the test driver, both runtimes; cross-checked with virsh."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from virtwire import Error

from .clients import open_conn, unwrap
from .daemon import Daemon

ERR = Error

# ---------------------------------------------------------------------- shared helpers


def unique(prefix: str) -> str:
    """A domain name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def domain_xml(name: str) -> str:
    """A small test-driver domain with one disk ``vda``."""
    return (
        f"<domain type='test'><name>{name}</name><memory>8192</memory><vcpu>2</vcpu>"
        "<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
        "<source file='/tmp/virtwire-test.img'/><target dev='vda' bus='virtio'/></disk>"
        "</devices></domain>"
    )


def _quiet(fn: Any) -> Any:
    try:
        return fn()
    except Error:
        return []


def remove(conn: Any, name: str) -> None:
    """Destroy and undefine ``name`` if it still exists, with its snapshots and checkpoints."""
    try:
        dom = conn.get_domain_by_name(name)
    except Error:
        return
    for cp in _quiet(dom.list_all_checkpoints):
        _quiet(lambda cp=cp: cp.delete(1))
    for snap in _quiet(lambda: dom.list_all_snapshots(1)):
        _quiet(lambda snap=snap: snap.delete(1))
    if _quiet(dom.is_active):
        _quiet(dom.destroy)
    _quiet(lambda: dom.undefine(1 | 2))


@contextmanager
def scratch_domain(conn: Any, prefix: str = "vw", *, start: bool = True) -> Iterator[Any]:
    """A persistent domain (running if ``start``), removed afterwards."""
    name = unique(prefix)
    dom = conn.define_domain(domain_xml(name))
    try:
        if start:
            dom.create()
        yield dom
    finally:
        remove(conn, name)


def virsh(uri: str, *args: str) -> str:
    """virsh's output against the same daemon."""
    done = subprocess.run(
        ["virsh", "-q", "-c", uri, *args], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def virsh_fields(uri: str, *args: str) -> dict[str, str]:
    """``key: value`` lines (or ``[dev] key value`` lines) of virsh's output."""
    out: dict[str, str] = {}
    for line in virsh(uri, *args).splitlines():
        if ":" in line:
            key, _, value = line.partition(":")
        else:
            key, _, value = line.strip().rpartition(" ")
            key = key.split()[-1] if key.split() else key
        if key.strip():
            out[key.strip()] = value.strip()
    return out


@pytest.fixture
def conn(kind: str, daemon: Daemon) -> Iterator[Any]:
    c = open_conn(kind, daemon.uri())
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def dom(conn: Any) -> Iterator[Any]:
    with scratch_domain(conn) as d:
        yield d


# ---------------------------------------------------------------------- the default "test" domain


def test_identity_and_basic_state(conn: Any, daemon: Daemon) -> None:
    d = conn.get_domain_by_name("test")
    v = virsh_fields(daemon.uri(), "dominfo", "test")
    assert d.get_name() == "test"
    assert d.get_id() == int(v["Id"])
    assert d.get_uuid_string() == v["UUID"]
    assert d.get_uuid() == uuid.UUID(v["UUID"]).bytes
    assert d.get_os_type() == v["OS Type"]
    assert d.is_active() == 1
    assert d.is_persistent() == 1
    assert d.is_updated() == 0
    assert d.get_autostart() == 0
    assert d.has_managed_save_image() == 0
    assert "<name>test</name>" in d.get_xml_description()
    assert d.get_hostname() == "testhost"


def test_get_info_matches_virsh(conn: Any, daemon: Daemon) -> None:
    d = conn.get_domain_by_name("test")
    info = d.get_info()
    v = virsh_fields(daemon.uri(), "dominfo", "test")
    assert set(info) == {"state", "maxMem", "memory", "nrVirtCpu", "cpuTime"}
    assert info["state"] == 1 and v["State"] == "running"
    assert info["nrVirtCpu"] == int(v["CPU(s)"])
    assert f"{info['maxMem']} KiB" == v["Max memory"]
    assert f"{info['memory']} KiB" == v["Used memory"]
    assert info["cpuTime"] > 0
    assert d.get_state() == (1, 0)
    assert d.get_max_memory() == info["maxMem"]
    assert d.get_max_vcpus() == 2
    assert d.get_vcpus() == 2


def test_vcpu_info_matches_virsh(conn: Any, daemon: Daemon) -> None:
    d = conn.get_domain_by_name("test")
    vcpus = d.get_vcpu_info()
    text = virsh(daemon.uri(), "vcpuinfo", "test")
    cpus = [int(line.split()[-1]) for line in text.splitlines() if line.startswith("CPU:")]
    assert [v["number"] for v in vcpus] == [0, 1]
    assert [v["cpu"] for v in vcpus] == cpus
    assert all(v["state"] == 1 and v["cpuTime"] > 0 for v in vcpus)
    assert all(isinstance(v["affinity"], bytes) and v["affinity"][0] == 0xFF for v in vcpus)
    pinned = d.get_vcpu_info(2)  # VIR_DOMAIN_AFFECT_CONFIG: pin info only
    assert [(v["state"], v["cpuTime"], v["cpu"]) for v in pinned] == [(0, 0, 0), (0, 0, 0)]
    assert isinstance(d.get_emulator_pin_info(), bytes)


def test_scheduler_matches_virsh(conn: Any, daemon: Daemon) -> None:
    d = conn.get_domain_by_name("test")
    v = virsh_fields(daemon.uri(), "schedinfo", "test")
    assert d.get_scheduler_type() == v["Scheduler"]
    assert d.get_scheduler_parameters() == {"weight": int(v["weight"])}
    # The test driver refuses STRING_OKAY with flags, exactly as virsh sees it.
    with pytest.raises(Error) as info:
        d.get_scheduler_parameters(1)
    assert info.value.code == ERR.ERR_INVALID_ARG


def test_block_and_interface_stats_match_virsh(conn: Any, daemon: Daemon) -> None:
    d = conn.get_domain_by_name("test")
    before = virsh_fields(daemon.uri(), "domblkstat", "test", "vda")
    stats = d.block_stats("vda")
    after = virsh_fields(daemon.uri(), "domblkstat", "test", "vda")
    assert set(stats) == set(before) == {"rd_req", "rd_bytes", "wr_req", "wr_bytes", "errs"}
    for key, value in stats.items():
        assert int(before[key]) <= value <= int(after[key])
    ifstats = d.interface_stats("testnet0")
    v = virsh_fields(daemon.uri(), "domifstat", "test", "testnet0")
    assert set(ifstats) == set(v)
    assert all(isinstance(x, int) for x in ifstats.values())
    mem = d.memory_stats()
    vm = virsh_fields(daemon.uri(), "dommemstat", "test")
    assert mem["actual_balloon"] == int(vm["actual"])
    assert {k: mem[k] for k in ("unused", "available", "rss")} == {
        k: int(vm[k]) for k in ("unused", "available", "rss")
    }
    info = d.get_block_info("vda")
    vb = virsh_fields(daemon.uri(), "domblkinfo", "test", "vda")
    assert info == {k.lower(): int(x) for k, x in vb.items()}


def test_cpu_stats_match_virsh(conn: Any, daemon: Daemon) -> None:
    d = conn.get_domain_by_name("test")
    per_cpu = d.get_cpu_stats(0, 0)
    total = d.get_cpu_stats(-1, 1)
    text = virsh(daemon.uri(), "cpu-stats", "test")
    assert len(per_cpu) == text.count("CPU") - 0 and all("cpu_time" in s for s in per_cpu)
    assert len(total) == 1 and set(total[0]) == {"cpu_time", "user_time", "system_time"}
    assert f"{total[0]['cpu_time'] / 1e9:.9f}" in text


def test_typed_param_getters_match_virsh(conn: Any, daemon: Daemon) -> None:
    d = conn.get_domain_by_name("test")
    mem = d.get_memory_parameters()
    assert set(mem) == set(virsh_fields(daemon.uri(), "memtune", "test"))
    blkio = d.get_blkio_parameters()
    vb = virsh_fields(daemon.uri(), "blkiotune", "test")
    assert set(blkio) == set(vb) and blkio["weight"] == int(vb["weight"])
    numa = d.get_numa_parameters()
    assert set(numa) == set(virsh_fields(daemon.uri(), "numatune", "test"))
    iotune = d.get_block_iotune("vda")
    assert set(iotune) == set(virsh_fields(daemon.uri(), "blkdeviotune", "test", "vda"))
    assert set(d.get_interface_parameters("testnet0")) >= {"inbound.average", "outbound.average"}
    perf = d.get_perf_events()
    assert "cmt" in perf and all(v in (0, 1) for v in perf.values())


def test_security_time_control_and_guest_queries(conn: Any) -> None:
    d = conn.get_domain_by_name("test")
    assert d.get_security_label() == {"label": "libvirt-test", "enforcing": 1}
    assert d.get_security_label_list() == []
    secs, nsecs = d.get_time()
    assert secs > 0 and nsecs >= 0
    assert set(d.get_control_info()) == {"state", "details", "stateTime"}
    assert d.get_disk_errors() == [{"path": "vda", "error": 1}]
    fs = d.get_fs_info()
    assert fs[0] == {"mountpoint": "/", "name": "vda1", "fstype": "ext4", "devalias": ["vda"]}
    nics = d.get_interface_addresses(0)
    assert nics == [
        {
            "name": "testnet0",
            "hwaddr": "aa:bb:cc:dd:ee:ff",
            "addrs": [{"type": 0, "addr": "192.168.122.3", "prefix": 24}],
        }
    ]
    assert d.get_iothread_info() == []
    assert d.get_messages() == []


# ---------------------------------------------------------------------- a scratch domain


def test_life_cycle(conn: Any, dom: Any) -> None:
    assert dom.get_id() > 0
    dom.suspend()
    assert dom.get_state()[0] == 3
    dom.resume()
    assert dom.get_state()[0] == 1
    dom.reboot()
    dom.reset()
    dom.inject_nmi()
    dom.shutdown()
    assert dom.get_state()[0] == 5
    dom.create()
    assert dom.get_id() == conn.get_domain_by_name(dom.get_name()).get_id() > 0
    dom.destroy()
    assert dom.get_id() == -1 and dom.is_active() == 0
    with pytest.raises(Error) as info:
        dom.create(1)  # VIR_DOMAIN_START_PAUSED: refused by the test driver
    assert info.value.code == ERR.ERR_INVALID_ARG
    dom.create()
    assert dom.get_id() > 0
    dom.destroy(0)
    new_name = unique("renamed")
    dom.rename(new_name)
    assert dom.get_name() == new_name
    assert conn.get_domain_by_name(new_name) == dom
    dom.undefine()
    with pytest.raises(Error) as info:
        conn.get_domain_by_name(new_name)
    assert info.value.code == ERR.ERR_NO_DOMAIN


def test_save_and_managed_save(conn: Any, dom: Any, tmp_path: Path) -> None:
    path = str(tmp_path / "dom.save")
    dom.save(path)
    assert dom.is_active() == 0
    assert f"<name>{dom.get_name()}</name>" in conn.get_save_image_xml_description(path)
    conn.restore_domain(path)
    assert dom.is_active() == 1
    with pytest.raises(Error) as info:
        dom.save(path, None, None, 2)  # VIR_DOMAIN_SAVE_RUNNING: save_flags, refused here
    assert "testDomainSaveFlags" in info.value.message
    with pytest.raises(Error) as info:
        dom.save(path, None, {"image_format": "raw"})  # save_params: not in the test driver
    assert info.value.code == ERR.ERR_NO_SUPPORT
    dom.managed_save()
    assert dom.has_managed_save_image() == 1
    dom.managed_save_remove()
    assert dom.has_managed_save_image() == 0
    dom.create()
    dom.core_dump(str(tmp_path / "core"))
    dom.core_dump_format(str(tmp_path / "core2"), 0)
    assert (tmp_path / "core").exists()


def test_tunables(conn: Any, dom: Any) -> None:
    dom.set_memory(4096)
    assert dom.get_info()["memory"] == 4096
    dom.set_memory(6144, 1)
    dom.set_vcpus(1)
    assert dom.get_vcpus() == 1
    # The daemon's types are used (weight is UINT; the test driver checks) and unknown
    # keys are dropped; the test driver then ignores the value.
    dom.set_scheduler_parameters({"weight": 10, "unknown": 3})
    assert dom.get_scheduler_parameters() == {"weight": 50}
    dom.set_memory_parameters({"hard_limit": 100000})
    assert dom.get_memory_parameters()["hard_limit"] == 100000
    dom.set_blkio_parameters({"weight": 500})
    assert dom.get_blkio_parameters()["weight"] == 500
    dom.set_numa_parameters({"numa_nodeset": "0"})
    assert dom.get_numa_parameters()["numa_nodeset"] == "0"
    dom.set_block_iotune("vda", {"total_bytes_sec_max": 2000, "total_bytes_sec": 1000})
    assert dom.get_block_iotune("vda")["total_bytes_sec"] == 1000
    dom.set_perf_events({"cmt": True})
    assert dom.get_perf_events()["cmt"] == 1
    dom.set_metadata(0, "a description")  # VIR_DOMAIN_METADATA_DESCRIPTION
    assert dom.get_metadata(0) == "a description"
    dom.set_autostart(1)
    assert dom.get_autostart() == 1
    dom.set_autostart(0)
    dom.set_time(1000, 5)
    dom.set_user_password("root", "secret")
    dom.send_key(0, 10, [28, 29])
    dom.set_lifecycle_action(1, 1)
    dom.send_process_signal(1, 15)
    dom.fs_trim(None, 0)
    dom.fs_freeze([])
    dom.fs_thaw(["/"])


def test_pinning_and_iothreads(conn: Any, dom: Any) -> None:
    dom.pin_vcpu(0, b"\x01")
    assert dom.get_vcpu_info()[0]["affinity"][0] == 0x01
    dom.pin_emulator(b"\x03")
    assert dom.get_emulator_pin_info()[0] == 0x03
    dom.add_iothread(5)
    assert [t["number"] for t in dom.get_iothread_info()] == [5]
    dom.pin_iothread(5, b"\x02")
    assert dom.get_iothread_info()[0]["affinity"][0] == 0x02
    dom.set_iothread(5, {"poll_max_ns": 100})
    dom.del_iothread(5)
    assert dom.get_iothread_info() == []


def test_errors_from_the_test_driver(conn: Any, dom: Any) -> None:
    cases: list[tuple[str, tuple[Any, ...], int]] = [
        ("get_metadata", (0,), ERR.ERR_NO_DOMAIN_METADATA),
        ("set_max_memory", (8192,), ERR.ERR_OPERATION_INVALID),
        ("pin_vcpu", (0, b"\x01", 1), ERR.ERR_INVALID_ARG),
        ("memory_peek", (0, 16), ERR.ERR_INVALID_ARG),
        ("interface_stats", ("nope",), ERR.ERR_INVALID_ARG),
        ("set_memory_stats_period", (1,), ERR.ERR_INTERNAL_ERROR),
        ("get_launch_security_info", (), ERR.ERR_INVALID_ARG),
    ]
    for name, args, code in cases:
        with pytest.raises(Error) as info:
            getattr(dom, name)(*args)
        assert info.value.code == code, name


NOT_SUPPORTED: list[tuple[str, tuple[Any, ...]]] = [
    ("set_vcpu", ("0", 0)),
    ("set_guest_vcpus", ("0", 1)),
    ("get_guest_vcpus", ()),
    ("get_guest_info", (0,)),
    ("set_launch_security_state", ({"sev-secret": "x"},)),
    ("attach_device", ("<disk/>",)),
    ("attach_device", ("<disk/>", 1)),
    ("detach_device", ("<disk/>",)),
    ("detach_device", ("<disk/>", 1)),
    ("detach_device_alias", ("ua-x",)),
    ("update_device", ("<disk/>",)),
    ("block_peek", ("vda", 0, 16)),
    ("block_resize", ("vda", 1024)),
    ("get_job_info", ()),
    ("get_job_stats", ()),
    ("abort_job", ()),
    ("abort_job", (1,)),
    ("get_block_job_info", ("vda",)),
    ("set_block_job_speed", ("vda", 1)),
    ("abort_block_job", ("vda",)),
    ("block_pull", ("vda", 0)),
    ("block_rebase", ("vda", None, 0)),
    ("block_copy", ("vda", "<disk/>", {"bandwidth": 1})),
    ("block_commit", ("vda", None, None, 0)),
    ("set_block_threshold", ("vda", 100)),
    ("backup_begin", ("<domainbackup/>", None)),
    ("backup_get_xml_description", ()),
    ("migrate_set_max_downtime", (10,)),
    ("migrate_get_max_downtime", ()),
    ("migrate_set_max_speed", (10,)),
    ("migrate_get_max_speed", ()),
    ("migrate_set_compression_cache", (10,)),
    ("migrate_get_compression_cache", ()),
    ("migrate_start_post_copy", ()),
    ("open_graphics_fd", (0,)),
    ("set_agent_response_timeout", (5,)),
    ("authorized_ssh_keys_get", ("root",)),
    ("authorized_ssh_keys_set", ("root", ["ssh-ed25519 AAAA"])),
    ("start_dirty_rate_calc", (1,)),
    ("pm_wakeup", ()),
    ("pm_suspend_for_duration", (0, 0)),
    ("managed_save_define_xml", ("<domain/>",)),
    ("managed_save_get_xml_description", ()),
]


@pytest.mark.parametrize(("name", "args"), NOT_SUPPORTED)
def test_not_supported_by_test_driver(conn: Any, name: str, args: tuple[Any, ...]) -> None:
    d = conn.get_domain_by_name("test")
    with pytest.raises(Error) as info:
        getattr(d, name)(*args)
    assert info.value.code == ERR.ERR_NO_SUPPORT
    assert "not supported" in info.value.message


def test_file_descriptors_reach_the_daemon(conn: Any, dom: Any) -> None:
    a, b = socket.socketpair()
    r, w = os.pipe()
    try:
        with pytest.raises(Error) as info:
            dom.open_graphics(0, a.fileno())
        assert info.value.code == ERR.ERR_NO_SUPPORT
        with pytest.raises(Error) as info:
            dom.open_graphics(0, r)  # not a socket: the daemon inspects the passed fd
        assert "must be a socket" in info.value.message
        with pytest.raises(Error) as info:
            dom.fd_associate("name", [r])
        assert info.value.code == ERR.ERR_NO_SUPPORT
        dom.destroy()
        dom.create_with_files([r])
        assert dom.is_active() == 1 and dom.get_id() > 0
    finally:
        a.close()
        b.close()
        os.close(r)
        os.close(w)


def _read_all(kind: str, conn: Any, st: Any) -> bytes:
    if kind == "sync":
        return b"".join(iter(lambda: st.read(65536), b""))

    async def read(stream: Any) -> bytes:
        data = b""
        while chunk := await asyncio.wait_for(stream.read(65536), 10):
            data += chunk
        return data

    return bytes(conn._run(read(unwrap(st))))


def test_screenshot_matches_virsh(kind: str, conn: Any, daemon: Daemon, tmp_path: Path) -> None:
    d = conn.get_domain_by_name("test")
    shot = tmp_path / "shot.png"
    virsh(daemon.uri(), "screenshot", "test", str(shot))
    st = conn.new_stream()
    assert d.screenshot(st, 0) == "image/png"
    data = _read_all(kind, conn, st)
    st.finish()
    assert data.startswith(b"\x89PNG") and len(data) == shot.stat().st_size


def test_console_and_channel_not_supported(conn: Any) -> None:
    d = conn.get_domain_by_name("test")
    calls: list[Callable[[], Any]] = [
        lambda: d.open_console(conn.new_stream(), None),
        lambda: d.open_console(conn.new_stream(), "serial0", 0),
        lambda: d.open_channel(conn.new_stream(), "org.qemu.guest_agent.0"),
    ]
    for call in calls:
        with pytest.raises(Error) as info:
            call()
        assert info.value.code == ERR.ERR_NO_SUPPORT
    assert d.get_info()["state"] == 1  # the connection is still usable


def test_migration_errors_as_libvirt_reports_them(conn: Any, dom: Any) -> None:
    with pytest.raises(Error) as info:
        dom.migrate(conn, {"migrate_uri": "tcp://x"}, 0)
    assert info.value.code == ERR.ERR_NO_SUPPORT
    assert info.value.message.endswith("virDomainMigrate3")
    with pytest.raises(Error) as info:
        dom.migrate(conn, 0, "newname", None, 0)
    assert info.value.code == ERR.ERR_NO_SUPPORT
    with pytest.raises(Error) as info:
        dom.migrate2(conn, None, 0, None, None, 0)
    assert info.value.code == ERR.ERR_NO_SUPPORT
    with pytest.raises(Error) as info:
        dom.migrate(conn, {}, 2)  # PEER2PEER belongs to migrate_to_uri
    assert info.value.code == ERR.ERR_INVALID_ARG
    with pytest.raises(Error) as info:
        dom.migrate_to_uri("test:///default", {}, 0)
    assert info.value.code == ERR.ERR_ARGUMENT_UNSUPPORTED
    assert "direct migration" in info.value.message
    with pytest.raises(Error) as info:
        dom.migrate_to_uri("test:///default", 2, None, 0)
    assert "p2p migration" in info.value.message
    with pytest.raises(Error) as info:
        dom.migrate_to_uri2("test:///default", None, None, 0, None, 0)
    assert info.value.code == ERR.ERR_ARGUMENT_UNSUPPORTED


def test_objects_compare_by_uuid(conn: Any) -> None:
    a = conn.get_domain_by_name("test")
    b = conn.list_all_domains()[0]
    assert a == b and hash(a) == hash(b)
    assert a.connection is not None and a.ref.name == "test"
