"""Lexer and parser: the XDR language as libvirt writes it, and located errors."""

from __future__ import annotations

import pytest

from codegen.errors import CodegenError
from codegen.ir import Arm, Const, Decl, Enum, EnumMember, Struct, Typedef, Union
from codegen.lexer import Kind, tokenize
from codegen.parser import parse


def test_tokens_and_positions() -> None:
    tokens = tokenize("const A = 0x10;\n/* c */\n%pass\nstruct", "t.x")
    kinds = [(t.kind, t.text, t.line, t.column) for t in tokens]
    assert kinds[:5] == [
        (Kind.IDENT, "const", 1, 1),
        (Kind.IDENT, "A", 1, 7),
        (Kind.PUNCT, "=", 1, 9),
        (Kind.NUMBER, "0x10", 1, 11),
        (Kind.PUNCT, ";", 1, 15),
    ]
    assert kinds[5] == (Kind.COMMENT, "/* c */", 2, 1)
    assert kinds[6] == (Kind.PASSTHROUGH, "%pass", 3, 1)
    assert kinds[7] == (Kind.IDENT, "struct", 4, 1)
    assert tokens[-1].kind is Kind.EOF


def test_lexer_errors_are_located() -> None:
    with pytest.raises(CodegenError) as info:
        tokenize("const A = 1;\n  $", "bad.x")
    assert str(info.value) == "bad.x:2:3: unexpected character '$'"
    with pytest.raises(CodegenError, match=r"bad.x:1:5: unterminated comment"):
        tokenize("int /* open", "bad.x")
    with pytest.raises(CodegenError, match=r"bad.x:1:3: '%' passthrough must start a line"):
        tokenize("a %b", "bad.x")


def test_constants_and_enums() -> None:
    spec = parse("const A = 4;\nconst B = A;\nconst C = -1;\nenum e { X = 1, Y = A };")
    assert spec.definitions[:3] == (
        Const("A", 4, spec.definitions[0].pos),  # type: ignore[union-attr]
        Const("B", "A", spec.definitions[1].pos),  # type: ignore[union-attr]
        Const("C", -1, spec.definitions[2].pos),  # type: ignore[union-attr]
    )
    e = spec.definitions[3]
    assert isinstance(e, Enum)
    assert e.members == (EnumMember("X", 1), EnumMember("Y", "A"))


def test_declarations() -> None:
    spec = parse(
        """
        struct s {
            unsigned a;
            unsigned int b;
            unsigned hyper c;
            hyper d;
            bool e;
            float f;
            double g;
            opaque h[16];
            opaque i<>;
            opaque j<MAX>;
            string k<10>;
            string l<>;
            int m[3];
            int n<5>;
            other *o;
            struct other p;
            char q[32];
            unsigned char r;
            unsigned short t;
        };
        """
    )
    s = spec.definitions[0]
    assert isinstance(s, Struct)
    assert s.fields == (
        Decl("a", "unsigned int", "plain"),
        Decl("b", "unsigned int", "plain"),
        Decl("c", "unsigned hyper", "plain"),
        Decl("d", "hyper", "plain"),
        Decl("e", "bool", "plain"),
        Decl("f", "float", "plain"),
        Decl("g", "double", "plain"),
        Decl("h", "opaque", "fixed", 16),
        Decl("i", "opaque", "var", None),
        Decl("j", "opaque", "var", "MAX"),
        Decl("k", "string", "var", 10),
        Decl("l", "string", "var", None),
        Decl("m", "int", "fixed", 3),
        Decl("n", "int", "var", 5),
        Decl("o", "other", "optional"),
        Decl("p", "other", "plain"),
        Decl("q", "char", "fixed", 32),
        Decl("r", "unsigned char", "plain"),
        Decl("t", "unsigned short", "plain"),
    )


def test_union_with_shared_arms_default_and_void() -> None:
    spec = parse(
        """
        union u switch (int kind) {
        case 1:
        case 2:
            int small;
        case K:
            void;
        default:
            string text<>;
        };
        typedef u *maybe_u;
        """
    )
    u, t = spec.definitions
    assert isinstance(u, Union) and isinstance(t, Typedef)
    assert u.discriminant == Decl("kind", "int", "plain")
    assert u.arms == (
        Arm((1, 2), Decl("small", "int", "plain")),
        Arm(("K",), Decl("", "void", "void")),
    )
    assert u.default == Decl("text", "string", "var", None)
    assert t.decl == Decl("maybe_u", "u", "optional")


def test_annotations_attach_to_procedures_and_fields() -> None:
    spec = parse(
        """
        struct r { /* insert@1 */
            int a; /* alloc@1@unsigned int@2 */
            int b;
        };
        enum p {
            /* prose that is not an annotation */
            /**
             * @generate: both
             * @readstream: 1
             * @acl: domain:read
             * @acl: domain:write
             */
            P_ONE = 1,
            /* @priority: high */
            P_TWO = 2
        };
        """
    )
    r, p = spec.definitions
    assert isinstance(r, Struct) and isinstance(p, Enum)
    assert r.annotations == ("insert@1",)
    assert r.fields[0].annotations == ("alloc@1@unsigned int@2",)
    assert r.fields[1].annotations == ()
    assert p.members[0].annotations == (
        ("generate", "both"),
        ("readstream", "1"),
        ("acl", "domain:read"),
        ("acl", "domain:write"),
    )
    assert p.members[1].annotations == (("priority", "high"),)


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ("struct s { int a }", "1:18", "expected ';', found '}'"),
        ("struct s {\n  int;\n};", "2:6", "expected identifier, found ';'"),
        ("const = 1;", "1:7", "expected identifier, found '='"),
        ("enum e { A = };", "1:14", "expected number or constant name, found '}'"),
        ("union u switch (int d) { int x; };", "1:26", "expected 'case' or 'default'"),
        ("typedef string s;", "1:17", "string needs a length"),
        ("struct s { int a; }", "1:20", "expected ';', found end of file"),
        ("program P { };", "1:1", "program definitions are not supported"),
        ("struct s { quadruple q; };", "1:12", "quadruple is not supported"),
        ("struct s { void; };", "1:16", "void is not allowed as a struct member"),
        ("int x;", "1:1", "expected a definition, found 'int'"),
    ],
)
def test_syntax_errors_name_file_line_column(text: str, where: str, message: str) -> None:
    with pytest.raises(CodegenError) as info:
        parse(text, "proto.x")
    assert str(info.value).startswith(f"proto.x:{where}: {message}")
