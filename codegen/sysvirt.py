"""Sys::Virt's constant names mapped onto libvirt's C constants.

Input: ``protocol/sysvirt-names.txt`` (the names Sys::Virt's pages list, per Perl package)
and the headers in ``protocol/include``. Each name is mapped to one C constant by the
package's rules (tried in order, the first C name that exists wins) or, failing those, by
the exception table; a name that maps to nothing fails generation. Output: the source of
``virtwire/api/sysvirt_gen.py``, one class of constants per package, whose values are the
members of ``virtwire.constants_gen`` (enum members print by name; typed-parameter field
names are strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from codegen.errors import CodegenError
from codegen.headers import parse_headers

__all__ = ["PACKAGES", "CRef", "c_index", "map_names", "parse_names", "render_sysvirt"]

NAMES_FILE = "sysvirt-names.txt"


@dataclass(frozen=True, slots=True)
class Package:
    """A Perl package: the Python class holding its constants and its mapping rules."""

    perl: str
    cls: str
    #: (regular expression on the Sys::Virt name, C name template using its groups).
    rules: tuple[tuple[str, str], ...]


def _list(plural: str) -> tuple[str, str]:
    return (r"^LIST_(.+)$", rf"VIR_CONNECT_LIST_{plural}_\1")


_ANY = r"^(.+)$"

#: Perl packages in output order.
PACKAGES: tuple[Package, ...] = (
    Package(
        "Sys::Virt",
        "ConnectionConstants",
        (
            (_ANY, r"VIR_CONNECT_\1"),
            (_ANY, r"VIR_\1"),
            (_ANY, r"VIR_NODE_\1"),
            (_ANY, r"VIR_DOMAIN_\1"),
        ),
    ),
    Package(
        "Sys::Virt::Domain",
        "DomainConstants",
        (
            (_ANY, r"VIR_DOMAIN_\1"),
            (_ANY, r"VIR_\1"),
            (r"^STATE_(.+)$", r"VIR_DOMAIN_\1"),
            _list("DOMAINS"),
            (r"^GET_ALL_STATS_(.+)$", r"VIR_CONNECT_GET_ALL_DOMAINS_STATS_\1"),
            (r"^EVENT_(.+)$", r"VIR_CONNECT_DOMAIN_EVENT_\1"),
            (r"^OPEN_(.+)$", r"VIR_DOMAIN_\1"),
            (r"^IOTHREAD_PARAM_(.+)$", r"VIR_DOMAIN_IOTHREAD_\1"),
        ),
    ),
    Package(
        "Sys::Virt::DomainSnapshot",
        "DomainSnapshotConstants",
        ((_ANY, r"VIR_DOMAIN_SNAPSHOT_\1"),),
    ),
    Package(
        "Sys::Virt::DomainCheckpoint",
        "DomainCheckpointConstants",
        ((_ANY, r"VIR_DOMAIN_CHECKPOINT_\1"),),
    ),
    Package(
        "Sys::Virt::Network",
        "NetworkConstants",
        ((_ANY, r"VIR_NETWORK_\1"), (_ANY, r"VIR_\1"), _list("NETWORKS")),
    ),
    Package("Sys::Virt::NetworkPort", "NetworkPortConstants", ((_ANY, r"VIR_NETWORK_PORT_\1"),)),
    Package(
        "Sys::Virt::StoragePool",
        "StoragePoolConstants",
        (
            (_ANY, r"VIR_STORAGE_POOL_\1"),
            (_ANY, r"VIR_STORAGE_\1"),
            (r"^STATE_(.+)$", r"VIR_STORAGE_POOL_\1"),
            _list("STORAGE_POOLS"),
        ),
    ),
    Package(
        "Sys::Virt::StorageVol",
        "StorageVolConstants",
        (
            (_ANY, r"VIR_STORAGE_VOL_\1"),
            (_ANY, r"VIR_STORAGE_\1"),
            (r"^TYPE_(.+)$", r"VIR_STORAGE_VOL_\1"),
        ),
    ),
    Package(
        "Sys::Virt::NodeDevice",
        "NodeDeviceConstants",
        ((_ANY, r"VIR_NODE_DEVICE_\1"), (_ANY, r"VIR_NODE_\1"), _list("NODE_DEVICES")),
    ),
    Package(
        "Sys::Virt::Interface",
        "InterfaceConstants",
        ((_ANY, r"VIR_INTERFACE_\1"), _list("INTERFACES")),
    ),
    Package(
        "Sys::Virt::Secret",
        "SecretConstants",
        ((_ANY, r"VIR_SECRET_\1"), (_ANY, r"VIR_\1"), _list("SECRETS")),
    ),
    Package("Sys::Virt::NWFilter", "NWFilterConstants", ((_ANY, r"VIR_NWFILTER_\1"),)),
    Package(
        "Sys::Virt::NWFilterBinding",
        "NWFilterBindingConstants",
        ((_ANY, r"VIR_NWFILTER_BINDING_\1"),),
    ),
    Package("Sys::Virt::Stream", "StreamConstants", ((_ANY, r"VIR_STREAM_\1"),)),
    Package("Sys::Virt::Event", "EventConstants", ((_ANY, r"VIR_EVENT_\1"),)),
    Package(
        "Sys::Virt::Error",
        "ErrorConstants",
        ((_ANY, r"VIR_\1"), (r"^LEVEL_(.+)$", r"VIR_ERR_\1")),
    ),
)

#: Names the rules cannot reach: (package, Sys::Virt name) -> C name.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("Sys::Virt::Domain", "MIGRATE_PARAM_DISK_PORT"): "VIR_MIGRATE_PARAM_DISKS_PORT",
    ("Sys::Virt::Domain", "TUNABLE_IOTHREADSPIN"): "VIR_DOMAIN_TUNABLE_CPU_IOTHREADSPIN",
    ("Sys::Virt::Error", "ERR_INVALID_SCHEMA"): "VIR_ERR_XML_INVALID_SCHEMA",
    ("Sys::Virt::Error", "ERR_OPERATIONED_DENIED"): "VIR_ERR_OPERATION_DENIED",
}


@dataclass(frozen=True, slots=True)
class CRef:
    """Where a C constant lives in ``virtwire.constants_gen``: its enum class, if any."""

    name: str
    enum: str | None
    value: int | str


def parse_names(text: str, file: str = NAMES_FILE) -> dict[str, list[str]]:
    """``[package]`` sections of names -> {package: names in file order}."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r"\[([\w:]+)\]", line)
        if m:
            current = out.setdefault(m.group(1), [])
        elif current is None or not re.fullmatch(r"[A-Z][A-Z0-9_]*", line):
            raise CodegenError(f"unexpected line {line!r}", file, lineno, 1)
        else:
            current.append(line)
    return out


