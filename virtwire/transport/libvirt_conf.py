"""The client configuration ``libvirt.conf``: default URI, aliases and remote settings.

The file is ``/etc/libvirt/libvirt.conf`` for root and
``$XDG_CONFIG_HOME/libvirt/libvirt.conf`` (``~/.config/libvirt/libvirt.conf``)
for anybody else; a missing file is an empty configuration. The syntax is
libvirt's ``virconf``: ``name = value`` statements separated by newlines or
``;``, values being ``"strings"``, ``'strings'``, ``\"\"\"strings\"\"\"``, integers or
``[lists]``; ``#`` starts a comment. The first statement of a name wins.

:func:`resolve_uri` turns what a caller passed into the URI libvirt would open:
an empty URI becomes ``LIBVIRT_DEFAULT_URI``, else ``uri_default``; then a
matching alias from ``uri_aliases`` is substituted, once (an alias's target
is never looked up again, so aliases cannot loop).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from virtwire.errors import Error
from virtwire.transport.socket_paths import user_config_dir

__all__ = [
    "SYSTEM_CONFIG",
    "ConfValue",
    "LibvirtConf",
    "config_path",
    "load_conf",
    "parse_conf",
    "read_conf",
    "resolve_alias",
    "resolve_uri",
]

#: root's client configuration.
SYSTEM_CONFIG: Final = "/etc/libvirt/libvirt.conf"
_ALIAS_CHARS: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

ConfValue = str | int | list["ConfValue"]


@dataclass(frozen=True, slots=True)
class LibvirtConf:
    """The settings of ``libvirt.conf`` a client uses (``None`` when unset)."""

    path: str | None = None
    uri_default: str | None = None
    uri_aliases: tuple[str, ...] = ()
    remote_mode: str | None = None
    remote_proxy: str | None = None
    tls_priority: str | None = None


def _syntax(filename: str, line: int, why: str) -> Error:
    return Error(f"{filename}:{line}: {why}", code=Error.ERR_CONF_SYNTAX, domain=Error.FROM_CONF)


class _Parser:
    """A recursive-descent reader of the virconf syntax."""

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.pos = 0
        self.end = len(text)
        self.filename = filename

    def error(self, why: str) -> Error:
        return _syntax(self.filename, self.text.count("\n", 0, self.pos) + 1, why)

    def cur(self) -> str:
        return self.text[self.pos] if self.pos < self.end else ""

    def skip_blanks(self) -> None:
        while self.pos < self.end and self.text[self.pos] in " \t":
            self.pos += 1

    def skip_blanks_and_eol(self) -> None:
        while self.pos < self.end and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def parse(self) -> dict[str, ConfValue]:
        entries: dict[str, ConfValue] = {}
        while self.pos < self.end:
            self.statement(entries)
            self.separator()
        return entries

    def statement(self, entries: dict[str, ConfValue]) -> None:
        self.skip_blanks_and_eol()
        if self.cur() == "#":
            self.skip_line()
            return
        name = self.name()
        self.skip_blanks()
        if self.cur() != "=":
            raise self.error("expecting an assignment")
        self.pos += 1
        self.skip_blanks()
        value = self.value()
        self.skip_blanks()
        if self.cur() == "#":
            self.skip_line()
        entries.setdefault(name, value)

    def skip_line(self) -> None:
        while self.pos < self.end and self.text[self.pos] not in "\r\n":
            self.pos += 1

    def separator(self) -> None:
        self.skip_blanks()
        if self.pos >= self.end:
            return
        ch = self.cur()
        if ch in "\r\n":
            self.skip_blanks_and_eol()
        elif ch == ";":
            self.pos += 1
            self.skip_blanks_and_eol()
        else:
            raise self.error("expecting a separator")

    def name(self) -> str:
        self.skip_blanks()
        start = self.pos
        if not (self.cur().isascii() and self.cur().isalpha()):
            raise self.error("expecting a name")
        while self.pos < self.end and (
            (self.text[self.pos].isascii() and self.text[self.pos].isalnum())
            or self.text[self.pos] == "_"
        ):
            self.pos += 1
        return self.text[start : self.pos]

    def value(self) -> ConfValue:
        self.skip_blanks()
        ch = self.cur()
        if not ch:
            raise self.error("expecting a value")
        if ch in "\"'":
            return self.string()
        if ch == "[":
            return self.list()
        if ch in "+-" or (ch.isascii() and ch.isdigit()):
            return self.number()
        raise self.error("expecting a value")

    def string(self) -> str:
        if self.text.startswith('"""', self.pos) and self.pos + 6 < self.end:
            close = self.text.find('"""', self.pos + 3)
            if close < 0:
                raise self.error("unterminated string")
            value = self.text[self.pos + 3 : close]
            self.pos = close + 3
            return value
        quote = self.cur()
        start = self.pos + 1
        pos = start
        while pos < self.end and self.text[pos] not in (quote, "\r", "\n"):
            pos += 1
        if pos >= self.end or self.text[pos] != quote:
            self.pos = pos
            raise self.error("unterminated string")
        self.pos = pos + 1
        return self.text[start:pos]

    def list(self) -> list[ConfValue]:
        self.pos += 1
        self.skip_blanks_and_eol()
        items: list[ConfValue] = []
        if self.pos < self.end and self.cur() != "]":
            items.append(self.value())
            self.skip_blanks_and_eol()
        while self.pos < self.end and self.cur() != "]":
            if self.cur() != ",":
                raise self.error("expecting a separator in list")
            self.pos += 1
            self.skip_blanks_and_eol()
            if self.cur() == "]":
                break
            items.append(self.value())
            self.skip_blanks_and_eol()
        if self.cur() != "]":
            raise self.error("list is not closed with ]")
        self.pos += 1
        return items

    def number(self) -> int:
        start = self.pos
        if self.cur() in "+-":
            self.pos += 1
        digits = self.pos
        while self.pos < self.end and self.text[self.pos] in "0123456789":
            self.pos += 1
        if self.pos == digits:
            raise self.error("unterminated number")
        return int(self.text[start : self.pos])


