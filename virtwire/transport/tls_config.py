"""TLS for the ``tls`` transport: where the certificates are, libvirt's checks, the SSL context.

Files (``virNetTLSContextLocateCredentials``):

* ``pkipath=DIR``: ``DIR/cacert.pem``, ``DIR/cacrl.pem``, ``DIR/clientcert.pem``,
  ``DIR/clientkey.pem``, whether they exist or not;
* not root: each of ``$HOME/.pki/libvirt/cacert.pem`` and ``cacrl.pem`` if it
  exists, and ``clientcert.pem`` with ``clientkey.pem`` if both exist;
* the rest from the system: ``/etc/pki/CA/cacert.pem``, ``/etc/pki/CA/cacrl.pem``,
  ``/etc/pki/libvirt/clientcert.pem``, ``/etc/pki/libvirt/private/clientkey.pem``.

The CA certificate must exist; the CRL and the client pair may be missing.
Unless ``no_sanity``, our own certificates are checked first (dates, basic
constraints, key usage, purpose, and that the CA signed ours). Unless
``no_verify``, the server's certificate must chain to the CA, name the host
(subjectAltName, else CN) and pass the same libvirt checks as a server
certificate; ``no_verify=1`` skips all of that, as libvirt's client does (it
only warns). ``tls_priority`` is a GnuTLS string with no OpenSSL counterpart
and is not applied.
"""

from __future__ import annotations

import datetime as _dt
import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509.oid import ExtendedKeyUsageOID

from virtwire.errors import Error, TransportError
from virtwire.transport.socket_paths import user_home_dir

__all__ = [
    "SYSTEM_CACERT",
    "SYSTEM_CACRL",
    "SYSTEM_CLIENTCERT",
    "SYSTEM_CLIENTKEY",
    "TlsFiles",
    "check_certificate",
    "check_peer_certificate",
    "create_context",
    "locate_credentials",
    "sanity_check",
]

SYSTEM_CACERT: Final = "/etc/pki/CA/cacert.pem"
SYSTEM_CACRL: Final = "/etc/pki/CA/cacrl.pem"
SYSTEM_CLIENTCERT: Final = "/etc/pki/libvirt/clientcert.pem"
SYSTEM_CLIENTKEY: Final = "/etc/pki/libvirt/private/clientkey.pem"
SESSION_LABEL: Final = "[session]"
_ANY_PURPOSE: Final = x509.ObjectIdentifier("2.5.29.37.0")


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """The four PEM files of a TLS client."""

    cacert: str
    cacrl: str
    cert: str
    key: str


def locate_credentials(
    pkipath: str | None,
    *,
    euid: int,
    env: Mapping[str, str],
    exists: Callable[[str], bool],
) -> TlsFiles:
    """Where the CA, CRL, certificate and key are for this client."""
    if pkipath is not None:
        return TlsFiles(
            cacert=f"{pkipath}/cacert.pem",
            cacrl=f"{pkipath}/cacrl.pem",
            cert=f"{pkipath}/clientcert.pem",
            key=f"{pkipath}/clientkey.pem",
        )
    cacert, cacrl, cert, key = SYSTEM_CACERT, SYSTEM_CACRL, SYSTEM_CLIENTCERT, SYSTEM_CLIENTKEY
    if euid != 0:
        user = f"{user_home_dir(env)}/.pki/libvirt"
        if exists(f"{user}/cacert.pem"):
            cacert = f"{user}/cacert.pem"
        if exists(f"{user}/cacrl.pem"):
            cacrl = f"{user}/cacrl.pem"
        if exists(f"{user}/clientkey.pem") and exists(f"{user}/clientcert.pem"):
            cert, key = f"{user}/clientcert.pem", f"{user}/clientkey.pem"
    return TlsFiles(cacert=cacert, cacrl=cacrl, cert=cert, key=key)


def _fail(message: str, code: int = Error.ERR_SYSTEM_ERROR) -> TransportError:
    return TransportError(message, code=code, domain=Error.FROM_RPC)


def _check_times(
    cert: x509.Certificate, label: str, is_server: bool, is_ca: bool, now: _dt.datetime
) -> None:
    kind = "CA" if is_ca else ("server" if is_server else "client")
    if cert.not_valid_after_utc < now:
        raise _fail(f"The {kind} certificate {label} has expired")
    if cert.not_valid_before_utc > now:
        raise _fail(f"The {kind} certificate {label} is not yet active")


def _check_basic_constraints(
    cert: x509.Certificate, label: str, is_server: bool, is_ca: bool
) -> None:
    try:
        ca: bool | None = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        ca = None
    if ca is True and not is_ca:
        role = "server" if is_server else "client"
        raise _fail(
            f"The certificate {label} basic constraints show a CA, but we need one for a {role}"
        )
    if ca is False and is_ca:
        raise _fail(f"The certificate {label} basic constraints do not show a CA")
    if ca is None and is_ca:
        raise _fail(f"The certificate {label} is missing basic constraints for a CA")


