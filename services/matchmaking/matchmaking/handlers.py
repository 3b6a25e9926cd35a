"""What matchmaking does with each command and each group of events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from matchmaking.commands import (
    RecordMatch,
    RecordPlan,
    RecordVisit,
    RegisterAttendance,
    RegisterEnterprise,
    RegisterProduct,
    ScheduleFair,
)
from matchmaking.domain.campaigns import campaign_id_of, credit_goal
from matchmaking.domain.errors import ProductMismatchError, UnknownFairError
from matchmaking.domain.fairs import Attendee, AttendeeKind, Fair, Match, check_match, match_id_for
from matchmaking.domain.listing import Delisting, Listing, ListingHistory, listing_rank
from matchmaking.domain.outcomes import (
    Attribution,
    BankOutcome,
    Reversal,
    canonical_copies,
    earliest_reversals,
    pairing_of,
    prefer_copy,
    prefer_reversal,
    timing,
)
from matchmaking.domain.plans import Plan, Product, Visit, check_new_product, new_visit_id, revise
from matchmaking.storage import Store
from shared.campaigns import CampaignBook
from shared.clock import Clock
from shared.consumer import Message
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.contracts.matchmaking import (
    AttendanceRegistered,
    CultivationPlanRecorded,
    EnterpriseMatched,
    EnterpriseVisited,
    FairScheduled,
    MatchOutcomeRecorded,
    MatchOutcomeReversed,
    Outcome,
)
from shared.contracts.roster import EnterpriseDelisted, EnterpriseListed
from shared.topics import MATCHMAKING_EVENTS
from shared.unit_of_work import UnitOfWork

BankOutcomeEvent = CreditGranted | CreditDeclined | LoanIssued


@dataclass(frozen=True)
class Registration:
    """An attendance after a registration; `fresh` False: it was already registered."""

    attendee: Attendee
    fresh: bool


class Handlers:
    """Matchmaking's commands and consumed events, bound to the campaigns (the credit process
    goal of a pairing's campaign, whose list an enterprise is on) and the platform clock
    (the default day of a pairing). Its facts name no campaign."""

    def __init__(self, book: Callable[[], CampaignBook], clock: Clock) -> None:
        self._book = book
        self._clock = clock

    def today(self) -> date:
        return self._clock().date()

    def _listed(self, history: ListingHistory, day: date) -> bool:
        """On the list, that day, of the campaign of the enterprise's county and that day."""
        latest = history.latest
        if latest is None:
            return False
        return history.listed_on(day, campaign_id_of(self._book(), latest.county_code, day))

    # --- commands ---------------------------------------------------------------------

    async def schedule_fair(self, uow: UnitOfWork[Store], command: ScheduleFair) -> Fair:
        fair = Fair(
            f"fair-{uuid.uuid4().hex[:12]}",
            command.county_code,
            command.title,
            command.held_on,
            command.venue,
            command.organizer,
        )
        await uow.store.fairs.add(fair)
        event = FairScheduled(
            fair_id=fair.fair_id,
            county_code=fair.county_code,
            title=fair.title,
            held_on=fair.held_on,
            venue=fair.venue,
            organizer=fair.organizer,
        )
        uow.emit(MATCHMAKING_EVENTS, fair.fair_id, event)
        return fair

    async def register_attendance(
        self, uow: UnitOfWork[Store], command: RegisterAttendance
    ) -> Registration:
        fair = await uow.store.fairs.get(command.fair_id)
        if fair is None:
            raise UnknownFairError(f"no fair {command.fair_id!r}")
        if isinstance(command, RegisterEnterprise):
            history = await uow.store.listings.history(command.uscc)
            attendee = Attendee(
                fair.fair_id,
                AttendeeKind.ENTERPRISE,
                command.uscc,
                self._listed(history, fair.held_on),
            )
            # An enterprise's attendance is about the enterprise, an institution's the fair's.
            key, subject = command.uscc, command.uscc
            who: dict[str, str | bool | None] = {"uscc": command.uscc, "listed": attendee.listed}
        else:
            attendee = Attendee(fair.fair_id, AttendeeKind.INSTITUTION, command.institution_id)
            key, subject = fair.fair_id, None
            who = {"institution_id": command.institution_id}
        fresh = await uow.store.attendance.add(attendee)
        if fresh:
            event = AttendanceRegistered.model_validate(
                {
                    "fair_id": fair.fair_id,
                    "county_code": fair.county_code,
                    "held_on": fair.held_on,
                    **who,
                }
            )
            uow.emit(MATCHMAKING_EVENTS, key, event, subject=subject)
        stored = await uow.store.attendance.get(fair.fair_id, attendee.kind, attendee.attendee)
        return Registration(stored or attendee, fresh)

    async def record_match(
        self, uow: UnitOfWork[Store], command: RecordMatch
    ) -> tuple[Match, bool]:
        """The pairing (and whether it is new); it assigns the enterprise to the institution,
        and is credited with the pair's bank outcomes that were waiting for it."""
        store = uow.store
        fair = await store.fairs.get(command.fair_id) if command.fair_id else None
        product = await store.products.get(command.product_id) if command.product_id else None
        if command.product_id and product is None:
            raise ProductMismatchError(f"no product {command.product_id!r}")
        owner = product.institution_id if product else None
        check_match(command.channel, fair, command.fair_id, command.institution_id, owner)
        matched_on = command.matched_on or self.today()
        history = await store.listings.history(command.uscc)
        latest = history.latest
        match = Match(
            match_id=match_id_for(
                command.uscc, command.institution_id, matched_on, command.channel, command.fair_id
            ),
            uscc=command.uscc,
            institution_id=command.institution_id,
            matched_on=matched_on,
            channel=command.channel,
            fair_id=command.fair_id,
            product_id=command.product_id,
            listed=self._listed(history, matched_on),
            county_code=latest.county_code if latest else None,
            enterprise_name=latest.name if latest else None,
        )
        if not await store.matches.add(match):
            (existing,) = await store.matches.find(match_id=match.match_id)
            return existing, False
        uow.emit(MATCHMAKING_EVENTS, match.uscc, _matched(match), subject=match.uscc)
        await self._attribute_waiting(uow, [(match.uscc, match.institution_id)])
        return match, True

    async def record_plan(self, uow: UnitOfWork[Store], command: RecordPlan) -> tuple[Plan, bool]:
        """The enterprise's plan after this command, and whether it made a new version."""
        proposed = Plan(
            uscc=command.uscc,
            institution_id=command.institution_id,
            responsible_person=command.responsible_person,
            problems=command.problems,
            measures=command.measures,
            follow_up_dates=command.follow_up_dates,
        )
        current = await uow.store.plans.lock(command.uscc)
        revised = revise(current, proposed)
        if revised is None:
            assert current is not None  # revise changes nothing only of an existing plan
            return current, False
        await uow.store.plans.save(revised)
        event = CultivationPlanRecorded(
            plan_id=revised.plan_id,
            version=revised.version,
            uscc=revised.uscc,
            institution_id=revised.institution_id,
            problems=list(revised.problems),
            measures=list(revised.measures),
            responsible_person=revised.responsible_person,
            follow_up_dates=list(revised.follow_up_dates),
        )
        uow.emit(MATCHMAKING_EVENTS, revised.uscc, event, subject=revised.uscc)
        return revised, True

    async def record_visit(self, uow: UnitOfWork[Store], command: RecordVisit) -> Visit:
        visit = Visit(
            new_visit_id(),
            command.uscc,
            command.institution_id,
            command.visited_on,
            command.visitor,
            command.notes,
        )
        await uow.store.visits.add(visit)
        event = EnterpriseVisited(
            visit_id=visit.visit_id,
            uscc=visit.uscc,
            institution_id=visit.institution_id,
            visited_on=visit.visited_on,
            visitor=visit.visitor,
            notes=visit.notes,
        )
        uow.emit(MATCHMAKING_EVENTS, visit.uscc, event, subject=visit.uscc)
        return visit

    async def register_product(self, uow: UnitOfWork[Store], command: RegisterProduct) -> Product:
        product = Product(
            product_id=f"{command.institution_id}-{uuid.uuid4().hex[:8]}",
            institution_id=command.institution_id,
            name=command.name,
            min_amount_wan=command.min_amount_wan,
            max_amount_wan=command.max_amount_wan,
            min_rate_pct=command.min_rate_pct,
            max_rate_pct=command.max_rate_pct,
            guarantees=command.guarantees,
            max_term_months=command.max_term_months,
            description=command.description,
        )
        existing = await uow.store.products.lock_institution(command.institution_id)
        check_new_product(product, existing)
        await uow.store.products.add(product)
        return product

    # --- roster's events --------------------------------------------------------------

    async def apply_listings(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[EnterpriseListed]]
    ) -> None:
        """Keep each listing, of its campaign (an event of before campaigns had ids: the
        campaign of its county and day); two that disagree about one day keep a fixed one of
        them."""
        book = self._book()
        arrived: dict[tuple[str, date], Listing] = {}
        for m in messages:
            listed = m.payload
            campaign_id = listed.campaign_id or campaign_id_of(
                book, listed.county_code, listed.listed_on
            )
            entry = Listing(
                listed.uscc, listed.listed_on, listed.name, listed.county_code, campaign_id
            )
            key = (entry.uscc, entry.listed_on)
            if key not in arrived or listing_rank(entry) < listing_rank(arrived[key]):
                arrived[key] = entry
        stored = await uow.store.listings.get(arrived)
        await uow.store.listings.put(
            [
                entry
                for key, entry in arrived.items()
                if key not in stored or listing_rank(entry) < listing_rank(stored[key])
            ]
        )

    async def apply_delistings(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[EnterpriseDelisted]]
    ) -> None:
        book = self._book()
        await uow.store.listings.add_delistings(
            [
                Delisting(
                    m.payload.uscc,
                    m.payload.on,
                    m.payload.campaign_id
                    or campaign_id_of(book, m.payload.county_code, m.payload.on),
                )
                for m in messages
            ]
        )

    # --- the banks' events ------------------------------------------------------------

    async def apply_credit_decisions(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[CreditGranted | CreditDeclined]]
    ) -> None:
        """Keep every credit and decline, and credit the pairings they follow."""
        await self._keep_outcomes(uow, messages)

    async def apply_loans(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[LoanIssued]]
    ) -> None:
        """Keep every loan, and credit the pairings it follows."""
        await self._keep_outcomes(uow, messages)

    async def _keep_outcomes(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[BankOutcomeEvent]]
    ) -> None:
        """One copy of each outcome, the same whatever the order copies arrive in."""
        arrived = canonical_copies(bank_outcome(m) for m in messages)
        stored = await uow.store.outcomes.get(o.key for o in arrived)
        await uow.store.outcomes.put([o for o in arrived if prefer_copy(o, stored.get(o.key))])
        await self._attribute_waiting(uow, {(o.uscc, o.institution_id) for o in arrived})

    async def apply_reversals(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[LoanReversed]]
    ) -> None:
        """Keep each loan's earliest reversal; a reversed loan credited to a pairing is
        withdrawn from it, and that is announced (once per loan)."""
        arrived = earliest_reversals(
            Reversal(
                m.payload.institution_id, m.payload.loan_id, m.payload.reversed_on, m.payload.reason
            )
            for m in messages
        )
        stored = await uow.store.outcomes.reversals(r.key for r in arrived)
        await uow.store.outcomes.put_reversals(
            [r for r in arrived if prefer_reversal(r, stored.get(r.key))]
        )
        newly = [r.outcome_key for r in arrived if r.key not in stored]
        if not newly:
            return
        for attribution in await uow.store.outcomes.attributed(keys=newly):
            reversal = attribution.reversal
            assert reversal is not None  # stored above
            withdrawn = attribution.outcome
            event = MatchOutcomeReversed(
                match_id=attribution.match_id,
                uscc=withdrawn.uscc,
                institution_id=withdrawn.institution_id,
                loan_id=withdrawn.ref,
                issued_on=withdrawn.on,
                amount_wan=withdrawn.amount_wan,
                reversed_on=reversal.reversed_on,
                reason=reversal.reason,
            )
            uow.emit(MATCHMAKING_EVENTS, withdrawn.uscc, event, subject=withdrawn.uscc)

    async def _attribute_waiting(
        self, uow: UnitOfWork[Store], pairs: Iterable[tuple[str, str]]
    ) -> None:
        """Credit each of the pairs' outcomes to its pairing, decided from every pairing
        known, whatever the order they became known in; announce each new or moved credit,
        unless it is a loan already reversed (it never counted)."""
        wanted = set(pairs)
        waiting = await uow.store.outcomes.of_pairs(wanted)
        known = await uow.store.matches.of_pairs(wanted)
        attributions: dict[tuple[str, str, str], Attribution] = {}
        paired: dict[tuple[str, str, str], Match] = {}
        for outcome in waiting:
            match = pairing_of(outcome, known)
            if match is not None:
                attributions[outcome.key] = Attribution(outcome, match.match_id)
                paired[outcome.key] = match
        credited = await uow.store.outcomes.attribute(list(attributions.values()))
        reversed_loans = await uow.store.outcomes.reversals(
            (k[0], k[2]) for k in credited if k[1] == Outcome.LOAN_ISSUED.value
        )
        book = self._book()
        for key in sorted(credited):
            outcome, match = attributions[key].outcome, paired[key]
            if outcome.outcome is Outcome.LOAN_ISSUED and (key[0], key[2]) in reversed_loans:
                continue
            # the goal of the pairing's campaign: its county's on its day
            goal = credit_goal(book, match.county_code, match.matched_on, match.institution_id)
            took = timing(outcome, match, goal)
            event = MatchOutcomeRecorded(
                match_id=match.match_id,
                uscc=outcome.uscc,
                institution_id=outcome.institution_id,
                outcome=outcome.outcome,
                on=outcome.on,
                started_on=took.started_on,
                working_days=took.working_days,
                goal_working_days=goal,
                within_goal=took.within_goal,
                amount_wan=outcome.amount_wan,
                outcome_ref=outcome.ref,
            )
            uow.emit(MATCHMAKING_EVENTS, outcome.uscc, event, subject=outcome.uscc)


def bank_outcome(message: Message[BankOutcomeEvent]) -> BankOutcome:
    data = message.payload
    if isinstance(data, CreditGranted):
        return BankOutcome(
            data.institution_id,
            data.uscc,
            Outcome.CREDIT_GRANTED,
            data.credit_id,
            data.granted_on,
            data.applied_on,
            data.amount_wan,
        )
    if isinstance(data, CreditDeclined):
        ref = message.envelope.id  # a decline has no id of its own in the bank's data
        return BankOutcome(
            data.institution_id, data.uscc, Outcome.CREDIT_DECLINED, ref, data.declined_on
        )
    return BankOutcome(
        data.institution_id,
        data.uscc,
        Outcome.LOAN_ISSUED,
        data.loan_id,
        data.issued_on,
        data.applied_on,
        data.amount_wan,
    )


def _matched(match: Match) -> EnterpriseMatched:
    return EnterpriseMatched(
        match_id=match.match_id,
        uscc=match.uscc,
        institution_id=match.institution_id,
        county_code=match.county_code,
        enterprise_name=match.enterprise_name,
        matched_on=match.matched_on,
        channel=match.channel,
        fair_id=match.fair_id,
        product_id=match.product_id,
        listed=match.listed,
    )
