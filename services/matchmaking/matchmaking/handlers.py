"""What matchmaking does with each command and each event: one small function apiece."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking import storage
from matchmaking.domain.errors import ProductMismatchError
from matchmaking.domain.fairs import Fair, Match, check_match, match_id_for
from matchmaking.domain.listing import listed_on
from matchmaking.domain.outcomes import BankOutcome, pairing_of, timing
from matchmaking.domain.plans import Plan, Product, check_new_product, revise
from shared.consumer import Handler, Message
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued
from shared.contracts.matchmaking import (
    AttendanceRegistered,
    Channel,
    CultivationPlanRecorded,
    EnterpriseMatched,
    EnterpriseVisited,
    FairScheduled,
    MatchOutcomeRecorded,
    Outcome,
)
from shared.contracts.roster import EnterpriseDelisted, EnterpriseListed
from shared.reference import ReferenceData
from shared.topics import MATCHMAKING_EVENTS
from shared.unit_of_work import UnitOfWork

ROSTER_EVENTS_HANDLED = (EnterpriseListed, EnterpriseDelisted)


# --- commands -------------------------------------------------------------------------


async def schedule_fair(unit: UnitOfWork[AsyncConnection], fair: Fair) -> None:
    await storage.add_fair(unit.store, fair)
    event = FairScheduled(
        fair_id=fair.fair_id,
        county_code=fair.county_code,
        title=fair.title,
        held_on=fair.held_on,
        venue=fair.venue,
        organizer=fair.organizer,
    )
    unit.emit(MATCHMAKING_EVENTS, fair.fair_id, event)


@dataclass(frozen=True)
class Attendance:
    fair_id: str
    kind: str
    attendee: str
    listed: bool | None
    registered: bool  # False: it was already registered


async def register_enterprise(
    unit: UnitOfWork[AsyncConnection], fair: Fair, uscc: str
) -> Attendance:
    """Allowed for an enterprise off the list too; `listed` flags it."""
    listed = await is_listed(unit, uscc, fair.held_on)
    fresh = await storage.add_attendance(unit.store, fair.fair_id, "enterprise", uscc, listed)
    if fresh:
        unit.emit(MATCHMAKING_EVENTS, uscc, _attended(fair, uscc=uscc, listed=listed), subject=uscc)
    return await _attendance(unit, fair, "enterprise", uscc, fresh)


async def register_institution(
    unit: UnitOfWork[AsyncConnection], fair: Fair, institution_id: str
) -> Attendance:
    kind = "institution"
    fresh = await storage.add_attendance(unit.store, fair.fair_id, kind, institution_id, None)
    if fresh:
        unit.emit(MATCHMAKING_EVENTS, fair.fair_id, _attended(fair, institution_id=institution_id))
    return await _attendance(unit, fair, kind, institution_id, fresh)


def _attended(fair: Fair, **who: str | bool | None) -> AttendanceRegistered:
    return AttendanceRegistered.model_validate(
        {"fair_id": fair.fair_id, "county_code": fair.county_code, "held_on": fair.held_on, **who}
    )


async def _attendance(
    unit: UnitOfWork[AsyncConnection], fair: Fair, kind: str, attendee: str, fresh: bool
) -> Attendance:
    row = await storage.attendance_entry(unit.store, fair.fair_id, kind, attendee)
    return Attendance(fair.fair_id, kind, attendee, row.listed, fresh)


async def is_listed(unit: UnitOfWork[AsyncConnection], uscc: str, day: date) -> bool:
    history, delisted = await storage.list_history(unit.store, uscc)
    return listed_on(day, [row.listed_on for row in history], delisted)


@dataclass(frozen=True)
class MatchRequest:
    uscc: str
    institution_id: str
    matched_on: date
    channel: Channel
    fair_id: str | None = None
    product_id: str | None = None


async def record_match(
    unit: UnitOfWork[AsyncConnection], request: MatchRequest, goal_working_days: int
) -> tuple[Match, bool]:
    """The pairing (and whether it is new); it assigns the enterprise to the institution."""
    connection = unit.store
    fair = await storage.get_fair(connection, request.fair_id) if request.fair_id else None
    product = await storage.get_product(connection, request.product_id or "")
    if request.product_id and product is None:
        raise ProductMismatchError(f"no product {request.product_id!r}")
    owner = product.institution_id if product else None
    check_match(request.channel, fair, request.fair_id, request.institution_id, owner)
    history, delisted = await storage.list_history(connection, request.uscc)
    match = Match(
        match_id=match_id_for(
            request.uscc,
            request.institution_id,
            request.matched_on,
            request.channel,
            request.fair_id,
        ),
        uscc=request.uscc,
        institution_id=request.institution_id,
        matched_on=request.matched_on,
        channel=request.channel,
        fair_id=request.fair_id,
        product_id=request.product_id,
        listed=listed_on(request.matched_on, [r.listed_on for r in history], delisted),
        county_code=history[0].county_code if history else None,
        enterprise_name=history[0].name if history else None,
    )
    if not await storage.add_match(connection, match):
        (existing,) = await storage.find_matches(connection, match_id=match.match_id)
        return existing, False
    unit.emit(MATCHMAKING_EVENTS, match.uscc, _matched(match), subject=match.uscc)
    waiting = await storage.unattributed_outcomes(connection, match.uscc, match.institution_id)
    await attribute_outcomes(unit, waiting, goal_working_days)
    return match, True


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


async def record_plan(unit: UnitOfWork[AsyncConnection], proposed: Plan) -> tuple[Plan, bool]:
    """The enterprise's plan after this request, and whether it made a new version."""
    current = await storage.get_plan(unit.store, proposed.uscc, lock=True)
    revised = revise(current, proposed)
    if revised is None:
        assert current is not None
        return current, False
    await storage.save_plan(unit.store, revised)
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
    unit.emit(MATCHMAKING_EVENTS, revised.uscc, event, subject=revised.uscc)
    return revised, True


