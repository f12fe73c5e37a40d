"""Throwaway X.509 material for TLS tests against a real libvirtd.

``make_pki()`` writes, with EC P-256 keys:

* a CA, a server certificate (SAN: each server name, as DNS or IP) and a
  client certificate, all signed by that CA;
* a server certificate for a wrong host name, signed by the same CA;
* a second, unrelated CA and a client certificate signed by it.

Client credentials are also laid out as libvirt's ``pkipath=`` URI parameter
expects: one flat directory holding ``cacert.pem``, ``clientcert.pem`` and
``clientkey.pem``.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["PkiFiles", "format_dn", "make_pki"]

_VALIDITY = datetime.timedelta(days=2)
_BACKDATE = datetime.timedelta(hours=1)

# Short names as GnuTLS prints them in a distinguished name.
_SHORT_NAMES = {
    NameOID.COUNTRY_NAME: "C",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.LOCALITY_NAME: "L",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COMMON_NAME: "CN",
}


@dataclass(frozen=True, slots=True)
class PkiFiles:
    """Paths of the files written by ``make_pki()``."""

    dir: Path
    cacert: Path
    servercert: Path
    serverkey: Path
    clientcert: Path
    clientkey: Path
    client_pkipath: Path
    """Directory for ``pkipath=``: cacert.pem, clientcert.pem, clientkey.pem."""
    client_dn: str
    """The client's subject as libvirt matches it against ``tls_allowed_dn_list``."""
    wrong_host_servercert: Path
    """Server certificate from the same CA, valid only for ``wrong.invalid``."""
    wrong_host_serverkey: Path
    other_cacert: Path
    """An unrelated CA."""
    wrong_ca_pkipath: Path
    """``pkipath=`` directory trusting only the unrelated CA (client cert from it too)."""

    def with_wrong_host(self) -> PkiFiles:
        """Return a copy whose server certificate names the wrong host."""
        return dataclasses.replace(
            self,
            servercert=self.wrong_host_servercert,
            serverkey=self.wrong_host_serverkey,
        )


def format_dn(name: x509.Name) -> str:
    """Format ``name`` the way GnuTLS's ``gnutls_x509_crt_get_dn`` does (simple names only)."""
    parts = []
    for rdn in name.rdns:
        for attr in rdn:
            value = attr.value if isinstance(attr.value, str) else attr.value.decode()
            escaped = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
            parts.append(f"{_SHORT_NAMES[attr.oid]}={escaped}")
    return ",".join(parts)


def make_pki(
    dir: Path,
    *,
    server_names: Sequence[str] = ("localhost", "127.0.0.1"),
    client_dn: Sequence[tuple[str, str]] = (
        ("C", "GB"),
        ("O", "virtwire tests"),
        ("CN", "virtwire client"),
    ),
    ca_name: str = "virtwire test CA",
) -> PkiFiles:
    """Write a CA, server and client certificates and negative-test extras into ``dir``.

    ``client_dn`` lists (short name, value) pairs, e.g. ``(("O", "x"), ("CN", "y"))``.
    """
    dir.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)

    ca_key = _new_key()
    ca_cert = _ca_certificate(ca_name, ca_key, now)
    other_ca_key = _new_key()
    other_ca_cert = _ca_certificate(f"{ca_name} (unrelated)", other_ca_key, now)

    server_key = _new_key()
    server_cert = _leaf_certificate(
        _name((("O", "virtwire tests"), ("CN", server_names[0]))),
        server_key,
        ca_cert,
        ca_key,
        now,
        server_names=server_names,
    )
    wrong_key = _new_key()
    wrong_cert = _leaf_certificate(
        _name((("O", "virtwire tests"), ("CN", "wrong.invalid"))),
        wrong_key,
        ca_cert,
        ca_key,
        now,
        server_names=("wrong.invalid",),
    )
    subject = _name(client_dn)
    client_key = _new_key()
    client_cert = _leaf_certificate(subject, client_key, ca_cert, ca_key, now)
    other_client_key = _new_key()
    other_client_cert = _leaf_certificate(
        subject, other_client_key, other_ca_cert, other_ca_key, now
    )

    paths = {
        "cacert": _write_cert(dir / "cacert.pem", ca_cert),
        "servercert": _write_cert(dir / "servercert.pem", server_cert),
        "serverkey": _write_key(dir / "serverkey.pem", server_key),
        "clientcert": _write_cert(dir / "clientcert.pem", client_cert),
        "clientkey": _write_key(dir / "clientkey.pem", client_key),
        "wrong_host_servercert": _write_cert(dir / "wrong-host-servercert.pem", wrong_cert),
        "wrong_host_serverkey": _write_key(dir / "wrong-host-serverkey.pem", wrong_key),
        "other_cacert": _write_cert(dir / "other-cacert.pem", other_ca_cert),
    }
    _write_key(dir / "cakey.pem", ca_key)

    client_pkipath = dir / "client"
    _client_dir(client_pkipath, ca_cert, client_cert, client_key)
    wrong_ca_pkipath = dir / "client-wrong-ca"
    _client_dir(wrong_ca_pkipath, other_ca_cert, other_client_cert, other_client_key)

    return PkiFiles(
        dir=dir,
        client_pkipath=client_pkipath,
        client_dn=format_dn(subject),
        wrong_ca_pkipath=wrong_ca_pkipath,
        **paths,
    )


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(pairs: Sequence[tuple[str, str]]) -> x509.Name:
    oids = {short: oid for oid, short in _SHORT_NAMES.items()}
    return x509.Name([x509.NameAttribute(oids[short], value) for short, value in pairs])


def _builder(
    subject: x509.Name,
    issuer: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    now: datetime.datetime,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _ca_certificate(
    common_name: str, key: ec.EllipticCurvePrivateKey, now: datetime.datetime
) -> x509.Certificate:
    name = _name((("O", "virtwire tests"), ("CN", common_name)))
    builder = (
        _builder(name, name, key, now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    return builder.sign(key, hashes.SHA256())


def _leaf_certificate(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    now: datetime.datetime,
    *,
    server_names: Sequence[str] = (),
) -> x509.Certificate:
    purpose = ExtendedKeyUsageOID.SERVER_AUTH if server_names else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        _builder(subject, ca_cert.subject, key, now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            # libvirt insists on both bits, whatever the key type.
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([purpose]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if server_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([_general_name(n) for n in server_names]),
            critical=False,
        )
    return builder.sign(ca_key, hashes.SHA256())


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write_cert(path: Path, cert: x509.Certificate) -> Path:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.touch(mode=0o600)
    path.write_bytes(data)
    return path


def _client_dir(
    path: Path,
    ca_cert: x509.Certificate,
    cert: x509.Certificate,
    key: ec.EllipticCurvePrivateKey,
) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    _write_cert(path / "cacert.pem", ca_cert)
    _write_cert(path / "clientcert.pem", cert)
    _write_key(path / "clientkey.pem", key)
