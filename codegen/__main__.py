"""Command line: ``python -m codegen import-protocol | generate | check``."""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from codegen import headers
from codegen.errors import CodegenError
from codegen.importer import import_protocol, upstream_version
from codegen.pipeline import generate


def _import(args: argparse.Namespace) -> int:
    source = Path(args.source)
    version = args.upstream_version or upstream_version(source)
    if version is None:
        print(
            "cannot tell libvirt's version from --source; pass --upstream-version", file=sys.stderr
        )
        return 2
    for path in import_protocol(source, Path("protocol"), version):
        print(f"wrote {path}")
    if args.include_source:
        headers.import_headers(Path(args.include_source), Path("protocol/include"))
        print("wrote protocol/include")
    return 0


def _generate(args: argparse.Namespace) -> int:
    for path, text in generate(Path("protocol")).items():
        target = Path(path)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    return 0


def _check(args: argparse.Namespace) -> int:
    stale = 0
    for path, text in generate(Path("protocol")).items():
        target = Path(path)
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != text:
            stale += 1
            diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(), lineterm=""))
            changed = sum(1 for line in diff if line[:1] in "+-") - 2
            print(f"{path}: out of date ({changed} changed lines)")
            for line in diff[:20]:
                print("  " + line)
    if stale:
        print("run `python -m codegen generate`", file=sys.stderr)
        return 1
    print("generated files are up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import-protocol", help="import libvirt's .x files into protocol/")
    imp.add_argument("--source", required=True, help="directory holding libvirt's .x files")
    imp.add_argument("--include-source", help="directory holding libvirt's public headers")
    imp.add_argument("--upstream-version", help="libvirt version (default: from --source)")
    imp.set_defaults(run=_import)
    gen = sub.add_parser("generate", help="write the *_gen.py modules from protocol/")
    gen.set_defaults(run=_generate)
    chk = sub.add_parser("check", help="fail if the committed generated files are stale")
    chk.set_defaults(run=_check)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except CodegenError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
