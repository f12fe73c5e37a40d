"""Split XDR language text (RFC 4506 section 6) into tokens.

Comments are kept as tokens because libvirt stores machine annotations
(``@generate: both``, ``insert@1`` ...) in them; ``%`` passthrough lines
are kept as tokens too so the importer can drop them on purpose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from codegen.errors import CodegenError


class Kind(Enum):
    """Token kinds."""

    IDENT = "identifier"
    NUMBER = "number"
    PUNCT = "punctuation"
    COMMENT = "comment"
    PASSTHROUGH = "passthrough"
    EOF = "end of file"


@dataclass(frozen=True, slots=True)
class Token:
    """One token with its 1-based position and source offsets."""

    kind: Kind
    text: str
    line: int
    column: int
    start: int
    end: int


_PATTERN = re.compile(
    r"""
    (?P<space>[ \t\r\n\f\v]+)
  | (?P<comment>/\*.*?\*/)
  | (?P<open_comment>/\*)
  | (?P<line_comment>//[^\n]*)
  | (?P<passthrough>%[^\n]*)
  | (?P<number>-?(?:0[xX][0-9a-fA-F]+|[0-9]+))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[{}()\[\]<>;,:=*])
    """,
    re.VERBOSE | re.DOTALL,
)


def tokenize(text: str, file: str = "<string>") -> list[Token]:
    """Return the tokens of ``text``, ending with an EOF token."""
    tokens: list[Token] = []
    pos = 0
    line = 1
    line_start = 0
    n = len(text)
    while pos < n:
        m = _PATTERN.match(text, pos)
        column = pos - line_start + 1
        if m is None:
            raise CodegenError(f"unexpected character {text[pos]!r}", file, line, column)
        group = m.lastgroup
        value = m.group()
        if group == "open_comment":
            raise CodegenError("unterminated comment", file, line, column)
        if group == "passthrough" and column != 1:
            raise CodegenError("'%' passthrough must start a line", file, line, column)
        kind = {
            "comment": Kind.COMMENT,
            "line_comment": Kind.COMMENT,
            "passthrough": Kind.PASSTHROUGH,
            "number": Kind.NUMBER,
            "ident": Kind.IDENT,
            "punct": Kind.PUNCT,
        }.get(group or "")
        if kind is not None:
            tokens.append(Token(kind, value, line, column, pos, m.end()))
        newlines = value.count("\n")
        if newlines:
            line += newlines
            line_start = pos + value.rindex("\n") + 1
        pos = m.end()
    tokens.append(Token(Kind.EOF, "", line, pos - line_start + 1, pos, pos))
    return tokens
