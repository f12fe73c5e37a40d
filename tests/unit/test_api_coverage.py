"""Every method and constant Sys::Virt's pages list exists in the Python API, sync and asyncio.

The list (``fixtures/sysvirt_api.txt``) is copied from Sys::Virt's manual pages: per Perl
package, ``method NAME`` and ``constant NAME``. Constructors (``new``) are the classes
themselves. The test names everything missing at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import virtwire
import virtwire.aio

FIXTURE = Path(__file__).parent / "fixtures" / "sysvirt_api.txt"

#: Perl package -> Python class name (None: the connection).
CLASSES: dict[str, str | None] = {
    "Sys::Virt": None,
    "Sys::Virt::Domain": "Domain",
    "Sys::Virt::DomainSnapshot": "DomainSnapshot",
    "Sys::Virt::DomainCheckpoint": "DomainCheckpoint",
    "Sys::Virt::Network": "Network",
    "Sys::Virt::NetworkPort": "NetworkPort",
    "Sys::Virt::StoragePool": "StoragePool",
    "Sys::Virt::StorageVol": "StorageVol",
    "Sys::Virt::NodeDevice": "NodeDevice",
    "Sys::Virt::Interface": "Interface",
    "Sys::Virt::Secret": "Secret",
    "Sys::Virt::NWFilter": "NWFilter",
    "Sys::Virt::NWFilterBinding": "NWFilterBinding",
    "Sys::Virt::Stream": "Stream",
    "Sys::Virt::Event": "Event",
    "Sys::Virt::Error": "Error",
}


def load_fixture() -> dict[str, tuple[list[str], list[str]]]:
    """{package: (methods, constants)}."""
    out: dict[str, tuple[list[str], list[str]]] = {}
    current: tuple[list[str], list[str]] | None = None
    for raw in FIXTURE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = out.setdefault(line.strip("[]"), ([], []))
            continue
        assert current is not None
        what, name = line.split()
        (current[0] if what == "method" else current[1]).append(name)
    return out


API = load_fixture()


def _class(package: str, face: str) -> Any:
    name = CLASSES[package]
    if name is None:
        return virtwire.Connection if face == "sync" else virtwire.aio.Connection
    if name == "Error":
        return virtwire.Error
    module = virtwire if face == "sync" else virtwire.aio
    return getattr(module, name)


def _missing(package: str, face: str) -> list[str]:
    try:
        cls = _class(package, face)
    except (AttributeError, ImportError) as exc:
        return [f"(class: {exc})"]
    probe: Any = cls
    if CLASSES[package] == "Error":
        probe = virtwire.Error("probe", code=1, domain=0)
    methods, constants = API[package]
    missing = [f"{m}()" for m in methods if m != "new" and not hasattr(probe, m)]
    missing += [c for c in constants if not hasattr(cls, c)]
    if package == "Sys::Virt":
        missing += [f"virtwire.{c}" for c in constants if not hasattr(virtwire, c)]
    return missing


def test_fixture_is_complete() -> None:
    assert set(API) == set(CLASSES)
    assert sum(len(m) for m, _ in API.values()) > 400
    assert sum(len(c) for _, c in API.values()) > 1100


@pytest.mark.parametrize("face", ["sync", "aio"])
@pytest.mark.parametrize("package", sorted(CLASSES))
def test_package_covered(package: str, face: str) -> None:
    missing = _missing(package, face)
    assert not missing, f"{package} ({face}) lacks {len(missing)}: {', '.join(missing)}"
