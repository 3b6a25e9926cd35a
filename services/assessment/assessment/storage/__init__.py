"""Assessment's storage: the facts it counts from, the outcomes it derived, its escalations,
what it published, and the data-quality findings about each institution. Everything derived
is kept per campaign; a read that takes `campaign_id=None` reads every campaign (on a
platform of one campaign: that one).

`Store` is what handlers see (the repositories, each a Protocol); `SqlStore` is that over one
transaction's connection, and the tests' `InMemoryStore` is that in memory.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.counts import CountKey, Counts, OutcomeKey
from assessment.domain.data_quality import ConflictingDuplicate, DataQuality
from assessment.domain.escalation import Finding, OpenEscalation
from assessment.domain.facts import (
    EnterpriseFacts,
    Fair,
    LoanKey,
    OverdueLedger,
    SubmittedLedger,
)
from assessment.domain.first_loan import EnterpriseOutcome
from assessment.domain.follow_through import Acknowledgement, Circular, Record, Rectification, Talk
from assessment.domain.forecast import Funnel
from assessment.domain.history import Fact
from assessment.domain.notices import (
    Delivery,
    DeliveryStatus,
    KnownEscalation,
    Notice,
    Silence,
    Subscription,
)
from assessment.storage.counts import SqlCountRepository
from assessment.storage.data_quality import SqlDataQualityRepository
from assessment.storage.deliveries import SqlDeliveryRepository
from assessment.storage.escalations import SqlEscalationRepository
from assessment.storage.facts import SqlFactRepository
from assessment.storage.figures import SqlPublishedFigureRepository
from assessment.storage.follow_through import SqlFollowThroughRepository
from assessment.storage.forecast_funnels import SqlForecastFunnelRepository
from assessment.storage.ledgers_and_fairs import SqlLedgersAndFairsRepository
from assessment.storage.outcomes import SqlOutcomeRepository
from assessment.storage.subscriptions import SqlSubscriptionRepository
from assessment.storage.tables import metadata
from shared.contracts.assessment import DocumentRef

__all__ = ["SqlStore", "Store", "metadata"]


class FactRepository(Protocol):
    async def save(self, facts: Sequence[Fact]) -> set[LoanKey]: ...
    async def usccs_of_loans(self, keys: Collection[LoanKey]) -> set[str]: ...
    async def load(self, usccs: Collection[str] | None = None) -> dict[str, EnterpriseFacts]: ...


class OutcomeRepository(Protocol):
    async def lock(
        self, usccs: Collection[str], day: date
    ) -> dict[OutcomeKey, EnterpriseOutcome]: ...
    async def save(self, outcomes: Mapping[OutcomeKey, EnterpriseOutcome], day: date) -> None: ...
    async def replace_all(
        self, outcomes: Mapping[OutcomeKey, EnterpriseOutcome], day: date
    ) -> None: ...
    async def load(self, campaign_id: str | None = None) -> list[EnterpriseOutcome]: ...
    async def with_anomalies(self, campaign_id: str | None = None) -> list[EnterpriseOutcome]: ...
    async def evaluated_days(self) -> dict[str, date]: ...
    async def evaluated_on(self, campaign_id: str) -> date | None: ...
    async def set_evaluated_on(self, campaign_ids: Collection[str], day: date) -> None: ...


class CountRepository(Protocol):
    async def add(self, changes: Mapping[str, Mapping[CountKey, int]]) -> None: ...
    async def replace(self, counts: Mapping[str, Mapping[CountKey, int]]) -> None: ...
    async def load(self, campaign_id: str | None = None) -> Counts: ...


class PublishedFigureRepository(Protocol):
    async def last(self, campaign_id: str | None = None) -> dict[str, dict[str, Any]]: ...
    async def save(self, campaign_id: str, figures: Mapping[str, Mapping[str, Any]]) -> None: ...


class EscalationRepository(Protocol):
    async def open(self, campaign_id: str | None = None) -> list[OpenEscalation]: ...
    async def raise_escalation(
        self, campaign_id: str, escalation_id: str, finding: Finding, as_of: date, now: datetime
    ) -> None: ...
    async def upgrade(
        self, escalation_id: str, finding: Finding, as_of: date, now: datetime
    ) -> None: ...
    async def resolve(self, escalation_id: str, now: datetime) -> None: ...
    async def listed(
        self, only_open: bool, campaign_ids: Collection[str] | None = None
    ) -> list[dict[str, Any]]: ...
    async def open_by_campaign(self) -> dict[str, int]: ...
    async def checkpoint_run(self, as_of: date, campaign_id: str | None = None) -> bool: ...
    async def talked_before(
        self, as_of: date, campaign_id: str | None = None
    ) -> frozenset[str]: ...
    async def save_checkpoint(
        self,
        campaign_id: str,
        as_of: date,
        under_target: Sequence[str],
        ranking: Mapping[str, Any],
        run_at: datetime,
    ) -> None: ...
    async def checkpoint_ranking(
        self, as_of: date, campaign_id: str | None = None
    ) -> dict[str, Any] | None: ...


class LedgersAndFairsRepository(Protocol):
    async def save_fairs(self, held: Sequence[Fair]) -> None: ...
    async def save_overdue(self, overdue: Sequence[OverdueLedger]) -> None: ...
    async def save_submitted(self, submitted: Sequence[SubmittedLedger]) -> None: ...
    async def counties_with_fair(self, start: date, end: date) -> frozenset[str]:
        """The counties that held a fair from `start` to `end`, both days included."""

    async def overdue_months(
        self, campaign_id: str | None = None
    ) -> tuple[dict[str, list[str]], dict[str, int]]: ...


class DataQualityRepository(Protocol):
    async def record_conflicting_duplicates(
        self, found: Sequence[ConflictingDuplicate]
    ) -> None: ...
    async def record_conflicting_loans(self, keys: Collection[LoanKey]) -> None: ...
    async def by_institution(self) -> dict[str, DataQuality]: ...


class SubscriptionRepository(Protocol):
    async def add(self, subscription: Subscription, now: datetime) -> None: ...
    async def end(self, subscription_id: str, county: str | None, now: datetime) -> bool: ...
    async def active(self) -> list[Subscription]: ...
    async def listed(
        self, county: str | None, campaign_id: str | None = None
    ) -> list[dict[str, Any]]: ...
    async def add_silence(self, silence: Silence) -> None: ...
    async def silences_at(self, at: datetime) -> list[Silence]: ...
    async def silences(
        self, county: str | None, campaign_id: str | None = None
    ) -> list[Silence]: ...


class DeliveryRepository(Protocol):
    async def escalations_of(
        self, unit_ids: Collection[str], campaign_id: str | None = None
    ) -> list[KnownEscalation]: ...
    async def enqueue(self, notices: Sequence[Notice]) -> int: ...
    async def claim_due(self, limit: int, lease_seconds: float) -> list[Delivery]: ...
    async def sent(self, delivery_id: str) -> None: ...
    async def attempt_failed(
        self, delivery_id: str, error: str, retry_in: float | None
    ) -> None: ...
    async def give_up_pending(self, subscription_id: str, why: str) -> None: ...
    async def listed(
        self,
        county: str | None,
        subscription_id: str | None,
        status: DeliveryStatus | None,
        limit: int,
        campaign_id: str | None = None,
    ) -> list[dict[str, Any]]: ...


class ForecastFunnelRepository(Protocol):
    async def replace(
        self, campaign_id: str, funnels: Mapping[str, Funnel], computed_on: date
    ) -> None: ...
    async def computed_on(self, campaign_id: str | None = None) -> date | None: ...
    async def load(self, campaign_id: str | None = None) -> dict[str, Funnel]: ...


class FollowThroughRepository(Protocol):
    async def records(self, escalation_ids: Sequence[str]) -> dict[str, Record]: ...
    async def acknowledge(self, acknowledgement: Acknowledgement) -> None: ...
    async def record_talk(self, talk: Talk, committed: Sequence[Rectification]) -> None: ...
    async def issue_circular(self, circular: Circular) -> None: ...
    async def rectification(self, rectification_id: str) -> Rectification | None: ...
    async def close_rectification(self, closed: Rectification) -> None: ...
    async def open_past_due(self, today: date) -> list[Rectification]: ...
    async def mark_followed_up(self, rectification_ids: Sequence[str], at: datetime) -> None: ...
    async def save_document(
        self, escalation_id: str, ref: DocumentRef, content: bytes, by: str, at: datetime
    ) -> None: ...
    async def document(
        self, escalation_id: str, document_id: str
    ) -> tuple[DocumentRef, bytes] | None: ...
    async def escalation_ids_of_unit(
        self, unit_id: str, campaign_id: str | None = None
    ) -> list[str]: ...


class Store(Protocol):
    @property
    def facts(self) -> FactRepository: ...
    @property
    def outcomes(self) -> OutcomeRepository: ...
    @property
    def counts(self) -> CountRepository: ...
    @property
    def figures(self) -> PublishedFigureRepository: ...
    @property
    def escalations(self) -> EscalationRepository: ...
    @property
    def ledgers_and_fairs(self) -> LedgersAndFairsRepository: ...
    @property
    def data_quality(self) -> DataQualityRepository: ...
    @property
    def subscriptions(self) -> SubscriptionRepository: ...
    @property
    def deliveries(self) -> DeliveryRepository: ...
    @property
    def forecast_funnels(self) -> ForecastFunnelRepository: ...
    @property
    def follow_through(self) -> FollowThroughRepository: ...

    async def serialize(self) -> None:
        """Hold the store's lock alone until the transaction ends: for work that reads
        every enterprise (the daily re-evaluation, checkpoints)."""

    async def share(self) -> None:
        """Hold the store's lock alongside other sharers until the transaction ends."""

    async def lock_ladder(self) -> None:
        """Hold the published figures and escalations until the transaction ends."""


