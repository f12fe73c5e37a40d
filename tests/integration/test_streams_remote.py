"""Volume upload and download over the network transports: TLS, and TCP through a SASL
DIGEST-MD5 confidentiality layer, both runtimes, against a real storage driver."""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from virtwire.auth import CRED_AUTHNAME, CRED_PASSPHRASE
from virtwire.protocol import remote_gen as r

from .clients import new_stream, open_client
from .conftest import start_with_sasl
from .daemon import Daemon
from .pki import PkiFiles

USER, PASSWORD = "fred", "letmein"
SIZE = 6 * 1024 * 1024 + 12345  # not a whole number of stream packets


@pytest.fixture(scope="module")
def remote_storage(tmp_path_factory: pytest.TempPathFactory, pki: PkiFiles) -> Iterator[Daemon]:
    """The storage driver over TLS (no auth) and TCP (SASL DIGEST-MD5)."""
    d = start_with_sasl(
        tmp_path_factory.mktemp("remote-storage"),
        mechs=["DIGEST-MD5"],
        users={USER: PASSWORD},
        drivers=("storage",),
        tcp=True,
        tls=pki,
        auth_tcp="sasl",
        private_namespace=os.geteuid() == 0,
    )
    with d:
        yield d


def _answer(creds: list[dict[str, Any]]) -> int:
    for cred in creds:
        cred["result"] = USER if cred["type"] == CRED_AUTHNAME else PASSWORD
    return 0


def _open(kind: str, daemon: Daemon, transport: str, pki: PkiFiles) -> Any:
    if transport == "tls":
        pkipath = str(pki.client_pkipath)
        return open_client(kind, daemon.uri("storage", "tls", params={"pkipath": pkipath}))
    return open_client(
        kind, daemon.uri("storage", "tcp"), auth=1,
        credlist=[CRED_AUTHNAME, CRED_PASSPHRASE], callback=_answer,
    )


@pytest.mark.parametrize("transport", ["tls", "tcp"])
def test_upload_and_download_over_the_network(
    kind: str, transport: str, remote_storage: Daemon, pki: PkiFiles, tmp_path: Path
) -> None:
    client = _open(kind, remote_storage, transport, pki)
    try:
        if transport == "tcp":
            assert client.session.sasl_mechanism == "DIGEST-MD5" and client.is_encrypted()
        name = "vw-net-" + uuid.uuid4().hex[:8]
        pool = client.call(
            "storage_pool_create_xml",
            r.remote_storage_pool_create_xml_args(
                xml=f"<pool type='dir'><name>{name}</name>"
                f"<target><path>{tmp_path}</path></target></pool>",
                flags=0,
            ),
        ).pool
        try:
            vol = client.call(
                "storage_vol_create_xml",
                r.remote_storage_vol_create_xml_args(
                    pool=pool,
                    xml=f"<volume><name>v</name><capacity>{SIZE}</capacity>"
                    "<allocation>0</allocation><target><format type='raw'/></target></volume>",
                    flags=0,
                ),
            ).vol
            data = os.urandom(SIZE)
            up = new_stream(client, kind)
            up._open(
                "storage_vol_upload",
                r.remote_storage_vol_upload_args(vol=vol, offset=0, length=SIZE, flags=0),
            )
            src = io.BytesIO(data)
            up.send_all(lambda _st, nbytes: src.read(nbytes))
            up.finish()
            assert hashlib.sha256((tmp_path / "v").read_bytes()).digest() == (
                hashlib.sha256(data).digest()
            )
            down = new_stream(client, kind)
            down._open(
                "storage_vol_download",
                r.remote_storage_vol_download_args(vol=vol, offset=0, length=0, flags=0),
            )
            out = io.BytesIO()
            down.recv_all(lambda _st, chunk, _n: out.write(chunk))
            down.finish()
            assert out.getvalue() == data
        finally:
            client.call("storage_pool_destroy", r.remote_storage_pool_destroy_args(pool=pool))
    finally:
        client.close()
