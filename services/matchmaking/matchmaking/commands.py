"""What the API asks matchmaking to do: one frozen dataclass per command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.contracts.matchmaking import Channel
from shared.contracts.types import Guarantee, Problem


@dataclass(frozen=True)
class ScheduleFair:
    county_code: str
    title: str
    held_on: date
    venue: str | None = None
    organizer: str | None = None


@dataclass(frozen=True)
class RegisterEnterprise:
    """An enterprise at a fair; allowed off the list too, and flagged."""

    fair_id: str
    uscc: str


@dataclass(frozen=True)
class RegisterInstitution:
    fair_id: str
    institution_id: str


RegisterAttendance = RegisterEnterprise | RegisterInstitution


@dataclass(frozen=True)
class RecordMatch:
    uscc: str
    institution_id: str
    channel: Channel
    matched_on: date | None = None  # None: the platform's today
    fair_id: str | None = None
    product_id: str | None = None


@dataclass(frozen=True)
class RecordPlan:
    uscc: str
    institution_id: str
    responsible_person: str
    problems: tuple[Problem, ...]
    measures: tuple[str, ...]
    follow_up_dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class RecordVisit:
    uscc: str
    institution_id: str
    visited_on: date
    visitor: str
    notes: str


@dataclass(frozen=True)
class RegisterProduct:
    institution_id: str
    name: str
    min_amount_wan: Decimal
    max_amount_wan: Decimal
    min_rate_pct: Decimal
    max_rate_pct: Decimal
    guarantees: tuple[Guarantee, ...]
    max_term_months: int
    description: str = ""
