# Generated from virtwire/api/_async/connection_events.py by scripts/unasync.py -- do not edit.
"""Connection methods registering event callbacks, and the event stream.

Callbacks run where the runtime delivers messages: in the event loop (blocking) or on the
connection's dispatch thread (blocking), in the order the daemon sent the events. A
callback must not block for long: it holds up every later event of the connection.
Registrations use the daemon's callback IDs; against a daemon without them, domain events
fall back to the legacy procedures and are filtered by domain here, as libvirt does.
"""

from __future__ import annotations

import queue
import weakref
from collections.abc import Callable
from typing import Any, cast

from virtwire.api._sync.base import Caller
from virtwire.api.events import (
    DOMAIN,
    FAMILIES,
    NETWORK,
    NODE_DEVICE,
    QEMU_MONITOR,
    QEMU_MONITOR_EVENT_ID,
    SECRET,
    STORAGE_POOL,
    EventKind,
    EventRegistry,
    Family,
    ObjectEvent,
    Registration,
    callback_args,
    object_ref,
    proc_name,
)
from virtwire.errors import Error
from virtwire.protocol.lookup import make_args, procedure

_API = "virtwire.api._sync"

Callback = Callable[..., Any]


#: libvirt's API name and error domain per family (for its invalid-eventID error).
_REGISTER_API: dict[str, tuple[str, int]] = {
    "domain": ("virConnectDomainEventRegisterAny", Error.FROM_DOM),
    "network": ("virConnectNetworkEventRegisterAny", Error.FROM_NETWORK),
    "storage_pool": ("virConnectStoragePoolEventRegisterAny", Error.FROM_STORAGE),
    "node_device": ("virConnectNodeDeviceEventRegisterAny", Error.FROM_NODEDEV),
    "secret": ("virConnectSecretEventRegisterAny", Error.FROM_SECRET),
    "qemu_monitor": ("virConnectDomainQemuMonitorEventRegister", Error.FROM_DOM),
}


def _same(obj: Any, ref: Any) -> bool:
    return all(getattr(obj.ref, f) == getattr(ref, f) for f in type(obj)._identity)


def _not_registered(callback_id: int) -> Error:
    return Error(
        f"invalid argument: event callback id {callback_id} not registered",
        code=Error.ERR_INVALID_ARG,
        domain=Error.FROM_NONE,
    )


