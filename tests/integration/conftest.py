"""Fixtures that run real libvirtd daemons (and an sshd) for integration tests.

Session-scoped, shared by all tests:

* ``pki``: CA, server and client certificates (``PkiFiles``).
* ``daemon``: libvirtd with the built-in test driver, serving the unix rw/ro
  sockets, TCP (``auth_tcp="none"``) and TLS (with ``pki``).
* ``storage_daemon``: libvirtd with the storage, secret, network, nodedev,
  nwfilter and interface drivers, reached as e.g. ``storage+unix:///system``.
* ``sshd``: an OpenSSH server on loopback; ``sshd.uri(daemon)`` builds a
  ``+ssh`` URI to a daemon's socket.
* ``test_uri``: a URI of the test driver, ``test:///default``-like.

Function-scoped:

* ``tmp_daemon``: a private daemon (unix, TCP, TLS) that a test may kill,
  pause or reconfigure.
* ``daemon_factory(**kwargs)``: starts daemons with ``start_daemon()``'s
  keyword arguments in the test's tmp_path; all are stopped afterwards.
* ``sasl_factory(mechs=..., users=...)``: writes a SASL config for
  ``daemon_factory(sasl=...)``.

``VIRTWIRE_TEST_URI``: when set, ``test_uri`` returns it instead of starting a
daemon, so tests that need nothing but a test-driver URI run against an
external daemon.

Where no daemon can be started here (libvirtd or sshd missing, not root),
these fixtures skip with the reason, but fail when ``CI`` is ``true``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

import pytest

from .clients import KINDS
from .daemon import Daemon, DaemonUnavailable, start_daemon
from .pki import PkiFiles, make_pki
from .sasl import SaslConfig, SaslUnavailable, make_sasl
from .sshd import Sshd, start_sshd

SECONDARY_DRIVERS = ("storage", "secret", "network", "nodedev", "nwfilter", "interface")


def in_ci() -> bool:
    """Whether the suite runs under CI, where missing daemons are failures."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip the test, or fail it under CI."""
    if in_ci():
        pytest.fail(f"cannot run integration fixture under CI: {reason}", pytrace=False)
    pytest.skip(reason)


def _start(workdir: Path, **kwargs: Any) -> Daemon:
    try:
        return start_daemon(workdir, **kwargs)
    except DaemonUnavailable as exc:
        unavailable(str(exc))


def start_with_sasl(
    workdir: Path, *, mechs: Sequence[str], users: Mapping[str, str], **kwargs: Any
) -> Daemon:
    """A daemon (``start_daemon`` keyword arguments) with a SASL config of ``mechs`` and
    ``users`` written under ``workdir``; skips, or fails under CI, where either cannot run."""
    try:
        sasl = make_sasl(workdir / "sasl", mechs=mechs, users=users)
    except SaslUnavailable as exc:
        unavailable(str(exc))
    return _start(workdir / "daemon", sasl=sasl, **kwargs)


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Each runtime in turn, ``sync`` and ``async`` (see :func:`.clients.open_client`)."""
    return str(request.param)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> PkiFiles:
    """Certificates for TLS tests."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory, pki: PkiFiles) -> Iterator[Daemon]:
    """A shared test-driver daemon serving unix, TCP and TLS."""
    d = _start(
        tmp_path_factory.mktemp("daemon"),
        tcp=True,
        tls=pki,
        private_namespace=os.geteuid() == 0,
    )
    with d:
        yield d


@pytest.fixture(scope="session")
def test_uri(request: pytest.FixtureRequest) -> str:
    """``VIRTWIRE_TEST_URI`` if set, else the shared daemon's unix test-driver URI."""
    external = os.environ.get("VIRTWIRE_TEST_URI")
    if external:
        return external
    d: Daemon = request.getfixturevalue("daemon")
    return d.uri()


@pytest.fixture(scope="session")
def storage_daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    """A shared daemon with the secondary (storage, network, ...) drivers."""
    d = _start(tmp_path_factory.mktemp("storage-daemon"), drivers=SECONDARY_DRIVERS)
    with d:
        yield d


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    """A shared sshd on loopback accepting ``sshd.client_key``."""
    try:
        s = start_sshd(tmp_path_factory.mktemp("sshd"))
    except DaemonUnavailable as exc:
        unavailable(str(exc))
    with s:
        yield s


@pytest.fixture
def daemon_factory(tmp_path: Path) -> Iterator[Callable[..., Daemon]]:
    """Start daemons with ``start_daemon()`` keyword arguments; all stop at teardown."""
    started: list[Daemon] = []

    def factory(workdir: Path | None = None, **kwargs: Any) -> Daemon:
        d = _start(workdir or tmp_path / f"daemon{len(started)}", **kwargs)
        started.append(d)
        return d

    try:
        yield factory
    finally:
        for d in reversed(started):
            d.stop()


@pytest.fixture
def tmp_daemon(daemon_factory: Callable[..., Daemon], pki: PkiFiles) -> Daemon:
    """A private test-driver daemon (unix, TCP, TLS) for tests that break it."""
    return daemon_factory(tcp=True, tls=pki, private_namespace=os.geteuid() == 0)


@pytest.fixture
def sasl_factory(tmp_path: Path) -> Callable[..., SaslConfig]:
    """Write SASL configs (``make_sasl`` arguments) under the test's tmp_path."""
    count = 0

    def factory(*, mechs: Sequence[str], users: Mapping[str, str]) -> SaslConfig:
        nonlocal count
        count += 1
        try:
            return make_sasl(tmp_path / f"sasl{count}", mechs=mechs, users=users)
        except SaslUnavailable as exc:
            unavailable(str(exc))

    return factory
