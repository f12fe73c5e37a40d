"""The connection's domain methods against the test driver, both runtimes; checked with virsh."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from virtwire import Error

from .clients import open_conn
from .daemon import Daemon
from .test_domain import domain_xml, remove, scratch_domain, unique, virsh

LIST_ACTIVE = 1
LIST_INACTIVE = 2
STATS_STATE = 1


@pytest.fixture
def conn(kind: str, daemon: Daemon) -> Iterator[Any]:
    c = open_conn(kind, daemon.uri())
    try:
        yield c
    finally:
        c.close()


def test_create_transient_domain(conn: Any) -> None:
    name = unique("transient")
    dom = conn.create_domain(domain_xml(name))
    try:
        assert dom.get_name() == name and dom.get_id() > 0
        assert dom.is_persistent() == 0
        dom.destroy()
        with pytest.raises(Error) as info:
            conn.get_domain_by_name(name)
        assert info.value.code == Error.ERR_NO_DOMAIN
    finally:
        remove(conn, name)


def test_create_domain_with_files(conn: Any) -> None:
    name = unique("files")
    r, w = os.pipe()
    try:
        dom = conn.create_domain_with_files(domain_xml(name), [r])
        assert dom.get_name() == name and dom.is_active() == 1
    finally:
        os.close(r)
        os.close(w)
        remove(conn, name)


def test_define_and_look_up(conn: Any) -> None:
    name = unique("defined")
    dom = conn.define_domain(domain_xml(name))
    try:
        assert dom.get_id() == -1 and dom.is_active() == 0
        uid = dom.get_uuid_string()
        assert conn.get_domain_by_name(name) == dom
        assert conn.get_domain_by_uuid(uid) == dom
        assert conn.get_domain_by_uuid(uid.replace("-", "")) == dom
        assert conn.get_domain_by_uuid(dom.get_uuid()) == dom
        assert conn.get_domain_by_uuid_string(uid) == dom
        redefined = conn.define_domain(dom.get_xml_description(), 0)
        assert redefined == dom
        with pytest.raises(Error) as info:
            conn.get_domain_by_uuid("not-a-uuid")
        assert info.value.code == Error.ERR_INVALID_ARG
        with pytest.raises(Error) as info:
            conn.get_domain_by_uuid(str(uuid.uuid4()))
        assert info.value.code == Error.ERR_NO_DOMAIN
        with pytest.raises(Error) as info:
            conn.get_domain_by_id(999999)
        assert info.value.code == Error.ERR_NO_DOMAIN
        with pytest.raises(Error) as info:
            conn.define_domain(domain_xml(name), 0xFFFF)
        assert info.value.code == Error.ERR_INVALID_ARG
    finally:
        remove(conn, name)


def test_lists_match_virsh(conn: Any, daemon: Daemon) -> None:
    with scratch_domain(conn, "inactive", start=False) as off, scratch_domain(conn) as on:
        running = virsh(daemon.uri(), "list", "--name").split()
        stopped = virsh(daemon.uri(), "list", "--inactive", "--name").split()
        ids = [int(x) for x in virsh(daemon.uri(), "list", "--id").split()]
        assert sorted(conn.list_domain_ids()) == sorted(ids)
        assert sorted(conn.list_domain_ids(conn.num_of_domains())) == sorted(ids)
        assert conn.num_of_domains() == len(running)
        assert sorted(d.get_name() for d in conn.list_domains()) == sorted(running)
        assert conn.num_of_defined_domains() == len(stopped)
        assert sorted(conn.list_defined_domain_names()) == sorted(stopped)
        assert sorted(conn.list_defined_domain_names(100)) == sorted(stopped)
        assert sorted(d.get_name() for d in conn.list_defined_domains()) == sorted(stopped)
        every = conn.list_all_domains()
        assert sorted(d.get_name() for d in every) == sorted(running + stopped)
        active = conn.list_all_domains(LIST_ACTIVE)
        inactive = conn.list_all_domains(LIST_INACTIVE)
        assert on in active and off not in active
        assert off in inactive and on not in inactive


def test_get_all_domain_stats_matches_virsh(conn: Any, daemon: Daemon) -> None:
    with scratch_domain(conn) as dom:
        stats = conn.get_all_domain_stats(STATS_STATE)
        text = virsh(daemon.uri(), "domstats", "--state")
        names = [r["dom"].get_name() for r in stats]
        assert sorted(names) == sorted(
            line.split("'")[1] for line in text.splitlines() if line.startswith("Domain:")
        )
        rec = next(r for r in stats if r["dom"] == dom)
        assert rec["data"] == {"state.state": 1, "state.reason": 1}
        only = conn.get_all_domain_stats(STATS_STATE, [dom])
        assert [r["dom"] for r in only] == [dom]
        assert only[0]["data"]["state.state"] == 1


def test_save_image_and_restore(conn: Any, tmp_path: Path) -> None:
    with scratch_domain(conn) as dom:
        path = str(tmp_path / "saved")
        dom.save(path)
        xml = conn.get_save_image_xml_description(path)
        assert f"<name>{dom.get_name()}</name>" in xml
        assert conn.save_image_get_xml_description(path, 0) == xml
        conn.define_save_image_xml(path, xml)
        conn.save_image_define_xml(path, xml, 0)
        conn.restore_domain(path)
        assert dom.is_active() == 1
        dom.save(path)
        with pytest.raises(Error) as info:
            conn.restore_domain(path, xml, None, 0)  # restore_flags with a new XML
        assert info.value.code == Error.ERR_ARGUMENT_UNSUPPORTED
        with pytest.raises(Error) as info:
            conn.restore_domain(path, None, {"dxml": xml})
        assert info.value.code == Error.ERR_NO_SUPPORT
        conn.restore_domain(path)
        with pytest.raises(Error) as info:
            conn.restore_domain(str(tmp_path / "missing"))
        assert info.value.code == Error.ERR_SYSTEM_ERROR


def test_native_formats_not_supported(conn: Any) -> None:
    calls: list[Callable[[], Any]] = [
        lambda: conn.domain_xml_from_native("native", "config"),
        lambda: conn.domain_xml_to_native("native", domain_xml("x")),
    ]
    for call in calls:
        with pytest.raises(Error) as info:
            call()
        assert info.value.code == Error.ERR_NO_SUPPORT
