"""Facts from events: written in bulk (idempotent, whatever the arrival order), read back for
one reporting unit's month."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, fields
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Table, and_, func, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.domain.facts import (
    CreditDecision,
    F,
    Facts,
    ListedEnterprise,
    Loan,
    Pairing,
    Reversal,
    first_copy,
)
from ledger.domain.periods import Month
from ledger.storage.tables import credit_decisions, enterprises, loan_reversals, loans, pairings

Pair = tuple[str, str]  # (uscc, institution_id)


class FactRepository(Protocol):
    async def save_pairings(self, copies: Sequence[Pairing]) -> None: ...

    async def save_enterprises(self, copies: Sequence[ListedEnterprise]) -> None: ...

    async def save_decisions(self, copies: Sequence[CreditDecision]) -> None: ...

    async def save_loans(self, copies: Sequence[Loan]) -> None:
        """`Loan.reversed` is not stored: a reversal is a fact of its own."""

    async def save_reversals(self, copies: Sequence[Reversal]) -> None: ...

    async def pairs_in_month(
        self,
        month: Month,
        *,
        counties: Collection[str],
        institution: str | None,
        unplaced: bool,
    ) -> list[Pair]:
        """The pairs with a pairing in the month of enterprises of the counties (the
        roster's county, else the pairing's), of the institution when one is named;
        `unplaced`: also those whose enterprise's county is not known."""

    async def facts_of(self, pairs: Sequence[Pair]) -> Facts:
        """Every fact about the given pairs, at any date (attribution needs later pairings)."""


def first_copies(copies: Iterable[F], key: Sequence[str]) -> list[F]:
    """One copy per id (the fields named by `key`), the one `first_copy` keeps."""
    by_id: dict[tuple[Any, ...], list[F]] = {}
    for copy in copies:
        by_id.setdefault(tuple(getattr(copy, name) for name in key), []).append(copy)
    return [first_copy(group) for group in by_id.values()]


class SqlFactRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def save_pairings(self, copies: Sequence[Pairing]) -> None:
        await self._save(pairings, Pairing.PRECEDENCE, copies)

    async def save_enterprises(self, copies: Sequence[ListedEnterprise]) -> None:
        await self._save(enterprises, ListedEnterprise.PRECEDENCE, copies)

    async def save_decisions(self, copies: Sequence[CreditDecision]) -> None:
        await self._save(credit_decisions, CreditDecision.PRECEDENCE, copies)

    async def save_loans(self, copies: Sequence[Loan]) -> None:
        await self._save(loans, Loan.PRECEDENCE, copies)

    async def save_reversals(self, copies: Sequence[Reversal]) -> None:
        await self._save(loan_reversals, Reversal.PRECEDENCE, copies)

    async def _save(self, table: Table, order: Sequence[str], copies: Sequence[Any]) -> None:
        """Insert each fact, or replace the stored copy when this one comes first in the
        fact's precedence; one statement, so concurrent writers agree too."""
        key = [column.name for column in table.primary_key.columns]
        kept = first_copies(copies, key)
        if not kept:
            return
        columns = {column.name for column in table.columns}
        rows = [_row(fact, columns) for fact in kept]
        statement = insert(table)
        excluded = statement.excluded
        stored = [c.name for c in table.columns if c.name not in key]
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=key,
                set_={name: excluded[name] for name in stored},
                where=_precedence(excluded, table, order) < _precedence(table.c, table, order),
            ),
            rows,
        )

    async def pairs_in_month(
        self,
        month: Month,
        *,
        counties: Collection[str],
        institution: str | None,
        unplaced: bool,
    ) -> list[Pair]:
        in_month = pairings.c.matched_on.between(month.first_day, month.last_day)
        county_of_pairing = func.coalesce(enterprises.c.county_code, pairings.c.county_code)
        placed = county_of_pairing.in_(sorted(counties))
        query = (
            select(pairings.c.uscc, pairings.c.institution_id)
            .distinct()
            .select_from(pairings.outerjoin(enterprises, enterprises.c.uscc == pairings.c.uscc))
            .where(in_month, or_(placed, county_of_pairing.is_(None)) if unplaced else placed)
        )
        if institution is not None:
            query = query.where(pairings.c.institution_id == institution)
        return [(row.uscc, row.institution_id) for row in await self._connection.execute(query)]

    async def facts_of(self, pairs: Sequence[Pair]) -> Facts:
        if not pairs:
            return Facts()
        return Facts(
            pairings=tuple(await self._pairings(pairs)),
            decisions=tuple(await self._decisions(pairs)),
            loans=tuple(await self._loans(pairs)),
            names=await self._names(sorted({uscc for uscc, _ in pairs})),
        )

    async def _pairings(self, pairs: Sequence[Pair]) -> list[Pairing]:
        query = select(pairings).where(_of_pairs(pairings, pairs)).order_by(pairings.c.match_id)
        return [_fact(Pairing, row) for row in await self._connection.execute(query)]

    async def _decisions(self, pairs: Sequence[Pair]) -> list[CreditDecision]:
        query = (
            select(credit_decisions)
            .where(_of_pairs(credit_decisions, pairs))
            .order_by(credit_decisions.c.institution_id, credit_decisions.c.decision_id)
        )
        rows = await self._connection.execute(query)
        return [_fact(CreditDecision, row, problems=tuple(row.problems)) for row in rows]

    async def _loans(self, pairs: Sequence[Pair]) -> list[Loan]:
        joined = loans.outerjoin(
            loan_reversals,
            and_(
                loan_reversals.c.institution_id == loans.c.institution_id,
                loan_reversals.c.loan_id == loans.c.loan_id,
            ),
        )
        query = (
            select(loans, loan_reversals.c.reversed_on)
            .select_from(joined)
            .where(_of_pairs(loans, pairs))
            .order_by(loans.c.institution_id, loans.c.loan_id)
        )
        return [
            _fact(Loan, row, reversed=row.reversed_on is not None)
            for row in await self._connection.execute(query)
        ]

    async def _names(self, usccs: Sequence[str]) -> dict[str, str]:
        query = select(enterprises.c.uscc, enterprises.c.name).where(enterprises.c.uscc.in_(usccs))
        return {row.uscc: row.name for row in await self._connection.execute(query)}


def _precedence(source: Any, table: Table, order: Sequence[str]) -> ColumnElement[Any]:
    """`precedence` of the domain in SQL, over the stored row or the one being inserted:
    a missing value first, text in code point order (the C collation), as Python orders."""
    parts: list[ColumnElement[Any]] = []
    for name in order:
        column = table.c[name]
        value: ColumnElement[Any] = source[name]
        if column.type.python_type is str:
            value = value.collate("C")
        if column.nullable:  # only text is optional among the facts' fields
            parts += [value.is_not(None), func.coalesce(value, "")]
        else:
            parts.append(value)
    return tuple_(*parts)


def _of_pairs(table: Table, pairs: Sequence[Pair]) -> ColumnElement[bool]:
    return tuple_(table.c.uscc, table.c.institution_id).in_(list(pairs))


def _row(fact: Any, columns: set[str]) -> dict[str, Any]:
    values = asdict(fact)
    return {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in values.items()
        if name in columns
    }


def _fact(kind: type[F], row: Any, **overrides: Any) -> F:
    names = {f.name for f in fields(kind)}  # type: ignore[arg-type]
    values = {name: getattr(row, name) for name in names if name not in overrides}
    return kind(**values, **overrides)
