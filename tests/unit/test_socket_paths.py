"""Socket paths and the mode/auto choice of libvirt's remote_sockets.c."""

from __future__ import annotations

import pytest

from virtwire.errors import Error
from virtwire.transport.socket_paths import (
    choose_socket,
    probe_driver,
    socket_path,
    user_config_dir,
    user_runtime_dir,
)

ENV = {"HOME": "/home/u", "XDG_RUNTIME_DIR": "/run/user/7"}


@pytest.mark.parametrize(
    ("prefix", "session", "readonly", "path"),
    [
        ("libvirt", False, False, "/var/run/libvirt/libvirt-sock"),
        ("libvirt", False, True, "/var/run/libvirt/libvirt-sock-ro"),
        ("virtqemud", False, False, "/var/run/libvirt/virtqemud-sock"),
        ("virtstoraged", False, True, "/var/run/libvirt/virtstoraged-sock-ro"),
        ("libvirt", True, False, "/run/user/7/libvirt/libvirt-sock"),
        ("libvirt", True, True, "/run/user/7/libvirt/libvirt-sock"),  # no -ro per user
        ("virtqemud", True, False, "/run/user/7/libvirt/virtqemud-sock"),
    ],
)
def test_socket_path(prefix: str, session: bool, readonly: bool, path: str) -> None:
    assert socket_path(prefix, session=session, readonly=readonly, env=ENV) == path


@pytest.mark.parametrize(
    ("env", "runtime", "config"),
    [
        (ENV, "/run/user/7/libvirt", "/home/u/.config/libvirt"),
        ({"HOME": "/h"}, "/h/.cache/libvirt", "/h/.config/libvirt"),
        ({"HOME": "/h", "XDG_RUNTIME_DIR": ""}, "/h/.cache/libvirt", "/h/.config/libvirt"),
        (
            {"HOME": "/h", "XDG_CACHE_HOME": "/c", "XDG_CONFIG_HOME": "/cfg"},
            "/c/libvirt",
            "/cfg/libvirt",
        ),
    ],
)
def test_user_dirs(env: dict[str, str], runtime: str, config: str) -> None:
    assert user_runtime_dir(env) == runtime
    assert user_config_dir(env) == config


def choose(
    transport: str,
    mode: str,
    driver: str | None,
    present: set[str],
    *,
    session: bool = False,
    readonly: bool = False,
    prefer_direct: bool = False,
    euid: int = 0,
) -> tuple[str, str, str]:
    c = choose_socket(
        transport,
        mode,
        driver,
        session=session,
        readonly=readonly,
        env=ENV,
        exists=present.__contains__,
        euid=euid,
        prefer_direct=prefer_direct,
    )
    return c.path, c.daemon, c.mode


DIRECT = "/var/run/libvirt/virtqemud-sock"
LEGACY = "/var/run/libvirt/libvirt-sock"


@pytest.mark.parametrize(
    ("present", "prefer_direct", "expected"),
    [
        ({DIRECT, LEGACY}, False, (DIRECT, "virtqemud", "direct")),
        ({LEGACY}, False, (LEGACY, "libvirtd", "legacy")),
        (set(), False, (LEGACY, "libvirtd", "legacy")),
        (set(), True, (DIRECT, "virtqemud", "direct")),
        ({LEGACY}, True, (LEGACY, "libvirtd", "legacy")),
    ],
)
def test_auto_over_unix(
    present: set[str], prefer_direct: bool, expected: tuple[str, str, str]
) -> None:
    assert choose("unix", "auto", "qemu", present, prefer_direct=prefer_direct) == expected


def test_auto_over_ssh_is_legacy() -> None:
    assert choose("ssh", "auto", "qemu", {DIRECT}) == (LEGACY, "libvirtd", "legacy")


def test_explicit_modes() -> None:
    assert choose("unix", "direct", "qemu", set()) == (DIRECT, "virtqemud", "direct")
    assert choose("unix", "legacy", "qemu", {DIRECT}) == (LEGACY, "libvirtd", "legacy")


def test_direct_needs_unix() -> None:
    with pytest.raises(Error) as info:
        choose("libssh", "direct", "qemu", set())
    assert info.value.message == "Cannot use direct socket mode for libssh transport"
    assert info.value.code == Error.ERR_OPERATION_UNSUPPORTED


def test_direct_needs_a_driver() -> None:
    with pytest.raises(Error, match="No URI is provided"):
        choose("unix", "direct", None, set())


def test_unknown_mode() -> None:
    with pytest.raises(Error, match="Unknown remote mode 'x'"):
        choose("unix", "x", "qemu", set())


def test_probe_system() -> None:
    present = {"/run/libvirt/virtlxcd-sock", "/run/libvirt/virtqemud-sock"}
    assert probe_driver(euid=0, readonly=False, env=ENV, exists=present.__contains__) == "qemu"
    assert probe_driver(euid=0, readonly=True, env=ENV, exists=present.__contains__) is None


def test_probe_session_sockets_then_binaries() -> None:
    sock = {"/run/user/7/libvirt/virtvboxd-sock"}
    assert probe_driver(euid=7, readonly=False, env=ENV, exists=sock.__contains__) == "vbox"
    binary = {"/usr/sbin/virtqemud"}
    assert probe_driver(euid=7, readonly=False, env=ENV, exists=binary.__contains__) == "qemu"
    assert probe_driver(euid=7, readonly=False, env=ENV, exists=set().__contains__) is None


def test_prefer_direct_guesses_driver() -> None:
    present = {"/run/user/7/libvirt/virtqemud-sock"}
    assert choose("unix", "auto", None, present, session=True, prefer_direct=True, euid=7) == (
        "/run/user/7/libvirt/virtqemud-sock",
        "virtqemud",
        "direct",
    )
    # Without the build option there is no guess: the legacy socket.
    assert choose("unix", "auto", None, present, session=True, euid=7)[1] == "libvirtd"
