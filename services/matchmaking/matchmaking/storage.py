"""Matchmaking's tables and the repository functions over them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    and_,
    func,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking.domain.fairs import Fair, Match
from matchmaking.domain.outcomes import BankOutcome
from matchmaking.domain.plans import Plan, Product
from shared.contracts.matchmaking import Channel, Outcome
from shared.contracts.types import Guarantee, Problem
from shared.db import new_metadata
from shared.inbox import inbox_table
from shared.outbox import outbox_table

metadata = new_metadata()
outbox_table(metadata)
inbox_table(metadata)


def _created() -> Column[Any]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


fairs = Table(
    "fairs",
    metadata,
    Column("fair_id", Text, primary_key=True),
    Column("county_code", Text, nullable=False, index=True),
    Column("title", Text, nullable=False),
    Column("held_on", Date, nullable=False),
    Column("venue", Text),
    Column("organizer", Text),
    _created(),
)
attendance = Table(
    "attendance",
    metadata,
    Column("fair_id", Text, ForeignKey("fairs.fair_id"), primary_key=True),
    Column("kind", Text, primary_key=True),  # enterprise | institution
    Column("attendee", Text, primary_key=True),  # USCC or institution id
    Column("listed", Boolean),
    _created(),
)
# What roster said: listing and delisting dates, kept as facts (any arrival order).
listings = Table(
    "listings",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("listed_on", Date, primary_key=True),
    Column("name", Text, nullable=False),
    Column("county_code", Text, nullable=False),
)
delistings = Table(
    "delistings",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("delisted_on", Date, primary_key=True),
)
products = Table(
    "products",
    metadata,
    Column("product_id", Text, primary_key=True),
    Column("institution_id", Text, nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("min_amount_wan", Numeric(12, 2), nullable=False),
    Column("max_amount_wan", Numeric(12, 2), nullable=False),
    Column("min_rate_pct", Numeric(6, 3), nullable=False),
    Column("max_rate_pct", Numeric(6, 3), nullable=False),
    Column("guarantees", ARRAY(Text), nullable=False),
    Column("max_term_months", Integer, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    _created(),
)
matches = Table(
    "matches",
    metadata,
    Column("match_id", Text, primary_key=True),
    Column("uscc", Text, nullable=False),
    Column("institution_id", Text, nullable=False),
    Column("matched_on", Date, nullable=False),
    Column("channel", Text, nullable=False),
    Column("fair_id", Text, ForeignKey("fairs.fair_id")),
    Column("product_id", Text, ForeignKey("products.product_id")),
    Column("listed", Boolean),
    Column("county_code", Text),
    Column("enterprise_name", Text),
    _created(),
    Index("ix_matches_pair", "uscc", "institution_id"),
)
plans = Table(
    "plans",
    metadata,
    Column("uscc", Text, primary_key=True),
    Column("plan_id", Text, nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("institution_id", Text, nullable=False),
    Column("responsible_person", Text, nullable=False),
    Column("problems", ARRAY(Text), nullable=False),
    Column("measures", ARRAY(Text), nullable=False),
    Column("follow_up_dates", ARRAY(Date), nullable=False),
    _created(),
)
visits = Table(
    "visits",
    metadata,
    Column("visit_id", Text, primary_key=True),
    Column("uscc", Text, nullable=False, index=True),
    Column("institution_id", Text, nullable=False),
    Column("visited_on", Date, nullable=False),
    Column("visitor", Text, nullable=False),
    Column("notes", Text, nullable=False),
    _created(),
)
# Every credit, decline and loan a bank reported, paired or not: a pairing recorded later
# still finds the outcomes that came before it.
bank_outcomes = Table(
    "bank_outcomes",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("outcome", Text, primary_key=True),
    Column("ref", Text, primary_key=True),
    Column("uscc", Text, nullable=False),
    Column("on", Date, nullable=False),
    Column("applied_on", Date),
    Column("amount_wan", Numeric(14, 2)),
    Index("ix_bank_outcomes_pair", "uscc", "institution_id"),
)
# Each bank outcome is attributed once, to the pairing it was first correlated with.
match_outcomes = Table(
    "match_outcomes",
    metadata,
    Column("institution_id", Text, primary_key=True),
    Column("outcome", Text, primary_key=True),
    Column("ref", Text, primary_key=True),
    Column("match_id", Text, ForeignKey("matches.match_id"), nullable=False, index=True),
    Column("started_on", Date, nullable=False),
    Column("working_days", Integer),
    Column("within_goal", Boolean),
)


# --- fairs and attendance -------------------------------------------------------------


async def add_fair(connection: AsyncConnection, fair: Fair) -> None:
    await connection.execute(fairs.insert().values(**_fair_row(fair)))


def _fair_row(fair: Fair) -> dict[str, Any]:
    return {
        "fair_id": fair.fair_id,
        "county_code": fair.county_code,
        "title": fair.title,
        "held_on": fair.held_on,
        "venue": fair.venue,
        "organizer": fair.organizer,
    }


def _fair(row: Any) -> Fair:
    return Fair(row.fair_id, row.county_code, row.title, row.held_on, row.venue, row.organizer)


async def get_fair(connection: AsyncConnection, fair_id: str) -> Fair | None:
    row = (await connection.execute(select(fairs).where(fairs.c.fair_id == fair_id))).first()
    return _fair(row) if row else None


async def list_fairs(connection: AsyncConnection, county_code: str | None) -> list[Fair]:
    query = select(fairs).order_by(fairs.c.held_on, fairs.c.fair_id)
    if county_code:
        query = query.where(fairs.c.county_code == county_code)
    return [_fair(row) for row in await connection.execute(query)]


async def add_attendance(
    connection: AsyncConnection, fair_id: str, kind: str, attendee: str, listed: bool | None
) -> bool:
    """Record it; False if it was already recorded (the first registration stands)."""
    statement = (
        insert(attendance)
        .values(fair_id=fair_id, kind=kind, attendee=attendee, listed=listed)
        .on_conflict_do_nothing()
        .returning(attendance.c.fair_id)
    )
    return (await connection.execute(statement)).first() is not None


async def attendance_of(connection: AsyncConnection, fair_id: str) -> list[Any]:
    query = (
        select(attendance)
        .where(attendance.c.fair_id == fair_id)
        .order_by(attendance.c.kind, attendance.c.attendee)
    )
    return list(await connection.execute(query))


async def attendance_entry(
    connection: AsyncConnection, fair_id: str, kind: str, attendee: str
) -> Any:
    query = select(attendance).where(
        attendance.c.fair_id == fair_id,
        attendance.c.kind == kind,
        attendance.c.attendee == attendee,
    )
    return (await connection.execute(query)).first()


# --- the cultivation list, as roster tells it -----------------------------------------


async def save_listings(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(insert(listings).on_conflict_do_nothing(), list(rows))


async def save_delistings(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(insert(delistings).on_conflict_do_nothing(), list(rows))


async def list_history(connection: AsyncConnection, uscc: str) -> tuple[list[Any], list[date]]:
    """The enterprise's listings (newest first) and delisting dates."""
    listed = await connection.execute(
        select(listings).where(listings.c.uscc == uscc).order_by(listings.c.listed_on.desc())
    )
    delisted = await connection.scalars(
        select(delistings.c.delisted_on).where(delistings.c.uscc == uscc)
    )
    return list(listed), list(delisted)


