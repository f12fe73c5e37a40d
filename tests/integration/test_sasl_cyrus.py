"""Interop with cyrus-sasl's own server side, through its ``sasl-sample-server``.

The sample server speaks base64 lines (``S: ...`` from it, ``C: ...`` to it)
on stdin/stdout; after authenticating it sends one message through the
negotiated security layer and expects one back, which exercises DIGEST-MD5's
integrity and confidentiality layers against the real implementation.
Skipped when the cyrus tools are not installed.
"""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from virtwire.auth import CRED_AUTHNAME, CRED_PASSPHRASE, CredentialSource
from virtwire.auth.digest_md5 import DigestMD5Client
from virtwire.auth.mechanism import SaslClient, SaslParams
from virtwire.auth.plain import PlainClient
from virtwire.auth.scram import ScramSha1Client, ScramSha256Client

# The cyrus tools install into sbin, often outside an unprivileged user's PATH.
_SEARCH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
SERVER = shutil.which("sasl-sample-server", path=_SEARCH)
SASLPASSWD = shutil.which("saslpasswd2", path=_SEARCH)
STDBUF = shutil.which("stdbuf")

_MISSING = SERVER is None or SASLPASSWD is None or STDBUF is None
_WHY = "cyrus sasl2-bin (sasl-sample-server, saslpasswd2) or stdbuf not installed"
if _MISSING and os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
    raise RuntimeError(f"cannot run the cyrus interop tests under CI: {_WHY}")
pytestmark = pytest.mark.skipif(_MISSING, reason=_WHY)

USER = "fred"
PASSWORD = "s3cret-Pa55"
SERVER_MSG = b"srv message 1\0"
CLIENT_MSG = b"client message 1\0"


@dataclass
class CyrusEnv:
    conf_dir: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "SASL_CONF_PATH": str(self.conf_dir)}


@pytest.fixture(scope="module")
def cyrus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CyrusEnv]:
    assert SASLPASSWD is not None
    conf_dir = tmp_path_factory.mktemp("sasl")
    db = conf_dir / "sasldb"
    (conf_dir / "sample.conf").write_text(
        "mech_list: scram-sha-256 scram-sha-1 digest-md5 plain\n"
        f"sasldb_path: {db}\n"
        "pwcheck_method: auxprop\n"
        "auxprop_plugin: sasldb\n"
    )
    subprocess.run(
        [SASLPASSWD, "-f", str(db), "-a", "sample", "-p", "-c", USER],
        input=PASSWORD.encode(),
        check=True,
        timeout=20,
    )
    yield CyrusEnv(conf_dir)


@dataclass
class Outcome:
    returncode: int
    client: SaslClient
    ssf_line: str
    server_plaintext: bytes | None
    output: str


def run_exchange(cyrus: CyrusEnv, client: SaslClient) -> Outcome:
    """Drive one exchange with the sample server; returns what happened."""
    assert SERVER is not None and STDBUF is not None
    proc = subprocess.Popen(
        [STDBUF, "-oL", SERVER, "-s", "libvirt", "-m", client.mechanism],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=cyrus.env(),
    )
    assert proc.stdin is not None and proc.stdout is not None
    lines: list[str] = []

    def send(data: bytes) -> None:
        assert proc.stdin is not None
        proc.stdin.write(b"C: " + base64.b64encode(data) + b"\n")
        proc.stdin.flush()

    def next_server_line() -> bytes | str | None:
        """The next ``S:`` payload, the string "complete", or None at EOF."""
        assert proc.stdout is not None
        while True:
            raw = proc.stdout.readline()
            if not raw:
                return None
            text = raw.decode("latin-1").rstrip("\n")
            lines.append(text)
            if text.startswith("S: "):
                return base64.b64decode(text[3:])
            if text == "Negotiation complete":
                return "complete"

    ssf_line = ""
    plaintext: bytes | None = None
    try:
        mechlist = next_server_line()
        assert mechlist == client.mechanism.encode()
        initial = client.start()
        send(client.mechanism.encode() + (b"" if initial is None else b"\0" + initial))
        while True:
            item = next_server_line()
            if item is None:
                break
            if item == "complete":
                break
            assert isinstance(item, bytes)
            reply = client.step(item)
            send(reply or b"")
        if item == "complete":
            for _ in range(3):
                line = proc.stdout.readline().decode("latin-1").rstrip("\n")
                lines.append(line)
                if line.startswith("SSF:"):
                    ssf_line = line
            encoded = next_server_line()
            assert isinstance(encoded, bytes)
            layer = client.security_layer()
            if layer is None:
                plaintext = encoded
                send(CLIENT_MSG)
            else:
                plaintext = layer.feed(encoded)
                send(b"".join(layer.encode(CLIENT_MSG)))
            lines.extend(proc.stdout.read().decode("latin-1").splitlines())
    finally:
        proc.stdin.close()
        returncode = proc.wait(timeout=20)
        proc.stdout.close()
    return Outcome(returncode, client, ssf_line, plaintext, "\n".join(lines))


