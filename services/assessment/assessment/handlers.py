"""What assessment does with each command and each group of events it consumes: turn
events into facts, store them, and re-evaluate only the enterprises they touch.

Every handler takes the store's lock first: consumers, the tick and checkpoints move the
same figures and ladder, one at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from assessment import follow_through
from assessment.commands import (
    Acknowledge,
    CloseRectification,
    IssueCircular,
    KeepUpToDate,
    RecordTalk,
    RunCheckpoint,
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
from assessment.evaluation import keep_up_to_date, publish_live, reassess, run_checkpoint
from assessment.forecasting import refresh_forecasts
from assessment.storage import Store
from shared.consumer import Message
from shared.contracts.assessment import (
    CircularIssued,
    DocumentRef,
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


class Handlers:
    """The service's handlers, bound to the reference data and the platform clock."""

    def __init__(self, reference: References, now: Now) -> None:
        self.reference = reference
        self.now = now

    async def apply_roster_events(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[RosterEvent]]
    ) -> None:
        await uow.store.serialize()
        facts = [roster_fact(m.payload) for m in messages]
        await uow.store.facts.save(facts)
        await reassess(uow, {f.uscc for f in facts}, self.reference(), self.now())

    async def apply_loans(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[LoanIssued | LoanReversed]]
    ) -> None:
        """Loans and their reversals; a loan reported again with other content is a
        data-quality finding, and the copy the rule prefers counts."""
        await uow.store.serialize()
        loans = [loan_fact(m.payload) for m in messages if isinstance(m.payload, LoanIssued)]
        reversals = [
            Reversal(m.payload.institution_id, m.payload.loan_id, m.payload.reversed_on)
            for m in messages
            if isinstance(m.payload, LoanReversed)
        ]
        # The enterprises of the copies stored before, too: a copy that now counts instead
        # may name another enterprise, which then loses the loan.
        keys = [loan.key for loan in loans] + [reversal.key for reversal in reversals]
        touched = await uow.store.facts.usccs_of_loans(keys)
        conflicting = await uow.store.facts.save([*loans, *reversals])
        await uow.store.data_quality.record_conflicting_loans(conflicting)
        touched |= {loan.uscc for loan in loans}
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
        await uow.store.serialize()
        await uow.store.ledgers_and_fairs.save_fairs(
            [Fair(m.payload.fair_id, m.payload.county_code, m.payload.held_on) for m in messages]
        )
        await publish_live(uow, self.reference(), self.now())

    async def apply_ledger_events(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[LedgerOverdue | LedgerSubmitted]]
    ) -> None:
        await uow.store.serialize()
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
        await publish_live(uow, self.reference(), self.now())

    async def run_checkpoint(self, uow: UnitOfWork[Store], command: RunCheckpoint) -> list[Finding]:
        """The escalations the checkpoint raised or upgraded (none when it had run)."""
        await uow.store.serialize()
        return await run_checkpoint(uow, self.reference(), command.as_of, self.now())

    async def keep_up_to_date(self, uow: UnitOfWork[Store], command: KeepUpToDate) -> None:
        """Also, once a day, the forecasts and their warnings; and the follow-up of each
        rectification past its due date."""
        await uow.store.serialize()
        now = self.now()
        await keep_up_to_date(uow, self.reference(), now, command.run_checkpoints)
        await refresh_forecasts(uow, self.reference(), now)
        await follow_through.follow_up_rectifications(uow, now)

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