# --- products -------------------------------------------------------------------------


async def add_product(connection: AsyncConnection, product: Product) -> None:
    await connection.execute(
        products.insert().values(
            product_id=product.product_id,
            institution_id=product.institution_id,
            name=product.name,
            min_amount_wan=product.min_amount_wan,
            max_amount_wan=product.max_amount_wan,
            min_rate_pct=product.min_rate_pct,
            max_rate_pct=product.max_rate_pct,
            guarantees=[g.value for g in product.guarantees],
            max_term_months=product.max_term_months,
            description=product.description,
        )
    )


def _product(row: Any) -> Product:
    return Product(
        product_id=row.product_id,
        institution_id=row.institution_id,
        name=row.name,
        min_amount_wan=row.min_amount_wan,
        max_amount_wan=row.max_amount_wan,
        min_rate_pct=row.min_rate_pct,
        max_rate_pct=row.max_rate_pct,
        guarantees=tuple(Guarantee(g) for g in row.guarantees),
        max_term_months=row.max_term_months,
        description=row.description,
    )


async def list_products(
    connection: AsyncConnection, institution_id: str | None = None, *, lock: bool = False
) -> list[Product]:
    query = select(products).order_by(products.c.institution_id, products.c.created_at)
    if institution_id:
        query = query.where(products.c.institution_id == institution_id)
    if lock:
        query = query.with_for_update()
    return [_product(row) for row in await connection.execute(query)]


