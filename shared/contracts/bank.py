"""What bank core systems publish on `bank.<institution_id>.events` (contract §3).

Bank systems are written by other teams and evolve on their own schedule: a field this
platform does not know is ignored (tolerant reader), while every known field is checked
strictly (USCC check character, amounts as decimal strings, ISO dates, known codes).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, StrictBool, WithJsonSchema

from shared.contracts import EventData
from shared.contracts.types import AmountWan, Guarantee, InstitutionId, Problem
from shared.validators import Uscc

BANK_SOURCE_PREFIX = "urn:firstloan:institution:"
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> Any:
    """Only `YYYY-MM-DD`: pydantic alone would also take a timestamp or a date-time."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be an ISO date string YYYY-MM-DD")
    return value


IsoDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    Field(description="ISO date `YYYY-MM-DD`.", examples=["2020-10-12"]),
]

# The documented schema is what travels: a string (a JSON number is refused, see AmountWan).
Amount = Annotated[
    AmountWan,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\d{1,10}(\.\d{1,2})?$",
            "description": "Positive amount in 万元 (10,000 CNY), a decimal string, at most 2 "
            "decimals; a JSON number is rejected.",
            "examples": ["120.00"],
        }
    ),
]


class BankEventData(EventData):
    model_config = ConfigDict(frozen=True, extra="ignore")

    institution_id: InstitutionId = Field(description="Must be the topic's institution.")


class EnterpriseBankEvent(BankEventData):
    uscc: Uscc = Field(
        description="Unified social credit code (统一社会信用代码).",
        examples=["91140902MA0GABCD14"],
    )
    enterprise_name: str = Field(
        min_length=1,
        max_length=200,
        description="Registered name.",
        examples=["忻州示例商贸有限公司"],
    )


class CreditGranted(EnterpriseBankEvent):
    """The bank granted credit (授信) to an enterprise."""

    credit_id: str = Field(min_length=1, max_length=64, description="Unique in the bank.")
    amount_wan: Amount
    granted_on: IsoDate
    applied_on: IsoDate | None = Field(default=None, description="When the enterprise applied.")
    guarantee: Guarantee = Field(description="How the credit is secured (担保方式).")
    guarantor: str | None = Field(default=None, description="The guarantor's name, if any.")
    product: str | None = Field(default=None, description="The credit product's name.")


class CreditDeclined(EnterpriseBankEvent):
    """The bank declined credit, naming the enterprise's problems."""

    declined_on: IsoDate
    problems: list[Problem] = Field(
        min_length=1,
        description="缺信息, 缺抵押, 缺担保, 财务不规范, 现金流不足, 信用记录不良, 其他.",
        examples=[["lack_of_collateral", "irregular_finances"]],
    )
    note: str | None = Field(default=None, description="The bank's remark, if any.")


class LoanIssued(EnterpriseBankEvent):
    """A loan was issued (发放贷款)."""

    loan_id: str = Field(min_length=1, max_length=64, description="Unique in the bank.")
    amount_wan: Amount
    issued_on: IsoDate
    applied_on: IsoDate | None = Field(default=None, description="When the enterprise applied.")
    # Strict: "yes", 1 or "false" are not an attestation, and must not count as one.
    first_loan_attested: StrictBool = Field(
        description="The bank's credit-report check found no bank loan in the past 5 years."
    )
    annual_rate_pct: float | None = Field(
        default=None, gt=0, lt=100, description="Annual interest rate, percent."
    )
    guarantee: Guarantee = Field(description="How the loan is secured (担保方式).")
    guarantor: str | None = Field(default=None, description="The guarantor's name, if any.")
    product: str | None = Field(default=None, description="The loan product's name.")


class LoanReversed(BankEventData):
    """A loan event was wrong and is withdrawn (冲正)."""

    loan_id: str = Field(min_length=1, max_length=64, description="The `LoanIssued` withdrawn.")
    reversed_on: IsoDate
    reason: str = Field(min_length=1, description="Why the loan is withdrawn (free text).")


BANK_EVENTS: tuple[type[BankEventData], ...] = (
    CreditGranted,
    CreditDeclined,
    LoanIssued,
    LoanReversed,
)
