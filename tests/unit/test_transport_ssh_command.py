"""ssh/ext command lines; expected argv captured from libvirt 9.0.0's client with a fake ssh."""

from __future__ import annotations

import pytest

from virtwire.errors import Error
from virtwire.transport.ssh_command import (
    command_argv,
    command_environment,
    double_escape_shell,
    escape_shell,
    remote_command,
    ssh_argv,
)
from virtwire.transport.uri import parse_uri

NC_RO = (
    "if 'nc' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then ARG=-q0;"
    "else ARG=;fi;'nc' $ARG -U /var/run/libvirt/libvirt-sock-ro"
)


def auto(helper: str, nc: str = NC_RO) -> str:
    return (
        "sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; if test $? = 0; then "
        f"    virt-ssh-helper -r {helper}; else    {nc}; fi'"
    )


# (URI, argv libvirt ran) for read-only connections as root.
LIBVIRT_ARGV = [
    (
        "qemu+ssh://root@host:2222/system?keyfile=/k&foo=a%20b&command=/x/ssh",
        [
            "/x/ssh", "-p", "2222", "-l", "root", "-i", "/k", "-T", "-e", "none", "--", "host",
            auto("'''\\''qemu:///system?foo=a%20b'\\''''"),
        ],
    ),
    (
        "qemu+ssh://h/system?socket=/x/y&command=/x/ssh&no_tty=1&no_verify=1",
        [
            "/x/ssh", "-T", "-e", "none", "-o", "BatchMode=yes", "-o",
            "StrictHostKeyChecking=no", "--", "h",
            "sh -c 'if 'nc' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then "
            "ARG=-q0;else ARG=;fi;'nc' $ARG -U /x/y'",
        ],
    ),
    (
        "qemu+ssh://h/session?command=/x/ssh",
        ["/x/ssh", "-T", "-e", "none", "--", "h", auto("'qemu:///session'")],
    ),
    (
        "qemu+ssh://h/system?command=/x/ssh&netcat=/my%20nc",
        [
            "/x/ssh", "-T", "-e", "none", "--", "h",
            "sh -c 'if '''\\''/my nc'\\'''' -q 2>&1 | grep \"requires an argument\" >/dev/null "
            "2>&1; then ARG=-q0;else ARG=;fi;'''\\''/my nc'\\'''' $ARG -U "
            "/var/run/libvirt/libvirt-sock-ro'",
        ],
    ),
    (
        "qemu+ssh://h?command=/x/ssh",
        ["/x/ssh", "-T", "-e", "none", "--", "h", auto("'qemu://'")],
    ),
    (
        "remote+ssh://h/system?command=/x/ssh",
        ["/x/ssh", "-T", "-e", "none", "--", "h", auto("'''\\'''\\''''")],
    ),
    (
        "qemu+ssh://h/system?command=/x/ssh&proxy=netcat",
        ["/x/ssh", "-T", "-e", "none", "--", "h", f"sh -c '{NC_RO}'"],
    ),
    (
        "qemu+ssh://h/system?command=/x/ssh&proxy=native",
        ["/x/ssh", "-T", "-e", "none", "--", "h", "sh -c 'virt-ssh-helper -r 'qemu:///system''"],
    ),
    (
        "qemu+ssh://[fe80::1]:22/system?command=/x/ssh",
        ["/x/ssh", "-p", "22", "-T", "-e", "none", "--", "fe80::1", auto("'qemu:///system'")],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("uri", "argv"), LIBVIRT_ARGV)
def test_same_argv_as_libvirt(uri: str, argv: list[str]) -> None:
    target = parse_uri(uri, euid=0, readonly=True, env={}, exists=lambda p: False)
    assert ssh_argv(target) == argv


def test_read_write_and_default_binary() -> None:
    target = parse_uri("qemu+ssh://h/system?proxy=native", euid=0, env={}, exists=lambda p: False)
    assert ssh_argv(target) == [
        "ssh", "-T", "-e", "none", "--", "h", "sh -c 'virt-ssh-helper 'qemu:///system''",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "once", "twice"),
    [
        ("", "''", "''\\'''\\'''"),
        ("plain/path-1.x", "plain/path-1.x", "plain/path-1.x"),
        ("a b", "'a b'", "''\\''a b'\\'''"),
        ("it's", "'it'\\''s'", "''\\''it'\\''\\'\\'''\\''s'\\'''"),
    ],
)
def test_escape_shell(text: str, once: str, twice: str) -> None:
    assert escape_shell(text) == once
    assert double_escape_shell(text) == twice


def test_remote_command_auto_with_netcat_is_netcat() -> None:
    assert remote_command("auto", "nc", "/s", "u", False).startswith("sh -c 'if ")


def test_remote_command_native_rejects_netcat() -> None:
    with pytest.raises(Error, match="netcat path not valid with native proxy mode"):
        remote_command("native", "nc", "/s", "u", False)


def test_libssh_through_openssh() -> None:
    env = {"HOME": "/home/u"}
    target = parse_uri(
        "qemu+libssh2://h/system?sshauth=privkey,Agent,password&known_hosts_verify=AUTO&no_tty=1",
        euid=0,
        env=env,
        exists=lambda p: False,
    )
    argv = ssh_argv(target, env=env)
    assert argv[:-1] == [
        "ssh", "-p", "22", "-l", "root", "-T", "-e", "none", "-o", "BatchMode=yes",
        "-o", "UserKnownHostsFile=/home/u/.config/libvirt/known_hosts",
        "-o", "StrictHostKeyChecking=accept-new",
        "-o", "PreferredAuthentications=publickey,password",
        "--", "h",
    ]  # fmt: skip
    target = parse_uri(
        "qemu+libssh://me@h:2/system?known_hosts=/kh&keyfile=/id&known_hosts_verify=ignore",
        euid=0,
        env=env,
        exists=lambda p: False,
    )
    assert ssh_argv(target, env=env)[:-3] == [
        "ssh", "-p", "2", "-l", "me", "-i", "/id", "-T", "-e", "none",
        "-o", "UserKnownHostsFile=/kh", "-o", "StrictHostKeyChecking=no",
    ]  # fmt: skip


def test_ext_runs_command_alone() -> None:
    target = parse_uri("qemu+ext:///system?command=/usr/bin/my%20tunnel", euid=0, env={})
    assert command_argv(target) == ["/usr/bin/my tunnel"]


def test_environment() -> None:
    env = {
        "PATH": "/bin",
        "HOME": "/h",
        "SSH_AUTH_SOCK": "/a",
        "TERM": "xterm",
        "SECRET": "x",
        "LANG": "de_DE",
    }
    assert command_environment(env, ssh=False) == {"LC_ALL": "C", "PATH": "/bin", "HOME": "/h"}
    assert command_environment(env, ssh=True, tty=True) == {
        "LC_ALL": "C",
        "PATH": "/bin",
        "HOME": "/h",
        "SSH_AUTH_SOCK": "/a",
        "TERM": "xterm",
    }
    assert "TERM" not in command_environment(env, ssh=True, tty=False)
