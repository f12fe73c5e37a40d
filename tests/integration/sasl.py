"""A private cyrus SASL configuration for a test libvirtd.

``make_sasl()`` writes ``libvirt.conf`` (cyrus reads ``<app>.conf`` from the
directory in ``SASL_CONF_PATH``; libvirtd's app name is ``libvirt``) and a
sasldb holding the given users. ``start_daemon(sasl=...)`` points the daemon
at it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SaslConfig", "SaslUnavailable", "make_sasl"]

SASLPASSWD2 = "/usr/sbin/saslpasswd2"


class SaslUnavailable(RuntimeError):
    """``saslpasswd2`` is not installed."""


@dataclass(frozen=True, slots=True)
class SaslConfig:
    """A SASL configuration directory and the users in its database."""

    dir: Path
    """The directory to put in ``SASL_CONF_PATH``."""
    conf_path: Path
    db_path: Path
    mechs: tuple[str, ...]
    users: Mapping[str, str] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        """Environment variables a daemon needs to use this configuration."""
        return {"SASL_CONF_PATH": str(self.dir)}


def make_sasl(dir: Path, *, mechs: Sequence[str], users: Mapping[str, str]) -> SaslConfig:
    """Write a cyrus config allowing ``mechs`` and a sasldb with ``users`` (name → password)."""
    saslpasswd2 = shutil.which("saslpasswd2") or SASLPASSWD2
    if not Path(saslpasswd2).exists():
        raise SaslUnavailable("saslpasswd2 not found (Debian package sasl2-bin)")
    dir.mkdir(parents=True, exist_ok=True)
    db_path = dir / "passwd.db"
    conf_path = dir / "libvirt.conf"
    conf_path.write_text(
        f"mech_list: {' '.join(m.lower() for m in mechs)}\nsasldb_path: {db_path}\n"
    )
    for user, password in users.items():
        subprocess.run(
            [saslpasswd2, "-a", "libvirt", "-f", str(db_path), "-p", "-c", user],
            input=password.encode(),
            check=True,
            capture_output=True,
            timeout=30,
        )
    return SaslConfig(
        dir=dir,
        conf_path=conf_path,
        db_path=db_path,
        mechs=tuple(mechs),
        users=dict(users),
    )
