"""What assessment does with each command and each group of events it consumes: turn
events into facts, store them, and re-evaluate only the enterprises they touch.

Consumers share the store's lock, so that they go on side by side, each holding only the
enterprises it touches; the daily tick and checkpoints, which read every enterprise, hold it
alone (see `evaluation`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from assessment import follow_through
from assessment.commands import (
    Acknowledge,
    CloseRectification,
    DeliverNotices,
    EndSubscription,
    IssueCircular,
    KeepUpToDate,
    Mute,
    RecordTalk,
    RunCheckpoint,
    Subscribe,
    UploadDocument,
)
from assessment.domain.data_quality import ConflictingDuplicate
from assessment.domain.escalation import Finding
from assessment.domain.facts import (
    Assignment,
    Fair,
    ListingChange,
    Loan,
    OverdueLedger,
    Reversal,
    SubmittedLedger,
)
from assessment.domain.notices import Channel, Silence, Subscription
from assessment.evaluation import keep_up_to_date, publish_live, reassess, run_checkpoint
from assessment.forecasting import refresh_forecasts
from assessment.notifying import Postman, Transactions, deliver_due
from assessment.storage import Store
from shared.consumer import Message
from shared.contracts.assessment import (
    CircularIssued,
    DocumentRef,
    EscalationReason,
    RectificationClosed,
    TalkHeld,
)
from shared.contracts.bank import BankEventData, LoanIssued, LoanReversed
from shared.contracts.ledger import LedgerOverdue, LedgerSubmitted
from shared.contracts.matchmaking import FairScheduled
from shared.contracts.roster import EnterpriseAssigned, EnterpriseDelisted, EnterpriseListed
from shared.reference import ReferenceData
from shared.unit_of_work import UnitOfWork

Now = Callable[[], datetime]
References = Callable[[], ReferenceData]
RosterEvent = EnterpriseListed | EnterpriseDelisted | EnterpriseAssigned


def roster_fact(event: RosterEvent) -> ListingChange | Assignment:
    if isinstance(event, EnterpriseListed):
        return ListingChange(event.uscc, event.listed_on, True, event.county_code)
    if isinstance(event, EnterpriseDelisted):
        return ListingChange(event.uscc, event.on, False, event.county_code)
    return Assignment(event.uscc, event.institution_id, event.assigned_on)


def loan_fact(event: LoanIssued) -> Loan:
    return Loan(
        event.institution_id,
        event.loan_id,
        event.uscc,
        event.issued_on,
        event.first_loan_attested,
        str(event.amount_wan),
        event.applied_on,
        event.guarantee.value,
        event.annual_rate_pct,
    )


class CheckpointOutsideCampaignError(ValueError):
    """A checkpoint names a day before the campaign's start or after its end."""


