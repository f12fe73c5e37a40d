"""Event tables, callback-argument shaping and routing, without a daemon."""

from __future__ import annotations

from typing import Any

from virtwire.api import events as ev
from virtwire.constants_gen import virDomainEventID
from virtwire.protocol import remote_gen as r

DOM = r.remote_nonnull_domain(name="d1", uuid=b"\x01" * 16, id=1)
OTHER = r.remote_nonnull_domain(name="d2", uuid=b"\x02" * 16, id=2)


def _same(obj: Any, ref: Any) -> bool:
    return bool(obj.uuid == ref.uuid)


def test_every_domain_event_id_has_a_procedure() -> None:
    assert set(ev.DOMAIN.kinds) == {int(m) for m in virDomainEventID}
    for family in ev.FAMILIES.values():
        for kind in family.kinds.values():
            name = ev.proc_name(family, kind.proc)
            if name.startswith("REMOTE_PROC_"):
                assert hasattr(r.remote_procedure, name), name
            if kind.legacy_proc is not None:
                assert hasattr(r.remote_procedure, ev.proc_name(family, kind.legacy_proc))


def test_callback_args_shapes() -> None:
    lifecycle = ev.DOMAIN.kinds[0]
    msg = r.remote_domain_event_callback_lifecycle_msg(
        callbackID=3, msg=r.remote_domain_event_lifecycle_msg(dom=DOM, event=5, detail=1)
    )
    assert ev.callback_args(lifecycle, msg) == (5, 1)
    assert ev.object_ref(ev.DOMAIN, msg) is DOM

    graphics = ev.DOMAIN.kinds[int(virDomainEventID.VIR_DOMAIN_EVENT_ID_GRAPHICS)]
    gmsg = r.remote_domain_event_graphics_msg(
        dom=DOM,
        phase=1,
        local=r.remote_domain_event_graphics_address(family=0, node="127.0.0.1", service="5900"),
        remote=r.remote_domain_event_graphics_address(family=0, node="10.0.0.1", service="4321"),
        authScheme="vnc",
        subject=[r.remote_domain_event_graphics_identity(type="x509dname", name="CN=a")],
    )
    assert ev.callback_args(graphics, gmsg) == (
        1,
        {"family": 0, "node": "127.0.0.1", "service": "5900"},
        {"family": 0, "node": "10.0.0.1", "service": "4321"},
        "vnc",
        [{"type": "x509dname", "name": "CN=a"}],
    )

    pmsuspend = ev.DOMAIN.kinds[int(virDomainEventID.VIR_DOMAIN_EVENT_ID_PMSUSPEND)]
    legacy = r.remote_domain_event_pmsuspend_msg(dom=DOM)
    assert ev.callback_args(pmsuspend, legacy) == (0,)

    tunable = ev.DOMAIN.kinds[int(virDomainEventID.VIR_DOMAIN_EVENT_ID_TUNABLE)]
    tmsg = r.remote_domain_event_callback_tunable_msg(
        callbackID=1,
        dom=DOM,
        params=[
            r.remote_typed_param(
                field="cputune.vcpu_period", value=r.remote_typed_param_value(type=4, value=100)
            )
        ],
    )
    assert ev.callback_args(tunable, tmsg) == ({"cputune.vcpu_period": 100},)


def test_route_by_callback_id_and_early_messages() -> None:
    reg_book = ev.EventRegistry()
    kind = ev.DOMAIN.kinds[0]
    reg = reg_book.add(ev.DOMAIN, kind, None, print)
    reg.remote_id = 7
    early = r.remote_domain_event_callback_lifecycle_msg(
        callbackID=7, msg=r.remote_domain_event_lifecycle_msg(dom=DOM, event=2, detail=0)
    )
    assert reg_book.route(ev.DOMAIN, kind, early, legacy=False, same=_same) == []
    assert reg_book.bind(reg) == [early]
    assert reg_book.route(ev.DOMAIN, kind, early, legacy=False, same=_same) == [reg]
    assert reg_book.remove(reg.local_id) is reg
    # Messages for a retired callback are dropped, not kept.
    assert reg_book.route(ev.DOMAIN, kind, early, legacy=False, same=_same) == []
    late = ev.EventRegistry()
    assert late.bind(reg) == []


def test_legacy_route_filters_and_activates() -> None:
    book = ev.EventRegistry()
    kind = ev.DOMAIN.kinds[0]
    everyone = book.add(ev.DOMAIN, kind, None, print, legacy=True)
    only_d1 = book.add(ev.DOMAIN, kind, DOM, print, legacy=True)
    msg = r.remote_domain_event_lifecycle_msg(dom=DOM, event=2, detail=0)
    assert book.route(ev.DOMAIN, kind, msg, legacy=True, same=_same) == []
    book.activate(everyone)
    book.activate(only_d1)
    assert book.route(ev.DOMAIN, kind, msg, legacy=True, same=_same) == [everyone, only_d1]
    other = r.remote_domain_event_lifecycle_msg(dom=OTHER, event=2, detail=0)
    assert book.route(ev.DOMAIN, kind, other, legacy=True, same=_same) == [everyone]
    assert book.legacy_count(ev.DOMAIN, 0) == 2
    book.remove(everyone.local_id)
    assert book.legacy_count(ev.DOMAIN, 0) == 1


def test_object_event_name() -> None:
    item = ev.ObjectEvent("storage_pool", 1, None, ())
    assert item.name == "REFRESH"


def test_default_loop_runs_timers_and_watches() -> None:
    import socket

    from virtwire.api._sync.event import Event

    fired: list[Any] = []
    timer = Event.add_timeout(0, lambda t: fired.append(("timer", t)))
    a, b = socket.socketpair()
    try:
        watch = Event.add_handle(a, 1, lambda w, fd, events: fired.append(("watch", w, events)))
        b.send(b"x")
        Event.run_default()
        assert ("timer", timer) in fired
        assert ("watch", watch, 1) in fired
        Event.update_timeout(timer, -1)
        Event.remove_handle(watch)
        Event.remove_timeout(timer)
    finally:
        a.close()
        b.close()
