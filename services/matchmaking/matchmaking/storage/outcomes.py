"""What banks reported (credits, declines, loans, reversals) and which pairing each outcome
is credited to."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking.domain.outcomes import (
    Attribution,
    BankOutcome,
    LoanKey,
    OutcomeKey,
    Reversal,
)
from matchmaking.storage.tables import bank_outcomes, loan_reversals, match_outcomes
from shared.contracts.matchmaking import Outcome


class BankOutcomeRepository(Protocol):
    async def get(self, keys: Iterable[OutcomeKey]) -> dict[OutcomeKey, BankOutcome]: ...
    async def put(self, outcomes: Sequence[BankOutcome]) -> None:
        """Store these copies, replacing the stored copies of the same outcomes."""
        ...

    async def of_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[BankOutcome]:
        """Every outcome of these (uscc, institution_id) pairs, credited or not."""
        ...

    async def attribute(self, attributions: Sequence[Attribution]) -> set[OutcomeKey]:
        """Credit outcomes to these pairings; return the keys newly credited or moved to
        another pairing (an outcome credited as given is left alone)."""
        ...

    async def attributed(
        self,
        *,
        institution_id: str | None = None,
        match_id: str | None = None,
        keys: Iterable[OutcomeKey] | None = None,
    ) -> list[Attribution]:
        """Credited outcomes meeting every condition given, with their reversal if any,
        by the bank's date."""
        ...

    async def reversals(self, keys: Iterable[LoanKey]) -> dict[LoanKey, Reversal]: ...
    async def put_reversals(self, reversals: Sequence[Reversal]) -> None:
        """Store these reversals, replacing the stored reversals of the same loans."""
        ...


_OUTCOME_KEY = tuple_(bank_outcomes.c.institution_id, bank_outcomes.c.outcome, bank_outcomes.c.ref)
_ATTRIBUTED_KEY = tuple_(
    match_outcomes.c.institution_id, match_outcomes.c.outcome, match_outcomes.c.ref
)


class SqlBankOutcomeRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, keys: Iterable[OutcomeKey]) -> dict[OutcomeKey, BankOutcome]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        rows = await self._connection.execute(
            select(bank_outcomes).where(_OUTCOME_KEY.in_(wanted)).with_for_update()
        )
        found = [_bank_outcome(row) for row in rows]
        return {outcome.key: outcome for outcome in found}

    async def put(self, outcomes: Sequence[BankOutcome]) -> None:
        if not outcomes:
            return
        statement = insert(bank_outcomes)
        replaced = ("uscc", "on", "applied_on", "amount_wan")
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=["institution_id", "outcome", "ref"],
                set_={name: statement.excluded[name] for name in replaced},
            ),
            [
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
            ],
        )

    async def of_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[BankOutcome]:
        wanted = sorted(set(pairs))
        if not wanted:
            return []
        pair = tuple_(bank_outcomes.c.uscc, bank_outcomes.c.institution_id)
        query = select(bank_outcomes).where(pair.in_(wanted))
        return [_bank_outcome(row) for row in await self._connection.execute(query)]

    async def attribute(self, attributions: Sequence[Attribution]) -> set[OutcomeKey]:
        if not attributions:
            return set()
        statement = (
            insert(match_outcomes)
            .values(
                [
                    {
                        "institution_id": a.outcome.institution_id,
                        "outcome": a.outcome.outcome.value,
                        "ref": a.outcome.ref,
                        "match_id": a.match_id,
                    }
                    for a in attributions
                ]
            )
            # The caller decides the pairing from every pairing known (domain.pairing_of):
            # a later-dated one that became known takes the outcome over.
            .on_conflict_do_update(
                index_elements=["institution_id", "outcome", "ref"],
                set_={"match_id": insert(match_outcomes).excluded.match_id},
                where=match_outcomes.c.match_id != insert(match_outcomes).excluded.match_id,
            )
            .returning(
                match_outcomes.c.institution_id, match_outcomes.c.outcome, match_outcomes.c.ref
            )
        )
        rows = await self._connection.execute(statement)
        return {(r.institution_id, r.outcome, r.ref) for r in rows}

    async def attributed(
        self,
        *,
        institution_id: str | None = None,
        match_id: str | None = None,
        keys: Iterable[OutcomeKey] | None = None,
    ) -> list[Attribution]:
        join = match_outcomes.join(bank_outcomes, _same_outcome()).outerjoin(
            loan_reversals,
            and_(
                bank_outcomes.c.outcome == Outcome.LOAN_ISSUED.value,
                loan_reversals.c.institution_id == bank_outcomes.c.institution_id,
                loan_reversals.c.loan_id == bank_outcomes.c.ref,
            ),
        )
        query = select(
            bank_outcomes,
            match_outcomes.c.match_id,
            loan_reversals.c.reversed_on,
            loan_reversals.c.reason,
        ).select_from(join)
        conditions: list[ColumnElement[bool]] = []
        if institution_id is not None:
            conditions.append(match_outcomes.c.institution_id == institution_id)
        if match_id is not None:
            conditions.append(match_outcomes.c.match_id == match_id)
        if keys is not None:
            conditions.append(_ATTRIBUTED_KEY.in_(sorted(set(keys))))
        if conditions:
            query = query.where(and_(*conditions))
        order = (bank_outcomes.c.on, bank_outcomes.c.outcome, bank_outcomes.c.ref)
        rows = await self._connection.execute(query.order_by(*order))
        return [_attribution(row) for row in rows]

    async def reversals(self, keys: Iterable[LoanKey]) -> dict[LoanKey, Reversal]:
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        key = tuple_(loan_reversals.c.institution_id, loan_reversals.c.loan_id)
        rows = await self._connection.execute(
            select(loan_reversals).where(key.in_(wanted)).with_for_update()
        )
        found = [Reversal(r.institution_id, r.loan_id, r.reversed_on, r.reason) for r in rows]
        return {reversal.key: reversal for reversal in found}

    async def put_reversals(self, reversals: Sequence[Reversal]) -> None:
        if not reversals:
            return
        statement = insert(loan_reversals)
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=["institution_id", "loan_id"],
                set_={
                    "reversed_on": statement.excluded.reversed_on,
                    "reason": statement.excluded.reason,
                },
            ),
            [
                {
                    "institution_id": r.institution_id,
                    "loan_id": r.loan_id,
                    "reversed_on": r.reversed_on,
                    "reason": r.reason,
                }
                for r in reversals
            ],
        )


def _same_outcome() -> ColumnElement[bool]:
    return and_(
        match_outcomes.c.institution_id == bank_outcomes.c.institution_id,
        match_outcomes.c.outcome == bank_outcomes.c.outcome,
        match_outcomes.c.ref == bank_outcomes.c.ref,
    )


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


def _attribution(row: Any) -> Attribution:
    reversal = (
        Reversal(row.institution_id, row.ref, row.reversed_on, row.reason)
        if row.reversed_on is not None
        else None
    )
    return Attribution(_bank_outcome(row), row.match_id, reversal)
