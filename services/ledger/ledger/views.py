"""Reading a unit's month: its rows built from the stored facts, its filings and summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain import rows as ledger_rows
from ledger.domain.activities import PublicitySummary, summarize
from ledger.domain.periods import Deadline, Month
from ledger.domain.rows import LedgerRow, Totals
from ledger.domain.workflow import LedgerStatus, Submission, ledger_status
from ledger.storage import facts, filings
from ledger.units import Level, Unit, deadline_of
from shared.contracts.types import GUARANTEE_ZH, PROBLEM_ZH
from shared.reference import ReferenceData


@dataclass(frozen=True)
class LedgerView:
    unit: Unit
    month: Month
    deadline: Deadline
    status: LedgerStatus
    rows: list[LedgerRow]
    totals: Totals
    versions: list[Submission]
    reports: int
    publicity: PublicitySummary | None


async def built_rows(
    connection: AsyncConnection, reference: ReferenceData, unit: Unit, month: Month
) -> list[LedgerRow]:
    is_county = unit.level is Level.COUNTY
    pairs = await facts.pairs_in_month(
        connection,
        month,
        county=unit.id if is_county else None,
        institution=None if is_county else unit.id,
    )
    known = await facts.facts_of(connection, pairs)
    return ledger_rows.build_rows(
        month,
        known,
        institution_names={i.id: i.name for i in reference.institutions},
        guarantee_names={g.value: name for g, name in GUARANTEE_ZH.items()},
        problem_names={p.value: name for p, name in PROBLEM_ZH.items()},
    )


async def ledger_view(
    connection: AsyncConnection,
    reference: ReferenceData,
    unit: Unit,
    month: Month,
    now: datetime,
) -> LedgerView:
    rows = await built_rows(connection, reference, unit, month)
    versions = await filings.submission_versions(connection, unit.id, month)
    latest = filings.latest_of(versions)
    deadline = deadline_of(reference, month)
    publicity = None
    if unit.level is Level.COUNTY:
        activities = await filings.activities_of(connection, unit.id, month)
        publicity = summarize(filings.as_activity(a) for a in activities)
    return LedgerView(
        unit=unit,
        month=month,
        deadline=deadline,
        status=ledger_status(latest, deadline, now),
        rows=rows,
        totals=ledger_rows.totals(rows),
        versions=[s for s in (filings.first_of([v]) for v in versions) if s is not None],
        reports=len(await filings.reports_of(connection, unit.id, month)),
        publicity=publicity,
    )
