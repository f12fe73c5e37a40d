"""Event bookkeeping without I/O: which procedures carry which event, who gets it, with what.

Tables map each event ID of each object family (domain, network, storage pool, node
device, secret, and qemu monitor events) to the message procedures the daemon sends it
with: the callback form (carries the ``callbackID`` the daemon gave our registration) and,
for the oldest domain events, the legacy form (no ``callbackID``; the client filters by
domain, as libvirt's remote driver does for daemons without callback IDs).

:class:`EventRegistry` keeps the registrations and turns one decoded message into the
``(callback, args)`` pairs to call; the connection's event methods drive it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from virtwire.api.typed_params import unpack_typed_params
from virtwire.constants_gen import (
    virDomainEventID,
    virNetworkEventID,
    virNodeDeviceEventID,
    virSecretEventID,
    virStoragePoolEventID,
)


@dataclass(frozen=True, slots=True)
class EventKind:
    """One event ID of one family: its message procedures and callback arguments.

    ``args`` names the message fields passed to the callback after ``(conn, obj)``, in
    order (fields of a nested ``msg`` struct count as the message's own).
    """

    event_id: int
    name: str
    proc: str
    legacy_proc: str | None
    args: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Family:
    """An object family's event API: register/deregister procedures and its events."""

    name: str
    cls: str
    obj_field: str
    register_proc: str
    deregister_proc: str
    legacy_register_proc: str | None
    legacy_deregister_proc: str | None
    kinds: dict[int, EventKind]


def _kinds(*rows: tuple[Any, str | None, str | None, tuple[str, ...]]) -> dict[int, EventKind]:
    out = {}
    for member, proc, legacy, args in rows:
        assert proc is not None
        short = member.name.split("_EVENT_ID_", 1)[1]
        out[int(member)] = EventKind(int(member), short, proc, legacy, args)
    return out


_D = virDomainEventID

DOMAIN: Final = Family(
    "domain",
    "Domain",
    "dom",
    "REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY",
    "REMOTE_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY",
    "REMOTE_PROC_CONNECT_DOMAIN_EVENT_REGISTER_ANY",
    "REMOTE_PROC_CONNECT_DOMAIN_EVENT_DEREGISTER_ANY",
    _kinds(
        (_D.VIR_DOMAIN_EVENT_ID_LIFECYCLE, "CALLBACK_LIFECYCLE", "LIFECYCLE", ("event", "detail")),
        (_D.VIR_DOMAIN_EVENT_ID_REBOOT, "CALLBACK_REBOOT", "REBOOT", ()),
        (_D.VIR_DOMAIN_EVENT_ID_RTC_CHANGE, "CALLBACK_RTC_CHANGE", "RTC_CHANGE", ("offset",)),
        (_D.VIR_DOMAIN_EVENT_ID_WATCHDOG, "CALLBACK_WATCHDOG", "WATCHDOG", ("action",)),
        (
            _D.VIR_DOMAIN_EVENT_ID_IO_ERROR,
            "CALLBACK_IO_ERROR",
            "IO_ERROR",
            ("srcPath", "devAlias", "action"),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_GRAPHICS,
            "CALLBACK_GRAPHICS",
            "GRAPHICS",
            ("phase", "local", "remote", "authScheme", "subject"),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_IO_ERROR_REASON,
            "CALLBACK_IO_ERROR_REASON",
            "IO_ERROR_REASON",
            ("srcPath", "devAlias", "action", "reason"),
        ),
        (_D.VIR_DOMAIN_EVENT_ID_CONTROL_ERROR, "CALLBACK_CONTROL_ERROR", "CONTROL_ERROR", ()),
        (
            _D.VIR_DOMAIN_EVENT_ID_BLOCK_JOB,
            "CALLBACK_BLOCK_JOB",
            "BLOCK_JOB",
            ("path", "type", "status"),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_DISK_CHANGE,
            "CALLBACK_DISK_CHANGE",
            "DISK_CHANGE",
            ("oldSrcPath", "newSrcPath", "devAlias", "reason"),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_TRAY_CHANGE,
            "CALLBACK_TRAY_CHANGE",
            "TRAY_CHANGE",
            ("devAlias", "reason"),
        ),
        (_D.VIR_DOMAIN_EVENT_ID_PMWAKEUP, "CALLBACK_PMWAKEUP", "PMWAKEUP", ("reason",)),
        (_D.VIR_DOMAIN_EVENT_ID_PMSUSPEND, "CALLBACK_PMSUSPEND", "PMSUSPEND", ("reason",)),
        (
            _D.VIR_DOMAIN_EVENT_ID_BALLOON_CHANGE,
            "CALLBACK_BALLOON_CHANGE",
            "BALLOON_CHANGE",
            ("actual",),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_PMSUSPEND_DISK,
            "CALLBACK_PMSUSPEND_DISK",
            "PMSUSPEND_DISK",
            ("reason",),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
            "CALLBACK_DEVICE_REMOVED",
            "DEVICE_REMOVED",
            ("devAlias",),
        ),
        (_D.VIR_DOMAIN_EVENT_ID_BLOCK_JOB_2, "BLOCK_JOB_2", None, ("dst", "type", "status")),
        (_D.VIR_DOMAIN_EVENT_ID_TUNABLE, "CALLBACK_TUNABLE", None, ("params",)),
        (
            _D.VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE,
            "CALLBACK_AGENT_LIFECYCLE",
            None,
            ("state", "reason"),
        ),
        (_D.VIR_DOMAIN_EVENT_ID_DEVICE_ADDED, "CALLBACK_DEVICE_ADDED", None, ("devAlias",)),
        (
            _D.VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
            "CALLBACK_MIGRATION_ITERATION",
            None,
            ("iteration",),
        ),
        (_D.VIR_DOMAIN_EVENT_ID_JOB_COMPLETED, "CALLBACK_JOB_COMPLETED", None, ("params",)),
        (
            _D.VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED,
            "CALLBACK_DEVICE_REMOVAL_FAILED",
            None,
            ("devAlias",),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
            "CALLBACK_METADATA_CHANGE",
            None,
            ("type", "nsuri"),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_BLOCK_THRESHOLD,
            "BLOCK_THRESHOLD",
            None,
            ("dev", "path", "threshold", "excess"),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_MEMORY_FAILURE,
            "MEMORY_FAILURE",
            None,
            ("recipient", "action", "flags"),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE,
            "MEMORY_DEVICE_SIZE_CHANGE",
            None,
            ("alias", "size"),
        ),
        (
            _D.VIR_DOMAIN_EVENT_ID_NIC_MAC_CHANGE,
            "NIC_MAC_CHANGE",
            None,
            ("alias", "oldMAC", "newMAC"),
        ),
    ),
)

NETWORK: Final = Family(
    "network",
    "Network",
    "net",
    "REMOTE_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY",
    "REMOTE_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY",
    None,
    None,
    _kinds(
        (virNetworkEventID.VIR_NETWORK_EVENT_ID_LIFECYCLE, "LIFECYCLE", None, ("event", "detail")),
        (
            virNetworkEventID.VIR_NETWORK_EVENT_ID_METADATA_CHANGE,
            "CALLBACK_METADATA_CHANGE",
            None,
            ("type", "nsuri"),
        ),
    ),
)

STORAGE_POOL: Final = Family(
    "storage_pool",
    "StoragePool",
    "pool",
    "REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_REGISTER_ANY",
    "REMOTE_PROC_CONNECT_STORAGE_POOL_EVENT_DEREGISTER_ANY",
    None,
    None,
    _kinds(
        (
            virStoragePoolEventID.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
            "LIFECYCLE",
            None,
            ("event", "detail"),
        ),
        (virStoragePoolEventID.VIR_STORAGE_POOL_EVENT_ID_REFRESH, "REFRESH", None, ()),
    ),
)

NODE_DEVICE: Final = Family(
    "node_device",
    "NodeDevice",
    "dev",
    "REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY",
    "REMOTE_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY",
    None,
    None,
    _kinds(
        (
            virNodeDeviceEventID.VIR_NODE_DEVICE_EVENT_ID_LIFECYCLE,
            "LIFECYCLE",
            None,
            ("event", "detail"),
        ),
        (virNodeDeviceEventID.VIR_NODE_DEVICE_EVENT_ID_UPDATE, "UPDATE", None, ()),
    ),
)

SECRET: Final = Family(
    "secret",
    "Secret",
    "secret",
    "REMOTE_PROC_CONNECT_SECRET_EVENT_REGISTER_ANY",
    "REMOTE_PROC_CONNECT_SECRET_EVENT_DEREGISTER_ANY",
    None,
    None,
    _kinds(
        (virSecretEventID.VIR_SECRET_EVENT_ID_LIFECYCLE, "LIFECYCLE", None, ("event", "detail")),
        (virSecretEventID.VIR_SECRET_EVENT_ID_VALUE_CHANGED, "VALUE_CHANGED", None, ()),
    ),
)

#: Pseudo event ID of qemu monitor events (family ``qemu_monitor``, one kind).
QEMU_MONITOR_EVENT_ID: Final = 0

QEMU_MONITOR: Final = Family(
    "qemu_monitor",
    "Domain",
    "dom",
    "QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER",
    "QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER",
    None,
    None,
    {
        QEMU_MONITOR_EVENT_ID: EventKind(
            QEMU_MONITOR_EVENT_ID,
            "MONITOR",
            "QEMU_PROC_DOMAIN_MONITOR_EVENT",
            None,
            ("event", "seconds", "micros", "details"),
        )
    },
)

FAMILIES: Final[dict[str, Family]] = {
    f.name: f for f in (DOMAIN, NETWORK, STORAGE_POOL, NODE_DEVICE, SECRET, QEMU_MONITOR)
}

_PREFIX: Final = {
    "domain": "REMOTE_PROC_DOMAIN_EVENT_",
    "network": "REMOTE_PROC_NETWORK_EVENT_",
    "storage_pool": "REMOTE_PROC_STORAGE_POOL_EVENT_",
    "node_device": "REMOTE_PROC_NODE_DEVICE_EVENT_",
    "secret": "REMOTE_PROC_SECRET_EVENT_",
    "qemu_monitor": "",
}


def proc_name(family: Family, short: str) -> str:
    """The full procedure name of an event message (``REMOTE_PROC_DOMAIN_EVENT_...``)."""
    return _PREFIX[family.name] + short


# --------------------------------------------------------------------------- arguments


def _convert(value: Any) -> Any:
    """Wire values to Sys::Virt's callback values: structs to dicts, typed params to a dict."""
    if isinstance(value, list):
        if value and hasattr(value[0], "field") and hasattr(value[0], "value"):
            return unpack_typed_params(value)
        return [_convert(v) for v in value]
    slots = getattr(type(value), "__slots__", None)
    if slots and not isinstance(value, (str, bytes, int, float)):
        return {name: _convert(getattr(value, name)) for name in slots}
    return value


def _field(msg: Any, name: str) -> Any:
    if hasattr(msg, name):
        return getattr(msg, name)
    inner = getattr(msg, "msg", None)
    if inner is not None and hasattr(inner, name):
        return getattr(inner, name)
    return 0  # a reason that legacy messages lack (libvirt passes 0 too)


def object_ref(family: Family, msg: Any) -> Any:
    """The ``remote_nonnull_*`` struct of the object a message is about."""
    return _field(msg, family.obj_field)


def callback_args(kind: EventKind, msg: Any) -> tuple[Any, ...]:
    """The callback arguments after ``(conn, obj)`` for a decoded message."""
    return tuple(_convert(_field(msg, name)) for name in kind.args)


# --------------------------------------------------------------------------- registry

Callback = Callable[..., Any]


@dataclass(slots=True)
class Registration:
    """One callback registered by the application."""

    local_id: int
    family: Family
    kind: EventKind
    obj: Any
    callback: Callback
    remote_id: int | None = None
    legacy: bool = False
    active: bool = False


class EventRegistry:
    """The connection's registrations, indexed by our ID and by the daemon's callbackID.

    Thread-safe: the blocking runtime routes messages on its dispatch thread while the
    application registers on its own. A message whose callbackID is not bound yet (its
    registration's reply and the event crossed) is kept until :meth:`bind`, up to
    ``stash_limit`` messages in all.
    """

    def __init__(self, stash_limit: int = 1024) -> None:
        self._lock = threading.Lock()
        self._next_id = 1
        self._by_local: dict[int, Registration] = {}
        self._by_remote: dict[tuple[str, int], Registration] = {}
        self._stash: dict[tuple[str, int], list[Any]] = {}
        self._stashed = 0
        self._stash_limit = stash_limit
        self._retired: set[tuple[str, int]] = set()

    def add(
        self, family: Family, kind: EventKind, obj: Any, callback: Callback, *, legacy: bool = False
    ) -> Registration:
        """Record a callback; a callback-ID registration routes nothing until :meth:`bind`."""
        with self._lock:
            reg = Registration(self._next_id, family, kind, obj, callback, legacy=legacy)
            self._next_id += 1
            self._by_local[reg.local_id] = reg
            return reg

    def bind(self, reg: Registration) -> list[Any]:
        """Start routing messages with ``reg.remote_id`` to ``reg``; returns the messages
        that arrived for it before (to deliver first). Nothing if ``reg`` was removed."""
        assert reg.remote_id is not None
        key = (reg.family.name, reg.remote_id)
        with self._lock:
            early = self._stash.pop(key, [])
            self._stashed -= len(early)
            if self._by_local.get(reg.local_id) is not reg:
                return []
            self._by_remote[key] = reg
            return early

    def activate(self, reg: Registration) -> None:
        """Start routing legacy messages to ``reg`` (messages routed before are not its)."""
        with self._lock:
            reg.active = True

    def get(self, local_id: int) -> Registration | None:
        """The registration with this ID, if any."""
        with self._lock:
            return self._by_local.get(local_id)

    def remove(self, local_id: int) -> Registration | None:
        """Forget a registration; returns it."""
        with self._lock:
            reg = self._by_local.pop(local_id, None)
            if reg is not None and reg.remote_id is not None:
                key = (reg.family.name, reg.remote_id)
                self._by_remote.pop(key, None)
                self._stashed -= len(self._stash.pop(key, []))
                self._retired.add(key)
            return reg

    def legacy_count(self, family: Family, event_id: int) -> int:
        """How many legacy registrations share one daemon-side registration of ``event_id``."""
        with self._lock:
            return sum(
                1
                for r in self._by_local.values()
                if r.legacy and r.family is family and r.kind.event_id == event_id
            )

    def all(self) -> list[Registration]:
        """Every registration, oldest first."""
        with self._lock:
            return list(self._by_local.values())

    def route(
        self, family: Family, kind: EventKind, msg: Any, *, legacy: bool, same: Callable[..., bool]
    ) -> list[Registration]:
        """The registrations a message is for: by callbackID, or (legacy) by event ID and
        object filter (``same(filter_obj, ref)`` compares identities)."""
        with self._lock:
            if not legacy:
                key = (family.name, int(msg.callbackID))
                reg = self._by_remote.get(key)
                if reg is None:
                    if key not in self._retired and self._stashed < self._stash_limit:
                        self._stash.setdefault(key, []).append(msg)
                        self._stashed += 1
                    return []
                return [reg] if reg.kind is kind else []
            ref = object_ref(family, msg)
            return [
                r
                for r in self._by_local.values()
                if r.legacy
                and r.active
                and r.family is family
                and r.kind is kind
                and (r.obj is None or same(r.obj, ref))
            ]


# --------------------------------------------------------------------------- stream items


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    """One event as the event stream yields it: the callback arguments, named."""

    family: str
    event_id: int
    obj: Any
    args: tuple[Any, ...]

    @property
    def name(self) -> str:
        """The event's name (``LIFECYCLE``, ``REBOOT``...)."""
        return FAMILIES[self.family].kinds[self.event_id].name


__all__ = [
    "DOMAIN",
    "FAMILIES",
    "NETWORK",
    "NODE_DEVICE",
    "QEMU_MONITOR",
    "QEMU_MONITOR_EVENT_ID",
    "SECRET",
    "STORAGE_POOL",
    "EventKind",
    "EventRegistry",
    "Family",
    "ObjectEvent",
    "Registration",
    "callback_args",
    "object_ref",
    "proc_name",
]
