"""Importer, determinism and the ``generate``/``check`` commands."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from codegen.importer import PROTOCOL_FILES, import_text, upstream_version
from codegen.pipeline import generate

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = """/* -*- c -*-
 * demo.x: a file with prose.
 * Copyright somebody.
 */

%#include "internal.h"

/* Length of strings. */
const DEMO_MAX = 16;   /* trailing prose */

struct demo_ret { /* insert@1 */
    /* a comment about the field */
    int a; /* alloc@1@unsigned int@2 */

    int b;
};

enum demo_procedure {
    /* Long prose mentioning
     * - @readstream: paramnumber
     */

    /**
     * @generate:both
     * @acl: connect:read
     */
    DEMO_PROC_X = 1
};
"""

EXPECTED = """/* Imported from libvirt 1.2.3 demo.x; definitions only.
 * Copyright Red Hat, Inc. and libvirt contributors; LGPL-2.1-or-later (see LICENSE).
 */

const DEMO_MAX = 16;

struct demo_ret { /* insert@1 */
    int a; /* alloc@1@unsigned int@2 */

    int b;
};

enum demo_procedure {
    /* @generate: both */
    /* @acl: connect:read */
    DEMO_PROC_X = 1
};
"""


def test_import_keeps_definitions_and_annotations_only() -> None:
    assert import_text(SAMPLE, "demo.x", "1.2.3") == EXPECTED


def test_import_is_idempotent_on_the_committed_files() -> None:
    for name in PROTOCOL_FILES:
        text = (ROOT / "protocol" / name).read_text()
        assert text.startswith("/* Imported from libvirt 11.3.0 ")
        assert import_text(text, name, "11.3.0") == text


def test_upstream_version_from_path(tmp_path: Path) -> None:
    d = tmp_path / "libvirt" / "11.3.0" / "protocol"
    d.mkdir(parents=True)
    assert upstream_version(d) == "11.3.0"


def test_generate_is_deterministic_and_committed() -> None:
    first = generate(ROOT / "protocol")
    second = generate(ROOT / "protocol")
    assert first == second
    for path, text in first.items():
        assert (ROOT / path).read_text() == text, f"{path} is stale: run python -m codegen generate"


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "codegen", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_command_passes() -> None:
    result = _run(ROOT, "check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_command_reports_stale_files(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "protocol", tmp_path / "protocol")
    for path in generate(ROOT / "protocol"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, tmp_path / path)
    stale = tmp_path / "virtwire" / "protocol" / "keepalive_gen.py"
    stale.write_text(
        stale.read_text().replace("KEEPALIVE_PROC_PONG = 2", "KEEPALIVE_PROC_PONG = 3")
    )
    result = _run(tmp_path, "check")
    assert result.returncode == 1
    assert "virtwire/protocol/keepalive_gen.py: out of date" in result.stdout
    assert _run(tmp_path, "generate").returncode == 0
    assert _run(tmp_path, "check").returncode == 0


def test_syntax_error_exits_with_location(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "protocol", tmp_path / "protocol")
    broken = tmp_path / "protocol" / "virkeepaliveprotocol.x"
    broken.write_text(
        broken.read_text().replace("KEEPALIVE_PROC_PING = 1,", "KEEPALIVE_PROC_PING 1,")
    )
    result = _run(tmp_path, "check")
    assert result.returncode == 1
    assert "error: virkeepaliveprotocol.x:" in result.stderr
    assert "expected '='" in result.stderr
