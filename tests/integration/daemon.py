"""Start and stop real libvirtd daemons for integration tests.

``start_daemon()`` writes a ``libvirtd.conf`` into a work directory, starts
``libvirtd --listen`` with it and waits until every socket it was asked for
accepts connections. By default the daemon runs in a private mount namespace
with fresh tmpfs mounts over libvirt's state directories, so several daemons
(and their secondary drivers' pid files and state) never clash with each
other or with the machine.

Every started daemon is stopped at interpreter exit if a test forgot to.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal
from urllib.parse import quote, urlencode

from .pki import PkiFiles
from .sasl import SaslConfig

__all__ = [
    "Daemon",
    "DaemonError",
    "DaemonUnavailable",
    "free_ports",
    "start_daemon",
]

LIBVIRTD = "/usr/sbin/libvirtd"
DRIVER_DIRS = (
    "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver",
    "/usr/lib/*-linux-gnu*/libvirt/connection-driver",
    "/usr/lib64/libvirt/connection-driver",
    "/usr/lib/libvirt/connection-driver",
)
STATE_DIRS = (
    "/run/libvirt",
    "/etc/libvirt",
    "/var/lib/libvirt",
    "/var/cache/libvirt",
    "/var/log/libvirt",
)
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
# sockaddr_un.sun_path holds 108 bytes including the terminating NUL.
_MAX_SOCK_PATH = 100

Auth = Literal["none", "sasl", "polkit"]
ConfValue = str | int | bool | Sequence[str]


class DaemonError(RuntimeError):
    """A daemon could not be started."""


class DaemonUnavailable(DaemonError):
    """This machine cannot run the requested daemon (missing binary, not root...)."""


class Daemon:
    """A running libvirtd and the addresses it serves."""

    def __init__(
        self,
        *,
        process: subprocess.Popen[bytes],
        workdir: Path,
        sock_dir: Path,
        tcp_port: int | None,
        tls_port: int | None,
        tls: PkiFiles | None,
        owned_dirs: Sequence[Path] = (),
    ) -> None:
        self._process = process
        self.pid = process.pid
        self.workdir = workdir
        self.sock = sock_dir / "libvirt-sock"
        self.sock_ro = sock_dir / "libvirt-sock-ro"
        self.admin_sock = sock_dir / "libvirt-admin-sock"
        self.tcp_port = tcp_port
        self.tls_port = tls_port
        self.tls = tls
        self.conf_path = workdir / "libvirtd.conf"
        self.log_path = workdir / "libvirtd.log"
        self.output_path = workdir / "libvirtd.out"
        self._owned_dirs = list(owned_dirs)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Daemon pid={self.pid} sock={self.sock} tcp={self.tcp_port} tls={self.tls_port}>"

    @property
    def running(self) -> bool:
        """Whether the daemon process has not exited (a paused one counts as running)."""
        return self._process.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has been reaped."""
        return self._process.returncode

    def uri(
        self,
        driver: str = "test",
        transport: str = "unix",
        path: str | None = None,
        *,
        readonly: bool = False,
        params: Mapping[str, str] = {},
    ) -> str:
        """Build a libvirt URI reaching ``driver`` through this daemon.

        ``path`` defaults to ``/default`` for the test driver, ``/system``
        otherwise. ``readonly`` picks the read-only unix socket.
        """
        if path is None:
            path = "/default" if driver == "test" else "/system"
        query: dict[str, str] = {}
        if transport == "unix":
            host = ""
            query["socket"] = str(self.sock_ro if readonly else self.sock)
        elif transport == "tcp":
            if self.tcp_port is None:
                raise ValueError("this daemon does not listen on TCP")
            host = f"127.0.0.1:{self.tcp_port}"
        elif transport == "tls":
            if self.tls_port is None or self.tls is None:
                raise ValueError("this daemon does not listen for TLS")
            host = f"localhost:{self.tls_port}"
            query["pkipath"] = str(self.tls.client_pkipath)
        else:
            raise ValueError(f"unsupported transport {transport!r}")
        query.update(params)
        uri = f"{driver}+{transport}://{host}{path}"
        if query:
            uri += "?" + urlencode(query, quote_via=quote, safe="/")
        return uri

    def log_tail(self, lines: int = 30) -> str:
        """The end of the daemon's log file and of its stdout/stderr."""
        return _tail(self.log_path, lines) + _tail(self.output_path, lines)

    def stop(self) -> None:
        """Terminate the daemon (SIGTERM, then SIGKILL) and reap it; idempotent."""
        with self._lock:
            proc = self._process
            if proc.poll() is None:
                self._signal(signal.SIGTERM)
                self._signal(signal.SIGCONT)  # in case it was paused
                try:
                    proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self._signal(signal.SIGKILL)
                    proc.wait()
            # The daemon led its own session: clear out helpers it may have left.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
            _RUNNING.discard(self)
            for d in self._owned_dirs:
                shutil.rmtree(d, ignore_errors=True)
            self._owned_dirs.clear()

    def kill(self) -> None:
        """Send SIGKILL now and reap the process (for fault-injection tests)."""
        with self._lock:
            if self._process.poll() is None:
                self._signal(signal.SIGKILL)
                self._process.wait()
        self.stop()

    def pause(self) -> None:
        """Freeze the daemon with SIGSTOP: its sockets stay open but nothing answers."""
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused daemon run again (SIGCONT)."""
        self._signal(signal.SIGCONT)

    def _signal(self, sig: signal.Signals) -> None:
        if self._process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._process.send_signal(sig)

    def __enter__(self) -> Daemon:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


_RUNNING: set[Daemon] = set()


@atexit.register
def _stop_all() -> None:
    for daemon in list(_RUNNING):
        daemon.stop()


def free_ports(count: int = 1) -> list[int]:
    """Return ``count`` distinct loopback TCP ports that were free a moment ago."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def start_daemon(
    workdir: Path,
    *,
    drivers: Sequence[str] = (),
    tcp: bool = False,
    tls: PkiFiles | None = None,
    auth_unix_rw: Auth = "none",
    auth_unix_ro: Auth = "none",
    auth_tcp: Auth = "none",
    auth_tls: Auth = "none",
    sasl: SaslConfig | None = None,
    tls_allowed_dn_list: list[str] | None = None,
    max_client_requests: int | None = None,
    extra_conf: Mapping[str, ConfValue] = {},
    private_namespace: bool = True,
    timeout: float = START_TIMEOUT,
) -> Daemon:
    """Start libvirtd with a config written into ``workdir`` and wait until it serves.

    ``drivers`` names secondary drivers to load ("storage", "network", ...);
    the test driver is always there. ``extra_conf`` adds or overrides
    libvirtd.conf settings: str values are written quoted, ints and bools bare,
    sequences as lists. Raises ``DaemonUnavailable`` when this machine cannot
    run it and ``DaemonError`` when it fails to come up.
    """
    if not os.access(LIBVIRTD, os.X_OK):
        raise DaemonUnavailable(f"{LIBVIRTD} not found (Debian package libvirt-daemon)")
    if private_namespace:
        if os.geteuid() != 0:
            raise DaemonUnavailable("a private mount namespace needs root")
        if shutil.which("unshare") is None:
            raise DaemonUnavailable("unshare not found (Debian package util-linux)")
    if any(auth == "sasl" for auth in (auth_unix_rw, auth_unix_ro, auth_tcp, auth_tls)):
        if sasl is None:
            raise ValueError("SASL auth needs sasl=make_sasl(...)")

    workdir = workdir.absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    owned: list[Path] = []
    sock_dir = workdir / "run"
    if len(str(sock_dir / "libvirt-admin-sock")) > _MAX_SOCK_PATH:
        sock_dir = Path(tempfile.mkdtemp(prefix="vw-lv-"))
        owned.append(sock_dir)
    sock_dir.mkdir(exist_ok=True)
    driver_dir = workdir / "drivers"
    _link_drivers(driver_dir, drivers)

    tcp_port, tls_port = free_ports(2)
    conf: dict[str, ConfValue] = {
        "listen_addr": "127.0.0.1",
        "listen_tcp": tcp,
        "listen_tls": tls is not None,
        "tcp_port": str(tcp_port),
        "tls_port": str(tls_port),
        "unix_sock_dir": str(sock_dir),
        "unix_sock_ro_perms": "0777",
        "unix_sock_rw_perms": "0700",
        "auth_unix_rw": auth_unix_rw,
        "auth_unix_ro": auth_unix_ro,
        "auth_tcp": auth_tcp,
        "auth_tls": auth_tls,
        "log_outputs": f"3:file:{workdir / 'libvirtd.log'}",
    }
    if tls is not None:
        conf.update(
            key_file=str(tls.serverkey),
            cert_file=str(tls.servercert),
            ca_file=str(tls.cacert),
            tls_no_verify_certificate=False,
        )
    if tls_allowed_dn_list is not None:
        conf["tls_allowed_dn_list"] = list(tls_allowed_dn_list)
    if max_client_requests is not None:
        conf["max_client_requests"] = max_client_requests
    conf.update(extra_conf)
    conf_path = workdir / "libvirtd.conf"
    conf_path.write_text("".join(f"{k} = {_conf_value(v)}\n" for k, v in conf.items()))
    log_path = workdir / "libvirtd.log"
    log_path.unlink(missing_ok=True)
    pid_path = workdir / "libvirtd.pid"
    pid_path.unlink(missing_ok=True)

    argv = [LIBVIRTD, "--listen", "-f", str(conf_path), "--pid-file", str(pid_path)]
    if private_namespace:
        argv = _in_private_namespace(argv)
    env = dict(os.environ)
    env["LIBVIRT_DRIVER_DIR"] = str(driver_dir)
    for key in ("LIBVIRT_DEBUG", "LIBVIRT_LOG_OUTPUTS", "LIBVIRT_LOG_FILTERS"):
        env.pop(key, None)
    if sasl is not None:
        env.update(sasl.env)

    with open(workdir / "libvirtd.out", "wb") as out:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=workdir,
            start_new_session=True,
        )
    daemon = Daemon(
        process=process,
        workdir=workdir,
        sock_dir=sock_dir,
        tcp_port=tcp_port if tcp else None,
        tls_port=tls_port if tls is not None else None,
        tls=tls,
        owned_dirs=owned,
    )
    _RUNNING.add(daemon)
    try:
        _wait_ready(daemon, pid_path, timeout)
    except BaseException:
        daemon.stop()
        raise
    return daemon


