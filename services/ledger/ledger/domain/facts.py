"""The stored facts a ledger is derived from: pairings, credit decisions, loans, names.

Facts are kept as they arrive, in any order; rows are computed from them when read, so the
ledger is the same whatever order the events came in.

Two copies of one fact (the same pairing, credit, loan, reversal or listing, by its id) may
differ: a bank resends a loan with a corrected date under a new event id, the roster lists
an enterprise again. Which copy is kept must not depend on which arrived first, so each
fact names its `PRECEDENCE`: the fields by which the copies are ordered, the earliest date
first and then the other fields, so that every difference decides; the first copy in that
order is kept (`first_copy`), by the in-memory and the SQL store alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Protocol, TypeVar


class Fact(Protocol):
    PRECEDENCE: ClassVar[tuple[str, ...]]


F = TypeVar("F", bound=Fact)


def precedence(fact: Fact) -> tuple[tuple[bool, Any], ...]:
    """The order in which copies of one fact are preferred (a missing value first)."""
    values = (getattr(fact, name) for name in fact.PRECEDENCE)
    return tuple((False, "") if value is None else (True, value) for value in values)


def first_copy(copies: Iterable[F]) -> F:
    """The copy kept of one fact, whatever order the copies came in."""
    return min(copies, key=precedence)


@dataclass(frozen=True)
class Pairing:
    """A bank-enterprise pairing (银企对接) from matchmaking."""

    PRECEDENCE: ClassVar[tuple[str, ...]] = (
        "matched_on",
        "uscc",
        "institution_id",
        "channel",
        "county_code",
        "enterprise_name",
    )

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
    """A bank's credit decision: granted (授信) with an amount, or declined with problems.

    `decision_id` is a grant's `credit_id`; a decline has no id of its own, so the id of its
    event stands in (one event cannot have two contents: the inbox sees to that, so the
    problems of a decline never need to decide between copies)."""

    PRECEDENCE: ClassVar[tuple[str, ...]] = (
        "decided_on",
        "granted",
        "uscc",
        "amount_wan",
        "enterprise_name",
        "guarantee",
        "guarantor",
        "note",
    )

    decision_id: str
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

    PRECEDENCE: ClassVar[tuple[str, ...]] = ("issued_on", "uscc", "amount_wan", "enterprise_name")

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
class Reversal:
    """A loan withdrawn (冲正); it may be known before the loan itself."""

    PRECEDENCE: ClassVar[tuple[str, ...]] = ("reversed_on", "reason")

    institution_id: str
    loan_id: str
    reversed_on: date
    reason: str


@dataclass(frozen=True)
class ListedEnterprise:
    """An enterprise on the roster's cultivation list: its registered name and county."""

    PRECEDENCE: ClassVar[tuple[str, ...]] = ("listed_on", "name", "county_code")

    uscc: str
    name: str
    county_code: str
    listed_on: date


@dataclass(frozen=True)
class Facts:
    """Everything known about some (enterprise, institution) pairs, at any date."""

    pairings: tuple[Pairing, ...] = ()
    decisions: tuple[CreditDecision, ...] = ()
    loans: tuple[Loan, ...] = ()
    names: dict[str, str] = field(default_factory=dict)
    """USCC -> registered name from the roster (the most authoritative name)."""