async def get_product(connection: AsyncConnection, product_id: str) -> Product | None:
    row = (
        await connection.execute(select(products).where(products.c.product_id == product_id))
    ).first()
    return _product(row) if row else None


# --- matches and outcomes -------------------------------------------------------------


async def add_match(connection: AsyncConnection, match: Match) -> bool:
    """Record the pairing; False if the same pairing was already recorded."""
    statement = (
        insert(matches)
        .values(
            match_id=match.match_id,
            uscc=match.uscc,
            institution_id=match.institution_id,
            matched_on=match.matched_on,
            channel=match.channel.value,
            fair_id=match.fair_id,
            product_id=match.product_id,
            listed=match.listed,
            county_code=match.county_code,
            enterprise_name=match.enterprise_name,
        )
        .on_conflict_do_nothing()
        .returning(matches.c.match_id)
    )
    return (await connection.execute(statement)).first() is not None


def _match(row: Any) -> Match:
    return Match(
        match_id=row.match_id,
        uscc=row.uscc,
        institution_id=row.institution_id,
        matched_on=row.matched_on,
        channel=Channel(row.channel),
        fair_id=row.fair_id,
        product_id=row.product_id,
        listed=row.listed,
        county_code=row.county_code,
        enterprise_name=row.enterprise_name,
    )


async def find_matches(
    connection: AsyncConnection,
    *,
    match_id: str | None = None,
    institution_id: str | None = None,
    uscc: str | None = None,
    fair_id: str | None = None,
) -> list[Match]:
    query = select(matches).order_by(matches.c.matched_on, matches.c.match_id)
    for column, value in [
        (matches.c.match_id, match_id),
        (matches.c.institution_id, institution_id),
        (matches.c.uscc, uscc),
        (matches.c.fair_id, fair_id),
    ]:
        if value is not None:
            query = query.where(column == value)
    return [_match(row) for row in await connection.execute(query)]


async def matches_of_pairs(
    connection: AsyncConnection, pairs: Iterable[tuple[str, str]]
) -> list[Match]:
    """Every pairing of the given (uscc, institution_id) pairs: one query for a batch."""
    wanted = sorted(set(pairs))
    if not wanted:
        return []
    key = tuple_(matches.c.uscc, matches.c.institution_id)
    return [_match(row) for row in await connection.execute(select(matches).where(key.in_(wanted)))]


async def save_bank_outcomes(connection: AsyncConnection, outcomes: Sequence[BankOutcome]) -> None:
    if outcomes:
        rows = [
            {
                "institution_id": o.institution_id,
                "outcome": o.outcome.value,
                "ref": o.ref,
                "uscc": o.uscc,
                "on": o.on,
                "applied_on": o.applied_on,
                "amount_wan": o.amount_wan,
            }
            for o in outcomes
        ]
        await connection.execute(insert(bank_outcomes).on_conflict_do_nothing(), rows)


def _bank_outcome(row: Any) -> BankOutcome:
    return BankOutcome(
        institution_id=row.institution_id,
        uscc=row.uscc,
        outcome=Outcome(row.outcome),
        ref=row.ref,
        on=row.on,
        applied_on=row.applied_on,
        amount_wan=row.amount_wan,
    )


