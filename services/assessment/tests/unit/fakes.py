"""`InMemoryStore`: assessment's `Store` in memory, for handler tests without PostgreSQL.

It keeps facts by the domain's own rules (`facts_by_enterprise`: one counted copy per loan,
the earliest reversal), as `SqlStore` does in SQL, and what is derived per campaign; a read
given no campaign reads every campaign's, as `SqlStore` does.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from assessment.domain.counts import CountKey, Counts, OutcomeKey
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
from assessment.domain.follow_through import (
    Acknowledgement,
    Circular,
    EscalationState,
    Record,
    Rectification,
    Talk,
)
from assessment.domain.forecast import Funnel
from assessment.domain.history import Fact, conflicting_loans, facts_by_enterprise
from assessment.domain.notices import (
    Delivery,
    DeliveryStatus,
    KnownEscalation,
    Notice,
    Silence,
    Step,
    Subscription,
)
from shared.contracts.assessment import DocumentRef


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
        self.by_key: dict[OutcomeKey, tuple[EnterpriseOutcome, date]] = {}
        self.days: dict[str, date] = {}

    @property
    def by_uscc(self) -> dict[str, EnterpriseOutcome]:
        """By enterprise (of a platform of one campaign)."""
        return {uscc: o for (_, uscc), (o, _) in sorted(self.by_key.items())}

    @property
    def day(self) -> date | None:
        """The day every campaign was last counted (when they agree)."""
        found = set(self.days.values())
        return found.pop() if len(found) == 1 else None

    async def lock(self, usccs: Collection[str], day: date) -> dict[OutcomeKey, EnterpriseOutcome]:
        return {key: o for key, (o, _) in self.by_key.items() if key[1] in usccs}

    async def save(self, outcomes: Mapping[OutcomeKey, EnterpriseOutcome], day: date) -> None:
        self.by_key |= {key: (o, day) for key, o in outcomes.items()}

    async def replace_all(
        self, outcomes: Mapping[OutcomeKey, EnterpriseOutcome], day: date
    ) -> None:
        self.by_key = {key: (o, day) for key, o in outcomes.items()}

    def _of(self, campaign_id: str | None) -> list[EnterpriseOutcome]:
        return [o for (c, _), (o, _) in self.by_key.items() if campaign_id in (None, c)]

    async def load(self, campaign_id: str | None = None) -> list[EnterpriseOutcome]:
        return self._of(campaign_id)

    async def with_anomalies(self, campaign_id: str | None = None) -> list[EnterpriseOutcome]:
        return [o for o in self._of(campaign_id) if o.anomalies]

    async def evaluated_days(self) -> dict[str, date]:
        return dict(self.days)

    async def evaluated_on(self, campaign_id: str) -> date | None:
        return self.days.get(campaign_id)

    async def set_evaluated_on(self, campaign_ids: Collection[str], day: date) -> None:
        self.days |= dict.fromkeys(campaign_ids, day)


class InMemoryCounts:
    def __init__(self) -> None:
        self.by_campaign: dict[str, Counter[CountKey]] = {}

    async def add(self, changes: Mapping[str, Mapping[CountKey, int]]) -> None:
        for campaign_id, moved in changes.items():
            self.by_campaign.setdefault(campaign_id, Counter()).update(moved)

    async def replace(self, counts: Mapping[str, Mapping[CountKey, int]]) -> None:
        self.by_campaign = {c: Counter(of_campaign) for c, of_campaign in counts.items()}

    async def load(self, campaign_id: str | None = None) -> Counts:
        total: Counter[CountKey] = Counter()
        for c, of_campaign in self.by_campaign.items():
            if campaign_id in (None, c):
                total.update(of_campaign)
        return {key: n for key, n in total.items() if n}


class InMemoryFigures:
    def __init__(self) -> None:
        self.published: dict[tuple[str, str], dict[str, Any]] = {}

    async def last(self, campaign_id: str | None = None) -> dict[str, dict[str, Any]]:
        return {
            unit_id: f
            for (c, unit_id), f in sorted(self.published.items())
            if campaign_id in (None, c)
        }

    async def save(self, campaign_id: str, figures: Mapping[str, Mapping[str, Any]]) -> None:
        self.published |= {(campaign_id, unit_id): dict(f) for unit_id, f in figures.items()}


class InMemoryEscalations:
    def __init__(self) -> None:
        self.open_ones: dict[str, OpenEscalation] = {}
        self.history: dict[str, list[Finding]] = defaultdict(list)
        self.campaign_of: dict[str, str] = {}
        self.checkpoints: dict[tuple[str, date], tuple[list[str], dict[str, Any]]] = {}
        # Every escalation ever raised, as the follow-through sees it.
        self.states: dict[str, EscalationState] = {}

    def _step(self, escalation_id: str, finding: Finding, as_of: date, now: datetime) -> None:
        step = {
            "severity": finding.severity.value,
            "as_of": as_of.isoformat(),
            "at": now.isoformat(),
        }
        before = self.states.get(escalation_id)
        self.states[escalation_id] = EscalationState(
            escalation_id,
            finding.unit_id,
            finding.reason.value,
            finding.severity,
            "open",
            now if before is None else before.raised_at,
            None,
            (*(() if before is None else before.history), step),
            self.campaign_of[escalation_id],
        )

    async def open(self, campaign_id: str | None = None) -> list[OpenEscalation]:
        return [e for e in self.open_ones.values() if campaign_id in (None, e.campaign_id)]

    async def raise_escalation(
        self, campaign_id: str, escalation_id: str, finding: Finding, as_of: date, now: datetime
    ) -> None:
        self.campaign_of[escalation_id] = campaign_id
        self.open_ones[escalation_id] = OpenEscalation(
            escalation_id, finding.unit_id, finding.reason, finding.severity, campaign_id
        )
        self.history[escalation_id].append(finding)
        self._step(escalation_id, finding, as_of, now)

    async def upgrade(
        self, escalation_id: str, finding: Finding, as_of: date, now: datetime
    ) -> None:
        self.open_ones[escalation_id] = replace(
            self.open_ones[escalation_id], severity=finding.severity
        )
        self.history[escalation_id].append(finding)
        self._step(escalation_id, finding, as_of, now)

    async def resolve(self, escalation_id: str, now: datetime) -> None:
        del self.open_ones[escalation_id]
        self.states[escalation_id] = replace(
            self.states[escalation_id], status="resolved", resolved_at=now
        )

    async def listed(
        self, only_open: bool, campaign_ids: Collection[str] | None = None
    ) -> list[dict[str, Any]]:
        return [
            vars(e)
            for e in self.open_ones.values()
            if campaign_ids is None or e.campaign_id in campaign_ids
        ]

    async def open_by_campaign(self) -> dict[str, int]:
        return dict(Counter(e.campaign_id for e in self.open_ones.values()))

    def _days(self, campaign_id: str | None) -> dict[date, tuple[str, date]]:
        return {day: (c, day) for c, day in sorted(self.checkpoints) if campaign_id in (None, c)}

    async def checkpoint_run(self, as_of: date, campaign_id: str | None = None) -> bool:
        return as_of in self._days(campaign_id)

    async def talked_before(self, as_of: date, campaign_id: str | None = None) -> frozenset[str]:
        days = self._days(campaign_id)
        earlier = [day for day in days if day < as_of]
        return frozenset(self.checkpoints[days[max(earlier)]][0]) if earlier else frozenset()

    async def save_checkpoint(
        self,
        campaign_id: str,
        as_of: date,
        under_target: Sequence[str],
        ranking: Mapping[str, Any],
        run_at: datetime,
    ) -> None:
        self.checkpoints[(campaign_id, as_of)] = (sorted(under_target), dict(ranking))

    async def checkpoint_ranking(
        self, as_of: date, campaign_id: str | None = None
    ) -> dict[str, Any] | None:
        key = self._days(campaign_id).get(as_of)
        return None if key is None else self.checkpoints[key][1]


class InMemoryLedgersAndFairs:
    """As the tables keep them: a fair by its id, an overdue month by (unit, period), the
    first copy kept (each is announced once; a second copy is a redelivery)."""

    def __init__(self) -> None:
        self.by_fair: dict[str, Fair] = {}
        self.by_month: dict[tuple[str, str, str], OverdueLedger] = {}
        self.submitted: set[SubmittedLedger] = set()

    @property
    def fairs(self) -> list[Fair]:
        return list(self.by_fair.values())

    @property
    def overdue(self) -> list[OverdueLedger]:
        return list(self.by_month.values())

    async def save_fairs(self, held: Sequence[Fair]) -> None:
        for fair in held:
            self.by_fair.setdefault(fair.fair_id, fair)

    async def save_overdue(self, overdue: Sequence[OverdueLedger]) -> None:
        for ledger in overdue:
            self.by_month.setdefault((ledger.campaign_id, ledger.unit_id, ledger.period), ledger)

    async def save_submitted(self, submitted: Sequence[SubmittedLedger]) -> None:
        self.submitted |= set(submitted)

    async def counties_with_fair(self, start: date, end: date) -> frozenset[str]:
        return frozenset(f.county_code for f in self.fairs if start <= f.held_on <= end)

    async def overdue_months(
        self, campaign_id: str | None = None
    ) -> tuple[dict[str, list[str]], dict[str, int]]:
        done = {(s.campaign_id, s.unit_id, s.period) for s in self.submitted}
        pending: dict[str, list[str]] = defaultdict(list)
        ever: dict[str, int] = defaultdict(int)
        for ledger in self.overdue:
            if campaign_id not in (None, ledger.campaign_id):
                continue
            ever[ledger.unit_id] += 1
            if (ledger.campaign_id, ledger.unit_id, ledger.period) not in done:
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


class InMemorySubscriptions:
    def __init__(self) -> None:
        self.by_id: dict[str, Subscription] = {}
        self.ended: set[str] = set()
        self.muted: list[Silence] = []

    async def add(self, subscription: Subscription, now: datetime) -> None:
        self.by_id[subscription.subscription_id] = subscription

    async def end(self, subscription_id: str, county: str | None, now: datetime) -> bool:
        found = self.by_id.get(subscription_id)
        if found is None or subscription_id in self.ended:
            return False
        if county is not None and found.county != county:
            return False
        self.ended.add(subscription_id)
        return True

    async def active(self) -> list[Subscription]:
        return [s for i, s in sorted(self.by_id.items()) if i not in self.ended]

    async def listed(
        self, county: str | None, campaign_id: str | None = None
    ) -> list[dict[str, Any]]:
        return [
            vars(s)
            for s in self.by_id.values()
            if county in (None, s.county) and campaign_id in (None, s.campaign_id)
        ]

    async def add_silence(self, silence: Silence) -> None:
        self.muted.append(silence)

    async def silences_at(self, at: datetime) -> list[Silence]:
        return [s for s in self.muted if s.starts_at <= at < s.ends_at]

    async def silences(self, county: str | None, campaign_id: str | None = None) -> list[Silence]:
        return [
            s
            for s in self.muted
            if county in (None, s.county) and campaign_id in (None, s.campaign_id)
        ]


class InMemoryDeliveries:
    """Every pending delivery is due at once: the fake keeps no time."""

    def __init__(self, escalations: InMemoryEscalations, subscriptions: InMemorySubscriptions):
        self.escalations = escalations
        self.subscriptions = subscriptions
        self.told: set[tuple[str, str, str]] = set()
        self.notices: dict[str, tuple[Notice, DeliveryStatus, int, str | None]] = {}
        self.leased: set[str] = set()  # claimed, no outcome yet: not due again

    async def escalations_of(
        self, unit_ids: Collection[str], campaign_id: str | None = None
    ) -> list[KnownEscalation]:
        known = []
        for escalation_id, findings in self.escalations.history.items():
            first = findings[0]
            of_campaign = campaign_id in (None, self.escalations.campaign_of[escalation_id])
            if first.unit_id in unit_ids and of_campaign:
                is_open = escalation_id in self.escalations.open_ones
                name = str(first.figures.get("name", ""))
                known.append(
                    KnownEscalation(
                        escalation_id, first.unit_id, first.reason, first.level, is_open, name
                    )
                )
        return known

    async def enqueue(self, notices: Sequence[Notice]) -> int:
        recorded = 0
        for notice in notices:
            subscription_id = notice.subscription.subscription_id
            steps: list[Step] = []
            for step in notice.steps:
                key = (step.escalation_id, step.key, subscription_id)
                if key not in self.told:
                    self.told.add(key)
                    steps.append(step)
            if steps:
                status = DeliveryStatus.MUTED if notice.muted else DeliveryStatus.PENDING
                delivery_id = f"d{len(self.notices) + 1}"
                self.notices[delivery_id] = (replace(notice, steps=tuple(steps)), status, 0, None)
                recorded += 1
        return recorded

    async def claim_due(self, limit: int, lease_seconds: float) -> list[Delivery]:
        due = [
            Delivery(delivery_id, notice.subscription, notice.steps, attempts, 0.0)
            for delivery_id, (notice, status, attempts, _) in self.notices.items()
            if status is DeliveryStatus.PENDING and delivery_id not in self.leased
        ][:limit]
        self.leased |= {d.delivery_id for d in due}
        return due

    async def sent(self, delivery_id: str) -> None:
        self.leased.discard(delivery_id)
        notice, _, attempts, _ = self.notices[delivery_id]
        self.notices[delivery_id] = (notice, DeliveryStatus.SENT, attempts + 1, None)

    async def attempt_failed(self, delivery_id: str, error: str, retry_in: float | None) -> None:
        self.leased.discard(delivery_id)
        notice, status, attempts, _ = self.notices[delivery_id]
        if retry_in is None:
            status = DeliveryStatus.FAILED
        self.notices[delivery_id] = (notice, status, attempts + 1, error)

    async def give_up_pending(self, subscription_id: str, why: str) -> None:
        for delivery_id, (notice, status, attempts, _) in list(self.notices.items()):
            mine = notice.subscription.subscription_id == subscription_id
            if mine and status is DeliveryStatus.PENDING:
                self.notices[delivery_id] = (notice, DeliveryStatus.FAILED, attempts, why)

    async def listed(
        self,
        county: str | None,
        subscription_id: str | None,
        status: DeliveryStatus | None,
        limit: int,
        campaign_id: str | None = None,
    ) -> list[dict[str, Any]]:
        return [
            {"delivery_id": delivery_id, "status": found, "steps": notice.steps}
            for delivery_id, (notice, found, _, _) in self.notices.items()
            if (county is None or notice.subscription.county == county)
            and campaign_id in (None, notice.subscription.campaign_id)
            and (subscription_id in (None, notice.subscription.subscription_id))
            and (status is None or status is found)
        ][:limit]


class InMemoryForecastFunnels:
    def __init__(self) -> None:
        self.by_campaign: dict[str, tuple[dict[str, Funnel], date]] = {}

    @property
    def day(self) -> date | None:
        """The day of the latest funnels of any campaign."""
        return max((day for _, day in self.by_campaign.values()), default=None)

    def _first(self, campaign_id: str | None) -> tuple[dict[str, Funnel], date] | None:
        found = sorted(c for c in self.by_campaign if campaign_id in (None, c))
        return self.by_campaign[found[0]] if found else None

    async def replace(
        self, campaign_id: str, funnels: Mapping[str, Funnel], computed_on: date
    ) -> None:
        self.by_campaign[campaign_id] = (dict(funnels), computed_on)

    async def computed_on(self, campaign_id: str | None = None) -> date | None:
        found = self._first(campaign_id)
        return None if found is None else found[1]

    async def load(self, campaign_id: str | None = None) -> dict[str, Funnel]:
        found = self._first(campaign_id)
        return {} if found is None else dict(found[0])


class InMemoryFollowThrough:
    def __init__(self, escalations: InMemoryEscalations) -> None:
        self.escalations = escalations
        self.acknowledgements: dict[str, Acknowledgement] = {}
        self.talks: list[Talk] = []
        self.rectifications: dict[str, Rectification] = {}
        self.circulars: dict[str, Circular] = {}
        self.documents: dict[tuple[str, str], tuple[DocumentRef, bytes]] = {}

    async def records(self, escalation_ids: Sequence[str]) -> dict[str, Record]:
        states = self.escalations.states
        return {
            e: Record(
                states[e],
                self.acknowledgements.get(e),
                tuple(t for t in self.talks if t.escalation_id == e),
                tuple(
                    sorted(
                        (r for r in self.rectifications.values() if r.escalation_id == e),
                        key=lambda r: (r.due_on, r.rectification_id),
                    )
                ),
                self.circulars.get(e),
            )
            for e in escalation_ids
            if e in states
        }

    async def acknowledge(self, acknowledgement: Acknowledgement) -> None:
        assert acknowledgement.escalation_id not in self.acknowledgements  # a primary key
        self.acknowledgements[acknowledgement.escalation_id] = acknowledgement

    async def record_talk(self, talk: Talk, committed: Sequence[Rectification]) -> None:
        self.talks.append(talk)
        self.rectifications |= {r.rectification_id: r for r in committed}

    async def issue_circular(self, circular: Circular) -> None:
        assert circular.escalation_id not in self.circulars
        self.circulars[circular.escalation_id] = circular

    async def rectification(self, rectification_id: str) -> Rectification | None:
        return self.rectifications.get(rectification_id)

    async def close_rectification(self, closed: Rectification) -> None:
        self.rectifications[closed.rectification_id] = closed

    async def open_past_due(self, today: date) -> list[Rectification]:
        return [
            r
            for r in self.rectifications.values()
            if r.closed_at is None and r.followed_up_at is None and r.due_on < today
        ]

    async def mark_followed_up(self, rectification_ids: Sequence[str], at: datetime) -> None:
        for rectification_id in rectification_ids:
            found = self.rectifications[rectification_id]
            self.rectifications[rectification_id] = replace(found, followed_up_at=at)

    async def save_document(
        self, escalation_id: str, ref: DocumentRef, content: bytes, by: str, at: datetime
    ) -> None:
        self.documents[(escalation_id, ref.document_id)] = (ref, content)

    async def document(
        self, escalation_id: str, document_id: str
    ) -> tuple[DocumentRef, bytes] | None:
        return self.documents.get((escalation_id, document_id))

    async def escalation_ids_of_unit(
        self, unit_id: str, campaign_id: str | None = None
    ) -> list[str]:
        states = self.escalations.states.values()
        return [
            s.escalation_id
            for s in sorted(states, key=lambda s: s.raised_at)
            if s.unit_id == unit_id and campaign_id in (None, s.campaign_id)
        ]


class InMemoryStore:
    def __init__(self) -> None:
        self.facts = InMemoryFacts()
        self.outcomes = InMemoryOutcomes()
        self.counts = InMemoryCounts()
        self.figures = InMemoryFigures()
        self.escalations = InMemoryEscalations()
        self.ledgers_and_fairs = InMemoryLedgersAndFairs()
        self.data_quality = InMemoryDataQuality()
        self.subscriptions = InMemorySubscriptions()
        self.deliveries = InMemoryDeliveries(self.escalations, self.subscriptions)
        self.forecast_funnels = InMemoryForecastFunnels()
        self.follow_through = InMemoryFollowThrough(self.escalations)
        self.serialized = 0
        self.shared = 0
        self.ladder_locked = 0

    async def serialize(self) -> None:
        self.serialized += 1

    async def share(self) -> None:
        self.shared += 1

    async def lock_ladder(self) -> None:
        self.ladder_locked += 1
