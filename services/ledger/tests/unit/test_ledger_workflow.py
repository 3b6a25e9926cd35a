"""Deadlines, submissions and notices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ledger.domain.periods import Deadline, Month, months_between
from ledger.domain.workflow import (
    Filing,
    LedgerStatus,
    MonthNotOverError,
    NoticeKind,
    ReasonRequiredError,
    filing,
    ledger_status,
    next_submission,
    notices_due,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCT = Month(2020, 10)
DUE = Deadline(date(2020, 11, 10), SHANGHAI)


def shanghai(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def test_due_at_is_the_end_of_the_tenth_in_shanghai() -> None:
    assert DUE.due_at == datetime(2020, 11, 10, 16, 0, tzinfo=UTC)
    assert not DUE.passed(shanghai(2020, 11, 10, 23, 59, 59))
    assert DUE.passed(shanghai(2020, 11, 11, 0, 0))


def test_months_and_parsing() -> None:
    assert [str(m) for m in months_between(date(2020, 9, 1), date(2020, 12, 31))] == [
        "2020-09",
        "2020-10",
        "2020-11",
        "2020-12",
    ]
    assert Month.parse("2020-12").next() == Month(2021, 1)
    assert Month(2020, 2).last_day == date(2020, 2, 29)
    with pytest.raises(ValueError, match="YYYY-MM"):
        Month.parse("2020-13")


def test_versions_lateness_and_reasons() -> None:
    with pytest.raises(MonthNotOverError):
        next_submission(None, OCT, DUE, shanghai(2020, 10, 31, 12), None)
    first = next_submission(None, OCT, DUE, shanghai(2020, 11, 5), None)
    assert (first.version, first.late) == (1, False)
    with pytest.raises(ReasonRequiredError):
        next_submission(first, OCT, DUE, shanghai(2020, 11, 6), "  ")
    second = next_submission(first, OCT, DUE, shanghai(2020, 11, 12), "补录一笔贷款")
    assert (second.version, second.late, second.reason) == (2, True, "补录一笔贷款")
    assert filing(first, DUE, shanghai(2020, 12, 1)) is Filing.ON_TIME
    assert ledger_status(None, DUE, shanghai(2020, 11, 11)) is LedgerStatus.OVERDUE
    assert ledger_status(None, DUE, shanghai(2020, 11, 10)) is LedgerStatus.DRAFT
    assert ledger_status(second, DUE, shanghai(2020, 11, 11)) is LedgerStatus.SUBMITTED


def test_notices_once_and_only_after_the_due_time() -> None:
    deadlines = {OCT: DUE, Month(2020, 11): Deadline(date(2020, 12, 10), SHANGHAI)}
    now = shanghai(2020, 11, 11)
    due = notices_due(["140902", "icbc"], deadlines, now, {("icbc", OCT)}, {("140902", OCT)}, set())
    assert {(n.kind, n.unit_id) for n in due} == {
        (NoticeKind.LEDGER_OVERDUE, "140902"),
        (NoticeKind.SPECIAL_REPORT_MISSING, "icbc"),
    }
    given = {(n.kind, n.unit_id, n.month) for n in due}
    assert notices_due(["140902", "icbc"], deadlines, now, set(), set(), given) == [
        n
        for n in notices_due(["140902", "icbc"], deadlines, now, set(), set(), set())
        if (n.kind, n.unit_id, n.month) not in given
    ]
    assert notices_due(["140902"], deadlines, shanghai(2020, 11, 10, 23), set(), set(), set()) == []
