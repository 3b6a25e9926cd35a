"""The loans the banks reported (rule 1: loans known in the years before a nomination).
A reversal may arrive before its loan; two copies of one loan or of one reversal keep the
copy the domain's rank puts first, so the stored loan never depends on arrival order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.domain.loans import LoanIssuance, LoanReversal, kept_issuances, kept_reversals
from roster.domain.nomination import PriorLoan
from roster.storage.tables import loans

# Python compares text by code point, PostgreSQL's "C" collation by UTF-8 bytes: the same.
BYTEWISE = "C"


class LoanRepository(Protocol):
    async def save_issuances(self, issued: Sequence[LoanIssuance]) -> None:
        """Record each loan, or replace a copy that `issuance_rank` puts after it."""

    async def save_reversals(self, reversed_: Sequence[LoanReversal]) -> None:
        """Record each reversal, or replace a later one (`reversal_rank`)."""

    async def prior_loans(self, usccs: Iterable[str]) -> dict[str, list[PriorLoan]]:
        """The non-reversed loans of these enterprises (the rule picks the window)."""


class SqlLoanRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def save_issuances(self, issued: Sequence[LoanIssuance]) -> None:
        rows = [
            {
                "institution_id": i.institution_id,
                "loan_id": i.loan_id,
                "uscc": i.uscc,
                "enterprise_name": i.enterprise_name,
                "amount_wan": i.amount_wan,
                "issued_on": i.issued_on,
                "first_loan_attested": i.first_loan_attested,
            }
            for i in kept_issuances(issued).values()
        ]
        # Only the issuance's columns: a reversal recorded earlier stays.
        columns = ("issued_on", "uscc", "enterprise_name", "amount_wan", "first_loan_attested")
        await self._keep_first(rows, columns, _issuance_rank)

    async def save_reversals(self, reversed_: Sequence[LoanReversal]) -> None:
        rows = [
            {
                "institution_id": r.institution_id,
                "loan_id": r.loan_id,
                "reversed_on": r.reversed_on,
                "reversal_reason": r.reason,
            }
            for r in kept_reversals(reversed_).values()
        ]
        await self._keep_first(rows, ("reversed_on", "reversal_reason"), _reversal_rank)

    async def prior_loans(self, usccs: Iterable[str]) -> dict[str, list[PriorLoan]]:
        codes = sorted(set(usccs))
        if not codes:
            return {}
        result = await self._connection.execute(
            select(loans.c.uscc, loans.c.institution_id, loans.c.loan_id, loans.c.issued_on).where(
                loans.c.uscc.in_(codes),
                loans.c.reversed_on.is_(None),
                loans.c.issued_on.is_not(None),
            )
        )
        found: dict[str, list[PriorLoan]] = {}
        for uscc, institution_id, loan_id, issued_on in result:
            found.setdefault(uscc, []).append(PriorLoan(institution_id, loan_id, issued_on))
        return found

    async def _keep_first(
        self,
        rows: Sequence[Mapping[str, Any]],
        columns: Sequence[str],
        rank: Callable[[Any], ColumnElement[Any]],
    ) -> None:
        """Write `columns` of each row where the loan has none yet (its first column is
        NULL) or where the row's `rank` comes first."""
        if not rows:
            return
        statement = insert(loans).values(list(rows))
        new, known = statement.excluded, loans.c
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=["institution_id", "loan_id"],
                set_={name: new[name] for name in columns},
                where=or_(known[columns[0]].is_(None), rank(new) < rank(known)),
            )
        )


def _issuance_rank(columns: Any) -> ColumnElement[Any]:
    """`roster.domain.loans.issuance_rank` in SQL."""
    return tuple_(
        columns.issued_on,
        columns.uscc.collate(BYTEWISE),
        columns.enterprise_name.collate(BYTEWISE),
        columns.amount_wan,
        columns.first_loan_attested,
    )


def _reversal_rank(columns: Any) -> ColumnElement[Any]:
    """`roster.domain.loans.reversal_rank` in SQL."""
    return tuple_(columns.reversed_on, columns.reversal_reason.collate(BYTEWISE))
