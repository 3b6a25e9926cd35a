"""`firstloan bank publish --dry-run`: the intake's checks on a file, line by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from console.cli import app
from shared.envelope import new_event

USCC = "91140902MA0GABCD14"
runner = CliRunner()


def event(institution: str = "icbc", **changes: Any) -> dict[str, Any]:
    data = {
        "institution_id": institution,
        "uscc": USCC,
        "enterprise_name": "忻州示例商贸有限公司",
        "declined_on": "2020-10-12",
        "problems": ["lack_of_collateral"],
        **changes,
    }
    envelope = new_event(
        "CreditDeclined", f"urn:firstloan:institution:{institution}", data, subject=USCC
    )
    document: dict[str, Any] = envelope.model_dump(mode="json", exclude_none=True)
    return document


def dry_run(path: Path, *options: str) -> Any:
    return runner.invoke(
        app, ["bank", "publish", str(path), "--institution", "icbc", "--dry-run", *options]
    )


def test_a_valid_jsonl_file_passes(tmp_path: Path) -> None:
    file = tmp_path / "events.jsonl"
    file.write_text("\n".join(json.dumps(event()) for _ in range(3)) + "\n\n", "utf-8")
    result = dry_run(file, "--mode", "binary")
    assert result.exit_code == 0, result.output
    assert "3 events valid for bank.icbc.events" in result.output


def test_a_json_array_and_a_single_event_are_read(tmp_path: Path) -> None:
    array, single = tmp_path / "array.json", tmp_path / "one.json"
    array.write_text(json.dumps([event(), event()], indent=2), "utf-8")
    single.write_text(json.dumps(event(), indent=2), "utf-8")
    assert "2 events valid" in dry_run(array).output
    assert "1 events valid" in dry_run(single).output


def test_every_bad_line_is_named_and_the_exit_code_is_non_zero(tmp_path: Path) -> None:
    file = tmp_path / "events.jsonl"
    lines = [
        json.dumps(event()),
        "{broken",
        json.dumps(event(problems=["bad_luck"])),
        json.dumps(event("abc")),
        json.dumps({"type": "cn.firstloan.CreditDeclined"}),
    ]
    file.write_text("\n".join(lines), "utf-8")
    result = dry_run(file)
    assert result.exit_code == 1
    output = result.output
    assert "line 1:" not in output
    assert "line 2: invalid_json" in output
    assert "line 3: invalid_data: problems.0" in output
    assert "line 4: spoofed_origin" in output
    assert "line 5: not_cloudevent" in output
    assert "4 of 5 events invalid; nothing published" in output


def test_an_unknown_institution_is_refused_before_reading(tmp_path: Path) -> None:
    file = tmp_path / "events.jsonl"
    file.write_text(json.dumps(event()), "utf-8")
    result = runner.invoke(app, ["bank", "publish", str(file), "--institution", "nobank"])
    assert result.exit_code == 2
    assert "unknown institution 'nobank'" in result.output
