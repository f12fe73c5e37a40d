"""Where libvirt's UNIX sockets live, and which one a connection uses.

These are the rules of libvirt's ``remote_sockets.c``:

* system sockets are ``/var/run/libvirt/<prefix>-sock`` (``-sock-ro`` read-only);
* session sockets are ``<runtime dir>/libvirt/<prefix>-sock`` (never ``-ro``), the
  runtime dir being ``$XDG_RUNTIME_DIR``, else the cache dir
  (``$XDG_CACHE_HOME``, else ``$HOME/.cache``);
* the prefix is ``libvirt`` for the monolithic daemon (mode ``legacy``) or
  ``virt<driver>d`` for a modular daemon (mode ``direct``);
* mode ``auto`` over a local UNIX socket takes the modular socket if it exists,
  else the legacy one if it exists, else the build's default; over ssh it is legacy.

File-system look-ups go through an ``exists`` callable, so everything here is pure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from virtwire.errors import Error

__all__ = [
    "LEGACY_DAEMON",
    "MODES",
    "SBIN_DIR",
    "SESSION_PROBE_DRIVERS",
    "SYSTEM_PROBE_DRIVERS",
    "SYSTEM_RUN_DIR",
    "SocketChoice",
    "choose_socket",
    "probe_driver",
    "socket_path",
    "user_cache_dir",
    "user_config_dir",
    "user_home_dir",
    "user_runtime_dir",
]

#: The remote driver's modes (``remote_mode`` / ``mode=``).
MODES: Final = ("auto", "legacy", "direct")
#: ``$LOCALSTATEDIR/run/libvirt``: portable to remote hosts that lack ``/run``.
SYSTEM_RUN_DIR: Final = "/var/run/libvirt"
#: ``$RUNSTATEDIR/libvirt``: where a driver-less local connection probes for daemons.
PROBE_RUN_DIR: Final = "/run/libvirt"
#: Where the daemons are installed.
SBIN_DIR: Final = "/usr/sbin"
#: The monolithic daemon and its socket prefix.
LEGACY_DAEMON: Final = "libvirtd"
LEGACY_PREFIX: Final = "libvirt"
#: Drivers probed (in this order) for a system connection without a URI.
SYSTEM_PROBE_DRIVERS: Final = ("xen", "qemu", "lxc", "vbox", "bhyve", "vz")
#: Drivers probed (in this order) for a session connection without a URI.
SESSION_PROBE_DRIVERS: Final = ("qemu", "vbox")

Exists = Callable[[str], bool]


@dataclass(frozen=True, slots=True)
class SocketChoice:
    """The socket chosen for a connection, the daemon serving it and the resolved mode."""

    path: str
    daemon: str
    mode: str


def user_home_dir(env: Mapping[str, str]) -> str:
    """``$HOME``, else the password database's entry (as GLib's ``g_get_home_dir``)."""
    home = env.get("HOME")
    if home:
        return home
    return os.path.expanduser("~")


def user_cache_dir(env: Mapping[str, str]) -> str:
    """``$XDG_CACHE_HOME``, else ``$HOME/.cache``."""
    cache = env.get("XDG_CACHE_HOME")
    return cache if cache else os.path.join(user_home_dir(env), ".cache")


def user_runtime_dir(env: Mapping[str, str]) -> str:
    """libvirt's per-user runtime dir: ``$XDG_RUNTIME_DIR/libvirt``, else the cache dir's."""
    runtime = env.get("XDG_RUNTIME_DIR")
    base = runtime if runtime else user_cache_dir(env)
    return os.path.join(base, "libvirt")


def user_config_dir(env: Mapping[str, str]) -> str:
    """libvirt's per-user config dir: ``$XDG_CONFIG_HOME/libvirt``, else ``~/.config/libvirt``."""
    config = env.get("XDG_CONFIG_HOME")
    base = config if config else os.path.join(user_home_dir(env), ".config")
    return os.path.join(base, "libvirt")


def socket_path(prefix: str, *, session: bool, readonly: bool, env: Mapping[str, str]) -> str:
    """The socket of daemon ``prefix`` (``libvirt``, ``virtqemud``...) for this connection kind."""
    if session:
        return os.path.join(user_runtime_dir(env), f"{prefix}-sock")
    return f"{SYSTEM_RUN_DIR}/{prefix}-{'sock-ro' if readonly else 'sock'}"


def probe_driver(
    *, euid: int, readonly: bool, env: Mapping[str, str], exists: Exists
) -> str | None:
    """Guess the driver of a connection without a URI from the sockets and daemons present."""
    if euid != 0:
        runtime = user_runtime_dir(env)
        for driver in SESSION_PROBE_DRIVERS:
            suffix = "sock-ro" if readonly else "sock"
            if exists(os.path.join(runtime, f"virt{driver}d-{suffix}")):
                return driver
        for driver in SESSION_PROBE_DRIVERS:
            if exists(f"{SBIN_DIR}/virt{driver}d"):
                return driver
        return None
    for driver in SYSTEM_PROBE_DRIVERS:
        suffix = "sock-ro" if readonly else "sock"
        if exists(f"{PROBE_RUN_DIR}/virt{driver}d-{suffix}"):
            return driver
    return None


def choose_socket(
    transport: str,
    mode: str,
    driver: str | None,
    *,
    session: bool,
    readonly: bool,
    env: Mapping[str, str],
    exists: Exists,
    euid: int,
    prefer_direct: bool = False,
) -> SocketChoice:
    """Pick the socket as ``remoteGetUNIXSocket`` does.

    ``transport`` is ``unix`` or one of the ssh transports (the socket is then a
    path on the remote host). ``prefer_direct`` is libvirt's build option
    ``remote_default_mode=direct``: it enables probing for a driver when there
    is none and makes ``auto`` fall back to the modular daemon when neither
    socket exists. Debian builds with ``legacy``, the default here.
    """
    if mode not in MODES:
        raise Error(
            f"Unknown remote mode '{mode}'",
            code=Error.ERR_INVALID_ARG,
            domain=Error.FROM_REMOTE,
        )
    if prefer_direct and driver is None and mode != "legacy":
        driver = probe_driver(euid=euid, readonly=readonly, env=env, exists=exists)

    direct_daemon = f"virt{driver}d" if driver else None
    direct_path = (
        socket_path(direct_daemon, session=session, readonly=readonly, env=env)
        if direct_daemon
        else None
    )
    legacy_path = socket_path(LEGACY_PREFIX, session=session, readonly=readonly, env=env)

    if mode == "auto":
        if transport == "unix":
            if direct_path is not None and exists(direct_path):
                mode = "direct"
            elif exists(legacy_path):
                mode = "legacy"
            else:
                mode = "direct" if prefer_direct else "legacy"
        else:
            mode = "legacy"

    if mode == "legacy":
        return SocketChoice(legacy_path, LEGACY_DAEMON, "legacy")

    if transport != "unix":
        raise Error(
            f"Cannot use direct socket mode for {transport} transport",
            code=Error.ERR_OPERATION_UNSUPPORTED,
            domain=Error.FROM_REMOTE,
        )
    if direct_path is None or direct_daemon is None:
        raise Error(
            "No URI is provided and cannot identify any listening daemon socket path "
            "to attempt to connect to. Please ensure the expected daemon sockets are "
            "active and/or provide an explicit URI.",
            code=Error.ERR_OPERATION_UNSUPPORTED,
            domain=Error.FROM_REMOTE,
        )
    return SocketChoice(direct_path, direct_daemon, "direct")
