"""The fixture daemons really serve each transport, checked with libvirt's own clients.

``virsh`` and libvirt-python (run by the system interpreter) connect to the
daemons started by the fixtures, so a failure here is in the fixtures or the
machine, not in virtwire.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import SECONDARY_DRIVERS, unavailable
from .daemon import Daemon, DaemonError, start_daemon
from .pki import PkiFiles
from .sasl import SaslConfig
from .sshd import Sshd

SYSTEM_PYTHON = "/usr/bin/python3"
VIRSH = shutil.which("virsh") or "/usr/bin/virsh"

# Run by the system interpreter: argv = uri, user, password.
OPEN_AUTH_SCRIPT = """
import sys
import libvirt

uri, user, password = sys.argv[1:]
libvirt.registerErrorHandler(lambda ctx, err: None, None)

def callback(creds, data):
    for cred in creds:
        if cred[0] == libvirt.VIR_CRED_AUTHNAME:
            cred[4] = user
        elif cred[0] == libvirt.VIR_CRED_PASSPHRASE:
            cred[4] = password
        else:
            cred[4] = cred[3] or ""
    return 0

kinds = [libvirt.VIR_CRED_AUTHNAME, libvirt.VIR_CRED_PASSPHRASE, libvirt.VIR_CRED_REALM]
try:
    conn = libvirt.openAuth(uri, [kinds, callback, None], 0)
except libvirt.libvirtError as exc:
    print(exc)
    sys.exit(1)
print(" ".join(dom.name() for dom in conn.listAllDomains()))
conn.close()
"""


@pytest.fixture(scope="module")
def client_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for client tools that keeps their per-user files in a temp dir."""
    if not os.access(VIRSH, os.X_OK):
        unavailable("virsh not installed (Debian package libvirt-clients)")
    home = tmp_path_factory.mktemp("client-home")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIBVIRT_")}
    env.update(
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_RUNTIME_DIR=str(home / "run"),
    )
    return env


