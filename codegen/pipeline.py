"""Run the compiler stages over ``protocol/`` and produce module sources."""

from __future__ import annotations

from pathlib import Path

from codegen import headers
from codegen.ir import Program, Spec
from codegen.link import MODULES, Namespace, link
from codegen.parser import parse
from codegen.render import render_program
from codegen.sysvirt import render_sysvirt


def load(protocol_dir: Path) -> tuple[list[Program], Namespace]:
    """Parse and link every ``.x`` file under ``protocol_dir``."""
    external = headers.header_constants(protocol_dir / "include")
    specs: list[tuple[str, Spec]] = []
    for module, file in MODULES:
        text = (protocol_dir / file).read_text(encoding="utf-8")
        specs.append((module, parse(text, file)))
    programs = link(specs, external)
    ns = Namespace(dict(external))
    for module, spec in specs:
        ns.add(module, spec)
    return programs, ns


def generate(protocol_dir: Path) -> dict[str, str]:
    """Return ``{path relative to the project root: source}`` for every generated file."""
    programs, ns = load(protocol_dir)
    sources = dict(MODULES)
    out = {}
    for program in programs:
        path = f"virtwire/protocol/{program.module}_gen.py"
        out[path] = render_program(program, ns, sources[program.module])
    out["virtwire/constants_gen.py"] = headers.render_constants(protocol_dir / "include")
    out["virtwire/api/sysvirt_gen.py"] = render_sysvirt(protocol_dir)
    return out
