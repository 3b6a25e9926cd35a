"""`InMemoryStore`: assessment's `Store` in memory, for handler tests without PostgreSQL.

It keeps facts by the domain's own rules (`facts_by_enterprise`: one counted copy per loan,
the earliest reversal), as `SqlStore` does in SQL.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from assessment.domain.counts import CountKey, Counts
from assessment.domain.data_quality import ConflictingDuplicate, DataQuality
from assessment.domain.escalation import Finding, OpenEscalation
from assessment.domain.facts import (
    EnterpriseFacts,
    Fair,
    Loan,
    LoanKey,
    OverdueLedger,
    SubmittedLedger,
)
from assessment.domain.first_loan import EnterpriseOutcome
from assessment.domain.history import Fact, conflicting_loans, facts_by_enterprise


class InMemoryFacts:
    def __init__(self) -> None:
        self.history: list[Fact] = []

    async def save(self, facts: Sequence[Fact]) -> set[LoanKey]:
        self.history.extend(facts)
        keys = {f.key for f in facts if isinstance(f, Loan)}
        return conflicting_loans(self.history) & keys

    async def usccs_of_loans(self, keys: Collection[LoanKey]) -> set[str]:
        return {
            loan.uscc
            for facts in facts_by_enterprise(self.history).values()
            for loan in facts.loans
            if loan.key in keys
        }

    async def load(self, usccs: Collection[str] | None = None) -> dict[str, EnterpriseFacts]:
        every = facts_by_enterprise(self.history)
        return every if usccs is None else {u: f for u, f in every.items() if u in usccs}


class InMemoryOutcomes:
    def __init__(self) -> None:
        self.by_uscc: dict[str, EnterpriseOutcome] = {}
        self.day: date | None = None

    async def lock(self, usccs: Collection[str], day: date) -> dict[str, EnterpriseOutcome]:
        return {
            u: self.by_uscc.get(u, EnterpriseOutcome(u, None, None, (), frozenset())) for u in usccs
        }

    async def save(self, outcomes: Sequence[EnterpriseOutcome], day: date) -> None:
        self.by_uscc |= {o.uscc: o for o in outcomes}

    async def load(self) -> list[EnterpriseOutcome]:
        return list(self.by_uscc.values())

    async def with_anomalies(self) -> list[EnterpriseOutcome]:
        return [o for o in self.by_uscc.values() if o.anomalies]

    async def evaluated_on(self) -> date | None:
        return self.day

    async def set_evaluated_on(self, day: date) -> None:
        self.day = day


class InMemoryCounts:
    def __init__(self) -> None:
        self.by_key: Counter[CountKey] = Counter()

    async def add(self, changes: Mapping[CountKey, int]) -> None:
        self.by_key.update(changes)

    async def replace(self, counts: Mapping[CountKey, int]) -> None:
        self.by_key = Counter(counts)

    async def load(self) -> Counts:
        return {key: n for key, n in self.by_key.items() if n}


class InMemoryFigures:
    def __init__(self) -> None:
        self.published: dict[str, dict[str, Any]] = {}

    async def last(self) -> dict[str, dict[str, Any]]:
        return dict(self.published)

    async def save(self, figures: Mapping[str, Mapping[str, Any]]) -> None:
        self.published |= {unit_id: dict(f) for unit_id, f in figures.items()}


class InMemoryEscalations:
    def __init__(self) -> None:
        self.open_ones: dict[str, OpenEscalation] = {}
        self.history: dict[str, list[Finding]] = defaultdict(list)
        self.checkpoints: dict[date, tuple[list[str], dict[str, Any]]] = {}

    async def open(self) -> list[OpenEscalation]:
        return list(self.open_ones.values())

    async def raise_escalation(
        self, escalation_id: str, finding: Finding, as_of: date, now: datetime
    ) -> None:
        self.open_ones[escalation_id] = OpenEscalation(
            escalation_id, finding.unit_id, finding.reason, finding.severity
        )
        self.history[escalation_id].append(finding)

    async def upgrade(
        self, escalation_id: str, finding: Finding, as_of: date, now: datetime
    ) -> None:
        self.open_ones[escalation_id] = replace(
            self.open_ones[escalation_id], severity=finding.severity
        )
        self.history[escalation_id].append(finding)

    async def resolve(self, escalation_id: str, now: datetime) -> None:
        del self.open_ones[escalation_id]

    async def listed(self, only_open: bool) -> list[dict[str, Any]]:
        return [vars(e) for e in self.open_ones.values()]

    async def checkpoint_run(self, as_of: date) -> bool:
        return as_of in self.checkpoints

    async def talked_before(self, as_of: date) -> frozenset[str]:
        earlier = [day for day in self.checkpoints if day < as_of]
        return frozenset(self.checkpoints[max(earlier)][0]) if earlier else frozenset()

    async def save_checkpoint(
        self,
        as_of: date,
        under_target: Sequence[str],
        ranking: Mapping[str, Any],
        run_at: datetime,
    ) -> None:
        self.checkpoints[as_of] = (sorted(under_target), dict(ranking))

    async def checkpoint_ranking(self, as_of: date) -> dict[str, Any] | None:
        found = self.checkpoints.get(as_of)
        return None if found is None else found[1]


class InMemoryLedgersAndFairs:
    def __init__(self) -> None:
        self.fairs: set[Fair] = set()
        self.overdue: set[OverdueLedger] = set()
        self.submitted: set[SubmittedLedger] = set()

    async def save_fairs(self, held: Sequence[Fair]) -> None:
        self.fairs |= set(held)

    async def save_overdue(self, overdue: Sequence[OverdueLedger]) -> None:
        self.overdue |= set(overdue)

    async def save_submitted(self, submitted: Sequence[SubmittedLedger]) -> None:
        self.submitted |= set(submitted)

    async def counties_with_fair(self, until: date) -> frozenset[str]:
        return frozenset(f.county_code for f in self.fairs if f.held_on <= until)

    async def overdue_months(self) -> tuple[dict[str, list[str]], dict[str, int]]:
        done = {(s.unit_id, s.period) for s in self.submitted}
        pending: dict[str, list[str]] = defaultdict(list)
        ever: dict[str, int] = defaultdict(int)
        for ledger in self.overdue:
            ever[ledger.unit_id] += 1
            if (ledger.unit_id, ledger.period) not in done:
                pending[ledger.unit_id].append(ledger.period)
        return dict(pending), dict(ever)


class InMemoryDataQuality:
    def __init__(self) -> None:
        self.duplicates: dict[tuple[str, str, str], ConflictingDuplicate] = {}
        self.loans: set[LoanKey] = set()

    async def record_conflicting_duplicates(self, found: Sequence[ConflictingDuplicate]) -> None:
        for duplicate in found:
            key = (duplicate.source, duplicate.event_id, duplicate.fingerprint)
            self.duplicates.setdefault(key, duplicate)

    async def record_conflicting_loans(self, keys: Collection[LoanKey]) -> None:
        self.loans |= set(keys)

    async def by_institution(self) -> dict[str, DataQuality]:
        duplicates: dict[str, int] = defaultdict(int)
        for duplicate in self.duplicates.values():
            duplicates[duplicate.institution_id] += 1
        loans: dict[str, int] = defaultdict(int)
        for institution, _ in self.loans:
            loans[institution] += 1
        return {
            institution: DataQuality(duplicates[institution], loans[institution])
            for institution in duplicates.keys() | loans.keys()
        }


class InMemoryStore:
    def __init__(self) -> None:
        self.facts = InMemoryFacts()
        self.outcomes = InMemoryOutcomes()
        self.counts = InMemoryCounts()
        self.figures = InMemoryFigures()
        self.escalations = InMemoryEscalations()
        self.ledgers_and_fairs = InMemoryLedgersAndFairs()
        self.data_quality = InMemoryDataQuality()
        self.serialized = 0
        self.shared = 0
        self.ladder_locked = 0

    async def serialize(self) -> None:
        self.serialized += 1

    async def share(self) -> None:
        self.shared += 1

    async def lock_ladder(self) -> None:
        self.ladder_locked += 1
