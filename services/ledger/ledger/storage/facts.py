"""Facts from events: written in bulk (idempotent), read back for one unit's month."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.facts import CreditDecision, Facts, Loan, Pairing
from ledger.domain.periods import Month
from ledger.storage.tables import credit_decisions, enterprises, loan_reversals, loans, pairings

Pair = tuple[str, str]


async def save_pairings(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(insert(pairings).on_conflict_do_nothing(), list(rows))


async def save_enterprises(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """The latest listing (by `listed_on`) names the enterprise, whatever the arrival order."""
    latest: dict[str, dict[str, Any]] = {}
    for row in rows:
        kept = latest.get(row["uscc"])
        if kept is None or row["listed_on"] >= kept["listed_on"]:
            latest[row["uscc"]] = row
    if not latest:
        return
    statement = insert(enterprises)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["uscc"],
            set_={
                "name": statement.excluded.name,
                "county_code": statement.excluded.county_code,
                "listed_on": statement.excluded.listed_on,
            },
            where=statement.excluded.listed_on >= enterprises.c.listed_on,
        ),
        list(latest.values()),
    )


async def save_decisions(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(insert(credit_decisions).on_conflict_do_nothing(), list(rows))


async def save_loans(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(insert(loans).on_conflict_do_nothing(), list(rows))


async def save_reversals(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(insert(loan_reversals).on_conflict_do_nothing(), list(rows))


def county_of_pairing() -> ColumnElement[str]:
    """The roster's county of the enterprise, else the one the pairing carried."""
    return func.coalesce(enterprises.c.county_code, pairings.c.county_code)


async def pairs_in_month(
    connection: AsyncConnection, month: Month, *, county: str | None, institution: str | None
) -> list[Pair]:
    in_month = pairings.c.matched_on.between(month.first_day, month.last_day)
    query = (
        select(pairings.c.uscc, pairings.c.institution_id)
        .distinct()
        .select_from(pairings.outerjoin(enterprises, enterprises.c.uscc == pairings.c.uscc))
        .where(in_month)
    )
    if county is not None:
        query = query.where(county_of_pairing() == county)
    if institution is not None:
        query = query.where(pairings.c.institution_id == institution)
    return [(row.uscc, row.institution_id) for row in await connection.execute(query)]


async def facts_of(connection: AsyncConnection, pairs: Sequence[Pair]) -> Facts:
    """Every fact about the given pairs, at any date (attribution needs later pairings)."""
    if not pairs:
        return Facts()
    return Facts(
        pairings=tuple(await _pairings(connection, pairs)),
        decisions=tuple(await _decisions(connection, pairs)),
        loans=tuple(await _loans(connection, pairs)),
        names=await _names(connection, sorted({uscc for uscc, _ in pairs})),
    )


def _of_pairs(table: Any, pairs: Sequence[Pair]) -> ColumnElement[bool]:
    return tuple_(table.c.uscc, table.c.institution_id).in_(list(pairs))


async def _pairings(connection: AsyncConnection, pairs: Sequence[Pair]) -> list[Pairing]:
    rows = await connection.execute(select(pairings).where(_of_pairs(pairings, pairs)))
    return [
        Pairing(
            match_id=r.match_id,
            uscc=r.uscc,
            institution_id=r.institution_id,
            matched_on=r.matched_on,
            channel=r.channel,
            county_code=r.county_code,
            enterprise_name=r.enterprise_name,
        )
        for r in rows
    ]


async def _decisions(connection: AsyncConnection, pairs: Sequence[Pair]) -> list[CreditDecision]:
    rows = await connection.execute(
        select(credit_decisions).where(_of_pairs(credit_decisions, pairs))
    )
    return [
        CreditDecision(
            institution_id=r.institution_id,
            uscc=r.uscc,
            decided_on=r.decided_on,
            granted=r.granted,
            enterprise_name=r.enterprise_name,
            amount_wan=r.amount_wan,
            guarantee=r.guarantee,
            guarantor=r.guarantor,
            problems=tuple(r.problems),
            note=r.note,
        )
        for r in rows
    ]


async def _loans(connection: AsyncConnection, pairs: Sequence[Pair]) -> list[Loan]:
    joined = loans.outerjoin(
        loan_reversals,
        and_(
            loan_reversals.c.institution_id == loans.c.institution_id,
            loan_reversals.c.loan_id == loans.c.loan_id,
        ),
    )
    query = select(loans, loan_reversals.c.reversed_on).select_from(joined)
    rows = await connection.execute(query.where(_of_pairs(loans, pairs)))
    return [
        Loan(
            institution_id=r.institution_id,
            loan_id=r.loan_id,
            uscc=r.uscc,
            issued_on=r.issued_on,
            amount_wan=r.amount_wan,
            enterprise_name=r.enterprise_name,
            reversed=r.reversed_on is not None,
        )
        for r in rows
    ]


async def _names(connection: AsyncConnection, usccs: Sequence[str]) -> dict[str, str]:
    query = select(enterprises.c.uscc, enterprises.c.name).where(enterprises.c.uscc.in_(usccs))
    return {r.uscc: r.name for r in await connection.execute(query)}
