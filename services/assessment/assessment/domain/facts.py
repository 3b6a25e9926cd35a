"""The facts assessment counts from, as plain data. Each fact carries the date on which it
happened; results depend on those dates, never on the order in which facts arrived."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

LoanKey = tuple[str, str]
"""(institution_id, loan_id): loan ids are unique within an institution."""


@dataclass(frozen=True, order=True)
class ListingChange:
    """The enterprise entered the list (`listed`) or left it (`listed=False`) on `on`."""

    uscc: str
    on: date
    listed: bool
    county_code: str


@dataclass(frozen=True)
class Assignment:
    uscc: str
    institution_id: str
    assigned_on: date


@dataclass(frozen=True)
class Loan:
    institution_id: str
    loan_id: str
    uscc: str
    issued_on: date
    first_loan_attested: bool
    amount_wan: str = "0"
    applied_on: date | None = None
    guarantee: str | None = None
    annual_rate_pct: float | None = None

    @property
    def key(self) -> LoanKey:
        return (self.institution_id, self.loan_id)


@dataclass(frozen=True)
class Reversal:
    institution_id: str
    loan_id: str
    reversed_on: date

    @property
    def key(self) -> LoanKey:
        return (self.institution_id, self.loan_id)


@dataclass(frozen=True)
class EnterpriseFacts:
    """Everything known about one enterprise; the unit of re-evaluation."""

    uscc: str
    listing_changes: frozenset[ListingChange] = frozenset()
    loans: frozenset[Loan] = frozenset()
    reversals: frozenset[Reversal] = frozenset()
    assignments: frozenset[Assignment] = frozenset()
