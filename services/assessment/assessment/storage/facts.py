"""Storing facts from events and loading them back per enterprise, in bulk.

Facts are sets, and where two reports of one thing differ the stored copy follows a rule, so
that what is stored depends on the set of reports, never on their order:

- a reversal: the earliest `reversed_on` of the loan's reversals (the domain's rule);
- a loan reported twice with different content: the copy `counted_copy` prefers (the
  earliest issued, ties broken by the content); the loan is returned as conflicting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table, func, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from assessment.domain.facts import (
    Assignment,
    EnterpriseFacts,
    ListingChange,
    Loan,
    LoanKey,
    Pairing,
    Reversal,
    counted_copy,
)
from assessment.domain.history import Fact, facts_by_enterprise
from assessment.storage.loan_codec import loan_from, loan_row
from assessment.storage.tables import assignments, listing_changes, loans, pairings, reversals
from shared.db import as_arrays, in_array, insert_unnested, pairs_in

_LOAN_CONTENT = [c.name for c in loans.columns if not c.primary_key]


def _precedence(columns: Any) -> ColumnElement[Any]:
    """`loan_precedence` in SQL: text compared by code point, as Python does."""
    return tuple_(
        columns.issued_on,
        columns.uscc.collate("C"),
        columns.first_loan_attested,
        columns.amount_wan,
        func.coalesce(columns.applied_on, literal(date.min)),
        func.coalesce(columns.guarantee, "").collate("C"),
        func.coalesce(columns.annual_rate_pct, -1),
    )


class SqlFactRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def save(self, facts: Sequence[Fact]) -> set[LoanKey]:
        """Store the facts; return the loans now known in more than one version."""
        await self._insert(
            listing_changes,
            [
                {
                    "uscc": f.uscc,
                    "on": f.on,
                    "listed": f.listed,
                    "county_code": f.county_code,
                    "campaign_id": f.campaign_id,
                }
                for f in facts
                if isinstance(f, ListingChange)
            ],
        )
        await self._insert(
            assignments,
            [
                {
                    "uscc": f.uscc,
                    "institution_id": f.institution_id,
                    "assigned_on": f.assigned_on,
                    "campaign_id": f.campaign_id,
                }
                for f in facts
                if isinstance(f, Assignment)
            ],
        )
        await self._insert(
            pairings,
            [
                {"uscc": f.uscc, "institution_id": f.institution_id, "matched_on": f.matched_on}
                for f in facts
                if isinstance(f, Pairing)
            ],
        )
        await self._save_reversals([f for f in facts if isinstance(f, Reversal)])
        return await self._save_loans([f for f in facts if isinstance(f, Loan)])

    async def _insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        # Every column is in the key: a copy that conflicts is the same fact.
        if rows:
            columns = list(rows[0])
            await self.connection.execute(
                insert_unnested(table, columns).on_conflict_do_nothing(),
                as_arrays(table, rows, columns),
            )

    async def _save_reversals(self, batch: list[Reversal]) -> None:
        earliest: dict[LoanKey, Reversal] = {}
        for reversal in batch:
            if (
                reversal.key not in earliest
                or reversal.reversed_on < earliest[reversal.key].reversed_on
            ):
                earliest[reversal.key] = reversal
        if not earliest:
            return
        rows = [
            {
                "institution_id": r.institution_id,
                "loan_id": r.loan_id,
                "reversed_on": r.reversed_on,
                "reason": "",
            }
            for r in earliest.values()
        ]
        statement = insert_unnested(reversals, list(rows[0]))
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[reversals.c.institution_id, reversals.c.loan_id],
                set_={
                    "reversed_on": func.least(
                        reversals.c.reversed_on, statement.excluded.reversed_on
                    )
                },
            ),
            as_arrays(reversals, rows, list(rows[0])),
        )

    async def _save_loans(self, batch: list[Loan]) -> set[LoanKey]:
        if not batch:
            return set()
        versions: dict[LoanKey, set[Loan]] = defaultdict(set)
        for loan in batch:
            versions[loan.key].add(loan)
        stored = await self.connection.execute(
            select(loans).where(pairs_in(loans.c.institution_id, loans.c.loan_id, versions))
        )
        for row in stored:
            known = loan_from(row._mapping)
            versions[known.key].add(known)
        rows = [loan_row(counted_copy(copies)) for copies in versions.values()]
        statement = insert_unnested(loans, list(rows[0]))
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[loans.c.institution_id, loans.c.loan_id],
                set_={c: statement.excluded[c] for c in _LOAN_CONTENT},
                where=_precedence(statement.excluded) < _precedence(loans.c),
            ),
            as_arrays(loans, rows, list(rows[0])),
        )
        return {key for key, copies in versions.items() if len(copies) > 1}

    async def usccs_of_loans(self, keys: Collection[LoanKey]) -> set[str]:
        if not keys:
            return set()
        result = await self.connection.execute(
            select(loans.c.uscc).where(pairs_in(loans.c.institution_id, loans.c.loan_id, keys))
        )
        return set(result.scalars())

    async def load(self, usccs: Collection[str] | None = None) -> dict[str, EnterpriseFacts]:
        """The facts of the given enterprises (of all, when None), in five queries."""

        def only(table: Table) -> Any:
            query = select(table)
            return query if usccs is None else query.where(in_array(table.c.uscc, usccs))

        history: list[Fact] = [
            ListingChange(r.uscc, r.on, r.listed, r.county_code, r.campaign_id)
            for r in await self.connection.execute(only(listing_changes))
        ]
        history += [
            Assignment(r.uscc, r.institution_id, r.assigned_on, r.campaign_id)
            for r in await self.connection.execute(only(assignments))
        ]
        history += [
            Pairing(r.uscc, r.institution_id, r.matched_on)
            for r in await self.connection.execute(only(pairings))
        ]
        loan_rows = [loan_from(r._mapping) for r in await self.connection.execute(only(loans))]
        history += loan_rows
        keys = [loan.key for loan in loan_rows]
        if keys:
            reversal_query = select(reversals)
            if usccs is not None:
                reversal_query = reversal_query.where(
                    pairs_in(reversals.c.institution_id, reversals.c.loan_id, keys)
                )
            history += [
                Reversal(r.institution_id, r.loan_id, r.reversed_on)
                for r in await self.connection.execute(reversal_query)
            ]
        return facts_by_enterprise(history)
