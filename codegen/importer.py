"""Import libvirt's ``.x`` files: keep definitions and annotations, drop prose.

The output keeps every definition token and its layout, turns annotation
comments into compact ``/* @key: value */`` or ``/* insert@1 */`` comments,
and removes prose comments and ``%`` passthrough lines.  It is a pure
function of the input text, so re-running gives identical bytes.
"""

from __future__ import annotations

import re
from pathlib import Path

from codegen import annotations as ann
from codegen.lexer import Kind, tokenize
from codegen.parser import parse

PROTOCOL_FILES = (
    "virnetprotocol.x",
    "virkeepaliveprotocol.x",
    "remote_protocol.x",
    "qemu_protocol.x",
    "lxc_protocol.x",
    "admin_protocol.x",
)

_HEADER = (
    "/* Imported from libvirt {version} {file}; definitions only.\n"
    " * Copyright Red Hat, Inc. and libvirt contributors; LGPL-2.1-or-later (see LICENSE).\n"
    " */\n"
)

_DROPPED = "\0"  # marks removed text while lines are rebuilt

_VERSION_DIR = re.compile(r"^\d+\.\d+\.\d+$")


def upstream_version(source: Path) -> str | None:
    """Guess libvirt's version from a ``.../<x.y.z>/...`` component of ``source``."""
    for part in reversed(source.resolve().parts):
        if _VERSION_DIR.match(part):
            return part
    return None


def _compact(comment: str) -> list[str] | None:
    """Return the compact comments replacing ``comment``, or None to drop it."""
    marker = ann.marker(comment)
    if marker is not None:
        return [f"/* {marker} */"]
    pairs = ann.keyed(comment)
    if pairs:
        return [f"/* @{key}: {value} */" for key, value in pairs]
    return None


def import_text(text: str, file: str, version: str) -> str:
    """Return the imported form of one ``.x`` file's text."""
    tokens = tokenize(text, file)
    pieces: list[str] = []
    last = 0
    for tok in tokens:
        if tok.kind not in (Kind.COMMENT, Kind.PASSTHROUGH):
            continue
        pieces.append(text[last : tok.start])
        last = tok.end
        if tok.kind is Kind.PASSTHROUGH:
            pieces.append(_DROPPED)
        else:
            compact = _compact(tok.text)
            if compact is None:
                pieces.append(_DROPPED)
                continue
            line_start = text.rfind("\n", 0, tok.start) + 1
            prefix = text[line_start : tok.start]
            if prefix.strip():
                pieces.append(" ".join(compact))
            else:
                pieces.append(("\n" + prefix).join(compact))
    pieces.append(text[last:])
    body = "".join(pieces)

    lines: list[str] = []
    for line in body.split("\n"):
        if _DROPPED in line:
            if not line.replace(_DROPPED, "").strip():
                continue  # the line held nothing but dropped text
            line = line.replace(_DROPPED, "")
        stripped = line.rstrip()
        if not stripped:
            if lines and lines[-1] != "" and not lines[-1].endswith("{"):
                lines.append("")
            continue
        if stripped.lstrip().startswith("}") and lines and lines[-1] == "":
            lines.pop()
        lines.append(stripped)
    while lines and lines[-1] == "":
        lines.pop()
    out = _HEADER.format(version=version, file=file) + "\n" + "\n".join(lines) + "\n"
    parse(out, file)  # the result must still be a valid specification
    return out


def import_protocol(source: Path, dest: Path, version: str) -> list[Path]:
    """Import every known ``.x`` file from ``source`` into ``dest``; return those that changed."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name in PROTOCOL_FILES:
        text = (source / name).read_text(encoding="utf-8")
        target = dest / name
        result = import_text(text, name, version)
        if not target.exists() or target.read_text(encoding="utf-8") != result:
            target.write_text(result, encoding="utf-8")
            written.append(target)
    return written
