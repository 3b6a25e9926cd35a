"""Filing a month's ledger: draft -> submitted, versions, lateness, overdue notices.

A submission freezes the rows as an immutable snapshot. Submitting again makes a new
version and needs a reason. A submission at or after the due time is late. When the due
time passes with no submission, the reporting unit's month is overdue, and the platform says so
exactly once (`LedgerOverdue`); when it passes with no special information report, likewise
(`SpecialReportMissing`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ledger.domain.periods import Deadline, Month, month_ended


class LedgerStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    OVERDUE = "overdue"


class Filing(StrEnum):
    """A cell of the status grid for the ledger."""

    ON_TIME = "on_time"
    LATE = "late"
    OVERDUE = "overdue"
    NOT_DUE = "not_due"


class ReportState(StrEnum):
    FILED = "filed"
    MISSING = "missing"
    NOT_DUE = "not_due"


class NoticeKind(StrEnum):
    LEDGER_OVERDUE = "ledger_overdue"
    SPECIAL_REPORT_MISSING = "special_report_missing"


class ReasonRequiredError(ValueError):
    """A resubmission must say why the filed ledger is replaced."""


class MonthNotOverError(ValueError):
    """A month's ledger can be filed only once the month is over."""


@dataclass(frozen=True)
class Submission:
    version: int
    submitted_at: datetime
    late: bool
    reason: str | None = None


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    unit_id: str
    month: Month


ReportingUnitMonth = tuple[str, Month]  # (unit_id, month)


def next_submission(
    latest: Submission | None,
    month: Month,
    deadline: Deadline,
    now: datetime,
    reason: str | None,
) -> Submission:
    if not month_ended(month, now, deadline.zone):
        raise MonthNotOverError(f"{month} is not over yet; its ledger can be filed from its end")
    if latest is not None and not (reason and reason.strip()):
        raise ReasonRequiredError(
            f"version {latest.version} was already submitted; a resubmission needs a reason"
        )
    version = 1 if latest is None else latest.version + 1
    return Submission(version, now, late=deadline.passed(now), reason=reason)


def ledger_status(latest: Submission | None, deadline: Deadline, now: datetime) -> LedgerStatus:
    if latest is not None:
        return LedgerStatus.SUBMITTED
    return LedgerStatus.OVERDUE if deadline.passed(now) else LedgerStatus.DRAFT


def filing(first: Submission | None, deadline: Deadline, now: datetime) -> Filing:
    """Judged by the first submission: a later version does not undo lateness."""
    if first is not None:
        return Filing.LATE if first.late else Filing.ON_TIME
    return Filing.OVERDUE if deadline.passed(now) else Filing.NOT_DUE


def report_state(reports: int, required: int, deadline: Deadline, now: datetime) -> ReportState:
    if reports >= required:
        return ReportState.FILED
    return ReportState.MISSING if deadline.passed(now) else ReportState.NOT_DUE


def notices_due(
    unit_ids: Iterable[str],
    deadlines: dict[Month, Deadline],
    now: datetime,
    submitted: Collection[ReportingUnitMonth],
    reported: Collection[ReportingUnitMonth],
    already: Collection[tuple[NoticeKind, str, Month]],
) -> list[Notice]:
    """The notices whose due time has passed and that were not yet given."""
    due: list[Notice] = []
    for unit_id in unit_ids:
        for month, deadline in deadlines.items():
            if not deadline.passed(now):
                continue
            if (unit_id, month) not in submitted:
                due.append(Notice(NoticeKind.LEDGER_OVERDUE, unit_id, month))
            if (unit_id, month) not in reported:
                due.append(Notice(NoticeKind.SPECIAL_REPORT_MISSING, unit_id, month))
    return [n for n in due if (n.kind, n.unit_id, n.month) not in already]
