"""Host methods (node info, CPU, memory, capabilities) against the test driver, both runtimes.

Where the test driver (libvirt 9.0.0) lacks a function, the test asserts libvirt's own
error, as virsh and Sys::Virt get it from the same daemon.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from virtwire import Error
from virtwire.api import sysvirt_gen as sv

from .clients import KINDS, open_client
from .daemon import Daemon

CPU_XML = "<cpu><arch>x86_64</arch><model>qemu64</model></cpu>"


@pytest.fixture(params=KINDS)
def conn(request: pytest.FixtureRequest, daemon: Daemon) -> Iterator[Any]:
    c = open_client(str(request.param), daemon.uri())
    try:
        yield c
    finally:
        c.close()


def _unsupported(exc: pytest.ExceptionInfo[Error], function: str, domain: int) -> None:
    e = exc.value
    assert e.code == Error.ERR_NO_SUPPORT
    assert e.domain == domain
    assert e.message == (
        f"this function is not supported by the connection driver: {function}"
    )


def _virsh(uri: str, *args: str) -> str:
    if shutil.which("virsh") is None:
        pytest.fail("virsh is missing (Debian package libvirt-clients)")
    return subprocess.run(
        ["virsh", "-c", uri, *args], check=True, capture_output=True, text=True, timeout=60
    ).stdout


def test_node_info_matches_virsh(conn: Any, daemon: Daemon) -> None:
    info = conn.get_node_info()
    assert set(info) == {"model", "memory", "cpus", "mhz", "nodes", "sockets", "cores", "threads"}
    text = _virsh(daemon.uri(), "nodeinfo")
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in pairs}
    assert info["model"] == fields["CPU model"]
    assert info["cpus"] == int(fields["CPU(s)"])
    assert f"{info['mhz']} MHz" == fields["CPU frequency"]
    assert info["sockets"] == int(fields["CPU socket(s)"])
    assert info["cores"] == int(fields["Core(s) per socket"])
    assert info["threads"] == int(fields["Thread(s) per core"])
    assert info["nodes"] == int(fields["NUMA cell(s)"])
    assert f"{info['memory']} KiB" == fields["Memory size"]


def test_node_cpu_map(conn: Any) -> None:
    total, online_map, online = conn.get_node_cpu_map()
    assert isinstance(online_map, bytes)
    bits = [(online_map[i // 8] >> (i % 8)) & 1 for i in range(total)]
    assert sum(bits) == online
    assert (total, online_map, online) == (8, b"\x15", 3)


def test_node_memory(conn: Any) -> None:
    cells = conn.get_node_cells_free_memory(0, 1)
    assert cells == [2097152, 4194304]
    assert conn.get_node_cells_free_memory(1, 1) == [4194304]
    assert conn.get_node_free_memory() > 0


def test_node_cpu_stats(conn: Any) -> None:
    stats = conn.get_node_cpu_stats()
    assert set(stats) == {"kernel", "user", "idle", "iowait"}
    assert all(isinstance(v, int) for v in stats.values())
    assert conn.get_node_cpu_stats(sv.NODE_CPU_STATS_ALL_CPUS) == stats


def test_node_security_model(conn: Any) -> None:
    assert conn.get_node_security_model() == {"model": "testSecurity", "doi": ""}


def test_versions(conn: Any) -> None:
    version = conn.get_version()
    assert conn.get_major_version() == version // 1000000
    assert conn.get_minor_version() == version // 1000 % 1000
    assert conn.get_micro_version() == version % 1000


def test_hypervisor_info(conn: Any, daemon: Daemon) -> None:
    assert conn.get_max_vcpus("test") == 32
    sysinfo = conn.get_sysinfo()
    assert sysinfo.startswith("<sysinfo type='smbios'>")
    assert sysinfo.strip() == _virsh(daemon.uri(), "sysinfo").strip()
    models = conn.get_cpu_model_names("x86_64")
    assert "qemu64" in models and "486" in models
    baseline = conn.baseline_cpu([CPU_XML])
    assert re.search(r"<model fallback='forbid'>qemu64</model>", baseline)


def test_set_identity(conn: Any) -> None:
    assert conn.set_identity({sv.IDENTITY_USER_NAME: "root"}) is None


def test_free_pages_error(conn: Any) -> None:
    # libvirt 9.0.0's test driver fails without setting an error; the daemon says so.
    with pytest.raises(Error) as exc:
        conn.get_node_free_pages([4], 0, 0)
    assert exc.value.code == Error.ERR_INTERNAL_ERROR
    assert exc.value.message == "Library function returned error but did not set virError"


@pytest.mark.parametrize(
    ("method", "args", "function", "domain"),
    [
        ("get_node_memory_stats", (), "virNodeGetMemoryStats", Error.FROM_DOMAIN),
        ("get_node_memory_parameters", (), "virNodeGetMemoryParameters", Error.FROM_DOMAIN),
        ("set_node_memory_parameters", ({"shm_pages_to_scan": 10},), "virNodeGetMemoryParameters",
         Error.FROM_DOMAIN),
        ("get_node_sev_info", (), "virNodeGetSEVInfo", Error.FROM_DOMAIN),
        ("node_alloc_pages", ([[2048, 1]], 0, 0), "virNodeAllocPages", Error.FROM_DOMAIN),
        ("node_suspend_for_duration", (0, 60), "virNodeSuspendForDuration", Error.FROM_DOMAIN),
        ("get_domain_capabilities", (), "virConnectGetDomainCapabilities", Error.FROM_DOMAIN),
        ("get_storage_pool_capabilities", (), "virConnectGetStoragePoolCapabilities",
         Error.FROM_STORAGE),
        ("compare_cpu", (CPU_XML,), "virConnectCompareCPU", Error.FROM_DOMAIN),
        ("compare_hypervisor_cpu", (None, "x86_64", None, None, CPU_XML),
         "virConnectCompareHypervisorCPU", Error.FROM_DOMAIN),
        ("baseline_hypervisor_cpu", (None, "x86_64", None, None, [CPU_XML]),
         "virConnectBaselineHypervisorCPU", Error.FROM_DOMAIN),
    ],
)
def test_unsupported_by_test_driver(
    conn: Any, method: str, args: tuple[Any, ...], function: str, domain: int
) -> None:
    with pytest.raises(Error) as exc:
        getattr(conn, method)(*args)
    _unsupported(exc, function, domain)
