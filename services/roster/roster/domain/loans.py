"""What the roster knows of each enterprise's loans, from the banks' events (rule 1)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar


@dataclass(frozen=True)
class LoanIssuance:
    institution_id: str
    loan_id: str
    uscc: str
    enterprise_name: str
    amount_wan: Decimal
    issued_on: date
    first_loan_attested: bool


@dataclass(frozen=True)
class LoanReversal:
    institution_id: str
    loan_id: str
    reversed_on: date
    reason: str


LoanKey = tuple[str, str]
Fact = TypeVar("Fact", LoanIssuance, LoanReversal)


def latest_by_loan(facts: Iterable[Fact]) -> dict[LoanKey, Fact]:
    """One fact per (institution, loan id): a batch may carry a correction of the same loan,
    and one bulk upsert may touch each row once. Later in the batch wins."""
    return {(fact.institution_id, fact.loan_id): fact for fact in facts}