def c_index(include_dir: Path) -> dict[str, CRef]:
    model = parse_headers(include_dir)
    index: dict[str, CRef] = {}
    for e in model.enums:
        for member in e.members:
            if not member.sentinel:
                index[member.name] = CRef(member.name, e.name, member.value)
    for d in model.int_defines:
        index[d.name] = CRef(d.name, None, d.value)
    for s in model.string_defines:
        index[s.name] = CRef(s.name, None, s.value)
    return index


def map_names(names: dict[str, list[str]], index: dict[str, CRef]) -> dict[str, dict[str, CRef]]:
    """{package: {Sys::Virt name: C constant}}; fails on an unknown package or name."""
    packages = {p.perl: p for p in PACKAGES}
    unknown = sorted(set(names) - set(packages))
    if unknown:
        raise CodegenError(f"unknown Sys::Virt packages: {', '.join(unknown)}", NAMES_FILE)
    out: dict[str, dict[str, CRef]] = {}
    missing: list[str] = []
    for perl, pkg_names in names.items():
        pkg = packages[perl]
        mapped: dict[str, CRef] = {}
        for name in pkg_names:
            ref = _map_one(pkg, name, index)
            if ref is None:
                missing.append(f"{perl}::{name}")
            else:
                mapped[name] = ref
        out[perl] = mapped
    if missing:
        raise CodegenError(
            "no C constant for " + ", ".join(missing) + " (add a rule or an exception)",
            NAMES_FILE,
        )
    return out


def _map_one(pkg: Package, name: str, index: dict[str, CRef]) -> CRef | None:
    exception = EXCEPTIONS.get((pkg.perl, name))
    if exception is not None:
        return index.get(exception)
    for pattern, template in pkg.rules:
        m = re.fullmatch(pattern, name)
        if m is not None:
            ref = index.get(m.expand(template))
            if ref is not None:
                return ref
    return None


def _value_expr(ref: CRef) -> str:
    if ref.enum is not None:
        return f"_c.{ref.enum}.{ref.name}"
    return f"_c.{ref.name}"


def _assignment(name: str, expr: str, indent: str = "    ") -> list[str]:
    line = f"{indent}{name}: Final = {expr}"
    if len(line) <= 100:
        return [line]
    return [f"{indent}{name}: Final = (", f"{indent}    {expr}", f"{indent})"]


def render_sysvirt(protocol_dir: Path) -> str:
    """Source text of ``virtwire/api/sysvirt_gen.py``."""
    names = parse_names((protocol_dir / NAMES_FILE).read_text(encoding="utf-8"))
    mapped = map_names(names, c_index(protocol_dir / "include"))
    out = [
        '"""Generated by `python -m codegen generate` from protocol/sysvirt-names.txt and',
        "protocol/include — do not edit.",
        "",
        "Sys::Virt's constants under Sys::Virt's names: one class per Perl package (the",
        "object classes inherit them), values from ``virtwire.constants_gen``. The",
        "``Sys::Virt`` package's constants are also module-level names (``virtwire.*``).",
        '"""',
        "",
        "from typing import Final",
        "",
        "from virtwire import constants_gen as _c",
    ]
    for pkg in PACKAGES:
        consts = mapped.get(pkg.perl, {})
        out += ["", "", f"class {pkg.cls}:", f'    """Constants of Perl\'s ``{pkg.perl}``."""']
        if consts:
            out.append("")
        for name, ref in consts.items():
            out += _assignment(name, _value_expr(ref))
    top = mapped.get("Sys::Virt", {})
    if top:
        out += ["", ""]
        for name in top:
            out += _assignment(name, f"ConnectionConstants.{name}", "")
    out += ["", "", "#: Class of constants per Perl package."]
    out.append("PACKAGE_CLASSES: Final[dict[str, type]] = {")
    out += [f'    "{pkg.perl}": {pkg.cls},' for pkg in PACKAGES]
    out.append("}")
    return "\n".join(out) + "\n"