class EventMethods(Caller):
    """Connection methods registering event callbacks, and the event stream."""

    __slots__ = ()

    # ------------------------------------------------------------------ Sys::Virt API

    def domain_event_register(self, callback: Callback) -> None:
        """Call ``callback(conn, dom, event, detail)`` on every domain lifecycle event.

        One such callback per connection; registering again replaces it.
        """
        state = self._event_state()
        if state.legacy_id is not None:
            self.domain_event_deregister()
        state.legacy_id = self._register(DOMAIN, None, 0, callback)

    def domain_event_deregister(self) -> None:
        """Remove the callback of :meth:`domain_event_register`."""
        state = self._event_state()
        local_id, state.legacy_id = state.legacy_id, None
        if local_id is not None:
            self._deregister(DOMAIN, local_id)

    def domain_event_register_any(self, dom: Any, eventID: int, callback: Callback) -> int:
        """Call ``callback(conn, dom, ...)`` on events ``eventID`` (``EVENT_ID_*``) of ``dom``
        (None: every domain); returns the ID for :meth:`domain_event_deregister_any`."""
        return self._register(DOMAIN, dom, eventID, callback)

    def domain_event_deregister_any(self, callbackID: int) -> None:
        """Remove a callback of :meth:`domain_event_register_any`."""
        self._deregister(DOMAIN, callbackID)

    def network_event_register_any(self, net: Any, eventID: int, callback: Callback) -> int:
        """Call ``callback(conn, net, ...)`` on network events ``eventID`` of ``net`` (None:
        every network); returns the callback ID."""
        return self._register(NETWORK, net, eventID, callback)

    def network_event_deregister_any(self, callbackID: int) -> None:
        """Remove a callback of :meth:`network_event_register_any`."""
        self._deregister(NETWORK, callbackID)

    def storage_pool_event_register_any(
        self, pool: Any, eventID: int, callback: Callback
    ) -> int:
        """Call ``callback(conn, pool, ...)`` on storage pool events ``eventID`` of ``pool``
        (None: every pool); returns the callback ID."""
        return self._register(STORAGE_POOL, pool, eventID, callback)

    def storage_pool_event_deregister_any(self, callbackID: int) -> None:
        """Remove a callback of :meth:`storage_pool_event_register_any`."""
        self._deregister(STORAGE_POOL, callbackID)

    def node_device_event_register_any(
        self, dev: Any, eventID: int, callback: Callback
    ) -> int:
        """Call ``callback(conn, dev, ...)`` on node device events ``eventID`` of ``dev``
        (None: every device); returns the callback ID."""
        return self._register(NODE_DEVICE, dev, eventID, callback)

    def node_device_event_deregister_any(self, callbackID: int) -> None:
        """Remove a callback of :meth:`node_device_event_register_any`."""
        self._deregister(NODE_DEVICE, callbackID)

    def secret_event_register_any(self, secret: Any, eventID: int, callback: Callback) -> int:
        """Call ``callback(conn, secret, ...)`` on secret events ``eventID`` of ``secret``
        (None: every secret); returns the callback ID."""
        return self._register(SECRET, secret, eventID, callback)

    def secret_event_deregister_any(self, callbackID: int) -> None:
        """Remove a callback of :meth:`secret_event_register_any`."""
        self._deregister(SECRET, callbackID)

    def domain_qemu_monitor_event_register(
        self, dom: Any, event: str | None, callback: Callback, flags: int = 0
    ) -> int:
        """Call ``callback(conn, dom, event, seconds, micros, details)`` on QEMU monitor
        events named ``event`` (None: all) of ``dom`` (None: every domain)."""
        return self._register(
            QEMU_MONITOR, dom, QEMU_MONITOR_EVENT_ID, callback, event, flags
        )

    def domain_qemu_monitor_event_deregister(self, callbackID: int) -> None:
        """Remove a callback of :meth:`domain_qemu_monitor_event_register`."""
        self._deregister(QEMU_MONITOR, callbackID)

    def events(
        self, family: str = "domain", eventID: int = 0, obj: Any = None, *, maxsize: int = 0
    ) -> EventStream:
        """An iterator over events ``eventID`` of ``family`` (``domain``, ``network``,
        ``storage_pool``, ``node_device``, ``secret``) as :class:`ObjectEvent` items.

        Use it as a context manager (``async with conn.events(...) as stream``), which
        registers and deregisters. ``maxsize`` bounds the queue (0: unbounded); events that
        do not fit are dropped and the next read raises :class:`virtwire.Error`. Iteration
        ends when the connection closes.
        """
        if family not in FAMILIES:
            raise Error(
                f"unknown event family {family!r}",
                code=Error.ERR_INVALID_ARG,
                domain=Error.FROM_NONE,
            )
        return EventStream(self, FAMILIES[family], eventID, obj, maxsize)

    # ------------------------------------------------------------------ machinery

    def _event_state(self) -> _EventState:
        conn = cast(Any, self)
        state = conn.__dict__.get("_virtwire_events")
        if state is None:
            state = _EventState()
            conn.__dict__["_virtwire_events"] = state
        return cast(_EventState, state)

    def _install_handlers(self, family: Family) -> None:
        state = self._event_state()
        if family.name in state.installed:
            return
        runtime = cast(Any, self).runtime
        for kind in family.kinds.values():
            for short, legacy in ((kind.proc, False), (kind.legacy_proc, True)):
                if short is None:
                    continue
                proc = procedure(proc_name(family, short))
                runtime.set_message_handler(
                    proc.program, proc.number, self._handler(family, kind, legacy)
                )
        state.installed.add(family.name)

    def _handler(self, family: Family, kind: EventKind, legacy: bool) -> Callable[[Any], None]:
        ref = weakref.ref(self)  # the runtime must not keep the connection alive

        def handle(message: Any) -> None:
            conn = ref()
            if conn is not None:
                conn._dispatch(family, kind, legacy, message.value)

        return handle

    def _dispatch(self, family: Family, kind: EventKind, legacy: bool, msg: Any) -> None:
        registry = self._event_state().registry
        regs = registry.route(family, kind, msg, legacy=legacy, same=_same)
        if not regs:
            return
        obj = self._wrap(family.cls, object_ref(family, msg))
        args = callback_args(kind, msg)
        for reg in regs:
            try:
                reg.callback(self, obj, *args)
            except Exception:  # noqa: BLE001 - one failing callback must not stop the others
                import logging

                logging.getLogger(__name__).exception("event callback %r failed", reg.callback)

    def _wrap(self, cls_name: str, ref: Any) -> Any:
        from virtwire import load_class

        return load_class(cls_name, _API.rsplit(".", 1)[1])(self, ref)

    def _register(
        self,
        family: Family,
        obj: Any,
        event_id: int,
        callback: Callback,
        qemu_event: str | None = None,
        flags: int = 0,
    ) -> int:
        kind = family.kinds.get(int(event_id))
        if kind is None:
            api, domain = _REGISTER_API[family.name]
            raise Error(
                f"invalid argument: eventID in {api} must be less than {len(family.kinds)}",
                code=Error.ERR_INVALID_ARG,
                domain=domain,
            )
        if not callable(callback):
            raise Error(
                "callback must be callable", code=Error.ERR_INVALID_ARG, domain=Error.FROM_NONE
            )
        self._install_handlers(family)
        state = self._event_state()
        registry = state.registry
        session = cast(Any, self).session
        legacy = family.legacy_register_proc is not None and not session.event_callbacks
        reg = registry.add(family, kind, obj, callback, legacy=legacy)
        ref = None if obj is None else obj.ref
        try:
            if legacy:
                assert family.legacy_register_proc is not None
                if registry.legacy_count(family, kind.event_id) == 1:
                    proc = family.legacy_register_proc
                    self.call(proc, make_args(proc, eventID=kind.event_id))
                # Activate where messages are delivered: earlier events are not for it.
                cast(Any, self).runtime.call_soon(registry.activate, reg)
                return reg.local_id
            proc = family.register_proc
            if family is QEMU_MONITOR:
                args = make_args(proc, dom=ref, event=qemu_event, flags=flags)
            else:
                args = make_args(proc, eventID=kind.event_id, **{family.obj_field: ref})
            ret = self.call(procedure(proc), args)
        except BaseException:
            registry.remove(reg.local_id)
            raise
        reg.remote_id = int(ret.callbackID)
        # Bind where messages are delivered, so none is missed or reordered.
        cast(Any, self).runtime.call_soon(self._bind, reg)
        return reg.local_id

    def _bind(self, reg: Registration) -> None:
        for msg in self._event_state().registry.bind(reg):
            self._dispatch(reg.family, reg.kind, False, msg)

    def _deregister(self, family: Family, callback_id: int) -> None:
        registry = self._event_state().registry
        reg = registry.get(int(callback_id))
        if reg is None or reg.family is not family:
            raise _not_registered(callback_id)
        registry.remove(reg.local_id)
        if not cast(Any, self).is_alive():
            return
        if reg.legacy:
            proc = family.legacy_deregister_proc
            assert proc is not None
            if registry.legacy_count(family, reg.kind.event_id) == 0:
                self.call(proc, make_args(proc, eventID=reg.kind.event_id))
            return
        proc = family.deregister_proc
        self.call(procedure(proc), make_args(proc, callbackID=reg.remote_id))


