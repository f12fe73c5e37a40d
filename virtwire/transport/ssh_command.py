"""Command lines of the tunnelling transports (ssh and ext), built as libvirt builds them.

For ``ssh`` the argv is libvirt's ``virNetSocketNewConnectSSH``::

    ssh [-p PORT] [-l USER] [-i KEYFILE] -T -e none [-o BatchMode=yes]
        [-o StrictHostKeyChecking=no] -- HOST 'sh -c ...'

and the remote command is ``virNetClientSSHHelperCommand``'s ``sh -c`` script:
with proxy ``auto`` it runs ``virt-ssh-helper URI`` when the remote host has it,
else ``nc -U SOCKET``; ``netcat`` always uses nc (``-q0`` added for netcats
that need it); ``native`` always uses the helper. Giving ``netcat=`` turns
``auto`` into ``netcat``. Both layers of shell quoting are libvirt's: the
remote login shell and the ``sh -c`` each strip one.

``libssh`` and ``libssh2`` are served by the same OpenSSH binary, with their
defaults (port 22, user ``root``, known hosts in libvirt's config dir) and
parameters mapped to ssh options: ``known_hosts`` to ``UserKnownHostsFile``,
``known_hosts_verify`` normal/auto/ignore to ``StrictHostKeyChecking``
ask/accept-new/no, ``sshauth`` to ``PreferredAuthentications``. Prompts go
to the terminal, not to an auth callback.

``ext`` runs ``command=`` as a single program path, no shell, no arguments.
The child's environment is reduced as libvirt's ``virCommand`` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from virtwire.errors import Error
from virtwire.transport.socket_paths import user_config_dir
from virtwire.transport.uri import RemoteTarget

__all__ = [
    "command_argv",
    "command_environment",
    "double_escape_shell",
    "escape_shell",
    "ext_argv",
    "remote_command",
    "ssh_argv",
]

#: Variables every spawned command inherits (``virCommandAddEnvPassCommon``), plus LC_ALL=C.
COMMON_ENV: Final = (
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "DYLD_INSERT_LIBRARIES",
    "DYLD_FORCE_FLAT_NAMESPACE",
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "TMPDIR",
)
#: Extra variables ssh inherits (agent, Kerberos, askpass, X display).
SSH_ENV: Final = (
    "XDG_RUNTIME_DIR",
    "KRB5CCNAME",
    "SSH_AUTH_SOCK",
    "SSH_ASKPASS",
    "SSH_ASKPASS_REQUIRE",
    "OPENSSL_CONF",
    "DISPLAY",
    "XAUTHORITY",
)
#: Variables ssh inherits when it may use the terminal.
SSH_TTY_ENV: Final = ("GPG_TTY", "TERM")
_SHELL_META: Final = frozenset("\r\t\n !\"#$&'()*;<>?[\\]^`{|}~")
_SSHAUTH_TO_OPENSSH: Final = {
    "agent": "publickey",
    "privkey": "publickey",
    "password": "password",
    "keyboard-interactive": "keyboard-interactive",
}
_HOSTKEY_CHECKING: Final = {"normal": "ask", "auto": "accept-new", "ignore": "no"}


def escape_shell(text: str) -> str:
    """Quote for a POSIX shell as ``virBufferEscapeShell``: only when needed, in ``'...'``."""
    if not text:
        return "''"
    if not any(ch in _SHELL_META for ch in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def double_escape_shell(text: str) -> str:
    """Quote twice, for a command that passes through two shells."""
    return escape_shell(escape_shell(text))


def remote_command(
    proxy: str, netcat: str | None, socket: str, driver_uri: str, readonly: bool
) -> str:
    """The command ssh runs on the remote host to reach the daemon's socket."""
    nc = double_escape_shell(netcat if netcat is not None else "nc")
    uri = double_escape_shell(driver_uri)
    if proxy == "auto" and netcat is not None:
        proxy = "netcat"
    nccmd = (
        f"if '{nc}' -q 2>&1 | grep \"requires an argument\" >/dev/null 2>&1; then "
        "ARG=-q0;"
        "else "
        "ARG=;"
        "fi;"
        f"'{nc}' $ARG -U {socket}"
    )
    helpercmd = f"virt-ssh-helper{' -r ' if readonly else ' '}'{uri}'"
    if proxy == "auto":
        return (
            "sh -c 'which virt-ssh-helper 1>/dev/null 2>&1; "
            "if test $? = 0; then "
            f"    {helpercmd}; "
            "else"
            f"    {nccmd}; "
            "fi'"
        )
    if proxy == "netcat":
        return f"sh -c '{nccmd}'"
    if proxy == "native":
        if netcat is not None:
            raise Error(
                "netcat path not valid with native proxy mode",
                code=Error.ERR_INVALID_ARG,
                domain=Error.FROM_REMOTE,
            )
        return f"sh -c '{helpercmd}'"
    raise ValueError(f"unknown proxy type {proxy!r}")