async def record_visit(unit: UnitOfWork[AsyncConnection], visit: EnterpriseVisited) -> None:
    await storage.add_visit(unit.store, visit.model_dump())
    unit.emit(MATCHMAKING_EVENTS, visit.uscc, visit, subject=visit.uscc)


def new_visit_id() -> str:
    return f"visit-{uuid.uuid4().hex[:12]}"


async def register_product(unit: UnitOfWork[AsyncConnection], product: Product) -> None:
    existing = await storage.list_products(unit.store, product.institution_id, lock=True)
    check_new_product(product, existing)
    await storage.add_product(unit.store, product)


# --- events ---------------------------------------------------------------------------


async def apply_roster_events(
    unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
) -> None:
    payloads = [e.payload for e in events]
    listed = [
        {"uscc": p.uscc, "listed_on": p.listed_on, "name": p.name, "county_code": p.county_code}
        for p in payloads
        if isinstance(p, EnterpriseListed)
    ]
    delisted = [
        {"uscc": p.uscc, "delisted_on": p.on} for p in payloads if isinstance(p, EnterpriseDelisted)
    ]
    await storage.save_listings(unit.store, listed)
    await storage.save_delistings(unit.store, delisted)


def bank_events_applier(reference: Callable[[], ReferenceData]) -> Handler:
    """Keeps every credit, decline and loan, and credits the pairings they follow."""

    async def apply_bank_events(
        unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
    ) -> None:
        outcomes = [o for o in (bank_outcome(e) for e in events) if o is not None]
        await storage.save_bank_outcomes(unit.store, outcomes)
        goal = reference().campaign.credit_process_goal_workdays
        await attribute_outcomes(unit, outcomes, goal)

    return apply_bank_events


def bank_outcome(event: Message[Any]) -> BankOutcome | None:
    data = event.payload
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
        ref = event.envelope.id  # a decline has no id of its own in the bank's data
        return BankOutcome(
            data.institution_id, data.uscc, Outcome.CREDIT_DECLINED, ref, data.declined_on
        )
    if isinstance(data, LoanIssued):
        return BankOutcome(
            data.institution_id,
            data.uscc,
            Outcome.LOAN_ISSUED,
            data.loan_id,
            data.issued_on,
            data.applied_on,
            data.amount_wan,
        )
    return None


async def attribute_outcomes(
    unit: UnitOfWork[AsyncConnection], outcomes: Sequence[BankOutcome], goal_working_days: int
) -> None:
    """Credit each outcome to its pairing, once; announce each new attribution."""
    pairs = {(o.uscc, o.institution_id) for o in outcomes}
    known = await storage.matches_of_pairs(unit.store, pairs)
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    announcements: dict[tuple[str, str, str], MatchOutcomeRecorded] = {}
    for outcome in outcomes:
        match = pairing_of(outcome, known)
        if match is None:
            continue
        took = timing(outcome, match, goal_working_days)
        key = (outcome.institution_id, outcome.outcome.value, outcome.ref)
        rows[key] = {
            "institution_id": outcome.institution_id,
            "outcome": outcome.outcome.value,
            "ref": outcome.ref,
            "match_id": match.match_id,
            "started_on": took.started_on,
            "working_days": took.working_days,
            "within_goal": took.within_goal,
        }
        announcements[key] = MatchOutcomeRecorded(
            match_id=match.match_id,
            uscc=outcome.uscc,
            institution_id=outcome.institution_id,
            outcome=outcome.outcome,
            on=outcome.on,
            started_on=took.started_on,
            working_days=took.working_days,
            goal_working_days=goal_working_days,
            within_goal=took.within_goal,
            amount_wan=outcome.amount_wan,
        )
    for key in sorted(await storage.attribute(unit.store, list(rows.values()))):
        event = announcements[key]
        unit.emit(MATCHMAKING_EVENTS, event.uscc, event, subject=event.uscc)