def _check_key_usage(cert: x509.Certificate, label: str, is_ca: bool) -> None:
    try:
        ext = cert.extensions.get_extension_for_class(x509.KeyUsage)
    except x509.ExtensionNotFound:
        return  # libvirt then assumes the usage it needs
    usage, critical = ext.value, ext.critical
    if not critical:
        return  # libvirt only warns
    if is_ca:
        if not usage.key_cert_sign:
            raise _fail(f"Certificate {label} usage does not permit certificate signing")
        return
    if not usage.digital_signature:
        raise _fail(f"Certificate {label} usage does not permit digital signature")
    if not usage.key_encipherment:
        raise _fail(f"Certificate {label} usage does not permit key encipherment")


def _check_key_purpose(cert: x509.Certificate, label: str, is_server: bool) -> None:
    try:
        ext = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        return
    allow_server = allow_client = False
    for oid in ext.value:
        if oid == ExtendedKeyUsageOID.SERVER_AUTH:
            allow_server = True
        elif oid == ExtendedKeyUsageOID.CLIENT_AUTH:
            allow_client = True
        elif oid != _ANY_PURPOSE:
            allow_server = allow_client = True
    if not ext.critical:
        return  # libvirt only warns
    if is_server and not allow_server:
        raise _fail(f"Certificate {label} purpose does not allow use for with a TLS server")
    if not is_server and not allow_client:
        raise _fail(f"Certificate {label} purpose does not allow use for with a TLS client")


def check_certificate(
    cert: x509.Certificate, label: str, *, is_server: bool, is_ca: bool, now: _dt.datetime
) -> None:
    """libvirt's checks of one certificate: dates, basic constraints, key usage and purpose."""
    _check_times(cert, label, is_server, is_ca, now)
    _check_basic_constraints(cert, label, is_server, is_ca)
    _check_key_usage(cert, label, is_ca)
    if not is_ca:
        _check_key_purpose(cert, label, is_server)


def sanity_check(
    cacert_pem: bytes | None,
    cert_pem: bytes | None,
    *,
    cacert_file: str,
    cert_file: str,
    now: _dt.datetime,
) -> None:
    """Check our CA list and client certificate before connecting (``virNetTLSCertSanityCheck``)."""
    cert: x509.Certificate | None = None
    cas: list[x509.Certificate] = []
    try:
        if cert_pem is not None:
            cert = x509.load_pem_x509_certificate(cert_pem)
    except ValueError as exc:
        raise _fail(f"Unable to import certificate {cert_file}: {exc}") from exc
    try:
        if cacert_pem is not None:
            cas = x509.load_pem_x509_certificates(cacert_pem)
    except ValueError as exc:
        raise _fail(f"Unable to import CA certificate list {cacert_file}: {exc}") from exc
    if cert is not None:
        check_certificate(cert, cert_file, is_server=False, is_ca=False, now=now)
    for ca in cas:
        check_certificate(ca, cacert_file, is_server=False, is_ca=True, now=now)
    if cert is not None and cas and not any(_issued_by(cert, ca) for ca in cas):
        raise _fail(
            f"Our own certificate {cert_file} failed validation against {cacert_file}: "
            "The certificate hasn't got a known issuer."
        )


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def check_peer_certificate(der: bytes, *, now: _dt.datetime) -> None:
    """The server-certificate checks libvirt adds to chain and host-name verification."""
    cert = x509.load_der_x509_certificate(der)
    try:
        check_certificate(cert, SESSION_LABEL, is_server=True, is_ca=False, now=now)
    except TransportError as exc:
        raise _fail(
            f"Failed to verify peer's certificate: {exc.message}", code=Error.ERR_AUTH_FAILED
        ) from exc


def _read_optional(path: str) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def create_context(
    files: TlsFiles,
    *,
    verify: bool = True,
    sanity: bool = True,
    now: _dt.datetime | None = None,
) -> ssl.SSLContext:
    """An SSL client context as libvirt's: CA (required), CRL, our pair, verification on or off."""
    if not os.path.exists(files.cacert):
        raise _fail(f"Cannot read CA certificate '{files.cacert}': No such file or directory")
    if sanity:
        sanity_check(
            _read_optional(files.cacert),
            _read_optional(files.cert),
            cacert_file=files.cacert,
            cert_file=files.cert,
            now=now or _dt.datetime.now(_dt.UTC),
        )
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.hostname_checks_common_name = True
    try:
        ctx.load_verify_locations(cafile=files.cacert)
    except (ssl.SSLError, OSError) as exc:
        raise _fail(f"Unable to set x509 CA certificate: {files.cacert}: {exc}") from exc
    if os.path.exists(files.cacrl):
        try:
            ctx.load_verify_locations(cafile=files.cacrl)
        except (ssl.SSLError, OSError) as exc:
            raise _fail(
                f"Unable to set x509 certificate revocation list: {files.cacrl}: {exc}"
            ) from exc
        ctx.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    if os.path.exists(files.cert) and os.path.exists(files.key):
        try:
            ctx.load_cert_chain(certfile=files.cert, keyfile=files.key)
        except (ssl.SSLError, OSError) as exc:
            raise _fail(
                f"Unable to set x509 key and certificate: {files.key}, {files.cert}: {exc}"
            ) from exc
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx
