"""Sys::Virt's constant names: the mapping onto libvirt's C constants and the generated module."""

from __future__ import annotations

import enum
from pathlib import Path

import pytest

import virtwire
from codegen.errors import CodegenError
from codegen.sysvirt import PACKAGES, c_index, map_names, parse_names, render_sysvirt
from virtwire.api import sysvirt_gen as sv
from virtwire.constants_gen import virDomainState, virStoragePoolBuildFlags

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "protocol"


def test_generated_module_is_current() -> None:
    text = (ROOT / "virtwire" / "api" / "sysvirt_gen.py").read_text(encoding="utf-8")
    assert render_sysvirt(PROTOCOL) == text, "run python -m codegen generate"


def test_every_listed_name_is_generated() -> None:
    names = parse_names((PROTOCOL / "sysvirt-names.txt").read_text(encoding="utf-8"))
    classes = {p.perl: getattr(sv, p.cls) for p in PACKAGES}
    assert set(names) == set(classes)
    for perl, listed in names.items():
        missing = [n for n in listed if not hasattr(classes[perl], n)]
        assert not missing, f"{perl}: {missing}"
    assert sum(len(v) for v in names.values()) > 1100


def test_enum_members_print_by_name() -> None:
    assert sv.DomainConstants.STATE_RUNNING is virDomainState.VIR_DOMAIN_RUNNING
    assert repr(sv.DomainConstants.STATE_RUNNING) == "<virDomainState.VIR_DOMAIN_RUNNING: 1>"
    assert sv.StoragePoolConstants.BUILD_NEW is virStoragePoolBuildFlags.VIR_STORAGE_POOL_BUILD_NEW
    assert isinstance(sv.DomainConstants.LIST_ACTIVE, enum.IntFlag)


@pytest.mark.parametrize(
    ("cls", "name", "value"),
    [
        (sv.DomainConstants, "MEMORY_HARD_LIMIT", "hard_limit"),
        (sv.ConnectionConstants, "NODE_MEMORY_SHARED_PAGES_TO_SCAN", "shm_pages_to_scan"),
        (sv.DomainConstants, "STATE_SHUTOFF_DESTROYED", 2),
        (sv.DomainConstants, "LIST_PERSISTENT", 4),
        (sv.DomainConstants, "OPEN_CONSOLE_SAFE", 2),
        (sv.DomainConstants, "EVENT_ID_LIFECYCLE", 0),
        (sv.DomainConstants, "GET_ALL_STATS_ENFORCE_STATS", 1 << 31),
        (sv.DomainConstants, "MIGRATE_PARAM_DISK_PORT", "disks_port"),
        (sv.DomainConstants, "TUNABLE_IOTHREADSPIN", "cputune.iothreadpin%u"),
        (sv.StorageVolConstants, "TYPE_NETDIR", 4),
        (sv.StoragePoolConstants, "STATE_INACCESSIBLE", 4),
        (sv.NodeDeviceConstants, "LIST_CAP_VDPA", 1 << 17),
        (sv.ErrorConstants, "ERR_OPERATIONED_DENIED", 29),
        (sv.ErrorConstants, "ERR_INVALID_SCHEMA", 92),
        (sv.ErrorConstants, "LEVEL_WARNING", 1),
        (sv.EventConstants, "HANDLE_HANGUP", 8),
        (sv.StreamConstants, "EVENT_READABLE", 1),
        (sv.ConnectionConstants, "NODE_CPU_STATS_ALL_CPUS", -1),
        (sv.ConnectionConstants, "CLOSE_REASON_KEEPALIVE", 2),
        (sv.ConnectionConstants, "SCHEDULER_EMULATOR_PERIOD", "emulator_period"),
    ],
)
def test_values(cls: type, name: str, value: object) -> None:
    assert getattr(cls, name) == value


def test_module_level_constants_match_package() -> None:
    for name in ("CRED_AUTHNAME", "CRED_EXTERNAL", "CLOSE_REASON_EOF"):
        assert getattr(sv, name) == getattr(sv.ConnectionConstants, name)
        assert getattr(virtwire, name) == getattr(sv, name)


def test_error_class_agrees() -> None:
    for name in vars(sv.ErrorConstants):
        if name.startswith(("ERR_", "FROM_")) and hasattr(virtwire.Error, name):
            assert getattr(virtwire.Error, name) == getattr(sv.ErrorConstants, name), name


def test_unmappable_name_fails() -> None:
    index = c_index(PROTOCOL / "include")
    with pytest.raises(CodegenError, match="Sys::Virt::Domain::NO_SUCH_THING"):
        map_names({"Sys::Virt::Domain": ["STATE_RUNNING", "NO_SUCH_THING"]}, index)
    with pytest.raises(CodegenError, match="unknown Sys::Virt packages"):
        map_names({"Sys::Virt::Nope": []}, index)


def test_parse_names_rejects_prose() -> None:
    with pytest.raises(CodegenError):
        parse_names("[Sys::Virt]\nThis is prose\n")
    assert parse_names("# c\n[Sys::Virt]\nCRED_REALM\n\n[Sys::Virt::Event]\n") == {
        "Sys::Virt": ["CRED_REALM"],
        "Sys::Virt::Event": [],
    }


def test_values_agree_with_perl_sys_virt() -> None:
    """Cross-check with the installed Perl Sys::Virt (9.0.0) where it defines the name."""
    import os
    import shutil
    import subprocess

    script = (
        "use Sys::Virt; while (my $n = <STDIN>) { chomp $n; "
        'my $v = eval "$n()"; print $@ ? "-\\n" : "$v\\n"; }'
    )
    if shutil.which("perl") is None or subprocess.run(
        ["perl", "-MSys::Virt", "-e", "1"], capture_output=True
    ).returncode:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("Perl Sys::Virt is missing (Debian package libsys-virt-perl)")
        pytest.skip("Perl Sys::Virt is not installed")
    names = parse_names((PROTOCOL / "sysvirt-names.txt").read_text(encoding="utf-8"))
    full = [(perl, n) for perl, listed in names.items() for n in listed]
    out = subprocess.run(
        ["perl", "-e", script],
        input="".join(f"{perl}::{n}\n" for perl, n in full),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    classes = {p.perl: getattr(sv, p.cls) for p in PACKAGES}
    wrong = []
    for (perl, name), perl_value in zip(full, out, strict=True):
        if perl_value == "-":
            continue  # named by the pages, absent from this Sys::Virt build
        ours = getattr(classes[perl], name)
        if isinstance(ours, str):
            ok = ours == perl_value
        else:
            # Perl prints negative and high-bit values as 64-bit unsigned numbers.
            ok = int(ours) % 2**64 == int(perl_value) % 2**64 or (
                int(ours) >= 2**31 and int(ours) - 2**32 == int(perl_value) - 2**64
            )
        if not ok:
            wrong.append(f"{perl}::{name}: {ours!r} != {perl_value}")
    assert not wrong