def parse_conf(text: str, *, filename: str = "libvirt.conf") -> dict[str, ConfValue]:
    """Parse virconf text into ``{name: value}`` (first statement of a name wins)."""
    return _Parser(text, filename).parse()


def _get_string(entries: Mapping[str, ConfValue], name: str, filename: str) -> str | None:
    value = entries.get(name)
    if value is None or isinstance(value, str):
        return value
    raise Error(
        f"{filename}: expected a string for '{name}' parameter",
        code=Error.ERR_INTERNAL_ERROR,
        domain=Error.FROM_CONF,
    )


def _get_string_list(entries: Mapping[str, ConfValue], name: str, filename: str) -> tuple[str, ...]:
    value = entries.get(name)
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(str(item) for item in value)
    raise Error(
        f"{filename}: expected a string list for '{name}' parameter",
        code=Error.ERR_CONF_SYNTAX if isinstance(value, list) else Error.ERR_INTERNAL_ERROR,
        domain=Error.FROM_CONF,
    )


def load_conf(text: str, *, filename: str = "libvirt.conf") -> LibvirtConf:
    """The client settings of a ``libvirt.conf`` text."""
    entries = parse_conf(text, filename=filename)
    return LibvirtConf(
        path=filename,
        uri_default=_get_string(entries, "uri_default", filename),
        uri_aliases=_get_string_list(entries, "uri_aliases", filename),
        remote_mode=_get_string(entries, "remote_mode", filename),
        remote_proxy=_get_string(entries, "remote_proxy", filename),
        tls_priority=_get_string(entries, "tls_priority", filename),
    )


def config_path(*, euid: int, env: Mapping[str, str]) -> str:
    """Where this user's ``libvirt.conf`` is."""
    if euid == 0:
        return SYSTEM_CONFIG
    return os.path.join(user_config_dir(env), "libvirt.conf")


def read_conf(*, euid: int | None = None, env: Mapping[str, str] | None = None) -> LibvirtConf:
    """Read this user's ``libvirt.conf``; a missing file gives an empty configuration."""
    path = config_path(
        euid=os.geteuid() if euid is None else euid, env=os.environ if env is None else env
    )
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
    except FileNotFoundError:
        return LibvirtConf()
    except OSError as exc:
        raise Error(
            f"Failed to open file '{path}': {exc.strerror}",
            code=Error.ERR_SYSTEM_ERROR,
            domain=Error.FROM_CONF,
        ) from exc
    return load_conf(text, filename=path)


def resolve_alias(uri: str, aliases: tuple[str, ...] | list[str]) -> str | None:
    """The target of alias ``uri`` in ``uri_aliases`` entries, or ``None``.

    Entries are checked in order up to the match, as libvirt does: one without
    ``=`` or with a name outside ``a-Z, 0-9, _, -`` is an error.
    """
    for entry in aliases:
        offset = entry.find("=")
        if offset < 0:
            raise Error(
                f"Malformed 'uri_aliases' config entry '{entry}', expected 'alias=uri://host/path'",
                code=Error.ERR_CONF_SYNTAX,
                domain=Error.FROM_URI,
            )
        name = entry[:offset]
        if any(ch not in _ALIAS_CHARS for ch in name):
            raise Error(
                f"Malformed 'uri_aliases' config entry '{entry}', "
                "aliases may only contain 'a-Z, 0-9, _, -'",
                code=Error.ERR_CONF_SYNTAX,
                domain=Error.FROM_URI,
            )
        if name == uri:
            return entry[offset + 1 :]
    return None


def resolve_uri(
    uri: str | None,
    *,
    env: Mapping[str, str] | None = None,
    config_text: str | None = None,
    conf: LibvirtConf | None = None,
    euid: int | None = None,
    no_aliases: bool = False,
) -> str:
    """The URI libvirt's ``virConnectOpen`` would use for ``uri``.

    ``None`` or ``""`` falls back to ``LIBVIRT_DEFAULT_URI`` (when non-empty),
    then to ``uri_default``; ``"xen"`` and ``"xen://"`` become
    ``"xen:///system"``; an alias is then replaced by its target unless
    ``no_aliases`` (``VIR_CONNECT_NO_ALIASES``). Returns ``""`` when there is
    still no URI: the daemon is then asked to pick one. The configuration is
    ``conf``, else ``config_text``, else this user's ``libvirt.conf``.
    """
    env = os.environ if env is None else env
    if conf is None:
        conf = load_conf(config_text) if config_text is not None else read_conf(euid=euid, env=env)
    name = uri or None
    if name is not None and name.lower() == "xen":
        name = "xen:///system"
    if name == "xen://":
        name = "xen:///system"
    if name is None:
        default = env.get("LIBVIRT_DEFAULT_URI")
        name = default if default else conf.uri_default
    if not name:
        return ""
    if not no_aliases and conf.uri_aliases:
        target = resolve_alias(name, conf.uri_aliases)
        if target is not None:
            return target
    return name
