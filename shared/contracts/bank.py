"""What bank core systems publish on `bank.<institution_id>.events` (contract §3).

Bank systems are written by other teams and evolve on their own schedule: a field this
platform does not know is ignored (tolerant reader), while every known field is checked
strictly (USCC check character, amounts as decimal strings, ISO dates, known codes).
"""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from shared.contracts import EventData
from shared.contracts.types import AmountWan, Guarantee, InstitutionId, Problem
from shared.validators import Uscc

BANK_SOURCE_PREFIX = "urn:firstloan:institution:"


class BankEventData(EventData):
    model_config = ConfigDict(frozen=True, extra="ignore")

    institution_id: InstitutionId = Field(description="Must be the topic's institution.")


class EnterpriseBankEvent(BankEventData):
    uscc: Uscc = Field(
        description="Unified social credit code (统一社会信用代码).",
        examples=["91140902MA0GXXXX0X"],
    )
    enterprise_name: str = Field(min_length=1, max_length=200, description="Registered name.")


class CreditGranted(EnterpriseBankEvent):
    """The bank granted credit (授信) to an enterprise."""

    credit_id: str = Field(min_length=1, max_length=64, description="Unique in the bank.")
    amount_wan: AmountWan
    granted_on: date
    applied_on: date | None = Field(default=None, description="When the enterprise applied.")
    guarantee: Guarantee
    guarantor: str | None = None
    product: str | None = Field(default=None, description="The credit product's name.")


class CreditDeclined(EnterpriseBankEvent):
    """The bank declined credit, naming the enterprise's problems."""

    declined_on: date
    problems: list[Problem] = Field(min_length=1)
    note: str | None = None


class LoanIssued(EnterpriseBankEvent):
    """A loan was issued (发放贷款)."""

    loan_id: str = Field(min_length=1, max_length=64, description="Unique in the bank.")
    amount_wan: AmountWan
    issued_on: date
    applied_on: date | None = None
    first_loan_attested: bool = Field(
        description="The bank's credit-report check found no bank loan in the past 5 years."
    )
    annual_rate_pct: float | None = Field(default=None, gt=0, lt=100)
    guarantee: Guarantee
    guarantor: str | None = None
    product: str | None = None


class LoanReversed(BankEventData):
    """A loan event was wrong and is withdrawn (冲正)."""

    loan_id: str = Field(min_length=1, max_length=64)
    reversed_on: date
    reason: str = Field(min_length=1)


BANK_EVENTS: tuple[type[BankEventData], ...] = (
    CreditGranted,
    CreditDeclined,
    LoanIssued,
    LoanReversed,
)
