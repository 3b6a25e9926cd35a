"""Tokens without HTTP: scopes, lifetimes, signing and verifying."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.auth import (
    AuthenticationError,
    InvalidScopeError,
    PublicKeyFile,
    Role,
    Scope,
    TokenIssuer,
    TokenProblem,
    TokenVerifier,
    bearer_token,
    ensure_signing_keys,
    load_public_key,
    load_signing_key,
    parse_duration,
    parse_scopes,
)


@pytest.fixture
def pair(tmp_path: Path) -> tuple[TokenIssuer, TokenVerifier]:
    signing, public = tmp_path / "s.key", tmp_path / "s.pub"
    ensure_signing_keys(signing, public)
    return TokenIssuer(load_signing_key(signing)), TokenVerifier(load_public_key(public))


@pytest.mark.parametrize(
    ("text", "scope"),
    [
        ("central", Scope(Role.CENTRAL)),
        ("county:140902", Scope(Role.COUNTY, "140902")),
        ("institution:icbc", Scope(Role.INSTITUTION, "icbc")),
        ("institution:village-bank-1", Scope(Role.INSTITUTION, "village-bank-1")),
        ("organizer", Scope(Role.ORGANIZER)),
        ("department", Scope(Role.DEPARTMENT)),
        ("guarantor", Scope(Role.GUARANTOR)),
    ],
)
def test_scopes_read_and_print_alike(text: str, scope: Scope) -> None:
    assert Scope.parse(text) == scope
    assert str(scope) == text


@pytest.mark.parametrize(
    "text",
    ["admin", "", "county", "county:", "county:1409", "county:abc", "institution:ICBC",
     "institution:x", "central:140902", "guarantor:", "central ", "*"],
)  # fmt: skip
def test_unknown_or_malformed_scopes_are_refused(text: str) -> None:
    with pytest.raises(InvalidScopeError):
        Scope.parse(text)


def test_no_scope_at_all_is_refused() -> None:
    with pytest.raises(InvalidScopeError):
        parse_scopes([])


@pytest.mark.parametrize(
    ("text", "lifetime"),
    [("30m", timedelta(minutes=30)), ("8h", timedelta(hours=8)), ("7d", timedelta(days=7)),
     ("45s", timedelta(seconds=45)), ("90d", timedelta(days=90))],
)  # fmt: skip
def test_durations(text: str, lifetime: timedelta) -> None:
    assert parse_duration(text) == lifetime


@pytest.mark.parametrize("text", ["", "8", "h", "0h", "-1h", "1.5h", "8 hours", "91d", "1w"])
def test_bad_durations_are_named(text: str) -> None:
    with pytest.raises(ValueError, match=repr(text) if text else "duration"):
        parse_duration(text)


def test_a_token_carries_its_actor_scopes_and_expiry(
    pair: tuple[TokenIssuer, TokenVerifier],
) -> None:
    issuer, verifier = pair
    issued = datetime.now(UTC).replace(microsecond=0)
    token = issuer.issue(
        "county:140902",
        [Scope(Role.COUNTY, "140902"), Scope(Role.ORGANIZER)],
        timedelta(hours=1),
        issued,
    )
    caller = verifier.verify(token)
    assert caller.actor == "county:140902"
    assert caller.scopes == {Scope(Role.COUNTY, "140902"), Scope(Role.ORGANIZER)}
    assert caller.units(Role.COUNTY) == {"140902"}
    assert caller.roles == {Role.COUNTY, Role.ORGANIZER}
    assert caller.expires_at == issued + timedelta(hours=1)


def test_expired_tokens_are_told_apart_beyond_the_leeway(
    pair: tuple[TokenIssuer, TokenVerifier],
) -> None:
    issuer, verifier = pair
    past = datetime.now(UTC) - timedelta(hours=2)
    token = issuer.issue("x", [Scope(Role.CENTRAL)], timedelta(hours=1), past)
    with pytest.raises(AuthenticationError) as raised:
        verifier.verify(token)
    assert raised.value.problem is TokenProblem.EXPIRED
    recent = datetime.now(UTC) - timedelta(minutes=60, seconds=10)
    verifier.verify(issuer.issue("x", [Scope(Role.CENTRAL)], timedelta(hours=1), recent))


def test_a_token_of_another_key_is_invalid(
    pair: tuple[TokenIssuer, TokenVerifier], tmp_path: Path
) -> None:
    _, verifier = pair
    ensure_signing_keys(tmp_path / "other.key", tmp_path / "other.pub")
    stranger = TokenIssuer(load_signing_key(tmp_path / "other.key"))
    with pytest.raises(AuthenticationError) as raised:
        verifier.verify(stranger.issue("x", [Scope(Role.CENTRAL)], timedelta(hours=1)))
    assert raised.value.problem is TokenProblem.INVALID


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, TokenProblem.MISSING),
        ("  ", TokenProblem.MISSING),
        ("Token abc", TokenProblem.INVALID),
        ("Bearer ", TokenProblem.INVALID),
        ("Bearer a b", TokenProblem.INVALID),
    ],
)
def test_authorization_headers(header: str | None, problem: TokenProblem) -> None:
    with pytest.raises(AuthenticationError) as raised:
        bearer_token(header)
    assert raised.value.problem is problem


def test_bearer_is_case_insensitive() -> None:
    assert bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


def test_the_public_key_file_is_reread_when_it_changes(tmp_path: Path) -> None:
    signing, public = tmp_path / "a.key", tmp_path / "a.pub"
    watched = PublicKeyFile(public, timedelta(seconds=30))
    assert watched() is None
    ensure_signing_keys(signing, public)
    first = watched()
    assert first is not None
    assert watched() is first
    signing.unlink()
    public.unlink()
    ensure_signing_keys(signing, public)
    second = watched()
    assert second is not None
    assert second is not first
    public.write_text("not a key")
    assert watched() is None
