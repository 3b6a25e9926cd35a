"""The checks on uploaded workbooks, on hostile files built here: each is refused with a
message naming what it broke, and a bomb is refused without being inflated."""

from __future__ import annotations

import dataclasses
import tracemalloc
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import openpyxl
import pytest

from shared import workbooks_testing as hostile
from shared.workbooks import (
    DEFAULT_LIMITS,
    MAX_COLUMNS,
    RefusedWorkbookError,
    WorkbookLimits,
    WorkbookUploadSettings,
    first_sheet_rows,
)

MIB = 1 << 20


def refusal(content: bytes, limits: WorkbookLimits = DEFAULT_LIMITS) -> RefusedWorkbookError:
    with pytest.raises(RefusedWorkbookError) as caught:
        list(first_sheet_rows(content, limits))
    return caught.value


def peak_traced_bytes(action: Callable[[], Any]) -> int:
    """The most memory Python held at once while `action` ran, above what it held before."""
    tracemalloc.start()
    try:
        action()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_openpyxl_parses_with_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_a_workbook_within_the_limits_gives_its_rows() -> None:
    content = hostile.plain_workbook([("uscc", "on"), ("91140902MA0K6Y8L1N", date(2020, 9, 5))])
    rows = list(first_sheet_rows(content, DEFAULT_LIMITS))
    # A date comes back as a datetime: the styles, read whole, say which numbers are dates.
    assert [row[:2] for row in rows] == [
        ("uscc", "on"),
        ("91140902MA0K6Y8L1N", datetime(2020, 9, 5)),
    ]
    assert {len(row) for row in rows} == {MAX_COLUMNS}


def test_an_external_entity_in_the_sheet_is_refused_by_defusedxml() -> None:
    error = refusal(hostile.external_entity_workbook())
    assert error.status == 422
    assert "EntitiesForbidden" in str(error)
    assert "root:" not in str(error)


def test_a_billion_laughs_is_refused_before_it_expands() -> None:
    content = hostile.billion_laughs_workbook()
    assert peak_traced_bytes(lambda: refusal(content)) < 5 * MIB
    assert "XML entities" in str(refusal(content))


def test_an_entity_in_a_part_read_whole_is_refused_too() -> None:
    # lxml, which openpyxl uses for these parts, would drop the entity silently.
    error = refusal(hostile.external_entity_in_workbook_part())
    assert str(error) == "xl/workbook.xml declares a DTD: XML entities are refused"


def test_a_zip_bomb_is_refused_by_its_declared_size_without_inflating() -> None:
    content = hostile.zip_bomb_workbook(256 * MIB)
    assert len(content) < MIB
    error = refusal(content)
    assert "upload_max_member_bytes" in str(error)
    assert peak_traced_bytes(lambda: refusal(content)) < 10 * MIB


def test_a_bomb_under_the_member_limit_is_refused_by_its_ratio() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, max_member_bytes=512 * MIB)
    error = refusal(hostile.zip_bomb_workbook(256 * MIB), limits)
    assert "upload_max_compression_ratio" in str(error)


def test_members_inflating_past_the_total_are_refused() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, max_total_bytes=10_000)
    assert "upload_max_total_bytes" in str(refusal(hostile.plain_workbook(), limits))


def test_too_many_members_are_refused() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, max_members=3)
    assert "upload_max_members" in str(refusal(hostile.plain_workbook(), limits))


def test_a_member_lying_about_its_size_is_refused_without_inflating() -> None:
    content = hostile.lying_workbook(256 * MIB, declared_bytes=1024)
    error = refusal(content)
    assert "xl/worksheets/sheet1.xml" in str(error)
    assert peak_traced_bytes(lambda: refusal(content)) < 10 * MIB


def test_a_file_past_the_upload_size_is_too_large() -> None:
    error = refusal(b"PK" + bytes(DEFAULT_LIMITS.max_bytes))
    assert error.status == 413
    assert "upload_max_bytes" in str(error)


def test_not_a_zip_is_refused() -> None:
    assert "not a zip archive" in str(refusal(b"not a workbook"))


def test_too_many_rows_are_refused() -> None:
    limits = dataclasses.replace(DEFAULT_LIMITS, max_rows=100)
    assert len(list(first_sheet_rows(hostile.many_rows_workbook(99), limits))) == 100
    assert "upload_max_rows = 100" in str(refusal(hostile.many_rows_workbook(100), limits))


def test_empty_rows_a_far_row_stands_for_count_as_rows() -> None:
    error = refusal(hostile.far_row_workbook(1_000_000))
    assert "more than 20000 rows" in str(error)


def test_a_row_wider_than_excel_is_refused_before_openpyxl_builds_it() -> None:
    content = hostile.wide_row_workbook(40_000)
    assert "a row or other element holds more than" in str(refusal(content))
    assert peak_traced_bytes(lambda: refusal(content)) < 20 * MIB


def test_styles_too_many_to_hold_are_refused() -> None:
    content = hostile.dense_styles_workbook(25_000)
    error = refusal(content)
    assert str(error).startswith("xl/styles.xml: the parts read whole hold more than 20000")
    assert peak_traced_bytes(lambda: refusal(content)) < 20 * MIB


def test_settings_carry_every_limit() -> None:
    settings = WorkbookUploadSettings(service="test", upload_max_rows=7)
    assert settings.workbook_limits == dataclasses.replace(DEFAULT_LIMITS, max_rows=7)
