"""Credential callbacks, Sys::Virt style, and keeping secrets out of text."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from virtwire.auth import (
    CRED_AUTHNAME,
    CRED_ECHOPROMPT,
    CRED_EXTERNAL,
    CRED_NOECHOPROMPT,
    CRED_PASSPHRASE,
    CRED_REALM,
    CRED_USERNAME,
    DEFAULT_CREDTYPES,
    CredentialRequest,
    CredentialSource,
    console_callback,
)
from virtwire.auth import credentials as credmod
from virtwire.auth.mechanism import SaslParams
from virtwire.auth.scram import ScramSha256Client
from virtwire.errors import AuthCancelledError, AuthError

SECRET = "pa55-W0rd-xyzzy"


def test_values_match_libvirt_host_h() -> None:
    assert (
        credmod.CRED_USERNAME,
        credmod.CRED_AUTHNAME,
        credmod.CRED_LANGUAGE,
        credmod.CRED_CNONCE,
        credmod.CRED_PASSPHRASE,
        credmod.CRED_ECHOPROMPT,
        credmod.CRED_NOECHOPROMPT,
        credmod.CRED_REALM,
        credmod.CRED_EXTERNAL,
    ) == (1, 2, 3, 4, 5, 6, 7, 8, 9)
    assert DEFAULT_CREDTYPES == (2, 6, 8, 5, 7, 9)


def test_callback_gets_one_list_with_defaults() -> None:
    calls: list[list[dict[str, Any]]] = []

    def callback(creds: list[dict[str, Any]]) -> int:
        calls.append([dict(c) for c in creds])
        for cred in creds:
            if cred["type"] == CRED_AUTHNAME:
                cred["result"] = "fred"
            elif cred["type"] == CRED_PASSPHRASE:
                cred["result"] = SECRET
        return 0

    source = CredentialSource([CRED_AUTHNAME, CRED_PASSPHRASE, CRED_REALM], callback)
    answers = source.collect(
        [
            CredentialRequest(CRED_USERNAME, "authz", required=False),
            CredentialRequest(CRED_AUTHNAME, "name"),
            CredentialRequest(CRED_PASSPHRASE, "pw"),
            CredentialRequest(CRED_REALM, "realm", "Available realms: {a}.", default="a"),
        ]
    )
    assert answers == [None, "fred", SECRET, "a"]
    assert len(calls) == 1
    assert [c["type"] for c in calls[0]] == [CRED_AUTHNAME, CRED_PASSPHRASE, CRED_REALM]
    assert calls[0][2] == {
        "type": CRED_REALM,
        "prompt": "realm",
        "challenge": "Available realms: {a}.",
        "result": "a",
    }


def test_preset_values_answer_first() -> None:
    def callback(creds: list[dict[str, Any]]) -> int:
        raise AssertionError("callback should not run")

    source = CredentialSource(
        DEFAULT_CREDTYPES, callback, preset={CRED_AUTHNAME: "fred", CRED_PASSPHRASE: SECRET}
    )
    assert source.collect(
        [CredentialRequest(CRED_AUTHNAME, "n"), CredentialRequest(CRED_PASSPHRASE, "p")]
    ) == ["fred", SECRET]
    assert SECRET not in repr(source)


def test_non_zero_return_cancels() -> None:
    source = CredentialSource(DEFAULT_CREDTYPES, lambda creds: -1)
    with pytest.raises(AuthCancelledError):
        source.collect([CredentialRequest(CRED_AUTHNAME, "n")])
    assert issubclass(AuthCancelledError, AuthError)


def test_required_left_empty_fails() -> None:
    source = CredentialSource(DEFAULT_CREDTYPES, lambda creds: 0)
    with pytest.raises(AuthError, match="passphrase"):
        source.collect([CredentialRequest(CRED_PASSPHRASE, "p")])


def test_unsupported_required_type_fails() -> None:
    source = CredentialSource([CRED_PASSPHRASE], lambda creds: 0)
    with pytest.raises(AuthError, match="does not accept"):
        source.collect([CredentialRequest(CRED_AUTHNAME, "n")])
    no_callback = CredentialSource(DEFAULT_CREDTYPES)
    assert not no_callback.supports(CRED_AUTHNAME)


def test_console_callback_uses_getpass_for_secrets() -> None:
    prompts: list[tuple[str, str]] = []

    def line(prompt: str) -> str:
        prompts.append(("line", prompt))
        return "" if "realm" in prompt.lower() else "fred"

    def secret(prompt: str) -> str:
        prompts.append(("secret", prompt))
        return SECRET

    creds: list[dict[str, Any]] = [
        {"type": CRED_AUTHNAME, "prompt": "Name", "challenge": None, "result": None},
        {"type": CRED_PASSPHRASE, "prompt": "Password", "challenge": None, "result": None},
        {"type": CRED_NOECHOPROMPT, "prompt": "Token", "challenge": None, "result": None},
        {"type": CRED_ECHOPROMPT, "prompt": "Code", "challenge": None, "result": None},
        {"type": CRED_REALM, "prompt": "Realm", "challenge": None, "result": "dflt"},
    ]
    assert console_callback(creds, read_line=line, read_secret=secret) == 0
    assert [c["result"] for c in creds] == ["fred", SECRET, SECRET, "fred", "dflt"]
    assert prompts == [
        ("line", "Name: "),
        ("secret", "Password: "),
        ("secret", "Token: "),
        ("line", "Code: "),
        ("line", "Realm: "),
    ]
    external = [{"type": CRED_EXTERNAL, "prompt": "x", "challenge": "PolicyKit", "result": None}]
    assert console_callback(external, read_line=line, read_secret=secret) == -1


def test_secrets_stay_out_of_reprs_logs_and_errors(caplog: pytest.LogCaptureFixture) -> None:
    def callback(creds: list[dict[str, Any]]) -> int:
        for cred in creds:
            cred["result"] = SECRET if cred["type"] == CRED_PASSPHRASE else "fred"
        return 0

    source = CredentialSource(DEFAULT_CREDTYPES, callback)
    client = ScramSha256Client(SaslParams(service="libvirt", host="h"), source, cnonce="abc")
    with caplog.at_level(logging.DEBUG):
        client.start()
        with pytest.raises(AuthError) as info:
            client.step(b"r=abcdef,s=QSXCR+Q6sek8bf92,i=1")
            client.step(b"v=AAAA")
    texts = [repr(client), repr(source), str(info.value), repr(info.value), caplog.text]
    assert not any(SECRET in t for t in texts)
    assert not any(SECRET in repr(vars(client).get(k)) for k in ("params", "credentials"))
