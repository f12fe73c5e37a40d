"""libvirt.conf: the virconf syntax, the default URI and alias resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from virtwire.errors import Error
from virtwire.transport.libvirt_conf import (
    LibvirtConf,
    config_path,
    load_conf,
    parse_conf,
    read_conf,
    resolve_alias,
    resolve_uri,
)

ALIASES = """\
# client configuration
uri_aliases = [
  "hail=qemu+ssh://root@hail.cloud.example.com/system",
  "sleet=qemu+ssh://root@sleet.cloud.example.com/system",
  "loop=hail",
]
uri_default = "qemu:///system"  # trailing comment
remote_mode = 'legacy'; remote_proxy = "netcat"
"""


def test_parse_conf_values() -> None:
    text = 'a = 1\nb = -2\nc = "x"\nd = [ "p", \'q\' , ]\ne = """multi\nline"""\nf = []\na = 5\n'
    assert parse_conf(text) == {
        "a": 1,
        "b": -2,
        "c": "x",
        "d": ["p", "q"],
        "e": "multi\nline",
        "f": [],
    }


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('a = "x', "unterminated string"),
        ("a 1", "expecting an assignment"),
        ("1 = 2", "expecting a name"),
        ("a = [1 2]", "expecting a separator in list"),
        ("a = [1", "list is not closed with ]"),
        ("a = [1,", "expecting a value"),
        ("a = x", "expecting a value"),
        ("a = 1 b = 2", "expecting a separator"),
        ("a = -", "unterminated number"),
    ],
)
def test_parse_errors(text: str, why: str) -> None:
    with pytest.raises(Error) as info:
        parse_conf(text, filename="f.conf")
    assert info.value.message == f"f.conf:1: {why}"
    assert info.value.code == Error.ERR_CONF_SYNTAX


def test_load_conf() -> None:
    conf = load_conf(ALIASES)
    assert conf.uri_default == "qemu:///system"
    assert conf.uri_aliases[0] == "hail=qemu+ssh://root@hail.cloud.example.com/system"
    assert (conf.remote_mode, conf.remote_proxy, conf.tls_priority) == ("legacy", "netcat", None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("uri_default = 1", "libvirt.conf: expected a string for 'uri_default' parameter"),
        ('uri_aliases = "a=b"', "libvirt.conf: expected a string list for 'uri_aliases' parameter"),
        ("uri_aliases = [1]", "libvirt.conf: expected a string list for 'uri_aliases' parameter"),
    ],
)
def test_wrong_types(text: str, message: str) -> None:
    with pytest.raises(Error) as info:
        load_conf(text)
    assert info.value.message == message


@pytest.mark.parametrize(
    ("uri", "env", "expected"),
    [
        ("hail", {}, "qemu+ssh://root@hail.cloud.example.com/system"),
        ("sleet", {}, "qemu+ssh://root@sleet.cloud.example.com/system"),
        ("loop", {}, "hail"),  # one substitution only: no loops
        ("HAIL", {}, "HAIL"),  # case matters
        ("qemu:///session", {}, "qemu:///session"),
        (None, {}, "qemu:///system"),
        ("", {}, "qemu:///system"),
        (None, {"LIBVIRT_DEFAULT_URI": "hail"}, "qemu+ssh://root@hail.cloud.example.com/system"),
        (None, {"LIBVIRT_DEFAULT_URI": "test:///default"}, "test:///default"),
        (None, {"LIBVIRT_DEFAULT_URI": ""}, "qemu:///system"),
        ("xen", {}, "xen:///system"),
        ("XEN", {}, "xen:///system"),
        ("xen://", {}, "xen:///system"),
    ],
)
def test_resolve_uri(uri: str | None, env: dict[str, str], expected: str) -> None:
    assert resolve_uri(uri, env=env, config_text=ALIASES) == expected


def test_resolve_without_anything_lets_the_daemon_pick() -> None:
    assert resolve_uri(None, env={}, conf=LibvirtConf()) == ""


def test_no_aliases() -> None:
    assert resolve_uri("hail", env={}, config_text=ALIASES, no_aliases=True) == "hail"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            ["nohost"],
            "Malformed 'uri_aliases' config entry 'nohost', expected 'alias=uri://host/path'",
        ),
        (
            ["bad.name=x"],
            "Malformed 'uri_aliases' config entry 'bad.name=x', "
            "aliases may only contain 'a-Z, 0-9, _, -'",
        ),
    ],
)
def test_malformed_aliases(entries: list[str], message: str) -> None:
    with pytest.raises(Error) as info:
        resolve_alias("anything", entries)
    assert info.value.message == message
    assert info.value.code == Error.ERR_CONF_SYNTAX


def test_entries_after_the_match_are_not_checked() -> None:
    assert resolve_alias("a", ["a=test:///default", "broken"]) == "test:///default"


def test_config_path() -> None:
    assert config_path(euid=0, env={"HOME": "/root"}) == "/etc/libvirt/libvirt.conf"
    assert config_path(euid=5, env={"HOME": "/h"}) == "/h/.config/libvirt/libvirt.conf"
    env = {"HOME": "/h", "XDG_CONFIG_HOME": "/x"}
    assert config_path(euid=5, env=env) == "/x/libvirt/libvirt.conf"


def test_read_conf(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    assert read_conf(euid=5, env=env) == LibvirtConf()
    (tmp_path / "cfg" / "libvirt").mkdir(parents=True)
    (tmp_path / "cfg" / "libvirt" / "libvirt.conf").write_text(ALIASES)
    assert read_conf(euid=5, env=env).uri_default == "qemu:///system"
    assert resolve_uri("hail", env=env, euid=5).startswith("qemu+ssh://root@hail")
