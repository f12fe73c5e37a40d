"""Credential types and the callback protocol, as in Sys::Virt and libvirt.

A credential callback receives a list of dicts, one per credential wanted,
with the keys ``type``, ``prompt``, ``challenge`` and ``result`` (pre-filled
with a default, possibly ``None``).  It fills in ``result`` and returns 0.
A negative return value cancels the authentication, as in libvirt and
Sys::Virt (which go on after any other value, ``None`` included).

Values collected here are never put into reprs, log records or exception
messages.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from virtwire.errors import AuthCancelledError, AuthError

AUTH_FAILED = AuthError.default_code

CRED_USERNAME = 1
CRED_AUTHNAME = 2
CRED_LANGUAGE = 3
CRED_CNONCE = 4
CRED_PASSPHRASE = 5
CRED_ECHOPROMPT = 6
CRED_NOECHOPROMPT = 7
CRED_REALM = 8
CRED_EXTERNAL = 9

CRED_NAMES: Mapping[int, str] = {
    CRED_USERNAME: "username",
    CRED_AUTHNAME: "authname",
    CRED_LANGUAGE: "language",
    CRED_CNONCE: "cnonce",
    CRED_PASSPHRASE: "passphrase",
    CRED_ECHOPROMPT: "echoprompt",
    CRED_NOECHOPROMPT: "noechoprompt",
    CRED_REALM: "realm",
    CRED_EXTERNAL: "external",
}

#: The types libvirt's default authenticator accepts (``virConnectAuthPtrDefault``).
DEFAULT_CREDTYPES: tuple[int, ...] = (
    CRED_AUTHNAME,
    CRED_ECHOPROMPT,
    CRED_REALM,
    CRED_PASSPHRASE,
    CRED_NOECHOPROMPT,
    CRED_EXTERNAL,
)

#: Types whose answers are secret (read without echo by the console callback).
SECRET_CREDTYPES = frozenset({CRED_PASSPHRASE, CRED_NOECHOPROMPT})

CredentialCallback = Callable[[list[dict[str, Any]]], int | None]

# Prompts and challenges used by cyrus-sasl's client plugins, which libvirt passes on.
PROMPT_AUTHZID = "Please enter your authorization name"
PROMPT_AUTHNAME = "Please enter your authentication name"
PROMPT_PASSWORD = "Please enter your password"
PROMPT_REALM = "Please enter your realm"
CHALLENGE_AUTHZID = "Authorization Name"
CHALLENGE_AUTHNAME = "Authentication Name"
CHALLENGE_PASSWORD = "Password"

#: libvirt's message when the callback fails (code AUTH_FAILED).
COLLECT_FAILED = "Failed to collect auth credentials"


@dataclass(frozen=True, slots=True)
class CredentialRequest:
    """One credential a mechanism needs; ``required`` ones may not come back empty."""

    type: int
    prompt: str
    challenge: str | None = None
    default: str | None = None
    required: bool = True


class CredentialSource:
    """Answers credential requests: preset values first, then the callback.

    ``credtypes`` lists the types the callback can answer (Sys::Virt's
    ``credlist``).  ``preset`` maps credential types to values known in
    advance, as libvirt's ``auth.conf`` supplies ``username``, ``authname``,
    ``password`` and ``realm``.
    """

    __slots__ = ("_callback", "_credtypes", "_preset")

    def __init__(
        self,
        credtypes: Iterable[int] = DEFAULT_CREDTYPES,
        callback: CredentialCallback | None = None,
        *,
        preset: Mapping[int, str] | None = None,
    ) -> None:
        self._credtypes = frozenset(credtypes)
        self._callback = callback
        self._preset = dict(preset or {})

    @property
    def credtypes(self) -> frozenset[int]:
        """The credential types the callback accepts."""
        return self._credtypes

    def supports(self, credtype: int) -> bool:
        """Whether a request of this type can be answered."""
        return credtype in self._preset or (
            self._callback is not None and credtype in self._credtypes
        )

    def __repr__(self) -> str:
        types = ",".join(CRED_NAMES.get(t, str(t)) for t in sorted(self._credtypes))
        preset = ",".join(CRED_NAMES.get(t, str(t)) for t in sorted(self._preset))
        return f"<CredentialSource credtypes=[{types}] preset=[{preset}]>"

    def collect(self, requests: Sequence[CredentialRequest]) -> list[str | None]:
        """Answer ``requests`` in order; ``None`` where a type is not supported.

        The callback is run once for everything the preset values do not
        cover.  Raises ``AuthCancelledError`` (code ``AUTH_FAILED``, as
        libvirt reports it) when the callback returns a negative number or
        raises, and ``AuthError`` when a required value is missing.
        """
        answers: list[str | None] = [None] * len(requests)
        asked: list[tuple[int, dict[str, Any]]] = []
        for index, request in enumerate(requests):
            if request.type in self._preset:
                answers[index] = self._preset[request.type]
            elif self._callback is not None and request.type in self._credtypes:
                asked.append(
                    (
                        index,
                        {
                            "type": request.type,
                            "prompt": request.prompt,
                            "challenge": request.challenge,
                            "result": request.default,
                        },
                    )
                )
        if asked:
            assert self._callback is not None
            try:
                status = self._callback([entry for _, entry in asked])
            except Exception as exc:
                # The exception's text may quote a credential: keep it out of ours.
                raise AuthCancelledError(
                    f"{COLLECT_FAILED} (the callback raised {type(exc).__name__})",
                    code=AUTH_FAILED,
                ) from exc
            if isinstance(status, int) and status != 0:
                raise AuthCancelledError(COLLECT_FAILED, code=AUTH_FAILED)
            for index, entry in asked:
                value = entry.get("result")
                if value is not None and not isinstance(value, str):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8")
                    else:
                        raise AuthError(
                            f"credential {_name(requests[index].type)!r} result is not a string"
                        )
                answers[index] = value
        for request, answer in zip(requests, answers, strict=True):
            if request.required and not answer:
                if self.supports(request.type):
                    raise AuthError(f"no value was supplied for credential {_name(request.type)!r}")
                raise AuthError(
                    f"credential {_name(request.type)!r} is needed but the credential "
                    "callback does not accept it"
                )
        return answers


def _name(credtype: int) -> str:
    return CRED_NAMES.get(credtype, str(credtype))


def console_callback(
    creds: list[dict[str, Any]],
    *,
    read_line: Callable[[str], str] = input,
    read_secret: Callable[[str], str] = getpass.getpass,
) -> int:
    """Prompt on the terminal for each credential; secrets are read without echo.

    An empty answer takes the pre-filled default.  Returns -1 for types it
    cannot answer (``CRED_EXTERNAL`` and unknown ones), as libvirt's default
    callback does.
    """
    for cred in creds:
        credtype = cred.get("type")
        prompt = f"{cred.get('prompt') or _name(int(credtype or 0))}: "
        try:
            if credtype in SECRET_CREDTYPES:
                answer = read_secret(prompt)
            elif credtype in (CRED_USERNAME, CRED_AUTHNAME, CRED_ECHOPROMPT, CRED_REALM):
                answer = read_line(prompt)
            else:
                return -1
        except EOFError:
            answer = ""
        if answer:
            cred["result"] = answer
        elif cred.get("result") is None:
            cred["result"] = ""
    return 0


def console_credentials(preset: Mapping[int, str] | None = None) -> CredentialSource:
    """The default source: libvirt's default types answered on the terminal."""
    return CredentialSource(DEFAULT_CREDTYPES, console_callback, preset=preset)


__all__ = [
    "CRED_AUTHNAME",
    "CRED_CNONCE",
    "CRED_ECHOPROMPT",
    "CRED_EXTERNAL",
    "CRED_LANGUAGE",
    "CRED_NAMES",
    "CRED_NOECHOPROMPT",
    "CRED_PASSPHRASE",
    "CRED_REALM",
    "CRED_USERNAME",
    "DEFAULT_CREDTYPES",
    "CredentialCallback",
    "CredentialRequest",
    "CredentialSource",
    "SECRET_CREDTYPES",
    "console_callback",
    "console_credentials",
]