def creds(password: str = PASSWORD) -> CredentialSource:
    def callback(cs: list[dict[str, Any]]) -> int:
        for cred in cs:
            cred["result"] = USER if cred["type"] == CRED_AUTHNAME else password
        return 0

    return CredentialSource([CRED_AUTHNAME, CRED_PASSPHRASE], callback)


def params(min_ssf: int = 0, max_ssf: int = 0) -> SaslParams:
    return SaslParams(
        service="libvirt", host=socket.gethostname(), min_ssf=min_ssf, max_ssf=max_ssf
    )


@pytest.mark.parametrize("cls", [ScramSha256Client, ScramSha1Client, PlainClient, DigestMD5Client])
def test_authenticates(cyrus: CyrusEnv, cls: type[SaslClient]) -> None:
    outcome = run_exchange(cyrus, cls(params(), creds()))
    assert outcome.returncode == 0, outcome.output
    assert outcome.client.complete
    assert outcome.ssf_line == "SSF: 0"
    assert outcome.server_plaintext == SERVER_MSG
    assert f"Username: {USER}" in outcome.output


@pytest.mark.parametrize("cls", [ScramSha256Client, ScramSha1Client, PlainClient, DigestMD5Client])
def test_wrong_password_fails(cyrus: CyrusEnv, cls: type[SaslClient]) -> None:
    outcome = run_exchange(cyrus, cls(params(), creds("not-the-password")))
    assert outcome.returncode != 0
    assert "Negotiation complete" not in outcome.output


@pytest.mark.parametrize(
    ("ssf", "cipher"),
    [
        (1, None),  # auth-int
        (40, "rc4-40"),
        (55, "des"),
        (56, "rc4-56"),
        pytest.param(
            112,
            "3des",
            marks=pytest.mark.xfail(
                reason="cyrus's 3des setup checks DES_key_sched() < 0, which OpenSSL 3 "
                "returns for the unparitied keys cyrus derives, so its server refuses the "
                "layer ('couldn't init cipher'); 3des is checked against libcrypto in "
                "test_sasl_digest_md5.py instead",
                strict=True,
            ),
        ),
        (128, "rc4"),
    ],
)
def test_digest_md5_layers(cyrus: CyrusEnv, ssf: int, cipher: str | None) -> None:
    client = DigestMD5Client(params(min_ssf=ssf, max_ssf=ssf), creds())
    outcome = run_exchange(cyrus, client)
    assert outcome.returncode == 0, outcome.output
    assert outcome.ssf_line == f"SSF: {ssf}"
    assert client.ssf == ssf
    assert (client._cipher.name if client._cipher else None) == cipher
    assert outcome.server_plaintext == SERVER_MSG
    assert "recieved decoded message 'client message 1'" in outcome.output
