"""What assessment does with each event it consumes: turn it into facts, store them, and
re-evaluate only the enterprises they touch."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.facts import Assignment, ListingChange, Loan, Reversal
from assessment.domain.history import Fact
from assessment.evaluation import publish_live, reassess, serialize
from assessment.storage import ledgers_and_fairs
from assessment.storage.facts import save_facts, usccs_of_loans
from shared.consumer import Message
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.ledger import LedgerOverdue, LedgerSubmitted
from shared.contracts.matchmaking import FairScheduled
from shared.contracts.roster import EnterpriseAssigned, EnterpriseDelisted, EnterpriseListed
from shared.reference import ReferenceData
from shared.unit_of_work import UnitOfWork

ROSTER_EVENTS_HANDLED = (EnterpriseListed, EnterpriseDelisted, EnterpriseAssigned)
MATCHMAKING_EVENTS_HANDLED = (FairScheduled,)
LEDGER_EVENTS_HANDLED = (LedgerOverdue, LedgerSubmitted)

Now = Callable[[], datetime]
References = Callable[[], ReferenceData]


def roster_fact(event: object) -> ListingChange | Assignment | None:
    if isinstance(event, EnterpriseListed):
        return ListingChange(event.uscc, event.listed_on, True, event.county_code)
    if isinstance(event, EnterpriseDelisted):
        return ListingChange(event.uscc, event.on, False, event.county_code)
    if isinstance(event, EnterpriseAssigned):
        return Assignment(event.uscc, event.institution_id, event.assigned_on)
    return None


def bank_fact(event: object) -> Fact | None:
    if isinstance(event, LoanIssued):
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
    if isinstance(event, LoanReversed):
        return Reversal(event.institution_id, event.loan_id, event.reversed_on)
    return None


class Handlers:
    """The consumers' handlers, bound to the reference data and the clock."""

    def __init__(self, reference: References, now: Now) -> None:
        self.reference = reference
        self.now = now

    async def apply_roster_events(
        self, unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
    ) -> None:
        await serialize(unit)
        facts = [f for f in (roster_fact(e.payload) for e in events) if f is not None]
        await save_facts(unit.store, facts)
        await reassess(unit, {f.uscc for f in facts}, self.reference(), self.now())

    async def apply_bank_events(
        self, unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
    ) -> None:
        facts = [f for f in (bank_fact(e.payload) for e in events) if f is not None]
        await serialize(unit)
        if not facts:
            return  # credits and declines do not move any count
        await save_facts(unit.store, facts)
        touched = {f.uscc for f in facts if isinstance(f, Loan)}
        touched |= await usccs_of_loans(
            unit.store, [f.key for f in facts if isinstance(f, Reversal)]
        )
        await reassess(unit, touched, self.reference(), self.now())

    async def apply_matchmaking_events(
        self, unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
    ) -> None:
        await serialize(unit)
        await ledgers_and_fairs.save_fairs(
            unit.store,
            [
                {
                    "fair_id": e.payload.fair_id,
                    "county_code": e.payload.county_code,
                    "held_on": e.payload.held_on,
                }
                for e in events
                if isinstance(e.payload, FairScheduled)
            ],
        )
        await publish_live(unit, self.reference(), self.now())

    async def apply_ledger_events(
        self, unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
    ) -> None:
        await serialize(unit)
        payloads = [e.payload for e in events]
        await ledgers_and_fairs.save_overdue(
            unit.store,
            [
                {"unit_id": p.unit_id, "period": p.period, "due_at": p.due_at}
                for p in payloads
                if isinstance(p, LedgerOverdue)
            ],
        )
        await ledgers_and_fairs.save_submitted(
            unit.store,
            [
                {"unit_id": p.unit_id, "period": p.period}
                for p in payloads
                if isinstance(p, LedgerSubmitted)
            ],
        )
        await publish_live(unit, self.reference(), self.now())
