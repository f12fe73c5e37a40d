"""Sys::Virt::Domain: a guest domain (asyncio)."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from virtwire.api._async.base import RemoteObject, UuidMethods
from virtwire.api.sysvirt_gen import DomainConstants
from virtwire.api.typed_params import (
    BLOCK_COPY_TYPES,
    BOOLEAN,
    IOTHREAD_PARAM_TYPES,
    LAUNCH_SECURITY_STATE_TYPES,
    MIGRATE_PARAM_TYPES,
    SAVE_PARAM_TYPES,
    STRING_OKAY,
    pack_known_params,
    pack_typed_params,
    unpack_typed_params,
)
from virtwire.constants_gen import virDomainMemoryStatTags, virDomainMigrateFlags, virDomainState
from virtwire.errors import Error
from virtwire.protocol import remote_gen as r

if TYPE_CHECKING:
    from virtwire.api._async.domain_checkpoint import DomainCheckpoint
    from virtwire.api._async.domain_snapshot import DomainSnapshot
    from virtwire.api._async.stream import Stream

#: Sys::Virt's key for each ``VIR_DOMAIN_MEMORY_STAT_*`` tag.
MEMORY_STAT_KEYS: dict[int, str] = {
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_SWAP_IN: "swap_in",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_SWAP_OUT: "swap_out",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_MAJOR_FAULT: "major_fault",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_MINOR_FAULT: "minor_fault",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_UNUSED: "unused",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_AVAILABLE: "available",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON: "actual_balloon",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_RSS: "rss",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_USABLE: "usable",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_LAST_UPDATE: "last_update",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_DISK_CACHES: "disk_caches",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGALLOC: "hugetlb_pgalloc",
    virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_HUGETLB_PGFAIL: "hugetlb_pgfail",
}

#: Block statistics renamed by Sys::Virt for compatibility with its older hash.
_BLOCK_STATS_RENAMES = {
    "rd_operations": "rd_reqs",
    "wr_operations": "wr_reqs",
    "flush_operations": "flush_reqs",
}

# Internal driver features asked with ``connect_supports_feature`` (libvirt's numbering).
_FEATURE_MIGRATION_P2P = 4
_FEATURE_TYPED_PARAM_STRING = 8
_FEATURE_MIGRATION_DIRECT = 5
_FEATURE_MIGRATION_V3 = 6
_FEATURE_MIGRATION_OFFLINE = 12
_FEATURE_MIGRATION_PARAMS = 13

_MIGRATE_P2P = int(virDomainMigrateFlags.VIR_MIGRATE_PEER2PEER)
_MIGRATE_TUNNELLED = int(virDomainMigrateFlags.VIR_MIGRATE_TUNNELLED)
_MIGRATE_PAUSED = int(virDomainMigrateFlags.VIR_MIGRATE_PAUSED)
_MIGRATE_OFFLINE = int(virDomainMigrateFlags.VIR_MIGRATE_OFFLINE)
_MIGRATE_CHANGE_PROTECTION = int(virDomainMigrateFlags.VIR_MIGRATE_CHANGE_PROTECTION)


#: Per connection: whether the daemon's driver accepts ``VIR_TYPED_PARAM_STRING_OKAY``.
_STRING_OKAY_CACHE: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()


def _unsupported(function: str) -> Error:
    return Error(
        f"this function is not supported by the connection driver: {function}",
        code=Error.ERR_NO_SUPPORT,
        domain=Error.FROM_DOMAIN,
    )


def _invalid_arg(function: str, what: str) -> Error:
    return Error(
        f"invalid argument in {function}: {what}",
        code=Error.ERR_INVALID_ARG,
        domain=Error.FROM_DOMAIN,
    )


def _label(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _maplen(cpus: int) -> int:
    return (cpus + 7) // 8


def _migrate_legacy_params(
    dxml: str | None, dname: str | None, uri: str | None, bandwidth: int | None
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if dxml is not None:
        params["destination_xml"] = dxml
    if dname is not None:
        params["destination_name"] = dname
    if uri is not None:
        params["migrate_uri"] = uri
    if bandwidth is not None:
        params["bandwidth"] = bandwidth
    return params


def _split_migrate_args(args: Sequence[Any]) -> tuple[dict[str, Any], int]:
    """Sys::Virt's two calling forms: ``(\\%params, flags)`` or ``(flags, dname, uri, bw)``."""
    if args and isinstance(args[0], Mapping):
        flags = int(args[1]) if len(args) > 1 and args[1] is not None else 0
        return dict(args[0]), flags
    rest = list(args) + [None] * (4 - len(args))
    flags, dname, uri, bandwidth = rest[:4]
    return _migrate_legacy_params(None, dname, uri, bandwidth), int(flags or 0)


