"""Turning the events assessment consumes into facts: roster listings and assignments, bank
loans and reversals, pairings, fairs, ledgers. Each batch's facts are stored, then only the
enterprises they touch are re-evaluated, the counts move by their change, and the ladder
moves for the reasons whose inputs changed.

Consumers share the store's lock, so that they go on side by side, each holding only the
enterprises it touches (their outcomes first, then the counts' rows, then the ladder); the
daily re-evaluation of every enterprise holds it alone.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from assessment.domain.counts import Measure, change, counted
from assessment.domain.data_quality import ConflictingDuplicate
from assessment.domain.facts import (
    Assignment,
    EnterpriseFacts,
    Fair,
    ListingChange,
    Loan,
    OverdueLedger,
    Pairing,
    Reversal,
    SubmittedLedger,
)
from assessment.domain.first_loan import campaign_window, evaluate
from assessment.handlers.ladder import Evaluated, LadderHandlers
from assessment.storage import Store
from shared.consumer import Message
from shared.contracts.assessment import EscalationReason
from shared.contracts.bank import BankEventData, LoanIssued, LoanReversed
from shared.contracts.ledger import LedgerOverdue, LedgerSubmitted
from shared.contracts.matchmaking import EnterpriseMatched, FairScheduled
from shared.contracts.roster import EnterpriseAssigned, EnterpriseDelisted, EnterpriseListed
from shared.reference import ReferenceData
from shared.unit_of_work import UnitOfWork

RosterEvent = EnterpriseListed | EnterpriseDelisted | EnterpriseAssigned


class FactHandlers(LadderHandlers):
    async def apply_roster_events(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[RosterEvent]]
    ) -> None:
        await uow.store.share()
        facts = [roster_fact(m.payload) for m in messages]
        await uow.store.facts.save(facts)
        if self.evaluate_each_batch:
            await self.reassess(uow, {f.uscc for f in facts}, self.reference(), self.now())

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
            await self.reassess(uow, touched, self.reference(), self.now())

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
            changed = frozenset({EscalationReason.NO_MATCHMAKING_FAIR})
            await self.publish_live(uow, self.reference(), self.now(), changed)

    async def apply_pairings(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[EnterpriseMatched]]
    ) -> None:
        """Pairings move no count (the roster's assignment does): they wait for the daily
        forecast."""
        await uow.store.share()
        await uow.store.facts.save(
            [
                Pairing(m.payload.uscc, m.payload.institution_id, m.payload.matched_on)
                for m in messages
            ]
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
            changed = frozenset({EscalationReason.LEDGER_OVERDUE})
            await self.publish_live(uow, self.reference(), self.now(), changed)

    async def reassess(
        self,
        uow: UnitOfWork[Store],
        usccs: Collection[str] | None,
        reference: ReferenceData,
        now: datetime,
    ) -> None:
        """Re-evaluate the given enterprises (all when None) as of today, then publish."""
        if usccs is None:
            await self.reassess_all(uow, reference, now)
            return
        store, today = uow.store, now.date()
        before = await store.outcomes.lock(usccs, today)
        facts = await store.facts.load(before)
        window = campaign_window(reference)
        # An enterprise can be left with no fact: its loan's counted copy now names another.
        after = [
            evaluate(facts.get(uscc) or EnterpriseFacts(uscc), window, today) for uscc in before
        ]
        await store.outcomes.save(after, today)
        moved = change(before.values(), after)
        await store.counts.add(moved)
        if not moved:
            return
        changed = {EscalationReason.UNDER_TARGET}
        if any(measure is Measure.ANOMALIES for measure, _, _ in moved):
            changed.add(EscalationReason.DATA_FALSIFICATION)
        await self.publish_live(uow, reference, now, frozenset(changed))

    async def reassess_all(
        self, uow: UnitOfWork[Store], reference: ReferenceData, now: datetime
    ) -> Evaluated:
        """Every enterprise, counted from scratch: a new day moves listing dates and loans'
        liveness for all of them; what was counted. The caller holds the store's lock alone."""
        store, today = uow.store, now.date()
        facts = await store.facts.load()
        window = campaign_window(reference)
        outcomes = [evaluate(f, window, today) for f in facts.values()]
        await store.outcomes.save(outcomes, today)
        await store.counts.replace(counted(outcomes))
        await store.outcomes.set_evaluated_on(today)
        await self.publish_live(uow, reference, now, frozenset(EscalationReason))
        return Evaluated(facts, outcomes)


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
