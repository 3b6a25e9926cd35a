"""Each enterprise's evaluated outcome, stored so that live figures need no recount, and the
day they were last all brought up to."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.evidence import anomaly_json, loan_json
from assessment.domain.first_loan import Anomaly, EnterpriseOutcome, FirstLoan
from assessment.storage.loan_codec import loan_from
from assessment.storage.tables import enterprise_outcomes, evaluation_days
from shared.db import as_arrays, in_array, insert_unnested


def _anomaly(data: Mapping[str, Any]) -> Anomaly:
    return Anomaly(
        claim=loan_from(data["claim"]), evidence=tuple(loan_from(e) for e in data["evidence"])
    )


def _first_loan(data: Mapping[str, Any] | None) -> FirstLoan | None:
    return (
        None if data is None else FirstLoan(loan=loan_from(data), county_code=data["county_code"])
    )


def _outcome(row: Row[Any]) -> EnterpriseOutcome:
    return EnterpriseOutcome(
        uscc=row.uscc,
        county_code=row.county_code,
        first_loan=_first_loan(row.first_loan),
        anomalies=tuple(_anomaly(a) for a in row.anomalies),
        institutions=frozenset(row.institutions),
    )


# An enterprise not evaluated yet gets a row that adds to no count, so that there is a row to
# lock; inserted in key order, as the rows are then locked.
_ROWS_TO_LOCK = text(
    "INSERT INTO enterprise_outcomes (uscc, evaluated_on, institutions, anomalies) "
    "SELECT u, :day, '{}', '[]' FROM unnest(CAST(:usccs AS text[])) AS u ORDER BY u "
    "ON CONFLICT (uscc) DO NOTHING"
)


_OUTCOME_COLUMNS = (
    "uscc",
    "evaluated_on",
    "county_code",
    "institutions",
    "first_loan",
    "anomalies",
)


class SqlOutcomeRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def save(self, outcomes: Sequence[EnterpriseOutcome], day: date) -> None:
        if not outcomes:
            return
        statement = insert_unnested(enterprise_outcomes, _OUTCOME_COLUMNS)
        rows = [
            {
                "uscc": o.uscc,
                "evaluated_on": day,
                "county_code": o.county_code,
                "institutions": sorted(o.institutions),
                "first_loan": None
                if o.first_loan is None
                else {**loan_json(o.first_loan.loan), "county_code": o.first_loan.county_code},
                "anomalies": [anomaly_json(a) for a in o.anomalies],
            }
            for o in outcomes
        ]
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[enterprise_outcomes.c.uscc],
                set_={c: statement.excluded[c] for c in _OUTCOME_COLUMNS[1:]},
            ),
            as_arrays(enterprise_outcomes, rows, _OUTCOME_COLUMNS),
        )

    async def lock(self, usccs: Collection[str], day: date) -> dict[str, EnterpriseOutcome]:
        """The enterprises' outcomes as stored, held until the transaction ends: two
        transactions that touch one enterprise take turns, others go on side by side."""
        ordered = sorted(set(usccs))
        if not ordered:
            return {}
        await self.connection.execute(_ROWS_TO_LOCK, {"usccs": ordered, "day": day})
        rows = await self.connection.execute(
            select(enterprise_outcomes)
            .where(in_array(enterprise_outcomes.c.uscc, ordered))
            .order_by(enterprise_outcomes.c.uscc)
            .with_for_update()
        )
        return {row.uscc: _outcome(row) for row in rows}

    async def load(self) -> list[EnterpriseOutcome]:
        return [_outcome(row) for row in await self.connection.execute(select(enterprise_outcomes))]

    async def with_anomalies(self) -> list[EnterpriseOutcome]:
        rows = await self.connection.execute(
            select(enterprise_outcomes).where(
                enterprise_outcomes.c.anomalies != text("'[]'::jsonb")
            )
        )
        return [_outcome(row) for row in rows]

    async def evaluated_on(self) -> date | None:
        return await self.connection.scalar(select(evaluation_days.c.evaluated_on))

    async def set_evaluated_on(self, day: date) -> None:
        statement = insert(evaluation_days).values(singleton=1, evaluated_on=day)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[evaluation_days.c.singleton], set_={"evaluated_on": day}
            )
        )
