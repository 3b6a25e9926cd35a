"""The `firstloan` command line: help everywhere, exit codes scripts can trust."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assessment.app import build as build_assessment
from assessment.settings import AssessmentSettings
from console import platform
from console.cli import app
from shared.replay import unconsumed
from shared.service import Runtime
from shared.testing import eventually

runner = CliRunner()


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["bank"],
        ["assessment"],
        ["ledger"],
        ["whitelist"],
        ["token"],
        ["subscriber"],
        ["token", "issue", "--help"],
        ["status", "--help"],
        ["assessment", "rebuild", "--help"],
        ["ledger", "export", "--help"],
    ],
)
def test_help_everywhere(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"] if command[-1:] != ["--help"] else command)
    assert result.exit_code == 0
    assert "Usage" in result.output


@pytest.mark.parametrize("name", ["Desk", "desk.two", "d", "-desk", "2desk", "监管", "d" * 33])
def test_a_subscriber_name_no_principal_may_have_is_bad_input(name: str) -> None:
    """Refused before anything is made (no Kafka is needed to say so)."""
    result = runner.invoke(app, ["subscriber", "add", "--bootstrap", "127.0.0.1:9", "--", name])
    assert result.exit_code == 2, result.output
    assert f"subscriber name {name!r}" in result.output


def test_an_export_from_a_service_that_does_not_answer_fails_clearly(tmp_path: Path) -> None:
    target = tmp_path / "ledger.xlsx"
    result = runner.invoke(
        app,
        [
            "ledger",
            "export",
            "140902",
            "2020-10",
            "--output",
            str(target),
            "--url",
            "http://127.0.0.1:9",
        ],
    )
    assert result.exit_code == 1
    assert "127.0.0.1:9" in result.output
    assert not target.exists()


@pytest.mark.integration
def test_status_exit_code_says_whether_everything_is_up() -> None:
    result = runner.invoke(app, ["status"])
    everything_up = all(s.healthy for s in platform.service_health()) and all(
        platform.process_running(name) for name in ("kafka", "postgres")
    )
    assert result.exit_code == (0 if everything_up else 1)
    for name in (*platform.SERVICES, "kafka", "postgres", "consumer group"):
        assert name in result.output


async def catch_up_live_assessment(namespace: str) -> None:
    """Let the namespace's assessment consume everything the other tests published."""
    live = build_assessment(
        AssessmentSettings(namespace=namespace, run_checkpoints=False, consumer_batch_timeout_ms=50)
    )
    runtime = live.runtime
    async with runtime.running():
        await eventually(
            lambda: no_backlog(runtime), within=60, what="the live assessment to catch up"
        )


async def no_backlog(runtime: Runtime) -> bool:
    return await unconsumed(runtime) == 0


@pytest.mark.integration
async def test_rebuild_compares_with_the_live_figures(namespace: str) -> None:
    await catch_up_live_assessment(namespace)
    # The command runs its own event loop: give it a thread of its own.
    result = await asyncio.to_thread(
        runner.invoke, app, ["assessment", "rebuild"], env={"FIRSTLOAN_NAMESPACE": namespace}
    )
    assert result.exit_code == 0, result.output
    assert "rebuilt figures equal the live ones" in result.output
