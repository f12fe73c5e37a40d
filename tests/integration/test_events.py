"""Event callbacks and event streams against real daemons, both runtimes.

Domain and node-device events come from the test driver; network, storage-pool and secret
events from the real drivers of ``storage_daemon``. A burst of create/destroy cycles checks
that thousands of lifecycle events all arrive, in order.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from virtwire import Error
from virtwire.constants_gen import (
    virDomainEventID,
    virDomainEventStartedDetailType,
    virDomainEventStoppedDetailType,
    virDomainEventType,
    virNetworkEventLifecycleType,
    virNodeDeviceEventLifecycleType,
    virSecretEventLifecycleType,
    virStoragePoolEventLifecycleType,
)
from virtwire.protocol import remote_gen as r

from .clients import open_client
from .daemon import Daemon

LIFECYCLE = int(virDomainEventID.VIR_DOMAIN_EVENT_ID_LIFECYCLE)
STARTED = (
    int(virDomainEventType.VIR_DOMAIN_EVENT_STARTED),
    int(virDomainEventStartedDetailType.VIR_DOMAIN_EVENT_STARTED_BOOTED),
)
DESTROYED = (
    int(virDomainEventType.VIR_DOMAIN_EVENT_STOPPED),
    int(virDomainEventStoppedDetailType.VIR_DOMAIN_EVENT_STOPPED_DESTROYED),
)


@pytest.fixture
def conn(kind: str, daemon: Daemon) -> Iterator[Any]:
    c = open_client(kind, daemon.uri())
    try:
        yield c
    finally:
        c.close()


class Recorder:
    """A thread-safe callback that records its arguments after ``conn``."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self._cond = threading.Condition()

    def __call__(self, conn: Any, obj: Any, *args: Any) -> None:
        with self._cond:
            self.calls.append((obj, *args))
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 30) -> list[tuple[Any, ...]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.calls) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return list(self.calls)


def _name() -> str:
    return f"vw-ev-{uuid.uuid4().hex[:8]}"


def _domain_xml(name: str) -> str:
    return (
        f"<domain type='test'><name>{name}</name><memory>8192</memory>"
        "<os><type>hvm</type></os></domain>"
    )


def _cycle(conn: Any, name: str) -> None:
    """Start and destroy a transient domain with raw calls (two lifecycle events)."""
    ret = conn.call("domain_create_xml", r.remote_domain_create_xml_args(_domain_xml(name), 0))
    conn.call("domain_destroy", r.remote_domain_destroy_args(ret.dom))


def _destroy(conn: Any, dom: Any) -> None:
    conn.call("domain_destroy", r.remote_domain_destroy_args(dom.ref))


def _quiet(recorder: Recorder, count: int, wait: float = 0.3) -> None:
    time.sleep(wait)
    assert len(recorder.calls) == count, recorder.calls


# --------------------------------------------------------------------------- domains


def test_lifecycle_all_and_filtered(conn: Any) -> None:
    everything, filtered = Recorder(), Recorder()
    all_id = conn.domain_event_register_any(None, LIFECYCLE, everything)
    name, other = _name(), _name()
    dom = conn.create_domain(_domain_xml(name))
    one_id = conn.domain_event_register_any(dom, LIFECYCLE, filtered)
    try:
        _cycle(conn, other)
        _destroy(conn, dom)
        calls = everything.wait_for(4)
        assert [(c[0].ref.name, *c[1:]) for c in calls] == [
            (name, *STARTED),
            (other, *STARTED),
            (other, *DESTROYED),
            (name, *DESTROYED),
        ]
        # The daemon queues events: the STARTED of ``dom`` may still be in flight when the
        # filtered callback is registered, and then it is delivered there too.
        seen = [(c[0].ref.name, *c[1:]) for c in filtered.wait_for(1)]
        if seen and seen[0] == (name, *STARTED):
            seen = seen[1:] or [(c[0].ref.name, *c[1:]) for c in filtered.wait_for(2)][1:]
        assert seen == [(name, *DESTROYED)]
        assert calls[0][0].connection is conn or calls[0][0].connection is getattr(
            conn, "conn", None
        )
    finally:
        conn.domain_event_deregister_any(one_id)
        conn.domain_event_deregister_any(all_id)
    _cycle(conn, _name())
    _quiet(everything, 4)


