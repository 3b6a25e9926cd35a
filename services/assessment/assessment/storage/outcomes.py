"""Each enterprise's evaluated outcome, stored so that live figures need no recount."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.facts import Loan
from assessment.domain.first_loan import Anomaly, EnterpriseOutcome, FirstLoan
from assessment.storage.tables import enterprise_outcomes, evaluation_days


def _loan_json(loan: Loan) -> dict[str, Any]:
    return {
        "institution_id": loan.institution_id,
        "loan_id": loan.loan_id,
        "uscc": loan.uscc,
        "issued_on": loan.issued_on.isoformat(),
        "first_loan_attested": loan.first_loan_attested,
        "amount_wan": loan.amount_wan,
        "applied_on": None if loan.applied_on is None else loan.applied_on.isoformat(),
        "guarantee": loan.guarantee,
        "annual_rate_pct": loan.annual_rate_pct,
    }


def _loan(data: dict[str, Any]) -> Loan:
    return Loan(
        data["institution_id"],
        data["loan_id"],
        data["uscc"],
        date.fromisoformat(data["issued_on"]),
        data["first_loan_attested"],
        data["amount_wan"],
    )


def anomaly_json(anomaly: Anomaly) -> dict[str, Any]:
    return {
        "claim": _loan_json(anomaly.claim),
        "evidence": [_loan_json(e) for e in anomaly.evidence],
    }


async def save_outcomes(
    connection: AsyncConnection, outcomes: Sequence[EnterpriseOutcome], day: date
) -> None:
    if not outcomes:
        return
    statement = insert(enterprise_outcomes)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[enterprise_outcomes.c.uscc],
            set_={
                c: statement.excluded[c]
                for c in ("evaluated_on", "county_code", "institutions", "first_loan", "anomalies")
            },
        ),
        [
            {
                "uscc": o.uscc,
                "evaluated_on": day,
                "county_code": o.county_code,
                "institutions": sorted(o.institutions),
                "first_loan": None
                if o.first_loan is None
                else {**_loan_json(o.first_loan.loan), "county_code": o.first_loan.county_code},
                "anomalies": [anomaly_json(a) for a in o.anomalies],
            }
            for o in outcomes
        ],
    )


async def load_outcomes(connection: AsyncConnection) -> list[EnterpriseOutcome]:
    rows = await connection.execute(select(enterprise_outcomes))
    return [
        EnterpriseOutcome(
            uscc=row.uscc,
            county_code=row.county_code,
            first_loan=None
            if row.first_loan is None
            else FirstLoan(loan=_loan(row.first_loan), county_code=row.first_loan["county_code"]),
            anomalies=tuple(
                Anomaly(claim=_loan(a["claim"]), evidence=tuple(_loan(e) for e in a["evidence"]))
                for a in row.anomalies
            ),
            institutions=frozenset(row.institutions),
        )
        for row in rows
    ]


async def evaluated_on(connection: AsyncConnection) -> date | None:
    return await connection.scalar(select(evaluation_days.c.evaluated_on))


async def set_evaluated_on(connection: AsyncConnection, day: date) -> None:
    statement = insert(evaluation_days).values(singleton=1, evaluated_on=day)
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[evaluation_days.c.singleton], set_={"evaluated_on": day}
        )
    )
