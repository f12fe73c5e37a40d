"""A private OpenSSH server on loopback, for the ``+ssh`` transport.

``start_sshd()`` generates a host key and a client key, writes an
``sshd_config`` listening on 127.0.0.1 on a free port, and runs
``/usr/sbin/sshd -D -e`` with it. Nothing outside the work directory is
read or written: ``known_hosts`` and ``ssh_wrapper`` let clients connect
without touching ``~/.ssh``.
"""

from __future__ import annotations

import atexit
import contextlib
import getpass
import os
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from .daemon import DaemonError, DaemonUnavailable, free_ports

if TYPE_CHECKING:
    from .daemon import Daemon

__all__ = ["Sshd", "start_sshd"]

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "/usr/bin/ssh-keygen"
SSH = "/usr/bin/ssh"
START_TIMEOUT = 15.0


class Sshd:
    """A running sshd that accepts ``client_key`` for ``user``."""

    def __init__(
        self,
        *,
        process: subprocess.Popen[bytes],
        workdir: Path,
        port: int,
        user: str,
    ) -> None:
        self._process = process
        self.pid = process.pid
        self.workdir = workdir
        self.port = port
        self.host = "127.0.0.1"
        self.user = user
        self.client_key = workdir / "client_key"
        self.known_hosts = workdir / "known_hosts"
        self.ssh_wrapper = workdir / "ssh"
        """An executable running ssh with this server's key and known_hosts."""
        self.log_path = workdir / "sshd.log"

    def __repr__(self) -> str:
        return f"<Sshd pid={self.pid} port={self.port} user={self.user}>"

    @property
    def ssh_options(self) -> list[str]:
        """``ssh`` options (before the host name) to reach this server non-interactively."""
        return [
            "-p", str(self.port),
            "-l", self.user,
            "-i", str(self.client_key),
            "-o", "IdentitiesOnly=yes",
            "-o", f"UserKnownHostsFile={self.known_hosts}",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "BatchMode=yes",
            "-F", "/dev/null",
        ]  # fmt: skip

    def uri(
        self,
        daemon: Daemon,
        driver: str = "test",
        path: str | None = None,
        *,
        transport: str = "ssh",
        readonly: bool = False,
        params: Mapping[str, str] = {},
    ) -> str:
        """A URI reaching ``daemon`` through this sshd.

        For ``transport="ssh"`` the ``command=`` parameter names ``ssh_wrapper``;
        for ``libssh``/``libssh2`` it passes ``keyfile`` and ``known_hosts``.
        """
        if path is None:
            path = "/default" if driver == "test" else "/system"
        query = {"socket": str(daemon.sock_ro if readonly else daemon.sock)}
        if transport == "ssh":
            query.update(command=str(self.ssh_wrapper), no_tty="1")
        else:
            query.update(keyfile=str(self.client_key), known_hosts=str(self.known_hosts))
        query.update(params)
        host = f"{self.user}@{self.host}:{self.port}"
        return f"{driver}+{transport}://{host}{path}?" + urlencode(query, quote_via=quote, safe="/")

    def stop(self) -> None:
        """Terminate sshd and reap it; idempotent."""
        proc = self._process
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        # Session processes are in sshd's session; clear any left behind.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        _RUNNING.discard(self)

    def __enter__(self) -> Sshd:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


_RUNNING: set[Sshd] = set()


@atexit.register
def _stop_all() -> None:
    for sshd in list(_RUNNING):
        sshd.stop()


def start_sshd(workdir: Path) -> Sshd:
    """Generate keys and config in ``workdir`` and start sshd on a free loopback port."""
    for tool in (SSHD, SSH_KEYGEN, SSH):
        if not os.access(tool, os.X_OK):
            raise DaemonUnavailable(f"{tool} not found (openssh-server/openssh-client)")
    workdir = workdir.absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    user = getpass.getuser()
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)

    host_key = workdir / "host_key"
    client_key = workdir / "client_key"
    for key, comment in ((host_key, "virtwire-host"), (client_key, "virtwire-client")):
        for p in (key, key.with_name(key.name + ".pub")):
            p.unlink(missing_ok=True)
        subprocess.run(
            [SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key)],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
        )
    authorized = workdir / "authorized_keys"
    authorized.write_text(client_key.with_name("client_key.pub").read_text())
    authorized.chmod(0o600)

    (port,) = free_ports(1)
    host_pub = host_key.with_name("host_key.pub").read_text().split()
    (workdir / "known_hosts").write_text(
        f"[127.0.0.1]:{port},[localhost]:{port} {host_pub[0]} {host_pub[1]}\n"
    )
    pid_path = workdir / "sshd.pid"
    config = workdir / "sshd_config"
    config.write_text(
        f"ListenAddress 127.0.0.1:{port}\n"
        f"HostKey {host_key}\n"
        f"PidFile {pid_path}\n"
        f"AuthorizedKeysFile {authorized}\n"
        f"AllowUsers {user}\n"
        "PermitRootLogin yes\n"
        "StrictModes no\n"
        "UsePAM no\n"
        "PasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\n"
        "AllowTcpForwarding no\n"
        "X11Forwarding no\n"
        "PrintMotd no\n"
        "LogLevel DEBUG1\n"
    )

    log_path = workdir / "sshd.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,
        )
    sshd = Sshd(process=process, workdir=workdir, port=port, user=user)
    _RUNNING.add(sshd)
    wrapper = sshd.ssh_wrapper
    wrapper.write_text(f'#!/bin/sh\nexec {SSH} {shlex.join(sshd.ssh_options)} "$@"\n')
    wrapper.chmod(0o755)
    try:
        _wait_ready(sshd, log_path)
    except BaseException:
        sshd.stop()
        raise
    return sshd


def _wait_ready(sshd: Sshd, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if sshd._process.poll() is not None:
            raise DaemonError(
                f"sshd exited with status {sshd._process.returncode}\n{_read(log_path)}"
            )
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            try:
                s.connect((sshd.host, sshd.port))
                return
            except OSError:
                pass
        if time.monotonic() > deadline:
            raise DaemonError(f"sshd not listening on port {sshd.port}\n{_read(log_path)}")
        time.sleep(0.05)


def _read(path: Path) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-30:])
    except OSError:
        return ""
