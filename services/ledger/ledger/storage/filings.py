"""Submissions (immutable, versioned), notices given, special reports, publicity activities:
each a campaign's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.activities import PublicityActivity, PublicityKind, ReportCategory, SpecialReport
from ledger.domain.periods import Month
from ledger.domain.workflow import Notice, NoticeKind, ReportingUnitMonth, Submission
from ledger.storage.tables import notices, publicity_activities, special_reports, submissions


@dataclass(frozen=True)
class FiledVersion:
    """One version of a reporting unit's month in a campaign as filed: the ledger frozen in
    `snapshot`."""

    campaign_id: str
    unit_id: str
    month: Month
    submission: Submission
    row_count: int
    credit_amount_wan: Decimal
    loan_amount_wan: Decimal
    snapshot: dict[str, Any]


class FilingRepository(Protocol):
    """Every filing is a campaign's: each query names the campaign."""

    async def lock_ledger(self, campaign_id: str, unit_id: str, month: Month) -> None:
        """Until the transaction ends, no one else files this reporting unit's month."""

    async def lock_notices(self) -> None:
        """Until the transaction ends, no one else gives notices."""

    async def versions_of(self, campaign_id: str, unit_id: str, month: Month) -> list[FiledVersion]:
        """Every version of the reporting unit's month, oldest first."""

    async def save_version(self, version: FiledVersion) -> None: ...

    async def first_submissions(self, campaign_id: str) -> dict[ReportingUnitMonth, Submission]:
        """The first version of every filed (unit_id, month)."""

    async def report_counts(self, campaign_id: str) -> dict[ReportingUnitMonth, int]: ...

    async def given_notices(self, campaign_id: str) -> set[tuple[NoticeKind, str, Month]]: ...

    async def claim_notices(
        self, campaign_id: str, due: Sequence[Notice], given_at: datetime
    ) -> list[Notice]:
        """Record the notices; return those not given before (by this or another process)."""

    async def save_report(self, report: SpecialReport) -> None: ...

    async def reports_of(self, campaign_id: str, unit_id: str, month: Month) -> list[SpecialReport]:
        """In the order they were reported."""

    async def save_activity(self, activity: PublicityActivity) -> None: ...

    async def activities_of(
        self, campaign_id: str, county_code: str | None, month: Month | None
    ) -> list[PublicityActivity]:
        """By the day they were held."""


class SqlFilingRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock_ledger(self, campaign_id: str, unit_id: str, month: Month) -> None:
        # The versions' primary key backs it up: a second version 1 could not be stored.
        await self._lock(f"ledger:{campaign_id}:{unit_id}:{month}")

    async def lock_notices(self) -> None:
        # The notices' primary key backs it up: a notice given twice is stored once.
        await self._lock("ledger:notices")

    async def _lock(self, name: str) -> None:
        await self._connection.execute(select(func.pg_advisory_xact_lock(func.hashtext(name))))

    async def versions_of(self, campaign_id: str, unit_id: str, month: Month) -> list[FiledVersion]:
        query = (
            select(submissions)
            .where(
                submissions.c.campaign_id == campaign_id,
                submissions.c.unit_id == unit_id,
                submissions.c.period == str(month),
            )
            .order_by(submissions.c.version)
        )
        return [_version(row) for row in await self._connection.execute(query)]

    async def save_version(self, version: FiledVersion) -> None:
        submission = version.submission
        row = {
            "campaign_id": version.campaign_id,
            "unit_id": version.unit_id,
            "period": str(version.month),
            "version": submission.version,
            "submitted_at": submission.submitted_at,
            "late": submission.late,
            "reason": submission.reason,
            "row_count": version.row_count,
            "credit_amount_wan": version.credit_amount_wan,
            "loan_amount_wan": version.loan_amount_wan,
            "snapshot": version.snapshot,
        }
        await self._connection.execute(insert(submissions), [row])

    async def first_submissions(self, campaign_id: str) -> dict[ReportingUnitMonth, Submission]:
        query = select(submissions).where(
            submissions.c.campaign_id == campaign_id, submissions.c.version == 1
        )
        return {
            (row.unit_id, Month.parse(row.period)): _version(row).submission
            for row in await self._connection.execute(query)
        }

    async def report_counts(self, campaign_id: str) -> dict[ReportingUnitMonth, int]:
        query = (
            select(special_reports.c.unit_id, special_reports.c.period, func.count().label("n"))
            .where(special_reports.c.campaign_id == campaign_id)
            .group_by(special_reports.c.unit_id, special_reports.c.period)
        )
        return {
            (row.unit_id, Month.parse(row.period)): int(row.n)
            for row in await self._connection.execute(query)
        }

    async def given_notices(self, campaign_id: str) -> set[tuple[NoticeKind, str, Month]]:
        query = select(notices.c.kind, notices.c.unit_id, notices.c.period).where(
            notices.c.campaign_id == campaign_id
        )
        return {
            (NoticeKind(row.kind), row.unit_id, Month.parse(row.period))
            for row in await self._connection.execute(query)
        }

    async def claim_notices(
        self, campaign_id: str, due: Sequence[Notice], given_at: datetime
    ) -> list[Notice]:
        if not due:
            return []
        rows = [
            {"campaign_id": campaign_id, "kind": n.kind.value, "unit_id": n.unit_id}
            | {"period": str(n.month), "given_at": given_at}
            for n in due
        ]
        statement = (
            insert(notices)
            .values(rows)
            .on_conflict_do_nothing()  # the same notice again: nothing to keep of it
            .returning(notices.c.kind, notices.c.unit_id, notices.c.period)
        )
        fresh = {(r.kind, r.unit_id, r.period) for r in await self._connection.execute(statement)}
        return [n for n in due if (n.kind.value, n.unit_id, str(n.month)) in fresh]

    async def save_report(self, report: SpecialReport) -> None:
        row = asdict(report) | {"period": str(report.month), "category": report.category.value}
        del row["month"]
        await self._connection.execute(insert(special_reports), [row])

    async def reports_of(self, campaign_id: str, unit_id: str, month: Month) -> list[SpecialReport]:
        query = (
            select(special_reports)
            .where(
                special_reports.c.campaign_id == campaign_id,
                special_reports.c.unit_id == unit_id,
                special_reports.c.period == str(month),
            )
            .order_by(special_reports.c.reported_at, special_reports.c.report_id)
        )
        return [
            SpecialReport(
                report_id=row.report_id,
                campaign_id=row.campaign_id,
                unit_id=row.unit_id,
                month=Month.parse(row.period),
                category=ReportCategory(row.category),
                title=row.title,
                body=row.body,
                reported_at=row.reported_at,
            )
            for row in await self._connection.execute(query)
        ]

    async def save_activity(self, activity: PublicityActivity) -> None:
        row = asdict(activity) | {
            "period": str(activity.month),
            "kind": activity.kind.value,
            "institution_ids": list(activity.institution_ids),
        }
        del row["month"]
        await self._connection.execute(insert(publicity_activities), [row])

    async def activities_of(
        self, campaign_id: str, county_code: str | None, month: Month | None
    ) -> list[PublicityActivity]:
        query = (
            select(publicity_activities)
            .where(publicity_activities.c.campaign_id == campaign_id)
            .order_by(publicity_activities.c.held_on, publicity_activities.c.activity_id)
        )
        if county_code is not None:
            query = query.where(publicity_activities.c.county_code == county_code)
        if month is not None:
            query = query.where(publicity_activities.c.period == str(month))
        return [
            PublicityActivity(
                activity_id=row.activity_id,
                campaign_id=row.campaign_id,
                county_code=row.county_code,
                month=Month.parse(row.period),
                held_on=row.held_on,
                kind=PublicityKind(row.kind),
                title=row.title,
                participants=row.participants,
                enterprises=row.enterprises,
                institution_ids=tuple(row.institution_ids),
                organizer=row.organizer,
                recorded_at=row.recorded_at,
            )
            for row in await self._connection.execute(query)
        ]


def _version(row: Any) -> FiledVersion:
    return FiledVersion(
        campaign_id=row.campaign_id,
        unit_id=row.unit_id,
        month=Month.parse(row.period),
        submission=Submission(row.version, row.submitted_at, row.late, row.reason),
        row_count=row.row_count,
        credit_amount_wan=row.credit_amount_wan,
        loan_amount_wan=row.loan_amount_wan,
        snapshot=row.snapshot,
    )
