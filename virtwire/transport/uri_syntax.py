"""Generic URI syntax as libvirt sees it: split, query parameters, and formatting.

libvirt parses URIs with libxml2 (RFC 3986) and then splits the query into
parameters itself. This module reproduces both halves without any libvirt
semantics: :func:`split_uri` gives a :class:`SplitURI`, :func:`format_uri`
turns one back into text the way libxml2's ``xmlSaveUri`` does, and
:func:`format_params` re-encodes parameters the way ``virURIFormatParams`` does.

Percent-escapes in the user, host, path and fragment are decoded; undecodable
bytes survive as surrogate escapes and are re-encoded unchanged on output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from virtwire.constants_gen import virErrorDomain, virErrorNumber
from virtwire.errors import Error

__all__ = [
    "SplitURI",
    "format_params",
    "format_uri",
    "parse_params",
    "split_uri",
    "unescape",
]

_SCHEME: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*(?=:)")
_HEX: Final = "0123456789ABCDEFabcdef"
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_SUB_DELIMS: Final = frozenset("!$&'()*+,;=")
_PCHAR: Final = _UNRESERVED | _SUB_DELIMS | frozenset(":@%")
_PATH_CHARS: Final = _PCHAR | frozenset("/")
_QUERY_CHARS: Final = _PCHAR | frozenset("/?")
_USER_CHARS: Final = _UNRESERVED | _SUB_DELIMS | frozenset(":%")
_HOST_CHARS: Final = _UNRESERVED | _SUB_DELIMS | frozenset("%")
# libxml2's "unreserved" is RFC 2396's: alphanumerics and the marks.
_XML_UNRESERVED: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()"
)
_XML_PATH_KEEP: Final = _XML_UNRESERVED | frozenset("/;@&=+$,")
_XML_FRAGMENT_KEEP: Final = _XML_UNRESERVED | frozenset(";/?:@&=+$,[]")
# GLib's g_string_append_uri_escaped() with no extra allowed characters.
_GLIB_KEEP: Final = _UNRESERVED


@dataclass(frozen=True, slots=True)
class SplitURI:
    """A URI cut into parts; ``server`` has IPv6 brackets removed, ``port`` is 0 when absent."""

    scheme: str | None
    user: str | None
    server: str | None
    port: int
    path: str | None
    query: str | None
    fragment: str | None
    params: tuple[tuple[str, str], ...]


def _bad(uri: str, why: str) -> Error:
    return Error(
        f"Unable to parse URI {uri}: {why}",
        code=virErrorNumber.VIR_ERR_INTERNAL_ERROR,
        domain=virErrorDomain.VIR_FROM_URI,
    )


def unescape(text: str) -> str:
    """Decode ``%XX`` escapes like ``xmlURIUnescapeString`` (stray ``%`` kept, ``+`` kept)."""
    if "%" not in text:
        return text
    out = bytearray()
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            out.append(int(text[i + 1 : i + 3], 16))
            i += 3
        else:
            out += ch.encode("utf-8", "surrogateescape")
            i += 1
    return out.decode("utf-8", "surrogateescape")


def _escape(text: str, keep: frozenset[str]) -> str:
    parts: list[str] = []
    for ch in text:
        if ch in keep:
            parts.append(ch)
        else:
            parts.extend(f"%{b:02X}" for b in ch.encode("utf-8", "surrogateescape"))
    return "".join(parts)


def _check(uri: str, part: str, allowed: frozenset[str], what: str) -> None:
    for ch in part:
        if ch not in allowed:
            raise _bad(uri, f"character {ch!r} not allowed in the {what}")


def parse_params(query: str | None) -> tuple[tuple[str, str], ...]:
    """Split a raw query into ``(name, value)`` pairs as ``virURIParseParams`` does.

    Sections end at ``&``, or at ``;`` only when no ``&`` follows; ``name`` alone
    means an empty value; ``=value`` sections are dropped.
    """
    if not query:
        return ()
    params: list[tuple[str, str]] = []
    pos = 0
    n = len(query)
    while pos < n:
        end = query.find("&", pos)
        if end < 0:
            end = query.find(";", pos)
        if end < 0:
            end = n
        eq = query.find("=", pos, end)
        if end == pos or eq == pos:
            pass
        elif eq < 0:
            params.append((unescape(query[pos:end]), ""))
        else:
            params.append((unescape(query[pos:eq]), unescape(query[eq + 1 : end])))
        pos = end + 1 if end < n else end
    return tuple(params)


def format_params(params: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> str | None:
    """Join parameters as ``virURIFormatParams``: names raw, values escaped; ``None`` if empty."""
    if not params:
        return None
    return "&".join(f"{name}={_escape(value, _GLIB_KEEP)}" for name, value in params)


def split_uri(uri: str) -> SplitURI:
    """Parse ``uri`` like ``virURIParse``; a URI without a scheme parses as a relative path."""
    rest = uri
    scheme: str | None = None
    match = _SCHEME.match(rest)
    if match:
        scheme = match.group(0)
        rest = rest[match.end() + 1 :]

    fragment: str | None = None
    hash_at = rest.find("#")
    if hash_at >= 0:
        frag_raw = rest[hash_at + 1 :]
        _check(uri, frag_raw, _QUERY_CHARS, "fragment")
        fragment = unescape(frag_raw)
        rest = rest[:hash_at]

    query: str | None = None
    q_at = rest.find("?")
    if q_at >= 0:
        query = rest[q_at + 1 :]
        _check(uri, query, _QUERY_CHARS, "query")
        rest = rest[:q_at]

    user: str | None = None
    server: str | None = None
    port = 0
    if rest.startswith("//"):
        slash = rest.find("/", 2)
        authority = rest[2:] if slash < 0 else rest[2:slash]
        rest = "" if slash < 0 else rest[slash:]
        user, server, port = _split_authority(uri, authority)
    elif scheme is None and ":" in rest.split("/", 1)[0]:
        raise _bad(uri, "first path segment of a relative reference contains ':'")

    _check(uri, rest, _PATH_CHARS, "path")
    path = unescape(rest) if rest else None
    if not server:
        port = 0
    return SplitURI(
        scheme=scheme,
        user=user,
        server=server,
        port=port,
        path=path,
        query=query,
        fragment=fragment,
        params=parse_params(query),
    )


def _split_authority(uri: str, authority: str) -> tuple[str | None, str | None, int]:
    user: str | None = None
    hostport = authority
    if "@" in authority:
        user_raw, hostport = authority.split("@", 1)
        _check(uri, user_raw, _USER_CHARS, "user name")
        user = unescape(user_raw)
    port = 0
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            raise _bad(uri, "unterminated IPv6 address")
        host = unescape(hostport[1:close])
        tail = hostport[close + 1 :]
    else:
        colon = hostport.find(":")
        host = hostport if colon < 0 else hostport[:colon]
        tail = "" if colon < 0 else hostport[colon:]
        _check(uri, host, _HOST_CHARS, "host name")
        host = unescape(host)
    if tail:
        digits = tail[1:]
        if not tail.startswith(":") or not digits.isascii() or not digits.isdigit():
            raise _bad(uri, f"bad port {tail[1:]!r}")
        port = min(int(digits), 99999999)
    return user, (host or None), port


def format_uri(
    *,
    scheme: str | None,
    server: str | None = None,
    port: int = 0,
    user: str | None = None,
    path: str | None = None,
    query: str | None = None,
    fragment: str | None = None,
) -> str:
    """Format a URI as ``virURIFormat`` (libxml2's ``xmlSaveUri``) does.

    The authority marker ``//`` is always written, even without a server.
    """
    parts: list[str] = []
    if scheme is not None:
        parts.append(scheme + ":")
    parts.append("//")
    if server is not None:
        if user is not None:
            parts.append(_escape(user, _XML_UNRESERVED | frozenset(";:&=+$,")) + "@")
        parts.append(f"[{server}]" if ":" in server else _escape(server, _XML_PATH_KEEP))
        if port > 0:
            parts.append(f":{port}")
    if path:
        parts.append(_escape(path, _XML_PATH_KEEP))
    if query is not None:
        parts.append("?" + query)
    if fragment is not None:
        parts.append("#" + _escape(fragment, _XML_FRAGMENT_KEEP))
    return "".join(parts)
