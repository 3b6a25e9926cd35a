"""What came of a pairing: the bank's credit, decline or loan, and how long it took in
working days against the credit process goal (力争在 10 个工作日内完成信贷业务全流程)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from matchmaking.domain.fairs import Match
from shared.contracts.matchmaking import Outcome
from shared.workdays import CalendarNotCoveredError, workdays_between


@dataclass(frozen=True)
class BankOutcome:
    """One bank event about an enterprise, as matchmaking keeps it."""

    institution_id: str
    uscc: str
    outcome: Outcome
    ref: str  # credit_id, loan_id, or the event id of a decline
    on: date
    applied_on: date | None = None
    amount_wan: Decimal | None = None


@dataclass(frozen=True)
class Timing:
    started_on: date
    working_days: int | None
    within_goal: bool | None


def pairing_of(outcome: BankOutcome, matches: Iterable[Match]) -> Match | None:
    """The latest pairing of the same enterprise and bank dated on or before the outcome;
    a bank's decision before any pairing is no result of matchmaking."""
    candidates = [
        m
        for m in matches
        if m.uscc == outcome.uscc
        and m.institution_id == outcome.institution_id
        and m.matched_on <= outcome.on
    ]
    return max(candidates, key=lambda m: (m.matched_on, m.match_id), default=None)


def timing(outcome: BankOutcome, match: Match, goal: int) -> Timing:
    """From the application (or, when the bank did not say, the pairing) to the outcome."""
    started = outcome.applied_on or match.matched_on
    try:
        days: int | None = workdays_between(started, outcome.on)
    except CalendarNotCoveredError:
        days = None
    return Timing(started, days, None if days is None else days <= goal)


@dataclass(frozen=True)
class Correlated:
    match: Match
    outcome: BankOutcome
    timing: Timing


@dataclass(frozen=True)
class DurationFigures:
    count: int
    mean_working_days: float | None
    max_working_days: int | None
    within_goal: int


@dataclass(frozen=True)
class InstitutionFigures:
    institution_id: str
    matches: int
    enterprises: int
    by_channel: dict[str, int]
    credit_granted: int
    credit_amount_wan: Decimal
    credit_declined: int
    loans_issued: int
    loan_amount_wan: Decimal
    to_decision: DurationFigures
    to_loan: DurationFigures
    goal_working_days: int


def figures(
    institution_id: str, matches: Sequence[Match], correlated: Sequence[Correlated], goal: int
) -> InstitutionFigures:
    by_channel: dict[str, int] = {}
    for match in matches:
        by_channel[match.channel.value] = by_channel.get(match.channel.value, 0) + 1

    def of(*kinds: Outcome) -> list[Correlated]:
        return [c for c in correlated if c.outcome.outcome in kinds]

    granted, declined, loans = (
        of(Outcome.CREDIT_GRANTED),
        of(Outcome.CREDIT_DECLINED),
        of(Outcome.LOAN_ISSUED),
    )
    return InstitutionFigures(
        institution_id=institution_id,
        matches=len(matches),
        enterprises=len({m.uscc for m in matches}),
        by_channel=by_channel,
        credit_granted=len(granted),
        credit_amount_wan=_total(granted),
        credit_declined=len(declined),
        loans_issued=len(loans),
        loan_amount_wan=_total(loans),
        to_decision=_durations(granted + declined),
        to_loan=_durations(loans),
        goal_working_days=goal,
    )


def _total(items: Sequence[Correlated]) -> Decimal:
    return sum((c.outcome.amount_wan or Decimal(0) for c in items), Decimal(0))


def _durations(items: Sequence[Correlated]) -> DurationFigures:
    days = [c.timing.working_days for c in items if c.timing.working_days is not None]
    return DurationFigures(
        count=len(items),
        mean_working_days=round(sum(days) / len(days), 2) if days else None,
        max_working_days=max(days, default=None),
        within_goal=sum(1 for c in items if c.timing.within_goal),
    )
