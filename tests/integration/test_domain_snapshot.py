"""Sys::Virt::DomainSnapshot against the test driver, both runtimes; checked with virsh."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from virtwire import Error

from .clients import open_conn
from .daemon import Daemon
from .test_domain import scratch_domain, virsh

LIST_ROOTS = 1
DELETE_CHILDREN = 1


@pytest.fixture
def conn(kind: str, daemon: Daemon) -> Iterator[Any]:
    c = open_conn(kind, daemon.uri())
    try:
        yield c
    finally:
        c.close()


def snapshot_xml(name: str) -> str:
    return f"<domainsnapshot><name>{name}</name></domainsnapshot>"


def test_snapshot_tree(conn: Any, daemon: Daemon) -> None:
    with scratch_domain(conn) as dom:
        assert dom.num_of_snapshots() == 0 and dom.has_current_snapshot() == 0
        root = dom.create_snapshot(snapshot_xml("root"))
        child = dom.create_snapshot(snapshot_xml("child"), 0)
        assert root.get_name() == "root" and child.get_name() == "child"
        assert child.get_domain() == dom
        assert dom.num_of_snapshots() == 2
        listed = virsh(daemon.uri(), "snapshot-list", dom.get_name(), "--name").split()
        assert sorted(dom.list_snapshot_names()) == sorted(listed)
        assert sorted(dom.list_snapshot_names(10)) == sorted(listed)
        assert sorted(s.get_name() for s in dom.list_snapshots()) == sorted(listed)
        assert sorted(s.get_name() for s in dom.list_all_snapshots()) == sorted(listed)
        assert [s.get_name() for s in dom.list_all_snapshots(LIST_ROOTS)] == ["root"]
        assert dom.get_snapshot_by_name("root") == root
        assert dom.has_current_snapshot() == 1
        assert dom.current_snapshot() == child
        assert child.is_current() == 1 and root.is_current() == 0
        assert child.has_metadata() == 1
        assert child.get_parent() == root
        with pytest.raises(Error) as info:
            root.get_parent()
        assert info.value.code == Error.ERR_NO_DOMAIN_SNAPSHOT
        assert root.num_of_child_snapshots() == 1
        assert root.list_child_snapshot_names() == ["child"]
        assert root.list_child_snapshot_names(5, 0) == ["child"]
        assert root.list_child_snapshots() == [child]
        assert root.list_all_children() == [child]
        assert "<name>child</name>" in child.get_xml_description()
        assert "<name>child</name>" in child.get_xml_description(0)
        root.revert_to()
        assert dom.current_snapshot() == root
        root.delete(DELETE_CHILDREN)
        assert dom.num_of_snapshots() == 0
        with pytest.raises(Error) as info:
            dom.get_snapshot_by_name("root")
        assert info.value.code == Error.ERR_NO_DOMAIN_SNAPSHOT
        with pytest.raises(Error) as info:
            dom.current_snapshot()
        assert info.value.code == Error.ERR_NO_DOMAIN_SNAPSHOT
