"""Recognise libvirt's machine annotations inside ``.x`` comments.

Two shapes exist: ``@key: value`` lines (before procedure numbers) and
whole-comment markers such as ``insert@1`` or ``alloc@1@unsigned int@2``
(after struct openings and fields).  Everything else in a comment is prose.
"""

from __future__ import annotations

import re

_KEYED = re.compile(r"^@([a-z]+):\s*(.*?)\s*$")
_MARKER = re.compile(r"^(?:insert|alloc)@\S.*$")


def comment_body(comment: str) -> list[str]:
    """Return the stripped content lines of a ``/* */`` or ``//`` comment."""
    if comment.startswith("//"):
        return [comment[2:].strip()]
    inner = comment[2:-2]
    lines = []
    for raw in inner.split("\n"):
        text = raw.strip()
        while text.startswith("*"):
            text = text[1:].strip()
        if text:
            lines.append(text)
    return lines


def keyed(comment: str) -> list[tuple[str, str]]:
    """Return the ``(key, value)`` pairs of the ``@key: value`` lines in ``comment``."""
    pairs = []
    for line in comment_body(comment):
        m = _KEYED.match(line)
        if m is not None:
            pairs.append((m.group(1), m.group(2)))
    return pairs


def marker(comment: str) -> str | None:
    """Return the ``insert@``/``alloc@`` marker if that is all ``comment`` says."""
    body = comment_body(comment)
    if len(body) == 1 and _MARKER.match(body[0]):
        return " ".join(body[0].split())
    return None
