"""The facts assessment counts from, as plain data. Each fact carries the date on which it
happened; results depend on those dates, never on the order in which facts arrived."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

LoanKey = tuple[str, str]
"""(institution_id, loan_id): loan ids are unique within an institution."""


@dataclass(frozen=True, order=True)
class ListingChange:
    """The enterprise entered the list (`listed`) or left it (`listed=False`) on `on`, the
    list of `campaign_id` (each campaign keeps its own list)."""

    uscc: str
    on: date
    listed: bool
    county_code: str
    campaign_id: str = ""


@dataclass(frozen=True)
class Assignment:
    """The enterprise was assigned to the institution for cultivation in `campaign_id`."""

    uscc: str
    institution_id: str
    assigned_on: date
    campaign_id: str = ""


@dataclass(frozen=True)
class Pairing:
    """A bank paired with the enterprise (银企对接): it may apply for credit from then on.
    Pairings move no count; the forecast reads them."""

    uscc: str
    institution_id: str
    matched_on: date


@dataclass(frozen=True)
class Loan:
    """A loan as its bank reported it. The amount is kept to 2 decimals and the rate to 3,
    the precision storage keeps, so that a loan read back equals the loan reported."""

    institution_id: str
    loan_id: str
    uscc: str
    issued_on: date
    first_loan_attested: bool
    amount_wan: str = "0.00"
    applied_on: date | None = None
    guarantee: str | None = None
    annual_rate_pct: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount_wan", _amount(str(self.amount_wan)))
        if self.annual_rate_pct is not None:
            object.__setattr__(self, "annual_rate_pct", _rate(str(self.annual_rate_pct)))

    @property
    def key(self) -> LoanKey:
        return (self.institution_id, self.loan_id)


def _to_places(value: str | float | Decimal, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_EVEN)


# Every loan read back is built again: the few distinct amounts and rates are rounded once.
@functools.lru_cache(maxsize=65_536)
def _amount(text: str) -> str:
    return str(_to_places(text, 2))


@functools.lru_cache(maxsize=4_096)
def _rate(text: str) -> float:
    return float(_to_places(text, 3))


def loan_precedence(
    loan: Loan,
) -> tuple[date, str, bool, Decimal, date, str, float]:
    """The order in which copies of one loan (same institution and loan id) with different
    content are preferred: the earliest issued first, ties broken by the rest of the content
    (absent values first). Storage keeps the same copy (`storage/facts.py`)."""
    return (
        loan.issued_on,
        loan.uscc,
        loan.first_loan_attested,
        Decimal(loan.amount_wan),
        loan.applied_on or date.min,
        loan.guarantee or "",
        -1.0 if loan.annual_rate_pct is None else loan.annual_rate_pct,
    )


def counted_copy(copies: Iterable[Loan]) -> Loan:
    """Of the copies of one loan, the one that counts; the others are a data-quality finding
    against the institution, never a second loan."""
    return min(copies, key=loan_precedence)


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
    """Everything known about one enterprise; the unit of re-evaluation. Its listing changes
    and assignments name their campaign; its loans, reversals and pairings are facts of no
    campaign (`domain/campaigns.py` says which campaign sees which)."""

    uscc: str
    listing_changes: frozenset[ListingChange] = frozenset()
    loans: frozenset[Loan] = frozenset()
    reversals: frozenset[Reversal] = frozenset()
    assignments: frozenset[Assignment] = frozenset()
    pairings: frozenset[Pairing] = frozenset()


@dataclass(frozen=True)
class Fair:
    """A matchmaking fair held (scheduled) in a county: escalations ask which counties had one."""

    fair_id: str
    county_code: str
    held_on: date


@dataclass(frozen=True)
class OverdueLedger:
    """A unit's ledger of a month went overdue, in a campaign (each keeps its own ledgers)."""

    unit_id: str
    period: str
    due_at: datetime
    campaign_id: str = ""


@dataclass(frozen=True)
class SubmittedLedger:
    unit_id: str
    period: str
    campaign_id: str = ""
