"""Reading a reporting unit's month in a campaign: its rows built from the stored facts (of
the campaign's region only), its filings and summary; and the status grid of every
reporting unit and month of a campaign. Read only."""

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
    takes_unplaced_pairings,
)
from ledger.storage import Store
from shared.campaigns import CampaignBook
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
    store: Store,
    reference: ReferenceData,
    reporting_unit: ReportingUnit,
    month: Month,
    book: CampaignBook | None = None,
) -> list[LedgerRow]:
    """The rows of the unit's month in the campaign `reference`: a county's of its own
    enterprises, an institution's of the enterprises of the campaign's counties. `book`:
    every campaign known (None: this one alone), which decides where the pairings of
    enterprises of no known county go (`takes_unplaced_pairings`)."""
    is_county = reporting_unit.level is Level.COUNTY
    campaigns = book.campaigns if book is not None else (reference,)
    pairs = await store.facts.pairs_in_month(
        month,
        counties={reporting_unit.id} if is_county else reference.county_codes,
        institution=None if is_county else reporting_unit.id,
        unplaced=takes_unplaced_pairings(campaigns, reference, reporting_unit, month),
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
    book: CampaignBook | None = None,
) -> LedgerView:
    campaign_id = reference.campaign.id
    rows = await built_rows(store, reference, reporting_unit, month, book)
    filed = await store.filings.versions_of(campaign_id, reporting_unit.id, month)
    versions = [v.submission for v in filed]
    deadline = deadline_of(reference, month)
    publicity = None
    if reporting_unit.level is Level.COUNTY:
        activities = await store.filings.activities_of(campaign_id, reporting_unit.id, month)
        publicity = summarize(activities)
    return LedgerView(
        reporting_unit=reporting_unit,
        month=month,
        deadline=deadline,
        status=ledger_status(versions[-1] if versions else None, deadline, now),
        rows=rows,
        totals=ledger_rows.totals(rows),
        versions=versions,
        reports=len(await store.filings.reports_of(campaign_id, reporting_unit.id, month)),
        publicity=publicity,
    )


async def status_grid(store: Store, reference: ReferenceData, now: datetime) -> list[StatusCell]:
    """Every reporting unit and month of the campaign: the ledger judged by its first
    version, and the special information report."""
    required = reference.campaign.special_reports_per_month
    firsts = await store.filings.first_submissions(reference.campaign.id)
    counts = await store.filings.report_counts(reference.campaign.id)
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