def test_legacy_register(conn: Any) -> None:
    rec = Recorder()
    conn.domain_event_register(rec)
    try:
        name = _name()
        _cycle(conn, name)
        calls = rec.wait_for(2)
        assert [(c[0].ref.name, *c[1:]) for c in calls] == [(name, *STARTED), (name, *DESTROYED)]
    finally:
        conn.domain_event_deregister()
    _cycle(conn, _name())
    _quiet(rec, 2)


def test_burst_in_order(conn: Any) -> None:
    cycles = 1000
    rec = Recorder()
    cb_id = conn.domain_event_register_any(None, LIFECYCLE, rec)
    names = [_name() for _ in range(cycles)]
    try:
        for name in names:
            _cycle(conn, name)
        calls = rec.wait_for(2 * cycles, timeout=120)
    finally:
        conn.domain_event_deregister_any(cb_id)
    expected = []
    for name in names:
        expected += [(name, *STARTED), (name, *DESTROYED)]
    assert [(c[0].ref.name, *c[1:]) for c in calls] == expected


def test_metadata_change(conn: Any) -> None:
    rec = Recorder()
    dom = conn.create_domain(_domain_xml(_name()))
    cb_id = conn.domain_event_register_any(
        dom, int(virDomainEventID.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE), rec
    )
    try:
        conn.call(
            "domain_set_metadata",
            r.remote_domain_set_metadata_args(dom.ref, 0, "hello", None, None, 0),
        )
        calls = rec.wait_for(1)
        assert [(c[0].ref.name, *c[1:]) for c in calls] == [(dom.ref.name, 0, None)]
    finally:
        conn.domain_event_deregister_any(cb_id)
        _destroy(conn, dom)


def test_every_domain_event_id_registers(conn: Any) -> None:
    # libvirt 9.0.0 knows IDs up to MEMORY_DEVICE_SIZE_CHANGE; later ones the daemon refuses.
    known = int(virDomainEventID.VIR_DOMAIN_EVENT_ID_MEMORY_DEVICE_SIZE_CHANGE)
    for member in virDomainEventID:
        if int(member) > known:
            with pytest.raises(Error) as exc:
                conn.domain_event_register_any(None, int(member), Recorder())
            assert exc.value.code == Error.ERR_INTERNAL_ERROR
            assert exc.value.message == f"internal error: unsupported event ID {int(member)}"
            continue
        cb_id = conn.domain_event_register_any(None, int(member), Recorder())
        conn.domain_event_deregister_any(cb_id)


def test_legacy_procedures_when_daemon_lacks_callback_ids(kind: str, daemon: Daemon) -> None:
    c = open_client(kind, daemon.uri())
    target = getattr(c, "conn", c)
    target._session = dataclasses.replace(target.session, event_callbacks=False)
    try:
        name = _name()
        everything, filtered, second = Recorder(), Recorder(), Recorder()
        all_id = c.domain_event_register_any(None, LIFECYCLE, everything)
        dom = c.create_domain(_domain_xml(name))
        # The daemon sends the start event after the reply; once it is delivered, the
        # filtered registration below cannot see it.
        everything.wait_for(1)
        one_id = c.domain_event_register_any(dom, LIFECYCLE, filtered)
        two_id = c.domain_event_register_any(None, LIFECYCLE, second)
        _cycle(c, _name())
        _destroy(c, dom)
        assert len(everything.wait_for(4)) == 4
        assert [(x[0].ref.name, *x[1:]) for x in filtered.wait_for(1)] == [(name, *DESTROYED)]
        assert len(second.wait_for(3)) == 3
        for cb_id in (one_id, two_id, all_id):
            c.domain_event_deregister_any(cb_id)
        _cycle(c, _name())
        _quiet(everything, 4)
    finally:
        c.close()


