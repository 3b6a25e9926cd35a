"""Each enterprise's evaluated outcome in each campaign it has a part in, stored so that live
figures need no recount, and the day each campaign's were last all brought up to."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.counts import OutcomeKey
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


# The enterprises' rows held until the transaction ends, taken in key order: one not
# evaluated yet gets its row (held by inserting it); an existing one is locked by the
# conflict's update, which changes nothing (PostgreSQL locks every conflicting row, whether
# its WHERE holds or not).
_LOCK_ENTERPRISES = text(
    "INSERT INTO evaluated_enterprises (uscc)"
    " SELECT u FROM unnest(CAST(:usccs AS text[])) AS u ORDER BY u"
    " ON CONFLICT (uscc) DO UPDATE SET uscc = EXCLUDED.uscc WHERE false"
)


_OUTCOME_COLUMNS = (
    "campaign_id",
    "uscc",
    "evaluated_on",
    "county_code",
    "institutions",
    "first_loan",
    "anomalies",
)


table = enterprise_outcomes


def _in_campaign(query: Select[Any], campaign_id: str | None) -> Select[Any]:
    return query if campaign_id is None else query.where(table.c.campaign_id == campaign_id)


class SqlOutcomeRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def save(self, outcomes: Mapping[OutcomeKey, EnterpriseOutcome], day: date) -> None:
        if not outcomes:
            return
        statement = insert_unnested(table, _OUTCOME_COLUMNS)
        rows = [
            {
                "campaign_id": campaign_id,
                "uscc": o.uscc,
                "evaluated_on": day,
                "county_code": o.county_code,
                "institutions": sorted(o.institutions),
                "first_loan": None
                if o.first_loan is None
                else {**loan_json(o.first_loan.loan), "county_code": o.first_loan.county_code},
                "anomalies": [anomaly_json(a) for a in o.anomalies],
            }
            for (campaign_id, _), o in outcomes.items()
        ]
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.campaign_id, table.c.uscc],
                set_={c: statement.excluded[c] for c in _OUTCOME_COLUMNS[2:]},
            ),
            as_arrays(table, rows, _OUTCOME_COLUMNS),
        )

    async def replace_all(
        self, outcomes: Mapping[OutcomeKey, EnterpriseOutcome], day: date
    ) -> None:
        """Every outcome there is, as of `day`: those not given are gone (an enterprise
        evaluated earlier today has nothing else to say: the facts are the same)."""
        await self.save(outcomes, day)
        await self.connection.execute(delete(table).where(table.c.evaluated_on != day))

    async def lock(self, usccs: Collection[str], day: date) -> dict[OutcomeKey, EnterpriseOutcome]:
        """The enterprises' outcomes in every campaign, as stored, the enterprises held until
        the transaction ends: two transactions that touch one enterprise take turns, others
        go on side by side."""
        ordered = sorted(set(usccs))
        if not ordered:
            return {}
        await self.connection.execute(_LOCK_ENTERPRISES, {"usccs": ordered})
        # Read once the enterprises are held, in a statement (a snapshot) of its own: one
        # joined to the locking read would see the outcomes as they were before the wait.
        rows = await self.connection.execute(
            select(table).where(in_array(table.c.uscc, ordered)).order_by(table.c.uscc)
        )
        return {(row.campaign_id, row.uscc): _outcome(row) for row in rows}

    async def load(self, campaign_id: str | None = None) -> list[EnterpriseOutcome]:
        """The outcomes of one campaign (of every campaign, when None)."""
        rows = await self.connection.execute(_in_campaign(select(table), campaign_id))
        return [_outcome(row) for row in rows]

    async def with_anomalies(self, campaign_id: str | None = None) -> list[EnterpriseOutcome]:
        query = select(table).where(table.c.anomalies != text("'[]'::jsonb"))
        rows = await self.connection.execute(_in_campaign(query, campaign_id))
        return [_outcome(row) for row in rows]

    async def evaluated_days(self) -> dict[str, date]:
        """The day each campaign's outcomes were last all brought up to."""
        rows = await self.connection.execute(select(evaluation_days))
        return {row.campaign_id: row.evaluated_on for row in rows}

    async def evaluated_on(self, campaign_id: str) -> date | None:
        return await self.connection.scalar(
            select(evaluation_days.c.evaluated_on).where(
                evaluation_days.c.campaign_id == campaign_id
            )
        )

    async def set_evaluated_on(self, campaign_ids: Collection[str], day: date) -> None:
        if not campaign_ids:
            return
        statement = insert(evaluation_days)
        await self.connection.execute(
            statement.on_conflict_do_update(
                index_elements=[evaluation_days.c.campaign_id],
                set_={"evaluated_on": statement.excluded.evaluated_on},
            ),
            [{"campaign_id": c, "evaluated_on": day} for c in sorted(campaign_ids)],
        )
