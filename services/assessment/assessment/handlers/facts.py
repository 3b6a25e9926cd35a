"""Turning the events assessment consumes into facts: roster listings and assignments, bank
loans and reversals, pairings, fairs, ledgers. Each batch's facts are stored, then only the
enterprises they touch are re-evaluated, in every campaign they have a part in, each
campaign's counts move by their change, and each campaign's ladder moves for the reasons
whose inputs changed.

Listings, assignments and ledgers are of the campaign their event names; an event written
before campaigns were named belongs to the campaign `CampaignBook.attribute` gives for its
county and date (a ledger of an institution: the campaign whose window meets the month and
that has the institution, else the first). Loans, reversals, pairings and fairs are facts of
no campaign.

Consumers share the store's lock, so that they go on side by side, each holding only the
enterprises it touches (their outcomes first, then the counts' rows, then the ladder); the
daily re-evaluation of every enterprise holds it alone.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import date, datetime

from assessment.domain.campaigns import nothing
from assessment.domain.counts import Measure, OutcomeKey, change_by_campaign, counted_by_campaign
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
from assessment.domain.first_loan import EnterpriseOutcome
from assessment.handlers.ladder import Evaluated, LadderHandlers
from assessment.storage import Store
from shared.campaigns import CampaignBook
from shared.consumer import Message
from shared.contracts.assessment import EscalationReason
from shared.contracts.bank import BankEventData, LoanIssued, LoanReversed
from shared.contracts.ledger import LedgerOverdue, LedgerSubmitted
from shared.contracts.matchmaking import EnterpriseMatched, FairScheduled
from shared.contracts.roster import EnterpriseAssigned, EnterpriseDelisted, EnterpriseListed
from shared.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

RosterEvent = EnterpriseListed | EnterpriseDelisted | EnterpriseAssigned


class FactHandlers(LadderHandlers):
    async def apply_roster_events(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[RosterEvent]]
    ) -> None:
        await uow.store.share()
        book = self.book()
        facts = [f for m in messages if (f := roster_fact(m.payload, book)) is not None]
        await uow.store.facts.save(facts)
        if self.evaluate_each_batch:
            await self.reassess(uow, {f.uscc for f in facts}, self.now())

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
            await self.reassess(uow, touched, self.now())

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
        fairs = [
            Fair(m.payload.fair_id, m.payload.county_code, m.payload.held_on) for m in messages
        ]
        await uow.store.ledgers_and_fairs.save_fairs(fairs)
        if self.evaluate_each_batch:
            book, changed = self.book(), frozenset({EscalationReason.NO_MATCHMAKING_FAIR})
            counties = {f.county_code for f in fairs}
            for reference in book.campaigns:
                if counties & reference.county_codes:
                    await self.publish_live(uow, reference, self.now(), changed)

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
        ledgers, book = uow.store.ledgers_and_fairs, self.book()
        overdue = [
            OverdueLedger(
                m.payload.unit_id,
                m.payload.period,
                m.payload.due_at,
                ledger_campaign(book, m.payload),
            )
            for m in messages
            if isinstance(m.payload, LedgerOverdue)
        ]
        submitted = [
            SubmittedLedger(m.payload.unit_id, m.payload.period, ledger_campaign(book, m.payload))
            for m in messages
            if isinstance(m.payload, LedgerSubmitted)
        ]
        await ledgers.save_overdue(overdue)
        await ledgers.save_submitted(submitted)
        if self.evaluate_each_batch:
            changed = frozenset({EscalationReason.LEDGER_OVERDUE})
            touched = {o.campaign_id for o in overdue} | {s.campaign_id for s in submitted}
            for reference in book.campaigns:
                if reference.campaign.id in touched:
                    await self.publish_live(uow, reference, self.now(), changed)

    async def reassess(
        self, uow: UnitOfWork[Store], usccs: Collection[str] | None, now: datetime
    ) -> None:
        """Re-evaluate the given enterprises (all when None) as of today in every campaign,
        then publish each campaign whose counts moved."""
        if usccs is None:
            await self.reassess_all(uow, now)
            return
        store, today, lenses = uow.store, now.date(), self.lenses()
        before = await store.outcomes.lock(usccs, today)
        facts = await store.facts.load(usccs)
        after: dict[OutcomeKey, EnterpriseOutcome] = {}
        for uscc in sorted(set(usccs)):
            # An enterprise can be left with no fact: its loan's counted copy names another.
            found = lenses.outcomes(facts.get(uscc) or EnterpriseFacts(uscc), today)
            after |= {(campaign_id, uscc): o for campaign_id, o in found.items()}
        # A campaign the enterprise no longer has a part in keeps an outcome saying nothing.
        after |= {key: nothing(key[1]) for key in before.keys() - after.keys()}
        await store.outcomes.save(after, today)
        moved = change_by_campaign(before, after)
        await store.counts.add(moved)
        for reference in lenses.book.campaigns:
            changes = moved.get(reference.campaign.id)
            if not changes:
                continue
            changed = {EscalationReason.UNDER_TARGET}
            if any(measure is Measure.ANOMALIES for measure, _, _ in changes):
                changed.add(EscalationReason.DATA_FALSIFICATION)
            await self.publish_live(uow, reference, now, frozenset(changed))

    async def reassess_all(self, uow: UnitOfWork[Store], now: datetime) -> dict[str, Evaluated]:
        """Every enterprise in every campaign, counted from scratch: a new day moves listing
        dates and loans' liveness for all of them; what was counted, by campaign. The caller
        holds the store's lock alone."""
        store, today, lenses = uow.store, now.date(), self.lenses()
        facts = await store.facts.load()
        outcomes: dict[OutcomeKey, EnterpriseOutcome] = {}
        for uscc, of_enterprise in facts.items():
            for campaign_id, outcome in lenses.outcomes(of_enterprise, today).items():
                outcomes[(campaign_id, uscc)] = outcome
        await store.outcomes.replace_all(outcomes, today)
        counts = counted_by_campaign(outcomes)
        await store.counts.replace(counts)
        await store.outcomes.set_evaluated_on(lenses.ids, today)
        for reference in lenses.book.campaigns:
            await self.publish_live(uow, reference, now, frozenset(EscalationReason))
        by_campaign: dict[str, list[EnterpriseOutcome]] = {c: [] for c in lenses.ids}
        for (campaign_id, _), outcome in outcomes.items():
            by_campaign[campaign_id].append(outcome)
        return {c: Evaluated(facts, found) for c, found in by_campaign.items()}


