"""Sys::Virt::Secret, both runtimes, against the real secret driver (the test driver has
none); cross-checked with virsh."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from virtwire import Error
from virtwire.constants_gen import virConnectListAllSecretsFlags, virSecretUsageType

from .daemon import Daemon
from .test_objects_support import connect, expect_error, quiet, unique, virsh, virsh_column

ERR = Error
VOLUME = virSecretUsageType.VIR_SECRET_USAGE_TYPE_VOLUME


def secret_xml(sid: str, path: str, private: bool = False) -> str:
    flag = "yes" if private else "no"
    return (
        f"<secret ephemeral='no' private='{flag}'><uuid>{sid}</uuid>"
        f"<usage type='volume'><volume>{path}</volume></usage></secret>"
    )


@pytest.fixture
def tconn(kind: str, daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, daemon.uri())


@pytest.fixture
def sconn(kind: str, storage_daemon: Daemon) -> Iterator[Any]:
    yield from connect(kind, storage_daemon.uri("secret"))


@pytest.fixture
def secret(sconn: Any) -> Iterator[Any]:
    sec = sconn.define_secret(secret_xml(str(uuid.uuid4()), f"/vw/{unique('vol')}.img"))
    try:
        yield sec
    finally:
        quiet(sec.undefine)


def test_identity_and_lookups(sconn: Any, storage_daemon: Daemon, secret: Any) -> None:
    uri = storage_daemon.uri("secret")
    sid = secret.get_uuid_string()
    assert secret.get_uuid() == uuid.UUID(sid).bytes
    assert secret.get_usage_type() == VOLUME
    assert secret.get_usage_id().startswith("/vw/vol-")
    assert secret.get_xml_description() == virsh(uri, "secret-dumpxml", sid)
    assert sconn.get_secret_by_uuid(sid) == secret
    assert sconn.get_secret_by_uuid(secret.get_uuid()) == secret
    assert sconn.get_secret_by_uuid(sid.replace("-", "")) == secret
    assert sconn.get_secret_by_uuid_string(sid) == secret
    assert sconn.get_secret_by_usage(VOLUME, secret.get_usage_id()) == secret
    assert sid in virsh_column(uri, "secret-list")
    assert sid in sconn.list_secret_uuids()
    assert sid in sconn.list_secret_uuids(sconn.num_of_secrets())
    assert secret in sconn.list_secrets()
    assert secret in sconn.list_all_secrets()
    flag = virConnectListAllSecretsFlags.VIR_CONNECT_LIST_SECRETS_NO_PRIVATE
    assert secret in sconn.list_all_secrets(flag)
    assert secret not in sconn.list_all_secrets(
        virConnectListAllSecretsFlags.VIR_CONNECT_LIST_SECRETS_PRIVATE
    )
    expect_error(ERR.ERR_NO_SECRET, lambda: sconn.get_secret_by_uuid(str(uuid.uuid4())))
    expect_error(ERR.ERR_NO_SECRET, lambda: sconn.get_secret_by_usage(VOLUME, "/vw/none"))
    expect_error(ERR.ERR_INVALID_ARG, lambda: sconn.get_secret_by_uuid("abc"))


def test_values(sconn: Any, storage_daemon: Daemon, secret: Any) -> None:
    uri = storage_daemon.uri("secret")
    expect_error(ERR.ERR_NO_SECRET, secret.get_value)  # no value yet
    value = bytes(range(256))
    secret.set_value(value)
    assert secret.get_value() == value
    shown = virsh(uri, "secret-get-value", secret.get_uuid_string()).strip()
    assert base64.b64decode(shown) == value
    secret.set_value("pässword")
    assert secret.get_value() == "pässword".encode()


def test_private_value_and_redefine(sconn: Any) -> None:
    sid = str(uuid.uuid4())
    path = f"/vw/{unique('priv')}.img"
    sec = sconn.define_secret(secret_xml(sid, path, private=True))
    try:
        sec.set_value(b"hidden")
        # Remote clients may not read private values.
        expect_error(ERR.ERR_INVALID_SECRET, sec.get_value)
        again = sconn.define_secret(secret_xml(sid, path, private=True), 0)
        assert again == sec
    finally:
        sec.undefine()
    expect_error(ERR.ERR_NO_SECRET, lambda: sconn.get_secret_by_uuid(sid))
    expect_error(ERR.ERR_NO_SECRET, sec.undefine)


def test_test_driver_has_no_secrets(tconn: Any) -> None:
    conn = tconn
    expect_error(ERR.ERR_NO_SUPPORT, conn.list_all_secrets, domain=ERR.FROM_SECRET)
    expect_error(ERR.ERR_NO_SUPPORT, conn.num_of_secrets)
    expect_error(
        ERR.ERR_NO_SUPPORT, lambda: conn.define_secret(secret_xml(str(uuid.uuid4()), "/x"))
    )