def test_errors(conn: Any) -> None:
    with pytest.raises(Error) as exc:
        conn.domain_event_deregister_any(123456)
    assert exc.value.code == Error.ERR_INVALID_ARG
    assert exc.value.message == "invalid argument: event callback id 123456 not registered"
    with pytest.raises(Error) as exc:
        conn.domain_event_register_any(None, 999, Recorder())
    assert exc.value.code == Error.ERR_INVALID_ARG
    with pytest.raises(Error) as exc:
        conn.domain_qemu_monitor_event_register(None, None, Recorder())
    assert exc.value.code == Error.ERR_NO_SUPPORT
    assert exc.value.message == (
        "this function is not supported by the connection driver: "
        "virConnectDomainQemuMonitorEventRegister"
    )


# --------------------------------------------------------------------------- streams


def test_event_stream_sync(daemon: Daemon) -> None:
    c = open_client("sync", daemon.uri())
    try:
        name = _name()
        with c.events("domain", LIFECYCLE) as stream:
            _cycle(c, name)
            it = iter(stream)
            first, second = next(it), next(it)
        assert (first.name, first.obj.ref.name, first.args) == ("LIFECYCLE", name, STARTED)
        assert second.args == DESTROYED
        assert list(stream) == []
    finally:
        c.close()


def test_event_stream_async(daemon: Daemon) -> None:
    c = open_client("async", daemon.uri())

    async def body(conn: Any) -> list[Any]:
        got = []
        async with conn.events("domain", LIFECYCLE) as stream:
            ret = await conn.call(
                "domain_create_xml", r.remote_domain_create_xml_args(_domain_xml(name), 0)
            )
            await conn.call("domain_destroy", r.remote_domain_destroy_args(ret.dom))
            async for event in stream:
                got.append(event)
                if len(got) == 2:
                    break
        return got

    try:
        name = _name()
        got = c.run(body)
        assert [(e.obj.ref.name, e.args) for e in got] == [(name, STARTED), (name, DESTROYED)]
    finally:
        c.close()


def test_event_stream_overflow(daemon: Daemon) -> None:
    c = open_client("sync", daemon.uri())
    try:
        with c.events("domain", LIFECYCLE, maxsize=1) as stream:
            for _ in range(3):
                _cycle(c, _name())
            time.sleep(0.5)
            it = iter(stream)
            with pytest.raises(Error, match="events lost"):
                next(it)
            assert next(it).args == STARTED
    finally:
        c.close()


def test_stream_ends_when_connection_closes(daemon: Daemon) -> None:
    c = open_client("sync", daemon.uri())
    stream = c.events("domain", LIFECYCLE).open()
    c.close()
    assert list(stream) == []


# --------------------------------------------------------------------------- other families


def _family_conn(kind: str, uri: str) -> Any:
    return open_client(kind, uri)


def _expect(rec: Recorder, count: int) -> list[tuple[Any, ...]]:
    calls = rec.wait_for(count)
    assert len(calls) >= count, calls
    return calls


def test_node_device_events(conn: Any) -> None:
    rec = Recorder()
    cb_id = conn.node_device_event_register_any(None, 0, rec)
    wwn = secrets.token_hex(7)
    xml = (
        "<device><parent>scsi_host1</parent><capability type='scsi_host'>"
        f"<capability type='fc_host'><wwnn>20{wwn}</wwnn><wwpn>10{wwn}</wwpn></capability>"
        "</capability></device>"
    )
    try:
        ret = conn.call("node_device_create_xml", r.remote_node_device_create_xml_args(xml, 0))
        calls = _expect(rec, 1)
        created = int(virNodeDeviceEventLifecycleType.VIR_NODE_DEVICE_EVENT_CREATED)
        assert (calls[0][0].ref.name, calls[0][1]) == (ret.dev.name, created)
    finally:
        conn.node_device_event_deregister_any(cb_id)


def _with(kind: str, uri: str, fn: Callable[[Any], None]) -> None:
    c = _family_conn(kind, uri)
    try:
        fn(c)
    finally:
        c.close()