class Handlers:
    """The service's handlers, bound to the reference data and the platform clock.

    Without `evaluate_each_batch` (a rebuild), consumers store facts alone; the next daily
    re-evaluation counts every enterprise at once, as it would have been counted live."""

    def __init__(
        self,
        reference: References,
        now: Now,
        postman: Postman | None = None,
        evaluate_each_batch: bool = True,
    ) -> None:
        self.reference = reference
        self.now = now
        self.postman = postman
        self.evaluate_each_batch = evaluate_each_batch

    async def apply_roster_events(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[RosterEvent]]
    ) -> None:
        await uow.store.share()
        facts = [roster_fact(m.payload) for m in messages]
        await uow.store.facts.save(facts)
        if self.evaluate_each_batch:
            await reassess(uow, {f.uscc for f in facts}, self.reference(), self.now())

    async def apply_loans(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[LoanIssued | LoanReversed]]
    ) -> None:
        """Loans and their reversals; a loan reported again with other content is a
        data-quality finding, and the copy the rule prefers counts."""
        await uow.store.share()
        loans = [loan_fact(m.payload) for m in messages if isinstance(m.payload, LoanIssued)]
        reversals = [
            Reversal(m.payload.institution_id, m.payload.loan_id, m.payload.reversed_on)
            for m in messages
            if isinstance(m.payload, LoanReversed)
        ]
        # The enterprises of the copies stored before, too: a copy that now counts instead
        # may name another enterprise, which then loses the loan.
        keys = [loan.key for loan in loans] + [reversal.key for reversal in reversals]
        touched = await uow.store.facts.usccs_of_loans(keys) if self.evaluate_each_batch else set()
        conflicting = await uow.store.facts.save([*loans, *reversals])
        await uow.store.data_quality.record_conflicting_loans(conflicting)
        touched |= {loan.uscc for loan in loans}
        if self.evaluate_each_batch:
            await reassess(uow, touched, self.reference(), self.now())

    async def record_conflicting_duplicates(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[BankEventData]]
    ) -> None:
        """Records that reused another event's (source, id) with other content: already
        dead-lettered, kept here as a finding against the institution."""
        await uow.store.data_quality.record_conflicting_duplicates(
            [
                ConflictingDuplicate(
                    institution_id=m.payload.institution_id,
                    source=m.envelope.source,
                    event_id=m.envelope.id,
                    fingerprint=m.envelope.fingerprint,
                    event_type=m.envelope.type,
                    topic=None if m.record is None else m.record.topic,
                    partition=None if m.record is None else m.record.partition,
                    offset=None if m.record is None else m.record.offset,
                )
                for m in messages
            ]
        )

    async def apply_fairs(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[FairScheduled]]
    ) -> None:
        await uow.store.share()
        await uow.store.ledgers_and_fairs.save_fairs(
            [Fair(m.payload.fair_id, m.payload.county_code, m.payload.held_on) for m in messages]
        )
        if self.evaluate_each_batch:
            await publish_live(
                uow, self.reference(), self.now(), frozenset({EscalationReason.NO_MATCHMAKING_FAIR})
            )

    async def apply_ledger_events(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[LedgerOverdue | LedgerSubmitted]]
    ) -> None:
        await uow.store.share()
        ledgers = uow.store.ledgers_and_fairs
        await ledgers.save_overdue(
            [
                OverdueLedger(m.payload.unit_id, m.payload.period, m.payload.due_at)
                for m in messages
                if isinstance(m.payload, LedgerOverdue)
            ]
        )
        await ledgers.save_submitted(
            [
                SubmittedLedger(m.payload.unit_id, m.payload.period)
                for m in messages
                if isinstance(m.payload, LedgerSubmitted)
            ]
        )
        if self.evaluate_each_batch:
            await publish_live(
                uow, self.reference(), self.now(), frozenset({EscalationReason.LEDGER_OVERDUE})
            )

    async def run_checkpoint(self, uow: UnitOfWork[Store], command: RunCheckpoint) -> list[Finding]:
        """The escalations the checkpoint raised or upgraded (none when it had run). Raises
        CheckpointOutsideCampaignError for a day the campaign does not hold."""
        reference = self.reference()
        campaign = reference.campaign
        if not campaign.contains(command.as_of):
            raise CheckpointOutsideCampaignError(
                f"{command.as_of} is outside the campaign {campaign.id}, "
                f"{campaign.start} to {campaign.end}"
            )
        await uow.store.serialize()
        return await run_checkpoint(uow, reference, command.as_of, self.now())

    async def keep_up_to_date(self, uow: UnitOfWork[Store], command: KeepUpToDate) -> None:
        """Also, once a day, the forecasts and their warnings; and the follow-up of each
        rectification past its due date."""
        await uow.store.serialize()
        now = self.now()
        await keep_up_to_date(uow, self.reference(), now, command.run_checkpoints)
        await refresh_forecasts(uow, self.reference(), now)
        await follow_through.follow_up_rectifications(uow, now)

    async def subscribe(self, uow: UnitOfWork[Store], command: Subscribe) -> Subscription:
        """Raises TargetRefusedError for a webhook the target policy does not let the
        platform call."""
        if command.channel is Channel.WEBHOOK:
            if self.postman is None:
                raise RuntimeError("these handlers were built without a postman: nothing sends")
            await self.postman.targets.check(command.target)
        subscription = Subscription(
            subscription_id=str(uuid.uuid4()),
            subscriber=command.subscriber,
            county=command.county,
            channel=command.channel,
            target=command.target,
            min_severity=command.min_severity,
            unit_id=command.unit_id,
            level=command.level,
            reason=command.reason,
            webhook_format=command.webhook_format,
        )
        await uow.store.subscriptions.add(subscription, self.now())
        return subscription

    async def end_subscription(self, uow: UnitOfWork[Store], command: EndSubscription) -> bool:
        """Whether an active subscription (of the command's county) was ended."""
        ended = await uow.store.subscriptions.end(
            command.subscription_id, command.county, self.now()
        )
        if ended:
            why = f"the subscription was ended by {command.actor}"
            await uow.store.deliveries.give_up_pending(command.subscription_id, why)
        return ended

    async def mute(self, uow: UnitOfWork[Store], command: Mute) -> Silence:
        """Raises ValueError for a silence that names nothing or ends before it starts."""
        silence = Silence(
            silence_id=str(uuid.uuid4()),
            created_by=command.created_by,
            county=command.county,
            starts_at=command.starts_at or self.now(),
            ends_at=command.ends_at,
            why=command.why,
            unit_id=command.unit_id,
            reason=command.reason,
        )
        await uow.store.subscriptions.add_silence(silence)
        return silence

    async def deliver_notices(self, transactions: Transactions, command: DeliverNotices) -> int:
        """Send the due notices this round can claim, each outcome in a transaction of its
        own; how many were sent."""
        if self.postman is None:
            raise RuntimeError("these handlers were built without a postman: nothing sends")
        return await deliver_due(transactions, self.postman, command.limit, command.lease_seconds)

    # --- follow-through: supervisors' commands on an escalation ---------------------------
    # Each takes the store's lock too: two supervisors acknowledging (or closing) the same
    # thing at once must see each other's step, and the tick's follow-up must see a close.

    async def acknowledge(self, uow: UnitOfWork[Store], command: Acknowledge) -> None:
        await uow.store.serialize()
        await follow_through.acknowledge(uow, command, self.now())

    async def upload_document(self, uow: UnitOfWork[Store], command: UploadDocument) -> DocumentRef:
        await uow.store.serialize()
        return await follow_through.upload_document(uow, command, self.now())

    async def record_talk(self, uow: UnitOfWork[Store], command: RecordTalk) -> TalkHeld:
        await uow.store.serialize()
        return await follow_through.record_talk(uow, command, self.now())

    async def issue_circular(
        self, uow: UnitOfWork[Store], command: IssueCircular
    ) -> CircularIssued:
        await uow.store.serialize()
        return await follow_through.issue_circular(uow, command, self.reference(), self.now())

    async def close_rectification(
        self, uow: UnitOfWork[Store], command: CloseRectification
    ) -> RectificationClosed:
        await uow.store.serialize()
        return await follow_through.close_rectification(uow, command, self.now())