def roster_fact(event: RosterEvent, book: CampaignBook) -> ListingChange | Assignment | None:
    """The event's fact, of the campaign it names (or, naming none, of the campaign its
    county and date are attributed to); None for a county no campaign has."""
    if isinstance(event, EnterpriseListed):
        on = event.listed_on
    elif isinstance(event, EnterpriseDelisted):
        on = event.on
    else:
        on = event.assigned_on
    campaign_id = event.campaign_id or _attributed(book, event.county_code, on)
    if campaign_id is None:
        log.warning(
            "%s of %s in county %s: no campaign has the county; not counted",
            event.event_name(),
            event.uscc,
            event.county_code,
        )
        return None
    if isinstance(event, EnterpriseListed):
        return ListingChange(event.uscc, on, True, event.county_code, campaign_id)
    if isinstance(event, EnterpriseDelisted):
        return ListingChange(event.uscc, on, False, event.county_code, campaign_id)
    return Assignment(event.uscc, event.institution_id, on, campaign_id)


def _attributed(book: CampaignBook, county_code: str, day: date) -> str | None:
    found = book.attribute(county_code, day)
    return None if found is None else found.campaign.id


def ledger_campaign(book: CampaignBook, event: LedgerOverdue | LedgerSubmitted) -> str:
    """The campaign a ledger is of: the one its event names; else, for a county, the one
    whose window meets the ledger's month (else attributed by its first day); for an
    institution, the one whose window meets the month and that has it; else the first."""
    if event.campaign_id:
        return event.campaign_id
    year, month = (int(part) for part in event.period.split("-"))
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1)
    meets = [c for c in book.campaigns if c.campaign.start < last and c.campaign.end >= first]
    unit = event.unit_id
    if unit.isdigit():
        having = [c for c in meets if unit in c.county_codes]
        found = having[0] if having else book.attribute(unit, first)
    else:
        having = [c for c in meets if unit in c.institution_ids]
        found = having[0] if having else None
    return (found or book.campaigns[0]).campaign.id


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