class _EventState:
    """Per-connection event bookkeeping."""

    __slots__ = ("registry", "installed", "legacy_id")

    def __init__(self) -> None:
        self.registry = EventRegistry()
        self.installed: set[str] = set()
        self.legacy_id: int | None = None


_END = object()


class EventStream:
    """Events of one kind as an iterator of :class:`ObjectEvent` (see ``Connection.events``)."""

    def __init__(
        self, conn: EventMethods, family: Family, event_id: int, obj: Any, maxsize: int
    ) -> None:
        self._conn = conn
        self._family = family
        self._event_id = event_id
        self._obj = obj
        self._maxsize = maxsize
        self._queue: queue.Queue[Any] = queue.Queue()
        self._lost = 0
        self._id: int | None = None
        self._ended = False
        self._finished = False

    @property
    def callback_id(self) -> int | None:
        """The registration's callback ID while registered."""
        return self._id

    def open(self) -> EventStream:
        """Register with the daemon (``async with`` does it)."""
        if self._id is None:
            self._id = self._conn._register(
                self._family, self._obj, self._event_id, self._push
            )
            cast(Any, self._conn).runtime.add_close_handler(self._on_closed)
        return self

    def close(self) -> None:
        """Deregister; iteration ends after the queued events."""
        local_id, self._id = self._id, None
        if local_id is not None:
            cast(Any, self._conn).runtime.remove_close_handler(self._on_closed)
            try:
                self._conn._deregister(self._family, local_id)
            finally:
                self._end()

    def __enter__(self) -> EventStream:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> ObjectEvent:
        if self._lost:
            lost, self._lost = self._lost, 0
            raise Error(
                f"{lost} events lost: the event queue is full",
                code=Error.ERR_OPERATION_FAILED,
                domain=Error.FROM_NONE,
            )
        if self._finished:
            raise StopIteration
        item = self._queue.get()
        if item is _END:
            self._finished = True
            raise StopIteration
        return cast(ObjectEvent, item)

    def _push(self, conn: Any, obj: Any, *args: Any) -> None:
        if self._ended:
            return
        if self._maxsize and self._queue.qsize() >= self._maxsize:
            self._lost += 1
            return
        self._queue.put_nowait(ObjectEvent(self._family.name, self._event_id, obj, args))

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(_END)

    def _on_closed(self, event: Any) -> None:
        self._end()