class Domain(DomainConstants, UuidMethods, RemoteObject):
    """A guest domain, as Sys::Virt::Domain; compares by UUID."""

    __slots__ = ()

    _identity: ClassVar[tuple[str, ...]] = ("uuid",)

    # ------------------------------------------------------------------ plumbing

    _arg: ClassVar[str] = "dom"

    def _set_id(self, dom_id: int) -> None:
        ref = self._ref
        self._ref = r.remote_nonnull_domain(name=ref.name, uuid=ref.uuid, id=dom_id)

    def _wrap(self, conn: Any, ref: Any) -> Domain:
        return type(self)(conn, ref)

    def _snapshot(self, ref: Any) -> DomainSnapshot:
        from virtwire.api._async.domain_snapshot import DomainSnapshot

        return DomainSnapshot(self._conn, ref)

    def _checkpoint(self, ref: Any) -> DomainCheckpoint:
        from virtwire.api._async.domain_checkpoint import DomainCheckpoint

        return DomainCheckpoint(self._conn, ref)

    async def _host_maplen(self) -> int:
        node = await self._conn.call("node_get_info")
        return _maplen(int(node.nodes) * int(node.sockets) * int(node.cores) * int(node.threads))

    async def _string_okay(self) -> int:
        """``STRING_OKAY`` if the driver takes string parameters, else 0 (as libvirt asks)."""
        cached = _STRING_OKAY_CACHE.get(self._conn)
        if cached is None:
            supported = await self._supports(self._conn, _FEATURE_TYPED_PARAM_STRING)
            cached = STRING_OKAY if supported else 0
            _STRING_OKAY_CACHE[self._conn] = cached
        return cached

    @staticmethod
    async def _stream_call(proc: str, args: Any, st: Stream) -> Any:
        return await st._open(proc, args)

    # ------------------------------------------------------------------ identity

    def get_id(self) -> int:
        """The domain's id (-1 when it is not running)."""
        return int(self._ref.id)

    def get_name(self) -> str:
        """The domain's name."""
        return str(self._ref.name)

    async def get_hostname(self, flags: int = 0) -> str:
        """The guest's hostname."""
        return str((await self._do("domain_get_hostname", flags=flags)).hostname)

    async def get_metadata(self, type: int, uri: str | None = None, flags: int = 0) -> str:
        """The metadata element of ``type`` (``uri`` names the namespace of an element)."""
        ret = await self._do("domain_get_metadata", type=type, uri=uri, flags=flags)
        return str(ret.metadata)

    async def set_metadata(
        self,
        type: int,
        val: str | None = None,
        key: str | None = None,
        uri: str | None = None,
        flags: int = 0,
    ) -> None:
        """Set (or with ``val=None`` remove) the metadata element of ``type``."""
        await self._do(
            "domain_set_metadata", type=type, metadata=val, key=key, uri=uri, flags=flags
        )

    async def is_active(self) -> int:
        """1 if the domain is running, else 0."""
        return int((await self._do("domain_is_active")).active)

    async def is_persistent(self) -> int:
        """1 if the domain has a persistent configuration, else 0."""
        return int((await self._do("domain_is_persistent")).persistent)

    async def is_updated(self) -> int:
        """1 if the running domain's persistent configuration differs from the live one."""
        return int((await self._do("domain_is_updated")).updated)

    async def get_xml_description(self, flags: int = 0) -> str:
        """The domain's XML description."""
        return str((await self._do("domain_get_xml_desc", flags=flags)).xml)

    async def get_os_type(self) -> str:
        """The OS type of the guest (``hvm``, ``linux``...)."""
        return str((await self._do("domain_get_os_type")).type)

    # ------------------------------------------------------------------ life cycle

    async def create(self, flags: int = 0) -> None:
        """Start the defined domain."""
        if flags:
            ret = await self._do("domain_create_with_flags", flags=flags)
            self._set_id(int(ret.dom.id))
            return
        await self._do("domain_create")
        ret = await self._conn.call(
            "domain_lookup_by_uuid", r.remote_domain_lookup_by_uuid_args(uuid=self._ref.uuid)
        )
        self._set_id(int(ret.dom.id))

    async def create_with_files(self, fds: Sequence[int], flags: int = 0) -> None:
        """Start the defined domain, passing ``fds`` to its init process."""
        args = r.remote_domain_create_with_files_args(dom=self._ref, flags=flags)
        ret = await self._conn.call("domain_create_with_files", args, fds=list(fds))
        if isinstance(ret, tuple):
            ret = ret[0]
        self._set_id(int(ret.dom.id))

    async def undefine(self, flags: int = 0) -> None:
        """Remove the persistent configuration."""
        if flags:
            await self._do("domain_undefine_flags", flags=flags)
        else:
            await self._do("domain_undefine")

    async def suspend(self) -> None:
        """Pause the guest's CPUs."""
        await self._do("domain_suspend")

    async def resume(self) -> None:
        """Resume a paused guest."""
        await self._do("domain_resume")

    async def pm_wakeup(self, flags: int = 0) -> None:
        """Wake the guest from a power-management suspend."""
        await self._do("domain_pm_wakeup", flags=flags)

    async def pm_suspend_for_duration(self, target: int, duration: int, flags: int = 0) -> None:
        """Suspend the guest to ``target`` for ``duration`` seconds (0: until woken)."""
        await self._do(
            "domain_pm_suspend_for_duration", target=target, duration=duration, flags=flags
        )

    async def save(
        self,
        filename: str,
        dxml: str | None = None,
        params: Mapping[str, Any] | None = None,
        flags: int = 0,
    ) -> None:
        """Save the guest's state to ``filename`` and stop it."""
        if params:
            values = dict(params)
            values.setdefault("file", filename)
            if dxml is not None:
                values.setdefault("dxml", dxml)
            packed = pack_typed_params(values, SAVE_PARAM_TYPES)
            await self._do("domain_save_params", params=packed, flags=flags)
        elif dxml is not None or flags:
            await self._do("domain_save_flags", to=filename, dxml=dxml, flags=flags)
        else:
            await self._do("domain_save", to=filename)

    async def managed_save(self, flags: int = 0) -> None:
        """Save the guest's state to the managed location and stop it."""
        await self._do("domain_managed_save", flags=flags)

    async def has_managed_save_image(self, flags: int = 0) -> int:
        """1 if a managed save image exists."""
        return int((await self._do("domain_has_managed_save_image", flags=flags)).result)

    async def managed_save_remove(self, flags: int = 0) -> None:
        """Remove the managed save image."""
        await self._do("domain_managed_save_remove", flags=flags)

    async def managed_save_define_xml(self, xml: str, flags: int = 0) -> None:
        """Replace the XML stored in the managed save image."""
        await self._do("domain_managed_save_define_xml", dxml=xml, flags=flags)

    async def managed_save_get_xml_description(self, flags: int = 0) -> str:
        """The XML stored in the managed save image."""
        return str((await self._do("domain_managed_save_get_xml_desc", flags=flags)).xml)

    async def core_dump(self, filename: str, flags: int = 0) -> None:
        """Dump the guest's memory to ``filename``."""
        await self._do("domain_core_dump", to=filename, flags=flags)

    async def core_dump_format(self, filename: str, format: int, flags: int = 0) -> None:
        """Dump the guest's memory to ``filename`` in ``format``."""
        await self._do("domain_core_dump_with_format", to=filename, dumpformat=format, flags=flags)

    async def destroy(self, flags: int = 0) -> None:
        """Power the guest off at once."""
        if flags:
            await self._do("domain_destroy_flags", flags=flags)
        else:
            await self._do("domain_destroy")
        self._set_id(-1)

    async def shutdown(self, flags: int = 0) -> None:
        """Ask the guest OS to shut down."""
        if flags:
            await self._do("domain_shutdown_flags", flags=flags)
        else:
            await self._do("domain_shutdown")

    async def reboot(self, flags: int = 0) -> None:
        """Ask the guest OS to reboot."""
        await self._do("domain_reboot", flags=flags)

    async def reset(self, flags: int = 0) -> None:
        """Reset the guest's virtual hardware."""
        await self._do("domain_reset", flags=flags)

    async def inject_nmi(self, flags: int = 0) -> None:
        """Send a non-maskable interrupt to the guest."""
        await self._do("domain_inject_nmi", flags=flags)

    async def rename(self, newname: str, flags: int = 0) -> None:
        """Rename the inactive domain."""
        await self._do("domain_rename", new_name=newname, flags=flags)
        ref = self._ref
        self._ref = r.remote_nonnull_domain(name=newname, uuid=ref.uuid, id=ref.id)

    # ------------------------------------------------------------------ state

    async def get_info(self) -> dict[str, int]:
        """``{state, maxMem, memory, nrVirtCpu, cpuTime}``."""
        ret = await self._do("domain_get_info")
        return {
            "state": int(ret.state),
            "maxMem": int(ret.maxMem),
            "memory": int(ret.memory),
            "nrVirtCpu": int(ret.nrVirtCpu),
            "cpuTime": int(ret.cpuTime),
        }

    async def get_state(self, flags: int = 0) -> tuple[int, int]:
        """``(state, reason)``."""
        ret = await self._do("domain_get_state", flags=flags)
        return int(ret.state), int(ret.reason)

    async def get_control_info(self, flags: int = 0) -> dict[str, int]:
        """``{state, details, stateTime}`` of the control channel."""
        ret = await self._do("domain_get_control_info", flags=flags)
        return {
            "state": int(ret.state),
            "details": int(ret.details),
            "stateTime": int(ret.stateTime),
        }

    async def get_time(self, flags: int = 0) -> list[int]:
        """``[seconds, nanoseconds]`` of the guest's clock."""
        ret = await self._do("domain_get_time", flags=flags)
        return [int(ret.seconds), int(ret.nseconds)]

    async def set_time(self, secs: int, nsecs: int, flags: int = 0) -> None:
        """Set the guest's clock."""
        await self._do("domain_set_time", seconds=secs, nseconds=nsecs, flags=flags)

    async def set_user_password(self, username: str, password: str, flags: int = 0) -> None:
        """Set the password of a guest user account."""
        await self._do("domain_set_user_password", user=username, password=password, flags=flags)

    async def get_disk_errors(self, flags: int = 0) -> list[dict[str, Any]]:
        """``[{path, error}]`` for every disk with an error."""
        count = await self._do("domain_get_disk_errors", maxerrors=0, flags=0)
        ret = await self._do("domain_get_disk_errors", maxerrors=int(count.nerrors), flags=flags)
        return [{"path": str(e.disk), "error": int(e.error)} for e in ret.errors]

    async def send_key(
        self, keycodeset: int, holdtime: int, keycodes: Sequence[int], flags: int = 0
    ) -> None:
        """Send key presses (codes of ``keycodeset``) to the guest."""
        await self._do(
            "domain_send_key",
            codeset=keycodeset,
            holdtime=holdtime,
            keycodes=list(keycodes),
            flags=flags,
        )

    async def get_block_info(self, dev: str, flags: int = 0) -> dict[str, int]:
        """``{capacity, allocation, physical}`` of a disk's backing store."""
        ret = await self._do("domain_get_block_info", path=dev, flags=flags)
        return {
            "capacity": int(ret.capacity),
            "allocation": int(ret.allocation),
            "physical": int(ret.physical),
        }

    # ------------------------------------------------------------------ memory and CPUs

    async def get_max_memory(self) -> int:
        """The maximum memory in KiB."""
        return int((await self._do("domain_get_max_memory")).memory)

    async def set_max_memory(self, mem: int) -> None:
        """Set the maximum memory in KiB."""
        await self._do("domain_set_max_memory", memory=mem)

    async def set_memory(self, mem: int, flags: int = 0) -> None:
        """Set the current memory in KiB."""
        if flags:
            await self._do("domain_set_memory_flags", memory=mem, flags=flags)
        else:
            await self._do("domain_set_memory", memory=mem)

    async def set_memory_stats_period(self, period: int, flags: int = 0) -> None:
        """Set the memory statistics refresh period in seconds."""
        await self._do("domain_set_memory_stats_period", period=period, flags=flags)

    async def get_max_vcpus(self) -> int:
        """The maximum number of vCPUs."""
        return int((await self._do("domain_get_max_vcpus")).num)

    async def set_vcpus(self, count: int, flags: int = 0) -> None:
        """Set the number of vCPUs."""
        if flags:
            await self._do("domain_set_vcpus_flags", nvcpus=count, flags=flags)
        else:
            await self._do("domain_set_vcpus", nvcpus=count)

    async def set_vcpu(self, cpumap: str, state: int, flags: int = 0) -> None:
        """Enable or disable the vCPUs listed in ``cpumap`` (``"0-3,^1"``)."""
        await self._do("domain_set_vcpu", cpumap=cpumap, state=state, flags=flags)

    async def get_vcpus(self, flags: int = 0) -> int:
        """The number of vCPUs."""
        return int((await self._do("domain_get_vcpus_flags", flags=flags)).num)

    async def set_guest_vcpus(self, cpumap: str, state: int, flags: int = 0) -> None:
        """Set guest OS CPUs online (1) or offline (0)."""
        await self._do("domain_set_guest_vcpus", cpumap=cpumap, state=state, flags=flags)

    async def get_guest_vcpus(self, flags: int = 0) -> dict[str, Any]:
        """``{vcpus, online, offlinable}`` bitmap strings from the guest agent."""
        ret = await self._do("domain_get_guest_vcpus", flags=flags)
        return unpack_typed_params(ret.params)

    async def get_vcpu_info(self, flags: int = 0) -> list[dict[str, Any]]:
        """``[{number, state, cpuTime, cpu, affinity}]``; ``affinity`` is a CPU bitmap.

        ``state``, ``cpuTime`` and ``cpu`` are 0 unless ``flags`` is 0 and the guest runs.
        """
        maplen = await self._host_maplen()
        nvcpus = int((await self._do("domain_get_info")).nrVirtCpu)
        infos: list[Any] | None = None
        if not flags:
            try:
                ret = await self._do("domain_get_vcpus", maxinfo=nvcpus, maplen=maplen)
                infos = list(ret.info)
                cpumaps = bytes(ret.cpumaps)
                count = len(infos)
            except Error as exc:
                if exc.code != Error.ERR_OPERATION_INVALID:
                    raise
        if infos is None:
            pin = await self._do(
                "domain_get_vcpu_pin_info", ncpumaps=nvcpus, maplen=maplen, flags=flags
            )
            cpumaps = bytes(pin.cpumaps)
            count = int(pin.num)
        out = []
        for i in range(count):
            info = infos[i] if infos is not None else None
            out.append(
                {
                    "number": i,
                    "state": int(info.state) if info else 0,
                    "cpuTime": int(info.cpu_time) if info else 0,
                    "cpu": int(info.cpu) if info else 0,
                    "affinity": cpumaps[i * maplen : (i + 1) * maplen],
                }
            )
        return out

    async def pin_vcpu(self, vcpu: int, mask: bytes, flags: int = 0) -> None:
        """Pin vCPU ``vcpu`` to the host CPUs set in the bitmap ``mask``."""
        if flags:
            await self._do("domain_pin_vcpu_flags", vcpu=vcpu, cpumap=bytes(mask), flags=flags)
        else:
            await self._do("domain_pin_vcpu", vcpu=vcpu, cpumap=bytes(mask))

    async def get_emulator_pin_info(self, flags: int = 0) -> bytes:
        """The emulator threads' CPU bitmap."""
        maplen = await self._host_maplen()
        ret = await self._do("domain_get_emulator_pin_info", maplen=maplen, flags=flags)
        return bytes(ret.cpumaps)

    async def pin_emulator(self, newmask: bytes, flags: int = 0) -> None:
        """Pin the emulator threads to the host CPUs set in ``newmask``."""
        await self._do("domain_pin_emulator", cpumap=bytes(newmask), flags=flags)

    async def get_iothread_info(self, flags: int = 0) -> list[dict[str, Any]]:
        """``[{number, affinity}]`` for every IOThread."""
        ret = await self._do("domain_get_iothread_info", flags=flags)
        return [{"number": int(i.iothread_id), "affinity": bytes(i.cpumap)} for i in ret.info]

    async def pin_iothread(self, iothread: int, mask: bytes, flags: int = 0) -> None:
        """Pin an IOThread to the host CPUs set in ``mask``."""
        await self._do(
            "domain_pin_iothread", iothreads_id=iothread, cpumap=bytes(mask), flags=flags
        )

    async def add_iothread(self, iothread: int, flags: int = 0) -> None:
        """Add an IOThread."""
        await self._do("domain_add_iothread", iothread_id=iothread, flags=flags)

    async def del_iothread(self, iothread: int, flags: int = 0) -> None:
        """Delete an IOThread."""
        await self._do("domain_del_iothread", iothread_id=iothread, flags=flags)

    async def set_iothread(self, iothread: int, params: Mapping[str, Any], flags: int = 0) -> None:
        """Set an IOThread's parameters (``poll_max_ns``...)."""
        packed = pack_typed_params(params, IOTHREAD_PARAM_TYPES)
        await self._do(
            "domain_set_iothread_params", iothread_id=iothread, params=packed, flags=flags
        )

    async def get_cpu_stats(
        self, start_cpu: int, num_cpus: int, flags: int = 0
    ) -> list[dict[str, Any]]:
        """One dict of statistics per host CPU; ``(-1, 1)`` gives the totals."""
        probe_start = -1 if start_cpu == -1 else 0
        ret = await self._do(
            "domain_get_cpu_stats", nparams=0, start_cpu=probe_start, ncpus=1, flags=0
        )
        nparams = int(ret.nparams)
        if num_cpus == 0:
            ret = await self._do("domain_get_cpu_stats", nparams=0, start_cpu=0, ncpus=0, flags=0)
            num_cpus = int(ret.nparams)
        ret = await self._do(
            "domain_get_cpu_stats",
            nparams=nparams,
            start_cpu=start_cpu,
            ncpus=num_cpus,
            flags=flags | await self._string_okay(),
        )
        stride = int(ret.nparams)
        params = list(ret.params)
        if stride <= 0:
            return []
        return [
            unpack_typed_params(p for p in params[i : i + stride] if p.field)
            for i in range(0, len(params), stride)
        ]

    async def get_scheduler_type(self) -> str:
        """The scheduler's name."""
        return str((await self._do("domain_get_scheduler_type")).type)

    async def get_scheduler_parameters(self, flags: int = 0) -> dict[str, Any]:
        """The scheduler's tunables."""
        return unpack_typed_params(await self._scheduler_params(flags))

    async def _scheduler_params(self, flags: int) -> list[Any]:
        nparams = int((await self._do("domain_get_scheduler_type")).nparams)
        if flags:
            ret = await self._do(
                "domain_get_scheduler_parameters_flags",
                nparams=nparams,
                flags=flags | await self._string_okay(),
            )
        else:
            ret = await self._do("domain_get_scheduler_parameters", nparams=nparams)
        return list(ret.params)

    async def set_scheduler_parameters(self, params: Mapping[str, Any], flags: int = 0) -> None:
        """Change scheduler tunables; keys the daemon does not report are ignored."""
        packed = pack_known_params(params, await self._scheduler_params(flags))
        if flags:
            await self._do("domain_set_scheduler_parameters_flags", params=packed, flags=flags)
        else:
            await self._do("domain_set_scheduler_parameters", params=packed)

    async def _counted_params(self, proc: str, flags: int, **fields: Any) -> list[Any]:
        """A getter that takes ``nparams``: ask the count with 0, then fetch."""
        ret = await self._do(proc, nparams=0, flags=flags | await self._string_okay(), **fields)
        count = int(ret.nparams)
        if count == 0:
            return []
        ret = await self._do(proc, nparams=count, flags=flags | await self._string_okay(), **fields)
        return list(ret.params)

    async def get_memory_parameters(self, flags: int = 0) -> dict[str, Any]:
        """Memory tunables (``hard_limit``...)."""
        return unpack_typed_params(
            await self._counted_params("domain_get_memory_parameters", flags)
        )

    async def set_memory_parameters(self, params: Mapping[str, Any], flags: int = 0) -> None:
        """Change memory tunables."""
        current = await self._counted_params("domain_get_memory_parameters", flags)
        packed = pack_known_params(params, current)
        await self._do("domain_set_memory_parameters", params=packed, flags=flags)

    async def get_blkio_parameters(self, flags: int = 0) -> dict[str, Any]:
        """Block I/O tunables (``weight``...)."""
        return unpack_typed_params(await self._counted_params("domain_get_blkio_parameters", flags))

    async def set_blkio_parameters(self, params: Mapping[str, Any], flags: int = 0) -> None:
        """Change block I/O tunables."""
        current = await self._counted_params("domain_get_blkio_parameters", flags)
        packed = pack_known_params(params, current)
        await self._do("domain_set_blkio_parameters", params=packed, flags=flags)

    async def get_numa_parameters(self, flags: int = 0) -> dict[str, Any]:
        """NUMA tunables (``numa_mode``, ``numa_nodeset``)."""
        return unpack_typed_params(await self._counted_params("domain_get_numa_parameters", flags))

    async def set_numa_parameters(self, params: Mapping[str, Any], flags: int = 0) -> None:
        """Change NUMA tunables."""
        current = await self._counted_params("domain_get_numa_parameters", flags)
        packed = pack_known_params(params, current)
        await self._do("domain_set_numa_parameters", params=packed, flags=flags)

    async def get_block_iotune(self, disk: str | None, flags: int = 0) -> dict[str, Any]:
        """I/O throttling of ``disk``."""
        return unpack_typed_params(
            await self._counted_params("domain_get_block_io_tune", flags, disk=disk)
        )

    async def set_block_iotune(self, disk: str, params: Mapping[str, Any], flags: int = 0) -> None:
        """Change I/O throttling of ``disk``."""
        current = await self._counted_params("domain_get_block_io_tune", flags, disk=disk)
        packed = pack_known_params(params, current)
        await self._do("domain_set_block_io_tune", disk=disk, params=packed, flags=flags)

    async def get_interface_parameters(self, intf: str, flags: int = 0) -> dict[str, Any]:
        """Bandwidth tunables of interface ``intf``."""
        return unpack_typed_params(
            await self._counted_params("domain_get_interface_parameters", flags, device=intf)
        )

    async def set_interface_parameters(
        self, intf: str, params: Mapping[str, Any], flags: int = 0
    ) -> None:
        """Change bandwidth tunables of interface ``intf``."""
        current = await self._counted_params("domain_get_interface_parameters", flags, device=intf)
        packed = pack_known_params(params, current)
        await self._do("domain_set_interface_parameters", device=intf, params=packed, flags=flags)

    async def get_perf_events(self, flags: int = 0) -> dict[str, Any]:
        """Perf events and whether each is enabled."""
        ret = await self._do("domain_get_perf_events", flags=flags)
        return unpack_typed_params(ret.params)

    async def set_perf_events(self, params: Mapping[str, Any], flags: int = 0) -> None:
        """Enable or disable perf events (``{name: bool}``)."""
        packed = pack_typed_params(params, {k: BOOLEAN for k in params})
        await self._do("domain_set_perf_events", params=packed, flags=flags)

    async def get_launch_security_info(self, flags: int = 0) -> dict[str, Any]:
        """Launch security measurements (``sev-measurement``...)."""
        ret = await self._do("domain_get_launch_security_info", flags=flags)
        return unpack_typed_params(ret.params)

    async def set_launch_security_state(self, params: Mapping[str, Any], flags: int = 0) -> None:
        """Inject a launch secret."""
        packed = pack_typed_params(params, LAUNCH_SECURITY_STATE_TYPES)
        await self._do("domain_set_launch_security_state", params=packed, flags=flags)

    async def get_guest_info(self, types: int = 0, flags: int = 0) -> dict[str, Any]:
        """Guest agent information of the ``GUEST_INFO_*`` kinds in ``types``."""
        ret = await self._do("domain_get_guest_info", types=types, flags=flags)
        return unpack_typed_params(ret.params)

    # ------------------------------------------------------------------ statistics

    async def block_stats(self, path: str, flags: int = 0) -> dict[str, Any]:
        """I/O statistics of disk ``path``."""
        try:
            params = await self._counted_params("domain_block_stats_flags", flags, path=path)
        except Error as exc:
            if exc.code != Error.ERR_NO_SUPPORT or flags:
                raise
            ret = await self._do("domain_block_stats", path=path)
            return {
                "rd_req": int(ret.rd_req),
                "rd_bytes": int(ret.rd_bytes),
                "wr_req": int(ret.wr_req),
                "wr_bytes": int(ret.wr_bytes),
                "errs": int(ret.errs),
            }
        stats = unpack_typed_params(params)
        return {_BLOCK_STATS_RENAMES.get(k, k): v for k, v in stats.items()}

    async def interface_stats(self, path: str) -> dict[str, int]:
        """Traffic statistics of interface ``path``."""
        ret = await self._do("domain_interface_stats", device=path)
        keys = (
            "rx_bytes",
            "rx_packets",
            "rx_errs",
            "rx_drop",
            "tx_bytes",
            "tx_packets",
            "tx_errs",
            "tx_drop",
        )
        return {k: int(getattr(ret, k)) for k in keys}

    async def memory_stats(self, flags: int = 0) -> dict[str, int]:
        """Memory statistics keyed as Sys::Virt does (``swap_in``, ``rss``...)."""
        nr = int(virDomainMemoryStatTags.VIR_DOMAIN_MEMORY_STAT_NR)
        ret = await self._do("domain_memory_stats", maxStats=nr, flags=flags)
        out: dict[str, int] = {}
        for stat in ret.stats:
            key = MEMORY_STAT_KEYS.get(int(stat.tag))
            if key is not None:
                out[key] = int(stat.val)
        return out

    async def block_peek(self, path: str, offset: int, size: int, flags: int = 0) -> bytes:
        """``size`` bytes of disk ``path`` from ``offset``."""
        ret = await self._do("domain_block_peek", path=path, offset=offset, size=size, flags=flags)
        return bytes(ret.buffer)

    async def memory_peek(self, offset: int, size: int, flags: int = 0) -> bytes:
        """``size`` bytes of guest memory from ``offset``."""
        ret = await self._do("domain_memory_peek", offset=offset, size=size, flags=flags)
        return bytes(ret.buffer)

    async def get_security_label(self) -> dict[str, Any]:
        """``{label, enforcing}`` of the first security label."""
        ret = await self._do("domain_get_security_label")
        return {"label": _label(bytes(ret.label)), "enforcing": int(ret.enforcing)}

    async def get_security_label_list(self) -> list[dict[str, Any]]:
        """``[{label, enforcing}]`` of every security label."""
        ret = await self._do("domain_get_security_label_list")
        return [
            {"label": _label(bytes(x.label)), "enforcing": int(x.enforcing)} for x in ret.labels
        ]

    # ------------------------------------------------------------------ devices

    async def attach_device(self, xml: str, flags: int = 0) -> None:
        """Hot-plug the device described by ``xml``."""
        if flags:
            await self._do("domain_attach_device_flags", xml=xml, flags=flags)
        else:
            await self._do("domain_attach_device", xml=xml)

    async def detach_device(self, xml: str, flags: int = 0) -> None:
        """Hot-unplug the device described by ``xml``."""
        if flags:
            await self._do("domain_detach_device_flags", xml=xml, flags=flags)
        else:
            await self._do("domain_detach_device", xml=xml)

    async def detach_device_alias(self, alias: str, flags: int = 0) -> None:
        """Hot-unplug the device with ``alias``."""
        await self._do("domain_detach_device_alias", alias=alias, flags=flags)

    async def update_device(self, xml: str, flags: int = 0) -> None:
        """Change the configuration of a device."""
        await self._do("domain_update_device_flags", xml=xml, flags=flags)

    async def get_autostart(self) -> int:
        """1 if the domain starts with the host."""
        return int((await self._do("domain_get_autostart")).autostart)

    async def set_autostart(self, flag: int | bool) -> None:
        """Set whether the domain starts with the host."""
        await self._do("domain_set_autostart", autostart=1 if flag else 0)

    async def block_resize(self, disk: str, newsize: int, flags: int = 0) -> None:
        """Resize ``disk`` to ``newsize`` KiB (bytes with ``BLOCK_RESIZE_BYTES``)."""
        await self._do("domain_block_resize", disk=disk, size=newsize, flags=flags)

    # ------------------------------------------------------------------ jobs

    async def get_job_info(self) -> dict[str, int]:
        """Progress of the background job."""
        ret = await self._do("domain_get_job_info")
        keys = (
            "type",
            "timeElapsed",
            "timeRemaining",
            "dataTotal",
            "dataProcessed",
            "dataRemaining",
            "memTotal",
            "memProcessed",
            "memRemaining",
            "fileTotal",
            "fileProcessed",
            "fileRemaining",
        )
        return {k: int(getattr(ret, k)) for k in keys}

    async def get_job_stats(self, flags: int = 0) -> tuple[int, dict[str, Any]]:
        """``(type, stats)`` of the background job."""
        ret = await self._do("domain_get_job_stats", flags=flags)
        return int(ret.type), unpack_typed_params(ret.params)

    async def abort_job(self, flags: int = 0) -> None:
        """Abort the background job."""
        if flags:
            await self._do("domain_abort_job_flags", flags=flags)
        else:
            await self._do("domain_abort_job")

    async def get_block_job_info(self, path: str, flags: int = 0) -> dict[str, int]:
        """``{type, bandwidth, cur, end}`` of the block job on ``path``."""
        ret = await self._do("domain_get_block_job_info", path=path, flags=flags)
        return {
            "type": int(ret.type),
            "bandwidth": int(ret.bandwidth),
            "cur": int(ret.cur),
            "end": int(ret.end),
        }

    async def set_block_job_speed(self, path: str, bandwidth: int, flags: int = 0) -> None:
        """Limit the bandwidth of the block job on ``path``."""
        await self._do("domain_block_job_set_speed", path=path, bandwidth=bandwidth, flags=flags)

    async def abort_block_job(self, path: str, flags: int = 0) -> None:
        """Abort the block job on ``path``."""
        await self._do("domain_block_job_abort", path=path, flags=flags)

    async def block_pull(self, path: str, bandwidth: int, flags: int = 0) -> None:
        """Pull the backing chain of ``path`` into its top image."""
        await self._do("domain_block_pull", path=path, bandwidth=bandwidth, flags=flags)

    async def block_rebase(
        self, path: str, base: str | None, bandwidth: int, flags: int = 0
    ) -> None:
        """Make ``base`` the backing file of ``path``."""
        await self._do(
            "domain_block_rebase", path=path, base=base, bandwidth=bandwidth, flags=flags
        )

    async def block_copy(
        self, path: str, destxml: str, params: Mapping[str, Any] | None = None, flags: int = 0
    ) -> None:
        """Copy disk ``path`` to the destination described by ``destxml``."""
        packed = pack_typed_params(params or {}, BLOCK_COPY_TYPES)
        await self._do("domain_block_copy", path=path, destxml=destxml, params=packed, flags=flags)

    async def block_commit(
        self, path: str, base: str | None, top: str | None, bandwidth: int, flags: int = 0
    ) -> None:
        """Commit the changes of ``top`` into ``base``."""
        await self._do(
            "domain_block_commit",
            disk=path,
            base=base,
            top=top,
            bandwidth=bandwidth,
            flags=flags,
        )

    async def set_block_threshold(self, dev: str, threshold: int, flags: int = 0) -> None:
        """Fire ``EVENT_ID_BLOCK_THRESHOLD`` when ``dev`` is written past ``threshold``."""
        await self._do("domain_set_block_threshold", dev=dev, threshold=threshold, flags=flags)

    async def backup_begin(
        self, backupxml: str, checkpointxml: str | None = None, flags: int = 0
    ) -> None:
        """Start a backup job."""
        await self._do(
            "domain_backup_begin",
            backup_xml=backupxml,
            checkpoint_xml=checkpointxml,
            flags=flags,
        )

    async def backup_get_xml_description(self, flags: int = 0) -> str:
        """The XML of the running backup job."""
        return str((await self._do("domain_backup_get_xml_desc", flags=flags)).xml)

    # ------------------------------------------------------------------ migration

    async def _supports(self, conn: Any, feature: int) -> bool:
        ret = await conn.call(
            "connect_supports_feature", r.remote_connect_supports_feature_args(feature=feature)
        )
        return bool(ret.supported)

    async def migrate(self, destcon: Any, *args: Any) -> Domain:
        """Migrate to the connection ``destcon``; returns the domain there.

        ``migrate(destcon, params, flags=0)`` with ``params`` a dict of ``MIGRATE_PARAM_*``
        keys, or the older ``migrate(destcon, flags, dname, uri, bandwidth)``.
        """
        params, flags = _split_migrate_args(args)
        return await self._migrate3(destcon, params, flags)

    async def migrate2(
        self,
        destcon: Any,
        dxml: str | None = None,
        flags: int = 0,
        dname: str | None = None,
        uri: str | None = None,
        bandwidth: int | None = None,
    ) -> Domain:
        """Migrate to ``destcon`` with a new XML (older form of :meth:`migrate`)."""
        return await self._migrate3(
            destcon, _migrate_legacy_params(dxml, dname, uri, bandwidth), int(flags or 0)
        )

    async def _migrate3(self, destcon: Any, params: dict[str, Any], flags: int) -> Domain:
        if flags & _MIGRATE_P2P:
            raise _invalid_arg(
                "virDomainMigrate3", "use virDomainMigrateToURI3 for peer-to-peer migration"
            )
        if flags & _MIGRATE_TUNNELLED:
            raise _invalid_arg(
                "virDomainMigrate3",
                "cannot perform tunnelled migration without using peer2peer flag",
            )
        if flags & _MIGRATE_OFFLINE:
            for conn, where in ((self._conn, "source"), (destcon, "destination")):
                if not await self._supports(conn, _FEATURE_MIGRATION_OFFLINE):
                    raise Error(
                        f"offline migration is not supported by the {where} host",
                        code=Error.ERR_ARGUMENT_UNSUPPORTED,
                        domain=Error.FROM_DOMAIN,
                    )
        flags &= ~_MIGRATE_CHANGE_PROTECTION
        if not (
            await self._supports(self._conn, _FEATURE_MIGRATION_PARAMS)
            and await self._supports(destcon, _FEATURE_MIGRATION_PARAMS)
        ):
            raise _unsupported("virDomainMigrate3")
        return await self._migrate_v3_params(destcon, params, flags)

    async def _migrate_v3_params(self, destcon: Any, params: dict[str, Any], flags: int) -> Domain:
        """Begin on the source, prepare on the destination, perform, finish, confirm."""
        packed = pack_typed_params(params, MIGRATE_PARAM_TYPES)
        begin = await self._do("domain_migrate_begin3_params", params=packed, flags=flags)
        if not flags & _MIGRATE_OFFLINE:
            state = int((await self._do("domain_get_info")).state)
            if state == virDomainState.VIR_DOMAIN_PAUSED:
                flags |= _MIGRATE_PAUSED
        dest_params = dict(params)
        dest_params["destination_xml"] = str(begin.xml)
        prep = await destcon.call(
            "domain_migrate_prepare3_params",
            r.remote_domain_migrate_prepare3_params_args(
                params=pack_typed_params(dest_params, MIGRATE_PARAM_TYPES),
                cookie_in=bytes(begin.cookie_out),
                flags=flags,
            ),
        )
        if prep.uri_out is not None and "migrate_uri" not in dest_params:
            dest_params["migrate_uri"] = str(prep.uri_out)
        dest_packed = pack_typed_params(dest_params, MIGRATE_PARAM_TYPES)
        cancelled = 0
        cookie = bytes(prep.cookie_out)
        perform_error: Error | None = None
        try:
            perf = await self._do(
                "domain_migrate_perform3_params",
                dconnuri=None,
                params=dest_packed,
                cookie_in=cookie,
                flags=flags,
            )
            cookie = bytes(perf.cookie_out)
        except Error as exc:
            perform_error = exc
            cancelled = 1
            cookie = b""
        finish_params = dict(dest_params)
        finish_params.setdefault("destination_name", self.get_name())
        ddom: Any = None
        try:
            fin = await destcon.call(
                "domain_migrate_finish3_params",
                r.remote_domain_migrate_finish3_params_args(
                    params=pack_typed_params(finish_params, MIGRATE_PARAM_TYPES),
                    cookie_in=cookie,
                    flags=flags,
                    cancelled=cancelled,
                ),
            )
            ddom = fin.dom
            cookie = bytes(fin.cookie_out)
        except Error as exc:
            perform_error = perform_error or exc
            cancelled = 1
            cookie = b""
        await self._do(
            "domain_migrate_confirm3_params",
            params=dest_packed,
            cookie_in=cookie,
            flags=flags,
            cancelled=cancelled,
        )
        if perform_error is not None:
            raise perform_error
        return self._wrap(destcon, ddom)

    async def migrate_to_uri(self, desturi: str, *args: Any) -> None:
        """Migrate to the host named by ``desturi``.

        ``migrate_to_uri(desturi, params, flags=0)`` or the older
        ``migrate_to_uri(desturi, flags, dname, bandwidth)``.
        """
        if args and isinstance(args[0], Mapping):
            params, flags = _split_migrate_args(args)
        else:
            rest = list(args) + [None] * (3 - len(args))
            flags = int(rest[0] or 0)
            params = _migrate_legacy_params(None, rest[1], None, rest[2])
        await self._migrate_to_uri3(desturi, params, flags)

    async def migrate_to_uri2(
        self,
        dconnuri: str | None,
        miguri: str | None = None,
        dxml: str | None = None,
        flags: int = 0,
        dname: str | None = None,
        bandwidth: int | None = None,
    ) -> None:
        """Migrate to ``dconnuri`` over ``miguri`` (older form of :meth:`migrate_to_uri`)."""
        params = _migrate_legacy_params(dxml, dname, miguri, bandwidth)
        await self._migrate_to_uri3(dconnuri, params, int(flags or 0))

    async def _migrate_to_uri3(
        self, dconnuri: str | None, params: dict[str, Any], flags: int
    ) -> None:
        if flags & _MIGRATE_OFFLINE and not await self._supports(
            self._conn, _FEATURE_MIGRATION_OFFLINE
        ):
            raise Error(
                "offline migration is not supported by the source host",
                code=Error.ERR_ARGUMENT_UNSUPPORTED,
                domain=Error.FROM_DOMAIN,
            )
        p2p = bool(flags & _MIGRATE_P2P)
        feature = _FEATURE_MIGRATION_P2P if p2p else _FEATURE_MIGRATION_DIRECT
        if not await self._supports(self._conn, feature):
            kind = "p2p" if p2p else "direct"
            raise Error(
                f"{kind} migration is not supported by the source host",
                code=Error.ERR_ARGUMENT_UNSUPPORTED,
                domain=Error.FROM_DOMAIN,
            )
        if p2p and not dconnuri:
            raise _invalid_arg(
                "virDomainMigrateToURI3", "dconnuri in virDomainMigrateToURI3 must not be NULL"
            )
        if not p2p:
            dconnuri = None
        if p2p and await self._supports(self._conn, _FEATURE_MIGRATION_PARAMS):
            await self._do(
                "domain_migrate_perform3_params",
                dconnuri=dconnuri,
                params=pack_typed_params(params, MIGRATE_PARAM_TYPES),
                cookie_in=b"",
                flags=flags,
            )
            return
        if not await self._supports(self._conn, _FEATURE_MIGRATION_V3):
            raise _unsupported("virDomainMigrateToURI3")
        await self._do(
            "domain_migrate_perform3",
            xmlin=params.get("destination_xml"),
            cookie_in=b"",
            dconnuri=dconnuri,
            uri=params.get("migrate_uri"),
            flags=flags,
            dname=params.get("destination_name"),
            resource=int(params.get("bandwidth") or 0),
        )

    async def migrate_set_max_downtime(self, downtime: int, flags: int = 0) -> None:
        """Set the longest pause allowed at switch-over, in ms."""
        await self._do("domain_migrate_set_max_downtime", downtime=downtime, flags=flags)

    async def migrate_get_max_downtime(self, flags: int = 0) -> int:
        """The longest pause allowed at switch-over, in ms."""
        return int((await self._do("domain_migrate_get_max_downtime", flags=flags)).downtime)

    async def migrate_set_max_speed(self, bandwidth: int, flags: int = 0) -> None:
        """Limit migration bandwidth (MiB/s)."""
        await self._do("domain_migrate_set_max_speed", bandwidth=bandwidth, flags=flags)

    async def migrate_get_max_speed(self, flags: int = 0) -> int:
        """The migration bandwidth limit (MiB/s)."""
        return int((await self._do("domain_migrate_get_max_speed", flags=flags)).bandwidth)

    async def migrate_set_compression_cache(self, cacheSize: int, flags: int = 0) -> None:
        """Set the migration compression cache size in bytes."""
        await self._do("domain_migrate_set_compression_cache", cacheSize=cacheSize, flags=flags)

    async def migrate_get_compression_cache(self, flags: int = 0) -> int:
        """The migration compression cache size in bytes."""
        ret = await self._do("domain_migrate_get_compression_cache", flags=flags)
        return int(ret.cacheSize)

    async def migrate_start_post_copy(self, flags: int = 0) -> None:
        """Switch a running migration to post-copy."""
        await self._do("domain_migrate_start_post_copy", flags=flags)

    # ------------------------------------------------------------------ consoles and streams

    async def open_console(self, st: Stream, devname: str | None = None, flags: int = 0) -> None:
        """Connect the stream ``st`` to console ``devname`` (None: the first)."""
        args = r.remote_domain_open_console_args(dom=self._ref, dev_name=devname, flags=flags)
        await self._stream_call("domain_open_console", args, st)

    async def open_channel(self, st: Stream, devname: str | None = None, flags: int = 0) -> None:
        """Connect the stream ``st`` to data channel ``devname``."""
        args = r.remote_domain_open_channel_args(dom=self._ref, name=devname, flags=flags)
        await self._stream_call("domain_open_channel", args, st)

    async def screenshot(self, st: Stream, screen: int = 0, flags: int = 0) -> str:
        """Send a screenshot of ``screen`` down the stream ``st``; returns its MIME type."""
        args = r.remote_domain_screenshot_args(dom=self._ref, screen=screen, flags=flags)
        ret = await self._stream_call("domain_screenshot", args, st)
        return str(ret.mime) if ret is not None and ret.mime is not None else ""

    async def open_graphics(self, idx: int, fd: int, flags: int = 0) -> None:
        """Connect graphics console ``idx`` to the socket ``fd``."""
        args = r.remote_domain_open_graphics_args(dom=self._ref, idx=idx, flags=flags)
        await self._conn.call("domain_open_graphics", args, fds=[fd])

    async def open_graphics_fd(self, idx: int, flags: int = 0) -> int:
        """A new socket connected to graphics console ``idx`` (the caller closes it)."""
        args = r.remote_domain_open_graphics_fd_args(dom=self._ref, idx=idx, flags=flags)
        ret = await self._conn.call("domain_open_graphics_fd", args)
        fds = ret[1] if isinstance(ret, tuple) else []
        if not fds:
            raise Error(
                "no file descriptor received",
                code=Error.ERR_RPC,
                domain=Error.FROM_RPC,
            )
        return int(fds[0])

    async def fd_associate(self, name: str, fds: Sequence[int], flags: int = 0) -> None:
        """Hand ``fds`` to the domain under ``name``."""
        args = r.remote_domain_fd_associate_args(dom=self._ref, name=name, flags=flags)
        await self._conn.call("domain_fd_associate", args, fds=list(fds))

    # ------------------------------------------------------------------ snapshots

    async def num_of_snapshots(self, flags: int = 0) -> int:
        """The number of snapshots."""
        return int((await self._do("domain_snapshot_num", flags=flags)).num)

    async def list_snapshot_names(self, maxnames: int | None = None, flags: int = 0) -> list[str]:
        """Snapshot names (at most ``maxnames``; None: all)."""
        if maxnames is None:
            maxnames = await self.num_of_snapshots(flags)
        ret = await self._do("domain_snapshot_list_names", maxnames=maxnames, flags=flags)
        return [str(n) for n in ret.names]

    async def list_snapshots(self) -> list[DomainSnapshot]:
        """Every snapshot, one lookup per name (see :meth:`list_all_snapshots`)."""
        out = []
        for name in await self.list_snapshot_names():
            try:
                out.append(await self.get_snapshot_by_name(name))
            except Error:
                continue
        return out

    async def list_all_snapshots(self, flags: int = 0) -> list[DomainSnapshot]:
        """Every snapshot matching ``flags``, in one call."""
        ret = await self._do("domain_list_all_snapshots", need_results=1, flags=flags)
        return [self._snapshot(s) for s in ret.snapshots]

    async def get_snapshot_by_name(self, name: str) -> DomainSnapshot:
        """The snapshot called ``name``."""
        ret = await self._do("domain_snapshot_lookup_by_name", name=name, flags=0)
        return self._snapshot(ret.snap)

    async def has_current_snapshot(self, flags: int = 0) -> int:
        """1 if the domain has a current snapshot."""
        return int((await self._do("domain_has_current_snapshot", flags=flags)).result)

    async def current_snapshot(self, flags: int = 0) -> DomainSnapshot:
        """The current snapshot."""
        return self._snapshot((await self._do("domain_snapshot_current", flags=flags)).snap)

    async def create_snapshot(self, xml: str, flags: int = 0) -> DomainSnapshot:
        """Create a snapshot from ``xml``."""
        ret = await self._do("domain_snapshot_create_xml", xml_desc=xml, flags=flags)
        return self._snapshot(ret.snap)

    # ------------------------------------------------------------------ checkpoints

    async def list_all_checkpoints(self, flags: int = 0) -> list[DomainCheckpoint]:
        """Every checkpoint matching ``flags``."""
        ret = await self._do("domain_list_all_checkpoints", need_results=1, flags=flags)
        return [self._checkpoint(c) for c in ret.checkpoints]

    async def get_checkpoint_by_name(self, name: str) -> DomainCheckpoint:
        """The checkpoint called ``name``."""
        ret = await self._do("domain_checkpoint_lookup_by_name", name=name, flags=0)
        return self._checkpoint(ret.checkpoint)

    async def create_checkpoint(self, xml: str, flags: int = 0) -> DomainCheckpoint:
        """Create a checkpoint from ``xml``."""
        ret = await self._do("domain_checkpoint_create_xml", xml_desc=xml, flags=flags)
        return self._checkpoint(ret.checkpoint)

    # ------------------------------------------------------------------ guest agent

    async def fs_trim(self, mountPoint: str | None, minimum: int, flags: int = 0) -> None:
        """Discard unused blocks of at least ``minimum`` bytes under ``mountPoint``."""
        await self._do("domain_fstrim", mountPoint=mountPoint, minimum=minimum, flags=flags)

    async def fs_freeze(self, mountPoints: Sequence[str] = (), flags: int = 0) -> None:
        """Freeze the listed filesystems (all when empty)."""
        await self._do("domain_fsfreeze", mountpoints=list(mountPoints), flags=flags)

    async def fs_thaw(self, mountPoints: Sequence[str] = (), flags: int = 0) -> None:
        """Thaw the listed filesystems (all when empty)."""
        await self._do("domain_fsthaw", mountpoints=list(mountPoints), flags=flags)

    async def get_fs_info(self, flags: int = 0) -> list[dict[str, Any]]:
        """``[{mountpoint, name, fstype, devalias}]`` of the guest's filesystems."""
        ret = await self._do("domain_get_fsinfo", flags=flags)
        return [
            {
                "mountpoint": str(i.mountpoint),
                "name": str(i.name),
                "fstype": str(i.fstype),
                "devalias": [str(a) for a in i.dev_aliases],
            }
            for i in ret.info
        ]

    async def get_interface_addresses(self, src: int, flags: int = 0) -> list[dict[str, Any]]:
        """``[{name, hwaddr, addrs: [{type, addr, prefix}]}]`` of the guest's NICs."""
        ret = await self._do("domain_interface_addresses", source=src, flags=flags)
        out = []
        for iface in ret.ifaces:
            rec: dict[str, Any] = {"name": str(iface.name)}
            if iface.hwaddr is not None:
                rec["hwaddr"] = str(iface.hwaddr)
            rec["addrs"] = [
                {"type": int(a.type), "addr": str(a.addr), "prefix": int(a.prefix)}
                for a in iface.addrs
            ]
            out.append(rec)
        return out

    async def send_process_signal(self, pid: int, signum: int, flags: int = 0) -> None:
        """Send signal ``signum`` (a ``PROCESS_SIGNAL_*`` value) to guest process ``pid``."""
        await self._do("domain_send_process_signal", pid_value=pid, signum=signum, flags=flags)

    async def set_lifecycle_action(self, type: int, action: int, flags: int = 0) -> None:
        """Set the action for lifecycle event ``type``."""
        await self._do("domain_set_lifecycle_action", type=type, action=action, flags=flags)

    async def set_agent_response_timeout(self, timeout: int, flags: int = 0) -> None:
        """Set how long to wait for the guest agent (seconds, or a constant)."""
        await self._do("domain_agent_set_response_timeout", timeout=timeout, flags=flags)

    async def authorized_ssh_keys_get(self, user: str, flags: int = 0) -> list[str]:
        """The authorized SSH keys of guest account ``user``."""
        ret = await self._do("domain_authorized_ssh_keys_get", user=user, flags=flags)
        return [str(k) for k in ret.keys]

    async def authorized_ssh_keys_set(self, user: str, keys: Sequence[str], flags: int = 0) -> None:
        """Set (or append, remove) authorized SSH keys of guest account ``user``."""
        await self._do("domain_authorized_ssh_keys_set", user=user, keys=list(keys), flags=flags)

    async def get_messages(self, flags: int = 0) -> list[str]:
        """Messages about the domain (deprecations, taints)."""
        ret = await self._do("domain_get_messages", flags=flags)
        return [str(m) for m in ret.msgs]

    async def start_dirty_rate_calc(self, secs: int, flags: int = 0) -> None:
        """Measure the memory dirty rate over ``secs`` seconds."""
        await self._do("domain_start_dirty_rate_calc", seconds=secs, flags=flags)
