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


def issuance_rank(loan: LoanIssuance) -> tuple[date, str, str, Decimal, bool]:
    """Two different `LoanIssued` of one (institution, loan id) (a correction, or a resent
    event with other content): the roster keeps the earliest `issued_on`, then the smallest
    of the other fields, so the copy kept never depends on the order they arrive in."""
    return (
        loan.issued_on,
        loan.uscc,
        loan.enterprise_name,
        loan.amount_wan,
        loan.first_loan_attested,
    )


def reversal_rank(reversal: LoanReversal) -> tuple[date, str]:
    """Two reversals of one loan: the earliest `reversed_on` counts (then the smaller
    reason), whichever arrives first."""
    return (reversal.reversed_on, reversal.reason)


def kept_issuances(issued: Iterable[LoanIssuance]) -> dict[LoanKey, LoanIssuance]:
    """One issuance per loan: the one `issuance_rank` puts first."""
    return {key: min(copies, key=issuance_rank) for key, copies in _by_loan(issued).items()}


def kept_reversals(reversed_: Iterable[LoanReversal]) -> dict[LoanKey, LoanReversal]:
    """One reversal per loan: the one `reversal_rank` puts first."""
    return {key: min(copies, key=reversal_rank) for key, copies in _by_loan(reversed_).items()}


def _by_loan(facts: Iterable[Fact]) -> dict[LoanKey, list[Fact]]:
    result: dict[LoanKey, list[Fact]] = {}
    for fact in facts:
        result.setdefault((fact.institution_id, fact.loan_id), []).append(fact)
    return result
