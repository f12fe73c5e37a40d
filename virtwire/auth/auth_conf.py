"""libvirt's client credential file (``auth.conf``), read as libvirt's client reads it.

The file is chosen in this order: ``$LIBVIRT_AUTH_FILE``; the URI's ``authfile=``
parameter; ``$XDG_CONFIG_HOME/libvirt/auth.conf`` (``~/.config`` when unset); and
``/etc/libvirt/auth.conf``. The last two are used only when readable. Its ini-style
groups map a service and host to a set of credentials::

    [credentials-prod]
    authname=fred
    password=letmein

    [auth-libvirt-prod1.example.com]
    credentials=prod

    [auth-libvirt-default]
    credentials=prod

Values found here answer SASL's requests before the credential callback is asked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from virtwire.errors import AuthError, Error

from .credentials import CRED_AUTHNAME, CRED_PASSPHRASE, CRED_REALM, CRED_USERNAME

#: Key names in a ``credentials-*`` group and the credential types they answer.
CREDENTIAL_KEYS: Mapping[str, int] = {
    "username": CRED_USERNAME,
    "authname": CRED_AUTHNAME,
    "password": CRED_PASSPHRASE,
    "realm": CRED_REALM,
}

_ESCAPES = {"s": " ", "n": "\n", "t": "\t", "r": "\r", "\\": "\\"}


def _unescape(value: str) -> str:
    """GKeyFile string escapes: ``\\s \\n \\t \\r \\\\``."""
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(_ESCAPES.get(value[i + 1], "\\" + value[i + 1]))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def parse_keyfile(text: str, path: str = "<string>") -> dict[str, dict[str, str]]:
    """Parse GKeyFile syntax into groups of keys; a later key or group adds to earlier ones."""
    groups: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise _syntax(f"invalid group name at line {lineno}", path)
            current = groups.setdefault(line[1:-1], {})
            continue
        key, eq, value = line.partition("=")
        if not eq or not key.strip():
            raise _syntax(f"invalid line {lineno}", path)
        if current is None:
            raise _syntax(f"key outside of a group at line {lineno}", path)
        key = key.strip()
        if "[" in key:  # a translation (key[locale]); never a credential
            continue
        current[key] = _unescape(value.strip())
    return groups


def _syntax(message: str, path: str) -> Error:
    return Error(f"{message} in '{path}'", code=Error.ERR_CONF_SYNTAX, domain=Error.FROM_NONE)


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """A parsed credential file."""

    path: str
    groups: Mapping[str, Mapping[str, str]]

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> AuthConfig:
        """Read and parse ``path``; raises ``AuthError`` when it cannot be read."""
        name = os.fspath(path)
        try:
            text = Path(name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
            raise AuthError(f"unable to read the auth file '{name}': {reason}") from None
        return cls(name, parse_keyfile(text, name))

    def lookup(self, service: str, hostname: str | None, credname: str) -> str | None:
        """The value of ``credname`` for ``service`` on ``hostname``, as libvirt finds it."""
        authgroup = f"auth-{service}-{hostname or 'localhost'}"
        group = self.groups.get(authgroup)
        if group is None:
            authgroup = f"auth-{service}-default"
            group = self.groups.get(authgroup)
        if group is None:
            return None
        name = group.get("credentials")
        if name is None:
            raise _syntax(f"Missing item 'credentials' in group '{authgroup}'", self.path)
        creds = self.groups.get(f"credentials-{name}")
        if creds is None:
            raise _syntax(
                f"Missing group 'credentials-{name}' referenced from group '{authgroup}'",
                self.path,
            )
        return creds.get(credname)

    def credentials(self, service: str, hostname: str | None) -> dict[int, str]:
        """Every credential the file gives for ``service`` on ``hostname``, by type."""
        found: dict[int, str] = {}
        for key, credtype in CREDENTIAL_KEYS.items():
            value = self.lookup(service, hostname, key)
            if value is not None:
                found[credtype] = value
        return found

    def __repr__(self) -> str:
        return f"<AuthConfig path={self.path!r} groups={sorted(self.groups)}>"


def auth_file_path(
    authfile: str | None = None, environ: Mapping[str, str] | None = None
) -> str | None:
    """The credential file libvirt's client would read, or ``None``."""
    env = os.environ if environ is None else environ
    if env.get("LIBVIRT_AUTH_FILE"):
        return env["LIBVIRT_AUTH_FILE"]
    if authfile:
        return authfile
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(
        env.get("HOME") or os.path.expanduser("~"), ".config"
    )
    for candidate in (os.path.join(config_home, "libvirt", "auth.conf"), "/etc/libvirt/auth.conf"):
        if os.access(candidate, os.R_OK):
            return candidate
    return None


def preset_credentials(
    hostname: str | None,
    *,
    authfile: str | None = None,
    service: str = "libvirt",
    environ: Mapping[str, str] | None = None,
) -> dict[int, str]:
    """Credentials for a connection to ``hostname`` from the credential file, if any.

    ``hostname`` is the URI's server (``None`` for local URIs, looked up as
    ``localhost``); ``authfile`` is the URI's ``authfile=`` parameter.
    """
    path = auth_file_path(authfile, environ)
    if path is None:
        return {}
    return AuthConfig.load(path).credentials(service, hostname)


__all__ = [
    "CREDENTIAL_KEYS",
    "AuthConfig",
    "auth_file_path",
    "parse_keyfile",
    "preset_credentials",
]
