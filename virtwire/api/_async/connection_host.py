"""Connection methods about the host (node info, CPU, memory, capabilities, versions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from virtwire.api._async.base import Caller
from virtwire.api.typed_params import LLONG, STRING, ULLONG, pack_known_params, pack_typed_params
from virtwire.api.typed_params import unpack_typed_params as _unpack
from virtwire.protocol.lookup import make_args

#: ``VIR_NODE_CPU_STATS_ALL_CPUS`` / ``VIR_NODE_MEMORY_STATS_ALL_CELLS``
_ALL: Final = -1

#: Types of the ``VIR_CONNECT_IDENTITY_*`` fields.
IDENTITY_TYPES: Final[dict[str, int]] = {
    "user-name": STRING,
    "unix-user-id": ULLONG,
    "group-name": STRING,
    "unix-group-id": ULLONG,
    "process-id": LLONG,
    "process-time": ULLONG,
    "sasl-user-name": STRING,
    "x509-distinguished-name": STRING,
    "selinux-context": STRING,
}


def _text(raw: bytes | str) -> str:
    """A C string from a fixed or variable ``char`` array (up to its first NUL)."""
    if isinstance(raw, str):
        return raw.split("\0", 1)[0]
    return bytes(raw).split(b"\0", 1)[0].decode("utf-8", "replace")


class HostMethods(Caller):
    """Connection methods about the host (node info, CPU, memory, capabilities, versions)."""

    __slots__ = ()

    # ------------------------------------------------------------------ versions

    async def _hv_version(self) -> int:
        return int((await self.call("connect_get_version")).hv_ver)

    async def get_major_version(self) -> int:
        """The major part of :meth:`get_version`."""
        return await self._hv_version() // 1000000

    async def get_minor_version(self) -> int:
        """The minor part of :meth:`get_version`."""
        return await self._hv_version() // 1000 % 1000

    async def get_micro_version(self) -> int:
        """The micro part of :meth:`get_version`."""
        return await self._hv_version() % 1000

    # ------------------------------------------------------------------ node

    async def get_node_info(self) -> dict[str, Any]:
        """The host's CPU and memory summary: model, memory (KiB), cpus, mhz, nodes,
        sockets, cores, threads."""
        r = await self.call("node_get_info")
        return {
            "model": _text(r.model),
            "memory": int(r.memory),
            "cpus": int(r.cpus),
            "mhz": int(r.mhz),
            "nodes": int(r.nodes),
            "sockets": int(r.sockets),
            "cores": int(r.cores),
            "threads": int(r.threads),
        }

    async def get_node_cpu_map(self, flags: int = 0) -> tuple[int, bytes, int]:
        """``(totcpus, onlinemap, totonline)``; ``onlinemap`` has bit ``n`` set (LSB first)
        when CPU ``n`` is online."""
        r = await self.call(
            "node_get_cpu_map",
            self._args("node_get_cpu_map", need_map=1, need_online=1, flags=flags),
        )
        return int(r.ret), bytes(r.cpumap), int(r.online)

    async def get_node_free_memory(self) -> int:
        """Free memory of the host in bytes."""
        return int((await self.call("node_get_free_memory")).freeMem)

    async def get_node_cells_free_memory(self, start: int, end: int) -> list[int]:
        """Free memory (bytes) of each NUMA cell from ``start`` to ``end`` inclusive."""
        r = await self.call(
            "node_get_cells_free_memory",
            self._args("node_get_cells_free_memory", startCell=start, maxcells=end - start + 1),
        )
        return [int(c) for c in r.cells]

    async def get_node_free_pages(
        self, pagesizes: Sequence[int], start: int, end: int, flags: int = 0
    ) -> list[dict[str, Any]]:
        """Free pages per NUMA cell: ``[{"cell": n, "pages": {size_kib: count}}, ...]``."""
        sizes = [int(s) for s in pagesizes]
        count = end - start + 1
        r = await self.call(
            "node_get_free_pages",
            self._args(
                "node_get_free_pages",
                pages=sizes,
                startCell=start,
                cellCount=count,
                flags=flags,
            ),
        )
        counts = [int(c) for c in r.counts]
        out = []
        for i in range(count):
            row = counts[i * len(sizes) : (i + 1) * len(sizes)]
            out.append({"cell": start + i, "pages": dict(zip(sizes, row, strict=False))})
        return out

    async def node_alloc_pages(
        self, pages: Sequence[Sequence[int]], start: int, end: int, flags: int = 0
    ) -> int:
        """Allocate huge pages: ``pages`` is ``[[size_kib, count], ...]``, the same on each
        NUMA cell from ``start`` to ``end``; returns how many were allocated."""
        r = await self.call(
            "node_alloc_pages",
            self._args(
                "node_alloc_pages",
                pageSizes=[int(p[0]) for p in pages],
                pageCounts=[int(p[1]) for p in pages],
                startCell=start,
                cellCount=end - start + 1,
                flags=flags,
            ),
        )
        return int(r.ret)

    async def get_node_cpu_stats(self, cpuNum: int = _ALL, flags: int = 0) -> dict[str, int]:
        """CPU times of one CPU (or all): kernel, user, idle, iowait (and utilization)."""
        return await self._stats("node_get_cpu_stats", cpuNum=cpuNum, flags=flags)

    async def get_node_memory_stats(self, cellNum: int = _ALL, flags: int = 0) -> dict[str, int]:
        """Memory figures of one NUMA cell (or all): total, free, buffers, cached (KiB)."""
        return await self._stats("node_get_memory_stats", cellNum=cellNum, flags=flags)

    async def _stats(self, proc: str, **args: int) -> dict[str, int]:
        first = await self.call(proc, self._args(proc, nparams=0, **args))
        r = await self.call(proc, self._args(proc, nparams=int(first.nparams), **args))
        return {str(p.field): int(p.value) for p in r.params}

    async def get_node_memory_parameters(self, flags: int = 0) -> dict[str, Any]:
        """The host's memory tunables (``NODE_MEMORY_SHARED_*`` keys)."""
        return _unpack(await self._memory_parameters(flags))

    async def _memory_parameters(self, flags: int) -> list[Any]:
        proc = "node_get_memory_parameters"
        first = await self.call(proc, self._args(proc, nparams=0, flags=flags))
        r = await self.call(proc, self._args(proc, nparams=int(first.nparams), flags=flags))
        return list(r.params)

    async def set_node_memory_parameters(self, params: Mapping[str, Any], flags: int = 0) -> None:
        """Change the host's memory tunables; keys the daemon doesn't report are ignored."""
        current = await self._memory_parameters(0)
        await self.call(
            "node_set_memory_parameters",
            self._args(
                "node_set_memory_parameters",
                params=pack_known_params(params, current),
                flags=flags,
            ),
        )

    async def get_node_sev_info(self, flags: int = 0) -> dict[str, Any]:
        """AMD SEV facts of the host (``SEV_*`` keys)."""
        proc = "node_get_sev_info"
        r = await self.call(proc, self._args(proc, nparams=0, flags=flags))
        return _unpack(r.params)

    async def get_node_security_model(self) -> dict[str, str]:
        """The host's security model: ``{"model": ..., "doi": ...}``."""
        r = await self.call("node_get_security_model")
        return {"model": _text(r.model), "doi": _text(r.doi)}

    async def node_suspend_for_duration(self, target: int, duration: int, flags: int = 0) -> None:
        """Suspend the host (``NODE_SUSPEND_TARGET_*``) for ``duration`` seconds."""
        await self.call(
            "node_suspend_for_duration",
            self._args("node_suspend_for_duration", target=target, duration=duration, flags=flags),
        )

    # ------------------------------------------------------------------ hypervisor

    async def get_max_vcpus(self, domtype: str | None = None) -> int:
        """The most vCPUs a guest of type ``domtype`` may have."""
        proc = "connect_get_max_vcpus"
        r = await self.call(proc, self._args(proc, type=domtype))
        return int(r.max_vcpus)

    async def get_sysinfo(self, flags: int = 0) -> str:
        """The host's SMBIOS data as XML."""
        r = await self.call("connect_get_sysinfo", self._args("connect_get_sysinfo", flags=flags))
        return str(r.sysinfo)

    async def get_domain_capabilities(
        self,
        emulator: str | None = None,
        arch: str | None = None,
        machine: str | None = None,
        virttype: str | None = None,
        flags: int = 0,
    ) -> str:
        """The capabilities XML of a guest configuration."""
        r = await self.call(
            "connect_get_domain_capabilities",
            self._args(
                "connect_get_domain_capabilities",
                emulatorbin=emulator,
                arch=arch,
                machine=machine,
                virttype=virttype,
                flags=flags,
            ),
        )
        return str(r.capabilities)

    async def get_storage_pool_capabilities(self, flags: int = 0) -> str:
        """The storage driver's capabilities XML."""
        proc = "connect_get_storage_pool_capabilities"
        r = await self.call(proc, self._args(proc, flags=flags))
        return str(r.capabilities)

    async def baseline_cpu(self, xml: Sequence[str], flags: int = 0) -> str:
        """The CPU model every CPU described in ``xml`` can run (``BASELINE_CPU_*`` flags)."""
        proc = "connect_baseline_cpu"
        r = await self.call(proc, self._args(proc, xmlCPUs=list(xml), flags=flags))
        return str(r.cpu)

    async def baseline_hypervisor_cpu(
        self,
        emulator: str | None,
        arch: str | None,
        machine: str | None,
        virttype: str | None,
        xml: Sequence[str],
        flags: int = 0,
    ) -> str:
        """:meth:`baseline_cpu` for a given hypervisor (emulator or arch required)."""
        proc = "connect_baseline_hypervisor_cpu"
        args = self._args(
            proc,
            emulator=emulator,
            arch=arch,
            machine=machine,
            virttype=virttype,
            xmlCPUs=list(xml),
            flags=flags,
        )
        return str((await self.call(proc, args)).cpu)

    async def compare_cpu(self, xml: str, flags: int = 0) -> int:
        """How the CPU in ``xml`` compares with the host's (``CPU_COMPARE_*``)."""
        proc = "connect_compare_cpu"
        return int((await self.call(proc, self._args(proc, xml=xml, flags=flags))).result)

    async def compare_hypervisor_cpu(
        self,
        emulator: str | None,
        arch: str | None,
        machine: str | None,
        virttype: str | None,
        xml: str,
        flags: int = 0,
    ) -> int:
        """:meth:`compare_cpu` against what a given hypervisor can provide."""
        proc = "connect_compare_hypervisor_cpu"
        args = self._args(
            proc,
            emulator=emulator,
            arch=arch,
            machine=machine,
            virttype=virttype,
            xmlCPU=xml,
            flags=flags,
        )
        return int((await self.call(proc, args)).result)

    async def get_cpu_model_names(self, arch: str, flags: int = 0) -> list[str]:
        """The CPU model names known for ``arch``."""
        proc = "connect_get_cpu_model_names"
        r = await self.call(proc, self._args(proc, arch=arch, need_results=1, flags=flags))
        return [str(m) for m in r.models]

    async def set_identity(self, identity: Mapping[str, Any], flags: int = 0) -> None:
        """Change the identity the daemon checks access against (``IDENTITY_*`` keys)."""
        proc = "connect_set_identity"
        params = pack_typed_params(identity, IDENTITY_TYPES)
        await self.call(proc, self._args(proc, params=params, flags=flags))

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _args(proc: str, **fields: Any) -> Any:
        return make_args(proc, **fields)
