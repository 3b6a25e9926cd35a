"""`firstloan token`: keys made once, tokens the services accept, bad input refused with 2."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from console.access import service_headers
from console.cli import app
from shared.auth import Role, Scope, TokenVerifier, load_public_key
from shared.settings import ServiceSettings

runner = CliRunner()


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FIRSTLOAN_SECRETS_DIR", str(tmp_path))
    monkeypatch.delenv("FIRSTLOAN_TOKEN_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv("FIRSTLOAN_TOKEN_PUBLIC_KEY_FILE", raising=False)
    monkeypatch.delenv("FIRSTLOAN_TOKEN", raising=False)
    return tmp_path


def test_keys_are_made_once(secrets: Path) -> None:
    first = runner.invoke(app, ["token", "keys"])
    assert first.exit_code == 0, first.output
    assert "created" in first.output
    assert (secrets / "token-signing.key").stat().st_mode & 0o777 == 0o600
    key = (secrets / "token-signing.key").read_bytes()
    again = runner.invoke(app, ["token", "keys"])
    assert again.exit_code == 0
    assert "kept" in again.output
    assert (secrets / "token-signing.key").read_bytes() == key


def test_an_issued_token_is_accepted_with_its_scopes(secrets: Path) -> None:
    result = runner.invoke(
        app,
        ["token", "issue", "--scope", "central", "--scope", "county:140902",
         "--subject", "supervisor:wang", "--expires", "30m"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    caller = TokenVerifier(load_public_key(secrets / "token-signing.pub")).verify(token)
    assert caller.actor == "supervisor:wang"
    assert caller.scopes == {Scope(Role.CENTRAL), Scope(Role.COUNTY, "140902")}
    assert "supervisor:wang: central county:140902, until" in result.stderr


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (["--scope", "admin", "--subject", "x"], "--scope"),
        (["--scope", "county:14", "--subject", "x"], "--scope"),
        (["--scope", "central", "--subject", "x", "--expires", "8 hours"], "--expires"),
        (["--scope", "central", "--subject", "x", "--expires", "400d"], "--expires"),
        (["--scope", "central", "--subject", " "], "--subject"),
    ],
)
def test_bad_input_exits_2_naming_it(secrets: Path, arguments: list[str], named: str) -> None:
    result = runner.invoke(app, ["token", "issue", *arguments])
    assert result.exit_code == 2
    assert named in result.output
    assert not (secrets / "token-signing.key").exists()


def test_a_scope_is_required(secrets: Path) -> None:
    result = runner.invoke(app, ["token", "issue", "--subject", "x"])
    assert result.exit_code == 2


def test_the_commands_own_calls_carry_a_supervisors_token(
    secrets: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = ServiceSettings(service="cli")
    headers = service_headers(settings, "operator:test", timedelta(minutes=5))
    token = headers["Authorization"].removeprefix("Bearer ")
    caller = TokenVerifier(load_public_key(secrets / "token-signing.pub")).verify(token)
    assert caller.actor == "operator:test"
    assert caller.scopes == {Scope(Role.CENTRAL)}
    monkeypatch.setenv("FIRSTLOAN_TOKEN", "given.token.value")
    assert service_headers(settings, "x", timedelta(minutes=5)) == {
        "Authorization": "Bearer given.token.value"
    }
    monkeypatch.delenv("FIRSTLOAN_TOKEN")
    development = settings.model_copy(update={"http_auth": "none"})
    assert service_headers(development, "x", timedelta(minutes=5)) == {}