def _in_private_namespace(argv: list[str]) -> list[str]:
    for d in STATE_DIRS:
        os.makedirs(d, exist_ok=True)
    mounts = " && ".join(f"mount -t tmpfs -o mode=0755 tmpfs {shlex.quote(d)}" for d in STATE_DIRS)
    script = f"{mounts} && exec {shlex.join(argv)}"
    return ["unshare", "-m", "--propagation", "private", "sh", "-c", script]


def _link_drivers(driver_dir: Path, drivers: Sequence[str]) -> None:
    if driver_dir.exists():
        shutil.rmtree(driver_dir)
    driver_dir.mkdir()
    for name in drivers:
        filename = f"libvirt_driver_{name}.so"
        found = [p for pattern in DRIVER_DIRS for p in glob.glob(f"{pattern}/{filename}")]
        if not found:
            raise DaemonUnavailable(f"libvirt driver module {filename} not found")
        (driver_dir / filename).symlink_to(found[0])


def _conf_value(value: ConfValue) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _quote(value)
    return "[" + ", ".join(_quote(v) for v in value) + "]"


def _quote(value: str) -> str:
    if '"' in value or "\n" in value:
        raise ValueError(f"cannot write {value!r} into libvirtd.conf")
    return f'"{value}"'


def _wait_ready(daemon: Daemon, pid_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pending = list(_endpoints(daemon))
    while pending:
        if not daemon.running:
            raise DaemonError(
                f"libvirtd exited with status {daemon.returncode} during startup\n"
                + daemon.log_tail()
            )
        if time.monotonic() > deadline:
            waiting = ", ".join(str(p) for p in pending)
            raise DaemonError(
                f"libvirtd not ready after {timeout:.0f}s (waiting for {waiting})\n"
                + daemon.log_tail()
            )
        pending = [p for p in pending if not _accepts(p)]
        if pending:
            time.sleep(0.05)
    with contextlib.suppress(OSError, ValueError):
        if int(pid_path.read_text()) != daemon.pid:
            raise DaemonError(f"pid file {pid_path} does not name pid {daemon.pid}")


def _endpoints(daemon: Daemon) -> Iterator[Path | int]:
    yield daemon.sock
    yield daemon.sock_ro
    yield daemon.admin_sock
    if daemon.tcp_port is not None:
        yield daemon.tcp_port
    if daemon.tls_port is not None:
        yield daemon.tls_port


def _accepts(endpoint: Path | int) -> bool:
    if isinstance(endpoint, Path) and not endpoint.exists():
        return False
    family = socket.AF_UNIX if isinstance(endpoint, Path) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            if isinstance(endpoint, Path):
                s.connect(str(endpoint))
            else:
                s.connect(("127.0.0.1", endpoint))
        except OSError:
            return False
    return True


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    tail = "\n".join(text.splitlines()[-lines:])
    return f"--- {path.name} ---\n{tail}\n" if tail else ""
