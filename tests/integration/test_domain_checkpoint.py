"""Sys::Virt::DomainCheckpoint against the test driver, both runtimes; checked with virsh."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from virtwire import Error

from .clients import open_conn
from .daemon import Daemon
from .test_domain import scratch_domain, virsh

DELETE_CHILDREN = 1


@pytest.fixture
def conn(kind: str, daemon: Daemon) -> Iterator[Any]:
    c = open_conn(kind, daemon.uri())
    try:
        yield c
    finally:
        c.close()


def checkpoint_xml(name: str) -> str:
    return f"<domaincheckpoint><name>{name}</name></domaincheckpoint>"


def test_checkpoint_tree(conn: Any, daemon: Daemon) -> None:
    with scratch_domain(conn) as dom:
        assert dom.list_all_checkpoints() == []
        first = dom.create_checkpoint(checkpoint_xml("first"))
        second = dom.create_checkpoint(checkpoint_xml("second"), 0)
        assert first.get_name() == "first" and second.get_domain() == dom
        listed = virsh(daemon.uri(), "checkpoint-list", dom.get_name(), "--name").split()
        assert sorted(c.get_name() for c in dom.list_all_checkpoints()) == sorted(listed)
        assert dom.get_checkpoint_by_name("second") == second
        assert second.get_parent() == first
        with pytest.raises(Error) as info:
            first.get_parent()
        assert info.value.code == Error.ERR_NO_DOMAIN_CHECKPOINT
        assert first.list_all_children() == [second]
        assert second.list_all_children(0) == []
        xml = second.get_xml_description()
        assert "<name>second</name>" in xml and "<parent>" in xml
        first.delete(DELETE_CHILDREN)
        assert dom.list_all_checkpoints() == []
        with pytest.raises(Error) as info:
            dom.get_checkpoint_by_name("first")
        assert info.value.code == Error.ERR_NO_DOMAIN_CHECKPOINT
