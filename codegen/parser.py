"""Recursive-descent parser for the XDR language as libvirt writes it.

Grammar: RFC 4506 section 6, plus the rpcgen extensions libvirt relies on
(``char``, ``short``, ``unsigned`` alone, ``struct name`` as a type
reference).  Annotation comments before enum members and after struct
openings or fields are attached to the IR; all other comments are ignored.
"""

from __future__ import annotations

from typing import Literal

from codegen import annotations as ann
from codegen.errors import CodegenError
from codegen.ir import (
    Arm,
    Const,
    Decl,
    Definition,
    Enum,
    EnumMember,
    Pos,
    Spec,
    Struct,
    Typedef,
    Union,
    Value,
)
from codegen.lexer import Kind, Token, tokenize

_KEYWORDS = frozenset(
    {
        "bool",
        "case",
        "char",
        "const",
        "default",
        "double",
        "enum",
        "float",
        "hyper",
        "int",
        "opaque",
        "quadruple",
        "short",
        "string",
        "struct",
        "switch",
        "typedef",
        "union",
        "unsigned",
        "void",
        "program",
        "version",
    }
)


def parse(text: str, file: str = "<string>") -> Spec:
    """Parse the text of one ``.x`` file."""
    return _Parser(tokenize(text, file), file).specification()