# Transaction-scoped advisory locks; the order in which a transaction may take them is the
# store's lock, enterprises' outcomes (row locks), counts (row locks), the ladder.
_STORE_LOCK = 810_400
_LADDER_LOCK = 810_401


class SqlStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection
        self.facts = SqlFactRepository(connection)
        self.outcomes = SqlOutcomeRepository(connection)
        self.counts = SqlCountRepository(connection)
        self.figures = SqlPublishedFigureRepository(connection)
        self.escalations = SqlEscalationRepository(connection)
        self.ledgers_and_fairs = SqlLedgersAndFairsRepository(connection)
        self.data_quality = SqlDataQualityRepository(connection)
        self.subscriptions = SqlSubscriptionRepository(connection)
        self.deliveries = SqlDeliveryRepository(connection)
        self.forecast_funnels = SqlForecastFunnelRepository(connection)
        self.follow_through = SqlFollowThroughRepository(connection)

    async def serialize(self) -> None:
        await self._lock("pg_advisory_xact_lock", _STORE_LOCK)

    async def share(self) -> None:
        await self._lock("pg_advisory_xact_lock_shared", _STORE_LOCK)

    async def lock_ladder(self) -> None:
        await self._lock("pg_advisory_xact_lock", _LADDER_LOCK)

    async def _lock(self, function: str, key: int) -> None:
        await self.connection.execute(text(f"SELECT {function}(:key)"), {"key": key})
