"""TLS pure logic: credential locations, libvirt's certificate checks, the SSL context."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from virtwire.errors import Error, TransportError
from virtwire.transport.tls_config import (
    TlsFiles,
    check_certificate,
    check_peer_certificate,
    create_context,
    locate_credentials,
    sanity_check,
)

NOW = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
Key = ec.EllipticCurvePrivateKey


def usage(*, sign: bool = False, digital: bool = False, encipher: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital,
        content_commitment=False,
        key_encipherment=encipher,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=sign,
        crl_sign=sign,
        encipher_only=False,
        decipher_only=False,
    )


def make_cert(
    cn: str,
    *,
    key: Key | None = None,
    issuer: tuple[x509.Certificate, Key] | None = None,
    ca: bool | None = False,
    key_usage: x509.KeyUsage | None = None,
    ku_critical: bool = True,
    purposes: list[x509.ObjectIdentifier] | None = None,
    eku_critical: bool = True,
    not_before: dt.datetime = NOW - DAY,
    not_after: dt.datetime = NOW + DAY,
) -> tuple[x509.Certificate, Key]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_name, signer = (issuer[0].subject, issuer[1]) if issuer else (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
    if key_usage is not None:
        builder = builder.add_extension(key_usage, ku_critical)
    if purposes is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), eku_critical)
    return builder.sign(signer, hashes.SHA256()), key


def make_ca(now: dt.datetime = NOW) -> tuple[x509.Certificate, Key]:
    return make_cert(
        "CA", ca=True, key_usage=usage(sign=True), not_before=now - DAY, not_after=now + DAY
    )


def leaf(ca: tuple[x509.Certificate, Key], purpose: x509.ObjectIdentifier) -> x509.Certificate:
    return make_cert(
        "leaf",
        issuer=ca,
        key_usage=usage(digital=True, encipher=True),
        purposes=[purpose],
    )[0]


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


# ---------------------------------------------------------------- locations


def test_pkipath_is_used_whether_files_exist_or_not() -> None:
    files = locate_credentials("/p", euid=1000, env={"HOME": "/h"}, exists=lambda p: True)
    assert files == TlsFiles(
        "/p/cacert.pem", "/p/cacrl.pem", "/p/clientcert.pem", "/p/clientkey.pem"
    )


def test_root_uses_system_files() -> None:
    files = locate_credentials(None, euid=0, env={"HOME": "/root"}, exists=lambda p: True)
    assert files == TlsFiles(
        "/etc/pki/CA/cacert.pem",
        "/etc/pki/CA/cacrl.pem",
        "/etc/pki/libvirt/clientcert.pem",
        "/etc/pki/libvirt/private/clientkey.pem",
    )


@pytest.mark.parametrize(
    ("present", "expected"),
    [
        (set(), ("/etc/pki/CA/cacert.pem", "/etc/pki/libvirt/clientcert.pem")),
        ({"cacert.pem"}, ("/h/.pki/libvirt/cacert.pem", "/etc/pki/libvirt/clientcert.pem")),
        ({"clientcert.pem"}, ("/etc/pki/CA/cacert.pem", "/etc/pki/libvirt/clientcert.pem")),
        (
            {"clientcert.pem", "clientkey.pem"},
            ("/etc/pki/CA/cacert.pem", "/h/.pki/libvirt/clientcert.pem"),
        ),
    ],
)
def test_user_files_fall_back_to_system(present: set[str], expected: tuple[str, str]) -> None:
    files = locate_credentials(
        None,
        euid=1000,
        env={"HOME": "/h"},
        exists=lambda p: p.startswith("/h/.pki/libvirt/") and p.rsplit("/", 1)[1] in present,
    )
    assert (files.cacert, files.cert) == expected
    assert files.key.endswith("clientkey.pem")


# ---------------------------------------------------------------- certificate checks


@pytest.mark.parametrize(
    ("kwargs", "is_ca", "is_server", "message"),
    [
        ({"not_after": NOW - DAY}, False, False, "The client certificate c.pem has expired"),
        ({"not_before": NOW + DAY}, True, False, "The CA certificate c.pem is not yet active"),
        ({"not_after": NOW - DAY}, False, True, "The server certificate c.pem has expired"),
        (
            {"ca": True},
            False,
            True,
            "The certificate c.pem basic constraints show a CA, but we need one for a server",
        ),
        ({"ca": False}, True, False, "The certificate c.pem basic constraints do not show a CA"),
        ({"ca": None}, True, False, "The certificate c.pem is missing basic constraints for a CA"),
        (
            {"ca": True, "key_usage": usage()},
            True,
            False,
            "Certificate c.pem usage does not permit certificate signing",
        ),
        (
            {"key_usage": usage(encipher=True)},
            False,
            False,
            "Certificate c.pem usage does not permit digital signature",
        ),
        (
            {"key_usage": usage(digital=True)},
            False,
            False,
            "Certificate c.pem usage does not permit key encipherment",
        ),
        (
            {"purposes": [ExtendedKeyUsageOID.SERVER_AUTH]},
            False,
            False,
            "Certificate c.pem purpose does not allow use for with a TLS client",
        ),
        (
            {"purposes": [ExtendedKeyUsageOID.CLIENT_AUTH]},
            False,
            True,
            "Certificate c.pem purpose does not allow use for with a TLS server",
        ),
    ],
)
def test_check_certificate_failures(
    kwargs: dict[str, object], is_ca: bool, is_server: bool, message: str
) -> None:
    cert, _ = make_cert("x", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TransportError) as info:
        check_certificate(cert, "c.pem", is_server=is_server, is_ca=is_ca, now=NOW)
    assert info.value.message == message


@pytest.mark.parametrize(
    "kwargs",
    [
        {},  # no key usage, no purpose: everything allowed
        {"key_usage": usage(digital=True), "ku_critical": False},  # not critical: a warning
        {"purposes": [ExtendedKeyUsageOID.SERVER_AUTH], "eku_critical": False},
        {"purposes": [ExtendedKeyUsageOID.CODE_SIGNING]},  # another purpose allows both
    ],
)
def test_check_certificate_passes(kwargs: dict[str, object]) -> None:
    cert, _ = make_cert("x", **kwargs)  # type: ignore[arg-type]
    check_certificate(cert, "c.pem", is_server=False, is_ca=False, now=NOW)


def test_sanity_check_pair() -> None:
    ca, other = make_ca(), make_ca()
    client = leaf(ca, ExtendedKeyUsageOID.CLIENT_AUTH)
    sanity_check(pem(ca[0]), pem(client), cacert_file="ca.pem", cert_file="c.pem", now=NOW)
    sanity_check(pem(ca[0]), None, cacert_file="ca.pem", cert_file="c.pem", now=NOW)
    with pytest.raises(TransportError) as info:
        sanity_check(pem(other[0]), pem(client), cacert_file="ca.pem", cert_file="c.pem", now=NOW)
    assert info.value.message == (
        "Our own certificate c.pem failed validation against ca.pem: "
        "The certificate hasn't got a known issuer."
    )


def test_peer_certificate_must_be_a_server_leaf() -> None:
    ca = make_ca()
    server = leaf(ca, ExtendedKeyUsageOID.SERVER_AUTH)
    check_peer_certificate(server.public_bytes(serialization.Encoding.DER), now=NOW)
    with pytest.raises(TransportError) as info:
        check_peer_certificate(ca[0].public_bytes(serialization.Encoding.DER), now=NOW)
    assert info.value.code == Error.ERR_AUTH_FAILED
    assert "basic constraints show a CA, but we need one for a server" in info.value.message


# ---------------------------------------------------------------- the SSL context


def write_pki(tmp_path: Path) -> TlsFiles:
    ca = make_ca(dt.datetime.now(dt.UTC))
    client, key = make_cert(
        "client",
        issuer=ca,
        key_usage=usage(digital=True, encipher=True),
        purposes=[ExtendedKeyUsageOID.CLIENT_AUTH],
        not_before=dt.datetime.now(dt.UTC) - DAY,
        not_after=dt.datetime.now(dt.UTC) + DAY,
    )
    (tmp_path / "cacert.pem").write_bytes(pem(ca[0]))
    (tmp_path / "clientcert.pem").write_bytes(pem(client))
    (tmp_path / "clientkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return locate_credentials(str(tmp_path), euid=0, env={}, exists=lambda p: False)


def test_context_verifies_by_default(tmp_path: Path) -> None:
    ctx = create_context(write_pki(tmp_path))
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert not ctx.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF


def test_context_no_verify(tmp_path: Path) -> None:
    ctx = create_context(write_pki(tmp_path), verify=False)
    assert ctx.verify_mode == ssl.CERT_NONE and not ctx.check_hostname


def test_missing_ca_is_fatal(tmp_path: Path) -> None:
    files = write_pki(tmp_path)
    (tmp_path / "cacert.pem").unlink()
    with pytest.raises(TransportError) as info:
        create_context(files, verify=False)
    assert info.value.message == (
        f"Cannot read CA certificate '{tmp_path}/cacert.pem': No such file or directory"
    )


def test_sanity_failure_stops_before_connecting(tmp_path: Path) -> None:
    files = write_pki(tmp_path)
    with pytest.raises(TransportError, match="has expired"):
        create_context(files, now=dt.datetime.now(dt.UTC) + 1000 * DAY)
    create_context(files, sanity=False, now=dt.datetime.now(dt.UTC) + 1000 * DAY)


def test_missing_client_pair_is_allowed(tmp_path: Path) -> None:
    files = write_pki(tmp_path)
    (tmp_path / "clientkey.pem").unlink()
    create_context(files)


def test_crl_enables_leaf_checks(tmp_path: Path) -> None:
    files = write_pki(tmp_path)
    ca_cert = x509.load_pem_x509_certificate((tmp_path / "cacert.pem").read_bytes())
    # An empty CRL signed by a throwaway key still parses; OpenSSL checks its signer later.
    signer = ec.generate_private_key(ec.SECP256R1())
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(NOW - DAY)
        .next_update(NOW + DAY)
        .sign(signer, hashes.SHA256())
    )
    (tmp_path / "cacrl.pem").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    ctx = create_context(files)
    assert ctx.verify_flags & ssl.VERIFY_CRL_CHECK_LEAF