def test_network_events(kind: str, storage_daemon: Daemon) -> None:
    def body(c: Any) -> None:
        rec = Recorder()
        cb_id = c.network_event_register_any(None, 0, rec)
        name = _name()
        xml = f"<network><name>{name}</name><bridge name='vw{secrets.token_hex(4)}'/></network>"
        try:
            net = c.call("network_define_xml", r.remote_network_define_xml_args(xml)).net
            c.call("network_undefine", r.remote_network_undefine_args(net))
            calls = _expect(rec, 2)
            t = virNetworkEventLifecycleType
            assert [(x[0].ref.name, x[1]) for x in calls[:2]] == [
                (name, int(t.VIR_NETWORK_EVENT_DEFINED)),
                (name, int(t.VIR_NETWORK_EVENT_UNDEFINED)),
            ]
        finally:
            c.network_event_deregister_any(cb_id)

    _with(kind, storage_daemon.uri("network"), body)


def test_storage_pool_events(kind: str, storage_daemon: Daemon, tmp_path: Path) -> None:
    def body(c: Any) -> None:
        life, refresh = Recorder(), Recorder()
        life_id = c.storage_pool_event_register_any(None, 0, life)
        refresh_id = c.storage_pool_event_register_any(None, 1, refresh)
        name = _name()
        xml = f"<pool type='dir'><name>{name}</name><target><path>{tmp_path}</path></target></pool>"
        try:
            pool = c.call(
                "storage_pool_define_xml", r.remote_storage_pool_define_xml_args(xml, 0)
            ).pool
            c.call("storage_pool_create", r.remote_storage_pool_create_args(pool, 0))
            c.call("storage_pool_refresh", r.remote_storage_pool_refresh_args(pool, 0))
            c.call("storage_pool_destroy", r.remote_storage_pool_destroy_args(pool))
            c.call("storage_pool_undefine", r.remote_storage_pool_undefine_args(pool))
            t = virStoragePoolEventLifecycleType
            calls = _expect(life, 4)
            assert [(x[0].ref.name, x[1]) for x in calls[:4]] == [
                (name, int(t.VIR_STORAGE_POOL_EVENT_DEFINED)),
                (name, int(t.VIR_STORAGE_POOL_EVENT_STARTED)),
                (name, int(t.VIR_STORAGE_POOL_EVENT_STOPPED)),
                (name, int(t.VIR_STORAGE_POOL_EVENT_UNDEFINED)),
            ]
            assert [x[0].ref.name for x in _expect(refresh, 1)] == [name]
        finally:
            c.storage_pool_event_deregister_any(life_id)
            c.storage_pool_event_deregister_any(refresh_id)

    _with(kind, storage_daemon.uri("storage"), body)


def test_secret_events(kind: str, storage_daemon: Daemon) -> None:
    def body(c: Any) -> None:
        life, changed = Recorder(), Recorder()
        life_id = c.secret_event_register_any(None, 0, life)
        changed_id = c.secret_event_register_any(None, 1, changed)
        sec_uuid = str(uuid.uuid4())
        xml = (
            f"<secret ephemeral='no' private='no'><uuid>{sec_uuid}</uuid>"
            f"<usage type='volume'><volume>/tmp/{_name()}</volume></usage></secret>"
        )
        try:
            sec = c.call("secret_define_xml", r.remote_secret_define_xml_args(xml, 0)).secret
            c.call("secret_set_value", r.remote_secret_set_value_args(sec, b"s3cret", 0))
            c.call("secret_undefine", r.remote_secret_undefine_args(sec))
            t = virSecretEventLifecycleType
            calls = _expect(life, 2)
            assert [x[1] for x in calls[:2]] == [
                int(t.VIR_SECRET_EVENT_DEFINED),
                int(t.VIR_SECRET_EVENT_UNDEFINED),
            ]
            assert len(_expect(changed, 1)) == 1
        finally:
            c.secret_event_deregister_any(life_id)
            c.secret_event_deregister_any(changed_id)

    _with(kind, storage_daemon.uri("secret"), body)