class _Parser:
    def __init__(self, tokens: list[Token], file: str) -> None:
        self.file = file
        self.tokens = tokens
        self.i = 0
        self.comments: list[Token] = []
        self._skip_trivia()

    # -- token helpers -------------------------------------------------

    def _skip_trivia(self) -> None:
        while self.tokens[self.i].kind in (Kind.COMMENT, Kind.PASSTHROUGH):
            if self.tokens[self.i].kind is Kind.COMMENT:
                self.comments.append(self.tokens[self.i])
            self.i += 1

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def _advance(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        self._skip_trivia()
        return tok

    def _error(self, message: str, tok: Token | None = None) -> CodegenError:
        tok = tok or self.tok
        return CodegenError(message, self.file, tok.line, tok.column)

    def _describe(self, tok: Token) -> str:
        return "end of file" if tok.kind is Kind.EOF else repr(tok.text)

    def _expect(self, text: str) -> Token:
        if self.tok.text != text or self.tok.kind not in (Kind.PUNCT, Kind.IDENT):
            raise self._error(f"expected {text!r}, found {self._describe(self.tok)}")
        return self._advance()

    def _accept(self, text: str) -> bool:
        if self.tok.kind in (Kind.PUNCT, Kind.IDENT) and self.tok.text == text:
            self._advance()
            return True
        return False

    def _identifier(self) -> Token:
        tok = self.tok
        if tok.kind is not Kind.IDENT or tok.text in _KEYWORDS:
            raise self._error(f"expected identifier, found {self._describe(tok)}")
        return self._advance()

    def _value(self) -> Value:
        tok = self.tok
        if tok.kind is Kind.NUMBER:
            self._advance()
            return int(tok.text, 0)
        if tok.kind is Kind.IDENT and tok.text not in _KEYWORDS:
            self._advance()
            return tok.text
        raise self._error(f"expected number or constant name, found {self._describe(tok)}")

    def _pos(self, tok: Token) -> Pos:
        return Pos(self.file, tok.line, tok.column)

    def _take_comments(self) -> list[Token]:
        taken, self.comments = self.comments, []
        return taken

    def _markers_on_line(self, line: int) -> tuple[str, ...]:
        """Collect ``insert@``-style markers of pending comments on ``line``."""
        found = []
        keep = []
        for c in self.comments:
            m = ann.marker(c.text)
            if m is not None and c.line == line:
                found.append(m)
            else:
                keep.append(c)
        self.comments = keep
        return tuple(found)

    # -- grammar -------------------------------------------------------

    def specification(self) -> Spec:
        definitions: list[Definition] = []
        while self.tok.kind is not Kind.EOF:
            definitions.append(self._definition())
        return Spec(self.file, tuple(definitions))

    def _definition(self) -> Definition:
        tok = self.tok
        self._take_comments()
        word = tok.text if tok.kind is Kind.IDENT else ""
        if word == "const":
            return self._const()
        if word == "enum":
            return self._enum()
        if word == "struct":
            return self._struct()
        if word == "union":
            return self._union()
        if word == "typedef":
            return self._typedef()
        if word == "program":
            raise self._error("program definitions are not supported")
        raise self._error(f"expected a definition, found {self._describe(tok)}")

    def _const(self) -> Const:
        start = self._expect("const")
        name = self._identifier().text
        self._expect("=")
        value = self._value()
        self._expect(";")
        return Const(name, value, self._pos(start))

    def _enum(self) -> Enum:
        start = self._expect("enum")
        name = self._identifier().text
        self._expect("{")
        members: list[EnumMember] = []
        while True:
            pairs: list[tuple[str, str]] = []
            for c in self._take_comments():
                pairs.extend(ann.keyed(c.text))
            member = self._identifier().text
            self._expect("=")
            value = self._value()
            members.append(EnumMember(member, value, tuple(pairs)))
            if not self._accept(","):
                break
        self._expect("}")
        self._expect(";")
        self._take_comments()
        return Enum(name, tuple(members), self._pos(start))

    def _struct(self) -> Struct:
        start = self._expect("struct")
        name = self._identifier().text
        brace = self._expect("{")
        fields: list[Decl] = []
        struct_markers: tuple[str, ...] = ()
        while True:
            if not fields:
                struct_markers = self._markers_on_line(brace.line)
            self._take_comments()
            decl = self._declaration()
            if decl.kind == "void":
                raise self._error("void is not allowed as a struct member")
            semi = self._expect(";")
            markers = self._markers_on_line(semi.line)
            if markers:
                decl = Decl(decl.name, decl.type, decl.kind, decl.size, markers)
            fields.append(decl)
            if self.tok.text == "}" and self.tok.kind is Kind.PUNCT:
                break
        self._expect("}")
        self._expect(";")
        self._take_comments()
        return Struct(name, tuple(fields), self._pos(start), struct_markers)

    def _union(self) -> Union:
        start = self._expect("union")
        name = self._identifier().text
        self._expect("switch")
        self._expect("(")
        disc = self._declaration()
        if disc.kind != "plain":
            raise self._error("union discriminant must be a plain declaration")
        self._expect(")")
        self._expect("{")
        arms: list[Arm] = []
        default: Decl | None = None
        seen_default = False
        while True:
            if self._accept("case"):
                cases = [self._value()]
                self._expect(":")
                while self._accept("case"):
                    cases.append(self._value())
                    self._expect(":")
                decl = self._declaration()
                self._expect(";")
                arms.append(Arm(tuple(cases), decl))
            elif self.tok.text == "default" and self.tok.kind is Kind.IDENT:
                if seen_default:
                    raise self._error("duplicate default arm")
                self._advance()
                self._expect(":")
                default = self._declaration()
                seen_default = True
                self._expect(";")
            else:
                raise self._error(f"expected 'case' or 'default', found {self._describe(self.tok)}")
            if self.tok.text == "}" and self.tok.kind is Kind.PUNCT:
                break
        if not arms:
            raise self._error("union has no case arms")
        self._expect("}")
        self._expect(";")
        self._take_comments()
        return Union(name, disc, tuple(arms), default, self._pos(start))

    def _typedef(self) -> Typedef:
        start = self._expect("typedef")
        decl = self._declaration()
        if decl.kind == "void":
            raise self._error("cannot typedef void", start)
        self._expect(";")
        return Typedef(decl.name, decl, self._pos(start))

    def _type_specifier(self) -> str:
        tok = self.tok
        if tok.kind is not Kind.IDENT:
            raise self._error(f"expected a type, found {self._describe(tok)}")
        word = tok.text
        if word == "unsigned":
            self._advance()
            nxt = self.tok.text if self.tok.kind is Kind.IDENT else ""
            if nxt in ("int", "hyper", "char", "short"):
                self._advance()
                return f"unsigned {nxt}"
            return "unsigned int"
        if word in ("int", "hyper", "char", "short", "bool", "float", "double"):
            self._advance()
            return word
        if word == "quadruple":
            raise self._error("quadruple is not supported")
        if word in ("struct", "union", "enum"):
            self._advance()
            if self.tok.text == "{":
                raise self._error(f"anonymous {word} definitions are not supported")
            return self._identifier().text
        return self._identifier().text

    def _declaration(self) -> Decl:
        tok = self.tok
        if tok.kind is Kind.IDENT and tok.text == "void":
            self._advance()
            return Decl("", "void", "void")
        if tok.kind is Kind.IDENT and tok.text in ("opaque", "string"):
            self._advance()
            name = self._identifier().text
            if tok.text == "opaque" and self._accept("["):
                size = self._value()
                self._expect("]")
                return Decl(name, "opaque", "fixed", size)
            if self.tok.text != "<":
                raise self._error(f"{tok.text} needs a length: expected '<'")
            return Decl(name, tok.text, "var", self._var_size())
        type_name = self._type_specifier()
        if self._accept("*"):
            name = self._identifier().text
            return Decl(name, type_name, "optional")
        name = self._identifier().text
        if self._accept("["):
            size = self._value()
            self._expect("]")
            return Decl(name, type_name, "fixed", size)
        if self.tok.text == "<" and self.tok.kind is Kind.PUNCT:
            return Decl(name, type_name, "var", self._var_size())
        kind: Literal["plain"] = "plain"
        return Decl(name, type_name, kind)

    def _var_size(self) -> Value | None:
        self._expect("<")
        if self._accept(">"):
            return None
        size = self._value()
        self._expect(">")
        return size
