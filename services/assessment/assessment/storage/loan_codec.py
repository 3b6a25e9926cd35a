"""The one way a loan is written down and read back: as a row of `loans`, and as JSON inside
the stored outcomes (a first loan, an anomaly's claim and evidence). Every field of `Loan`
goes both ways, so nothing a figure needs is lost on the way through storage."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from assessment.domain.evidence import LOAN_FIELDS
from assessment.domain.facts import Loan


def loan_row(loan: Loan) -> dict[str, Any]:
    """The loan as the values of a `loans` row."""
    row = {name: getattr(loan, name) for name in LOAN_FIELDS}
    row["amount_wan"] = Decimal(loan.amount_wan)
    if loan.annual_rate_pct is not None:
        row["annual_rate_pct"] = Decimal(str(loan.annual_rate_pct))
    return row


def loan_from(values: Mapping[Any, Any]) -> Loan:
    """A loan from a `loans` row or from `loan_json`. A field missing from JSON stored
    before it was kept reads as absent."""

    def day(name: str) -> date | None:
        value = values.get(name)
        return date.fromisoformat(value) if isinstance(value, str) else value

    issued_on = day("issued_on")
    assert issued_on is not None
    rate = values.get("annual_rate_pct")
    return Loan(
        institution_id=values["institution_id"],
        loan_id=values["loan_id"],
        uscc=values["uscc"],
        issued_on=issued_on,
        first_loan_attested=values["first_loan_attested"],
        amount_wan=str(values["amount_wan"]),
        applied_on=day("applied_on"),
        guarantee=values.get("guarantee"),
        annual_rate_pct=None if rate is None else float(rate),
    )
