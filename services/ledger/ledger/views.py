"""Reading a reporting unit's month: its rows built from the stored facts, its filings and
summary; and the status grid of every reporting unit and month. Read only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ledger.domain import rows as ledger_rows
from ledger.domain.activities import PublicitySummary, summarize
from ledger.domain.periods import Deadline, Month
from ledger.domain.rows import LedgerRow, Totals
from ledger.domain.workflow import (
    Filing,
    LedgerStatus,
    ReportState,
    Submission,
    filing,
    ledger_status,
    report_state,
)
from ledger.reporting_units import (
    Level,
    ReportingUnit,
    all_reporting_units,
    campaign_months,
    deadline_of,
)
from ledger.storage import Store
from shared.contracts.types import GUARANTEE_ZH, PROBLEM_ZH
from shared.reference import ReferenceData


@dataclass(frozen=True)
class LedgerView:
    reporting_unit: ReportingUnit
    month: Month
    deadline: Deadline
    status: LedgerStatus
    rows: list[LedgerRow]
    totals: Totals
    versions: list[Submission]
    reports: int
    publicity: PublicitySummary | None


@dataclass(frozen=True)
class StatusCell:
    reporting_unit: ReportingUnit
    month: Month
    deadline: Deadline
    ledger: Filing
    first: Submission | None
    special_report: ReportState


async def built_rows(
    store: Store, reference: ReferenceData, reporting_unit: ReportingUnit, month: Month
) -> list[LedgerRow]:
    is_county = reporting_unit.level is Level.COUNTY
    pairs = await store.facts.pairs_in_month(
        month,
        county=reporting_unit.id if is_county else None,
        institution=None if is_county else reporting_unit.id,
    )
    known = await store.facts.facts_of(pairs)
    return ledger_rows.build_rows(
        month,
        known,
        institution_names={i.id: i.name for i in reference.institutions},
        guarantee_names={g.value: name for g, name in GUARANTEE_ZH.items()},
        problem_names={p.value: name for p, name in PROBLEM_ZH.items()},
    )


async def ledger_view(
    store: Store,
    reference: ReferenceData,
    reporting_unit: ReportingUnit,
    month: Month,
    now: datetime,
) -> LedgerView:
    rows = await built_rows(store, reference, reporting_unit, month)
    versions = [v.submission for v in await store.filings.versions_of(reporting_unit.id, month)]
    deadline = deadline_of(reference, month)
    publicity = None
    if reporting_unit.level is Level.COUNTY:
        publicity = summarize(await store.filings.activities_of(reporting_unit.id, month))
    return LedgerView(
        reporting_unit=reporting_unit,
        month=month,
        deadline=deadline,
        status=ledger_status(versions[-1] if versions else None, deadline, now),
        rows=rows,
        totals=ledger_rows.totals(rows),
        versions=versions,
        reports=len(await store.filings.reports_of(reporting_unit.id, month)),
        publicity=publicity,
    )


async def status_grid(store: Store, reference: ReferenceData, now: datetime) -> list[StatusCell]:
    """Every reporting unit and campaign month: the ledger judged by its first version, and
    the special information report."""
    required = reference.campaign.special_reports_per_month
    firsts = await store.filings.first_submissions()
    counts = await store.filings.report_counts()
    cells = []
    for reporting_unit in all_reporting_units(reference):
        for month in campaign_months(reference):
            deadline = deadline_of(reference, month)
            first = firsts.get((reporting_unit.id, month))
            reports = counts.get((reporting_unit.id, month), 0)
            cells.append(
                StatusCell(
                    reporting_unit=reporting_unit,
                    month=month,
                    deadline=deadline,
                    ledger=filing(first, deadline, now),
                    first=first,
                    special_report=report_state(reports, required, deadline, now),
                )
            )
    return cells