def virsh(
    env: dict[str, str], uri: str, *args: str, readonly: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``virsh -q -c uri args...``."""
    argv = [VIRSH, "-q", "-c", uri, *(["-r"] if readonly else []), *args]
    return subprocess.run(
        argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30
    )


def domains(env: dict[str, str], uri: str, *, readonly: bool = False) -> list[str]:
    """Domain names listed through ``uri``; fails the test if virsh fails."""
    result = virsh(env, uri, "list", "--all", "--name", readonly=readonly)
    assert result.returncode == 0, f"virsh -c {uri} failed: {result.stderr}"
    return result.stdout.split()


def open_auth(
    env: dict[str, str], uri: str, user: str, password: str
) -> subprocess.CompletedProcess[str]:
    """Open ``uri`` with libvirt-python's openAuth and list the domains."""
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        unavailable("system python with libvirt bindings not installed")
    return subprocess.run(
        [SYSTEM_PYTHON, "-c", OPEN_AUTH_SCRIPT, uri, user, password],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_unix_rw_socket(daemon: Daemon, client_env: dict[str, str]) -> None:
    assert domains(client_env, daemon.uri()) == ["test"]


def test_unix_ro_socket_is_read_only(daemon: Daemon, client_env: dict[str, str]) -> None:
    uri = daemon.uri(readonly=True)
    assert "libvirt-sock-ro" in uri
    assert domains(client_env, uri, readonly=True) == ["test"]
    result = virsh(client_env, uri, "suspend", "test", readonly=True)
    assert result.returncode != 0
    assert "read only" in result.stderr or "read-only" in result.stderr


def test_admin_socket(daemon: Daemon, client_env: dict[str, str]) -> None:
    virt_admin = shutil.which("virt-admin")
    if virt_admin is None:
        unavailable("virt-admin not installed")
    result = subprocess.run(
        [virt_admin, "-q", "-c", f"libvirtd+unix:///system?socket={daemon.admin_sock}", "srv-list"],
        env=client_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "libvirtd" in result.stdout


def test_tcp(daemon: Daemon, client_env: dict[str, str]) -> None:
    uri = daemon.uri(transport="tcp")
    assert uri == f"test+tcp://127.0.0.1:{daemon.tcp_port}/default"
    assert domains(client_env, uri) == ["test"]


def test_tls(daemon: Daemon, pki: PkiFiles, client_env: dict[str, str]) -> None:
    uri = daemon.uri(transport="tls")
    assert uri == f"test+tls://localhost:{daemon.tls_port}/default?pkipath={pki.client_pkipath}"
    assert sorted(p.name for p in pki.client_pkipath.iterdir()) == [
        "cacert.pem",
        "clientcert.pem",
        "clientkey.pem",
    ]
    assert domains(client_env, uri) == ["test"]


def test_tls_by_ip_address(daemon: Daemon, client_env: dict[str, str]) -> None:
    uri = daemon.uri(transport="tls").replace("localhost", "127.0.0.1")
    assert domains(client_env, uri) == ["test"]


def test_tls_untrusted_ca(daemon: Daemon, pki: PkiFiles, client_env: dict[str, str]) -> None:
    uri = daemon.uri(transport="tls", params={"pkipath": str(pki.wrong_ca_pkipath)})
    result = virsh(client_env, uri, "list")
    assert result.returncode != 0
    assert "certificate" in result.stderr.lower()


def test_tls_wrong_host_name(
    daemon_factory: Callable[..., Daemon], pki: PkiFiles, client_env: dict[str, str]
) -> None:
    d = daemon_factory(tls=pki.with_wrong_host())
    result = virsh(client_env, d.uri(transport="tls"), "list")
    assert result.returncode != 0
    assert "localhost" in result.stderr
    unchecked = d.uri(transport="tls", params={"no_verify": "1"})
    assert domains(client_env, unchecked) == ["test"]


def test_tls_allowed_dn_list(
    daemon_factory: Callable[..., Daemon], pki: PkiFiles, client_env: dict[str, str]
) -> None:
    assert pki.client_dn == "C=GB,O=virtwire tests,CN=virtwire client"
    allowed = daemon_factory(tls=pki, tls_allowed_dn_list=[pki.client_dn])
    assert domains(client_env, allowed.uri(transport="tls")) == ["test"]
    refused = daemon_factory(tls=pki, tls_allowed_dn_list=["CN=someone else"])
    result = virsh(client_env, refused.uri(transport="tls"), "list")
    assert result.returncode != 0


def test_ssh_binary_transport(daemon: Daemon, sshd: Sshd, client_env: dict[str, str]) -> None:
    # With socket= libvirt's client runs "nc -U <socket>" on the far side.
    uri = sshd.uri(daemon)
    assert uri.startswith(f"test+ssh://{sshd.user}@127.0.0.1:{sshd.port}/default?socket=")
    assert domains(client_env, uri) == ["test"]


def test_ssh_known_hosts_and_key(daemon: Daemon, sshd: Sshd, client_env: dict[str, str]) -> None:
    assert domains(client_env, sshd.uri(daemon, transport="libssh2")) == ["test"]
    result = subprocess.run(
        ["ssh", *sshd.ssh_options, sshd.host, "echo", "ok"],
        env=client_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_storage_daemon_secondary_drivers(
    storage_daemon: Daemon, client_env: dict[str, str]
) -> None:
    commands = {
        "storage": "pool-list",
        "secret": "secret-list",
        "network": "net-list",
        "nodedev": "nodedev-list",
        "nwfilter": "nwfilter-list",
        "interface": "iface-list",
    }
    assert set(commands) == set(SECONDARY_DRIVERS)
    for driver, command in commands.items():
        uri = storage_daemon.uri(driver)
        assert uri.startswith(f"{driver}+unix:///system?socket=")
        result = virsh(client_env, uri, command)
        assert result.returncode == 0, f"{driver}: {result.stderr}"


def test_private_namespace(daemon: Daemon, storage_daemon: Daemon) -> None:
    if os.geteuid() != 0:
        unavailable("private namespaces need root")
    ours = os.readlink("/proc/self/ns/mnt")
    assert os.readlink(f"/proc/{daemon.pid}/ns/mnt") != ours
    assert os.readlink(f"/proc/{storage_daemon.pid}/ns/mnt") != ours
    # The storage driver's pid file lives on the daemon's own tmpfs.
    pid_file = "run/libvirt/storage/driver.pid"
    seen = Path(f"/proc/{storage_daemon.pid}/root", pid_file).read_text().strip()
    assert seen == str(storage_daemon.pid)
    on_host = Path("/", pid_file)
    assert not on_host.exists() or on_host.read_text().strip() != seen


def test_sasl_digest_md5_over_tcp(
    daemon_factory: Callable[..., Daemon],
    sasl_factory: Callable[..., SaslConfig],
    client_env: dict[str, str],
) -> None:
    sasl = sasl_factory(mechs=["DIGEST-MD5"], users={"alice": "wonderland"})
    d = daemon_factory(tcp=True, auth_tcp="sasl", sasl=sasl)
    uri = d.uri(transport="tcp")
    ok = open_auth(client_env, uri, "alice", "wonderland")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.split() == ["test"]
    bad = open_auth(client_env, uri, "alice", "looking-glass")
    assert bad.returncode == 1
    assert "authentication failed" in bad.stdout


def test_sasl_scram_over_unix(
    daemon_factory: Callable[..., Daemon],
    sasl_factory: Callable[..., SaslConfig],
    client_env: dict[str, str],
) -> None:
    sasl = sasl_factory(mechs=["SCRAM-SHA-256"], users={"bob": "builder"})
    d = daemon_factory(auth_unix_rw="sasl", sasl=sasl)
    ok = open_auth(client_env, d.uri(), "bob", "builder")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = open_auth(client_env, d.uri(), "bob", "wrong")
    assert bad.returncode == 1
    assert "StoredKey mismatch" in d.log_path.read_text()


def test_tmp_daemon_pause_resume_kill(tmp_daemon: Daemon, client_env: dict[str, str]) -> None:
    def state() -> str:
        return Path(f"/proc/{tmp_daemon.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]

    tmp_daemon.pause()
    _wait_for(lambda: state() == "T")
    tmp_daemon.resume()
    _wait_for(lambda: state() != "T")
    assert domains(client_env, tmp_daemon.uri(transport="tcp")) == ["test"]
    tmp_daemon.kill()
    assert not tmp_daemon.running
    assert not Path(f"/proc/{tmp_daemon.pid}").exists()
    assert virsh(client_env, tmp_daemon.uri(), "list").returncode != 0
    tmp_daemon.stop()  # idempotent


def test_stop_while_paused(daemon_factory: Callable[..., Daemon]) -> None:
    d = daemon_factory()
    d.pause()
    d.stop()
    assert d.returncode == 0
    d.stop()


def test_startup_failure_reports_log(tmp_path: Path) -> None:
    with pytest.raises(DaemonError) as info:
        start_daemon(
            tmp_path,
            extra_conf={"tcp_min_ssf": 1},
            private_namespace=os.geteuid() == 0,
            timeout=10,
        )
    assert "minimum SSF" in str(info.value)


def test_config_options_are_written(daemon_factory: Callable[..., Daemon]) -> None:
    d = daemon_factory(max_client_requests=1, extra_conf={"keepalive_interval": 2})
    conf = d.conf_path.read_text()
    assert "max_client_requests = 1\n" in conf
    assert "keepalive_interval = 2\n" in conf


def test_test_uri(test_uri: str, client_env: dict[str, str]) -> None:
    assert "test" in domains(client_env, test_uri)


def _wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)
