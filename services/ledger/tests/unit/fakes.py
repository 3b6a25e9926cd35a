"""The ledger's store in memory, for handler tests: the same repositories as `SqlStore`,
the same rule for copies of one fact (`first_copy`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from ledger.domain.activities import PublicityActivity, SpecialReport
from ledger.domain.facts import (
    CreditDecision,
    Facts,
    ListedEnterprise,
    Loan,
    Pairing,
    Reversal,
    first_copy,
)
from ledger.domain.periods import Month
from ledger.domain.workflow import Notice, NoticeKind, ReportingUnitMonth, Submission
from ledger.storage import FiledVersion, Pair


def _keep_first(stored: dict[Any, Any], key: Any, copy: Any) -> None:
    kept = stored.get(key)
    stored[key] = copy if kept is None else first_copy([kept, copy])


class InMemoryFacts:
    def __init__(self) -> None:
        self.pairings: dict[str, Pairing] = {}
        self.enterprises: dict[str, ListedEnterprise] = {}
        self.decisions: dict[tuple[str, str], CreditDecision] = {}
        self.loans: dict[tuple[str, str], Loan] = {}
        self.reversals: dict[tuple[str, str], Reversal] = {}

    async def save_pairings(self, copies: Sequence[Pairing]) -> None:
        for pairing in copies:
            _keep_first(self.pairings, pairing.match_id, pairing)

    async def save_enterprises(self, copies: Sequence[ListedEnterprise]) -> None:
        for enterprise in copies:
            _keep_first(self.enterprises, enterprise.uscc, enterprise)

    async def save_decisions(self, copies: Sequence[CreditDecision]) -> None:
        for decision in copies:
            _keep_first(self.decisions, (decision.institution_id, decision.decision_id), decision)

    async def save_loans(self, copies: Sequence[Loan]) -> None:
        for loan in copies:
            _keep_first(
                self.loans, (loan.institution_id, loan.loan_id), replace(loan, reversed=False)
            )

    async def save_reversals(self, copies: Sequence[Reversal]) -> None:
        for reversal in copies:
            _keep_first(self.reversals, (reversal.institution_id, reversal.loan_id), reversal)

    async def pairs_in_month(
        self,
        month: Month,
        *,
        counties: Collection[str],
        institution: str | None,
        unplaced: bool,
    ) -> list[Pair]:
        found = set()
        for pairing in self.pairings.values():
            listed = self.enterprises.get(pairing.uscc)
            county_of_pairing = listed.county_code if listed else pairing.county_code
            if not month.contains(pairing.matched_on):
                continue
            placed = county_of_pairing in counties
            if not (placed or (unplaced and county_of_pairing is None)):
                continue
            if institution is not None and pairing.institution_id != institution:
                continue
            found.add(pairing.pair)
        return sorted(found)

    async def facts_of(self, pairs: Sequence[Pair]) -> Facts:
        wanted = set(pairs)
        usccs = {uscc for uscc, _ in wanted}
        return Facts(
            pairings=tuple(p for _, p in sorted(self.pairings.items()) if p.pair in wanted),
            decisions=tuple(d for _, d in sorted(self.decisions.items()) if d.pair in wanted),
            loans=tuple(
                replace(loan, reversed=key in self.reversals)
                for key, loan in sorted(self.loans.items())
                if loan.pair in wanted
            ),
            names={uscc: e.name for uscc, e in self.enterprises.items() if uscc in usccs},
        )


NoticeKey = tuple[str, NoticeKind, str, Month]  # (campaign_id, kind, unit_id, month)


class InMemoryFilings:
    def __init__(self) -> None:
        self.versions: list[FiledVersion] = []
        self.notices: dict[NoticeKey, datetime] = {}
        self.reports: list[SpecialReport] = []
        self.activities: list[PublicityActivity] = []
        self.locks: list[str] = []

    async def lock_ledger(self, campaign_id: str, unit_id: str, month: Month) -> None:
        self.locks.append(f"ledger:{campaign_id}:{unit_id}:{month}")

    async def lock_notices(self) -> None:
        self.locks.append("notices")

    async def versions_of(self, campaign_id: str, unit_id: str, month: Month) -> list[FiledVersion]:
        key = (campaign_id, unit_id, month)
        return [v for v in self.versions if (v.campaign_id, v.unit_id, v.month) == key]

    async def save_version(self, version: FiledVersion) -> None:
        if any(
            (v.campaign_id, v.unit_id, v.month, v.submission.version)
            == (version.campaign_id, version.unit_id, version.month, version.submission.version)
            for v in self.versions
        ):
            raise ValueError("a version is filed once")
        self.versions.append(version)

    async def first_submissions(self, campaign_id: str) -> dict[ReportingUnitMonth, Submission]:
        return {
            (v.unit_id, v.month): v.submission
            for v in self.versions
            if v.campaign_id == campaign_id and v.submission.version == 1
        }

    async def report_counts(self, campaign_id: str) -> dict[ReportingUnitMonth, int]:
        counts: dict[ReportingUnitMonth, int] = {}
        for report in self.reports:
            if report.campaign_id == campaign_id:
                key = (report.unit_id, report.month)
                counts[key] = counts.get(key, 0) + 1
        return counts

    async def given_notices(self, campaign_id: str) -> set[tuple[NoticeKind, str, Month]]:
        return {(kind, unit, month) for (c, kind, unit, month) in self.notices if c == campaign_id}

    async def claim_notices(
        self, campaign_id: str, due: Sequence[Notice], given_at: datetime
    ) -> list[Notice]:
        fresh = []
        for notice in due:
            key = (campaign_id, notice.kind, notice.unit_id, notice.month)
            if key not in self.notices:
                self.notices[key] = given_at
                fresh.append(notice)
        return fresh

    async def save_report(self, report: SpecialReport) -> None:
        self.reports.append(report)

    async def reports_of(self, campaign_id: str, unit_id: str, month: Month) -> list[SpecialReport]:
        key = (campaign_id, unit_id, month)
        found = [r for r in self.reports if (r.campaign_id, r.unit_id, r.month) == key]
        return sorted(found, key=lambda r: (r.reported_at, r.report_id))

    async def save_activity(self, activity: PublicityActivity) -> None:
        self.activities.append(activity)

    async def activities_of(
        self, campaign_id: str, county_code: str | None, month: Month | None
    ) -> list[PublicityActivity]:
        found = [
            a
            for a in self.activities
            if a.campaign_id == campaign_id
            and county_code in (None, a.county_code)
            and month in (None, a.month)
        ]
        return sorted(found, key=lambda a: (a.held_on, a.activity_id))


class InMemoryStore:
    def __init__(self) -> None:
        self.facts = InMemoryFacts()
        self.filings = InMemoryFilings()