async def unattributed_outcomes(
    connection: AsyncConnection, uscc: str, institution_id: str
) -> list[BankOutcome]:
    """The pair's bank outcomes no pairing has been credited with yet."""
    attributed = select(match_outcomes.c.ref).where(
        match_outcomes.c.institution_id == bank_outcomes.c.institution_id,
        match_outcomes.c.outcome == bank_outcomes.c.outcome,
        match_outcomes.c.ref == bank_outcomes.c.ref,
    )
    query = select(bank_outcomes).where(
        bank_outcomes.c.uscc == uscc,
        bank_outcomes.c.institution_id == institution_id,
        ~attributed.exists(),
    )
    return [_bank_outcome(row) for row in await connection.execute(query)]


OutcomeKey = tuple[str, str, str]


async def attribute(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> set[OutcomeKey]:
    """Credit outcomes to pairings; return the (institution, outcome, ref) newly credited."""
    if not rows:
        return set()
    statement = (
        insert(match_outcomes)
        .values(list(rows))
        .on_conflict_do_nothing()
        .returning(match_outcomes.c.institution_id, match_outcomes.c.outcome, match_outcomes.c.ref)
    )
    return {(r.institution_id, r.outcome, r.ref) for r in await connection.execute(statement)}


async def attributed(
    connection: AsyncConnection, institution_id: str | None = None, match_id: str | None = None
) -> list[Any]:
    """Attributed outcomes with their bank facts and timing."""
    join = match_outcomes.join(
        bank_outcomes,
        and_(
            match_outcomes.c.institution_id == bank_outcomes.c.institution_id,
            match_outcomes.c.outcome == bank_outcomes.c.outcome,
            match_outcomes.c.ref == bank_outcomes.c.ref,
        ),
    )
    query = select(
        bank_outcomes,
        match_outcomes.c.match_id,
        match_outcomes.c.started_on,
        match_outcomes.c.working_days,
        match_outcomes.c.within_goal,
    ).select_from(join)
    conditions = []
    if institution_id is not None:
        conditions.append(match_outcomes.c.institution_id == institution_id)
    if match_id is not None:
        conditions.append(match_outcomes.c.match_id == match_id)
    if conditions:
        query = query.where(and_(*conditions))
    return list(await connection.execute(query.order_by(bank_outcomes.c.on)))


def bank_outcome_of(row: Any) -> BankOutcome:
    return _bank_outcome(row)


# --- plans and visits -----------------------------------------------------------------


async def get_plan(connection: AsyncConnection, uscc: str, *, lock: bool = False) -> Plan | None:
    query = select(plans).where(plans.c.uscc == uscc)
    if lock:
        query = query.with_for_update()
    row = (await connection.execute(query)).first()
    if row is None:
        return None
    return Plan(
        uscc=row.uscc,
        institution_id=row.institution_id,
        responsible_person=row.responsible_person,
        problems=tuple(Problem(p) for p in row.problems),
        measures=tuple(row.measures),
        follow_up_dates=tuple(row.follow_up_dates),
        plan_id=row.plan_id,
        version=row.version,
    )


async def save_plan(connection: AsyncConnection, plan: Plan) -> None:
    values = {
        "plan_id": plan.plan_id,
        "version": plan.version,
        "institution_id": plan.institution_id,
        "responsible_person": plan.responsible_person,
        "problems": [p.value for p in plan.problems],
        "measures": list(plan.measures),
        "follow_up_dates": list(plan.follow_up_dates),
    }
    statement = insert(plans).values(uscc=plan.uscc, **values)
    await connection.execute(statement.on_conflict_do_update(index_elements=["uscc"], set_=values))


async def add_visit(connection: AsyncConnection, row: dict[str, Any]) -> None:
    await connection.execute(visits.insert().values(**row))


async def visits_of(connection: AsyncConnection, uscc: str) -> list[Any]:
    query = select(visits).where(visits.c.uscc == uscc).order_by(visits.c.visited_on)
    return list(await connection.execute(query))
