"""SASL authentication for libvirt's RPC protocol, without I/O."""

from .credentials import (
    CRED_AUTHNAME,
    CRED_CNONCE,
    CRED_ECHOPROMPT,
    CRED_EXTERNAL,
    CRED_LANGUAGE,
    CRED_NOECHOPROMPT,
    CRED_PASSPHRASE,
    CRED_REALM,
    CRED_USERNAME,
    DEFAULT_CREDTYPES,
    CredentialCallback,
    CredentialRequest,
    CredentialSource,
    console_callback,
    console_credentials,
)
from .mechanism import SaslClient, SaslParams
from .sasl import choose_client, parse_mechlist
from .security_layer import SecurityLayer

__all__ = [
    "CRED_AUTHNAME",
    "CRED_CNONCE",
    "CRED_ECHOPROMPT",
    "CRED_EXTERNAL",
    "CRED_LANGUAGE",
    "CRED_NOECHOPROMPT",
    "CRED_PASSPHRASE",
    "CRED_REALM",
    "CRED_USERNAME",
    "DEFAULT_CREDTYPES",
    "CredentialCallback",
    "CredentialRequest",
    "CredentialSource",
    "SaslClient",
    "SaslParams",
    "SecurityLayer",
    "choose_client",
    "console_callback",
    "console_credentials",
    "parse_mechlist",
]