def ssh_argv(target: RemoteTarget, *, env: Mapping[str, str] | None = None) -> list[str]:
    """The full ssh argv for an ssh, libssh or libssh2 target."""
    if target.socket is None:
        raise ValueError(f"{target.transport} target without a socket path")
    command = remote_command(
        target.proxy, target.netcat, target.socket, target.helper_uri, target.readonly
    )
    if target.transport == "ssh":
        argv = [target.command or "ssh"]
        if target.service is not None:
            argv += ["-p", str(target.service)]
        if target.user is not None:
            argv += ["-l", target.user]
        if target.keyfile is not None:
            argv += ["-i", target.keyfile]
        argv += ["-T", "-e", "none"]
        if not target.tty:
            argv += ["-o", "BatchMode=yes"]
        if not target.verify:
            argv += ["-o", "StrictHostKeyChecking=no"]
        return [*argv, "--", target.hostname, command]
    return _libssh_argv(target, command, os.environ if env is None else env)


def _libssh_argv(target: RemoteTarget, command: str, env: Mapping[str, str]) -> list[str]:
    known_hosts = target.known_hosts or os.path.join(user_config_dir(env), "known_hosts")
    verify = (target.known_hosts_verify or "normal").lower()
    argv = [
        "ssh",
        "-p",
        str(target.service if target.service is not None else 22),
        "-l",
        target.user if target.user is not None else "root",
    ]
    if target.keyfile is not None:
        argv += ["-i", target.keyfile]
    argv += ["-T", "-e", "none"]
    if not target.tty:
        argv += ["-o", "BatchMode=yes"]
    argv += ["-o", f"UserKnownHostsFile={known_hosts}"]
    argv += ["-o", f"StrictHostKeyChecking={_HOSTKEY_CHECKING[verify]}"]
    if target.sshauth is not None:
        methods: list[str] = []
        for method in target.sshauth.split(","):
            mapped = _SSHAUTH_TO_OPENSSH[method.lower()]
            if mapped not in methods:
                methods.append(mapped)
        argv += ["-o", f"PreferredAuthentications={','.join(methods)}"]
    return [*argv, "--", target.hostname, command]


def ext_argv(target: RemoteTarget) -> list[str]:
    """The ext transport's argv: ``command=`` alone."""
    if not target.command:
        raise ValueError("ext target without a command")
    return [target.command]


def command_argv(target: RemoteTarget, *, env: Mapping[str, str] | None = None) -> list[str]:
    """The argv of a tunnelling target (ssh family or ext)."""
    if target.transport == "ext":
        return ext_argv(target)
    return ssh_argv(target, env=env)


def command_environment(env: Mapping[str, str], *, ssh: bool, tty: bool = True) -> dict[str, str]:
    """The child's environment: ``LC_ALL=C`` plus the variables libvirt passes on."""
    names: tuple[str, ...] = COMMON_ENV
    if ssh:
        names += SSH_ENV
        if tty:
            names += SSH_TTY_ENV
    out = {"LC_ALL": "C"}
    for name in names:
        if name in env:
            out[name] = env[name]
    return out
