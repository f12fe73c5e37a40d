"""Write the blocking API from the asyncio API: ``virtwire/api/_async`` -> ``virtwire/api/_sync``.

Usage: ``python scripts/unasync.py`` rewrites; ``python scripts/unasync.py --check`` exits 1
when a committed file differs from what it would write, or a rule went unused.
The runtimes (``runtime.py``) are written by hand on both sides and are skipped.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "virtwire" / "api" / "_async"
TARGET = ROOT / "virtwire" / "api" / "_sync"
SKIP = {"runtime.py", "__init__.py"}

#: (pattern, replacement); each must be used by at least one file.
RULES: list[tuple[str, str]] = [
    (r"\basync def\b", "def"),
    (r"\bawait ", ""),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\bAsyncRuntime\b", "BlockingRuntime"),
    (r"\bopen_async_transport\b", "open_transport"),
    (r"\bvirtwire\.api\._async\b", "virtwire.api._sync"),
    (r"\(asyncio\)", "(blocking)"),
    (r"\b__aiter__\b", "__iter__"),
    (r"\b__anext__\b", "__next__"),
    (r"\bStopAsyncIteration\b", "StopIteration"),
    (r"\basync for\b", "for"),
    (r"\bimport asyncio\b", "import queue"),
    (r"\basyncio\.Queue\b", "queue.Queue"),
]


def header(name: str) -> str:
    return (
        f"# Generated from virtwire/api/_async/{name} by scripts/unasync.py -- do not edit.\n"
    )


def rewrite(text: str, used: set[int]) -> str:
    for i, (pattern, repl) in enumerate(RULES):
        text, n = re.subn(pattern, repl, text)
        if n:
            used.add(i)
    return text


def main(argv: list[str]) -> int:
    check = "--check" in argv
    used: set[int] = set()
    stale: list[str] = []
    for src in sorted(SOURCE.glob("*.py")):
        if src.name in SKIP:
            continue
        out = header(src.name) + rewrite(src.read_text(), used)
        dest = TARGET / src.name
        if check:
            if not dest.exists() or dest.read_text() != out:
                stale.append(str(dest.relative_to(ROOT)))
        else:
            dest.write_text(out)
    unused = [RULES[i][0] for i in range(len(RULES)) if i not in used]
    for path in stale:
        print(f"out of date: {path} (run python scripts/unasync.py)")
    for pattern in unused:
        print(f"unused rule: {pattern}")
    return 1 if (stale or unused) and check else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
