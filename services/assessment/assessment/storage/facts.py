"""Storing facts from events and loading them back per enterprise, in bulk."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Table, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.facts import Assignment, EnterpriseFacts, ListingChange, Loan, Reversal
from assessment.domain.history import Fact, facts_by_enterprise
from assessment.storage.tables import assignments, listing_changes, loans, reversals


async def save_facts(connection: AsyncConnection, facts: Sequence[Fact]) -> None:
    await _insert(
        connection,
        listing_changes,
        [
            {"uscc": f.uscc, "on": f.on, "listed": f.listed, "county_code": f.county_code}
            for f in facts
            if isinstance(f, ListingChange)
        ],
    )
    await _insert(
        connection,
        assignments,
        [
            {"uscc": f.uscc, "institution_id": f.institution_id, "assigned_on": f.assigned_on}
            for f in facts
            if isinstance(f, Assignment)
        ],
    )
    await _insert(
        connection,
        loans,
        [
            {
                "institution_id": f.institution_id,
                "loan_id": f.loan_id,
                "uscc": f.uscc,
                "issued_on": f.issued_on,
                "first_loan_attested": f.first_loan_attested,
                "amount_wan": f.amount_wan,
                "applied_on": f.applied_on,
                "guarantee": f.guarantee,
                "annual_rate_pct": f.annual_rate_pct,
            }
            for f in facts
            if isinstance(f, Loan)
        ],
    )
    await _insert(
        connection,
        reversals,
        [
            {
                "institution_id": f.institution_id,
                "loan_id": f.loan_id,
                "reversed_on": f.reversed_on,
                "reason": "",
            }
            for f in facts
            if isinstance(f, Reversal)
        ],
    )


async def _insert(connection: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    # The first version of a fact stands: a bank resending a loan id is not a new loan.
    if rows:
        await connection.execute(insert(table).on_conflict_do_nothing(), rows)


async def usccs_of_loans(
    connection: AsyncConnection, keys: Collection[tuple[str, str]]
) -> set[str]:
    if not keys:
        return set()
    result = await connection.execute(
        select(loans.c.uscc).where(tuple_(loans.c.institution_id, loans.c.loan_id).in_(keys))
    )
    return set(result.scalars())


async def load_facts(
    connection: AsyncConnection, usccs: Collection[str] | None = None
) -> dict[str, EnterpriseFacts]:
    """The facts of the given enterprises (of all, when None), in four queries."""

    def only(table: Table) -> Any:
        query = select(table)
        return query if usccs is None else query.where(table.c.uscc.in_(list(usccs)))

    history: list[Fact] = [
        ListingChange(r.uscc, r.on, r.listed, r.county_code)
        for r in await connection.execute(only(listing_changes))
    ]
    history += [
        Assignment(r.uscc, r.institution_id, r.assigned_on)
        for r in await connection.execute(only(assignments))
    ]
    loan_rows = [
        Loan(
            r.institution_id,
            r.loan_id,
            r.uscc,
            r.issued_on,
            r.first_loan_attested,
            str(r.amount_wan),
            r.applied_on,
            r.guarantee,
            None if r.annual_rate_pct is None else float(r.annual_rate_pct),
        )
        for r in await connection.execute(only(loans))
    ]
    history += loan_rows
    keys = [loan.key for loan in loan_rows]
    if keys:
        reversal_query = select(reversals)
        if usccs is not None:
            reversal_query = reversal_query.where(
                tuple_(reversals.c.institution_id, reversals.c.loan_id).in_(keys)
            )
        history += [
            Reversal(r.institution_id, r.loan_id, r.reversed_on)
            for r in await connection.execute(reversal_query)
        ]
    return facts_by_enterprise(history)
