"""The stored facts a ledger is derived from: pairings, credit decisions, loans, names.

Facts are kept as they arrive, in any order; rows are computed from them when read, so the
ledger is the same whatever order the events came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Pairing:
    """A bank-enterprise pairing (银企对接) from matchmaking."""

    match_id: str
    uscc: str
    institution_id: str
    matched_on: date
    channel: str
    county_code: str | None = None
    enterprise_name: str | None = None

    @property
    def pair(self) -> tuple[str, str]:
        return (self.uscc, self.institution_id)


@dataclass(frozen=True)
class CreditDecision:
    """A bank's credit decision: granted (授信) with an amount, or declined with problems."""

    institution_id: str
    uscc: str
    decided_on: date
    granted: bool
    enterprise_name: str
    amount_wan: Decimal = Decimal(0)
    guarantee: str | None = None
    guarantor: str | None = None
    problems: tuple[str, ...] = ()
    note: str | None = None

    @property
    def pair(self) -> tuple[str, str]:
        return (self.uscc, self.institution_id)


@dataclass(frozen=True)
class Loan:
    """A loan issued (发放贷款); `reversed` when a LoanReversed withdrew it (冲正)."""

    institution_id: str
    loan_id: str
    uscc: str
    issued_on: date
    amount_wan: Decimal
    enterprise_name: str
    reversed: bool = False

    @property
    def pair(self) -> tuple[str, str]:
        return (self.uscc, self.institution_id)


@dataclass(frozen=True)
class Facts:
    """Everything known about some (enterprise, institution) pairs, at any date."""

    pairings: tuple[Pairing, ...] = ()
    decisions: tuple[CreditDecision, ...] = ()
    loans: tuple[Loan, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    """USCC -> registered name from the roster (the most authoritative name)."""
