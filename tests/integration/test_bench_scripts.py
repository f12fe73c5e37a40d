"""The bench scripts run end to end (tiny sizes) and print their comparisons.

Nothing here looks at speed: this only keeps the scripts that produce the README's figures
working. Each starts its own daemon and runs libvirt-python in a child process.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import unavailable

BENCH = Path(__file__).resolve().parents[2] / "bench"

CASES = {
    "codec.py": ([], ["decode", "encode", "import virtwire:"]),
    "rpc.py": (
        ["--calls", "640", "--rounds", "1"],
        ["virtwire asyncio, 64 in flight", "libvirt-python, 8 threads",
         "virtwire asyncio 64 / libvirt-python 8 threads", "daemon CPU in use"],
    ),
    "api.py": (["--domains", "20", "--rounds", "1"], ["get_all_domain_stats", "ratio ="]),
    "auth.py": (["--size", "65536", "--rounds", "2", "--caps", "20"], ["virtwire asyncio"]),
    "streams.py": (
        ["--size", "2", "--rounds", "1"],
        ["virtwire / libvirt-python", "virtwire asyncio / libvirt-python"],
    ),
}


@pytest.mark.parametrize("script", sorted(CASES))
def test_bench_script_runs(script: str) -> None:
    args, expected = CASES[script]
    if script != "codec.py":
        if os.geteuid() != 0 or shutil.which("libvirtd", path="/usr/sbin:/usr/bin") is None:
            unavailable("the bench starts its own libvirtd, which needs root")
        if not Path("/usr/bin/python3").exists():
            unavailable("libvirt-python's interpreter /usr/bin/python3 is missing")
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True, text=True, timeout=300, cwd=BENCH.parent,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for trouble in ("unavailable", "failed"):
        assert trouble not in done.stderr, done.stderr[-2000:]
    for text in expected:
        assert text in done.stdout, f"{text!r} missing from:\n{done.stdout}"
