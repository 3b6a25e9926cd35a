"""What came of a pairing: the bank's credit, decline or loan, and how long it took in
working days against the credit process goal (力争在 10 个工作日内完成信贷业务全流程)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

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

    @property
    def key(self) -> OutcomeKey:
        return (self.institution_id, self.outcome.value, self.ref)


# (institution_id, outcome, ref): a bank's outcome, whatever copy of it arrived.
OutcomeKey = tuple[str, str, str]
# (institution_id, loan_id): the loan a reversal withdraws.
LoanKey = tuple[str, str]


def _copy_rank(outcome: BankOutcome) -> tuple[Any, ...]:
    """How copies of one outcome (the same institution, kind and ref sent again with other
    content) are ranked: the earliest date wins, then a fixed order of the other fields, so
    that the copy kept is the same whichever arrived first."""
    return (
        outcome.on,
        outcome.applied_on or date.max,
        outcome.amount_wan if outcome.amount_wan is not None else Decimal(-1),
        outcome.uscc,
    )


def canonical_copies(outcomes: Iterable[BankOutcome]) -> list[BankOutcome]:
    """One copy per outcome key: the one that ranks first (see `_copy_rank`)."""
    kept: dict[OutcomeKey, BankOutcome] = {}
    for outcome in outcomes:
        current = kept.get(outcome.key)
        if current is None or _copy_rank(outcome) < _copy_rank(current):
            kept[outcome.key] = outcome
    return list(kept.values())


def prefer_copy(candidate: BankOutcome, stored: BankOutcome | None) -> bool:
    """Whether `candidate` replaces the `stored` copy of the same outcome."""
    return stored is None or _copy_rank(candidate) < _copy_rank(stored)


@dataclass(frozen=True)
class Reversal:
    """A bank withdrew one of its loans (冲正); the loan no longer counts anywhere."""

    institution_id: str
    loan_id: str
    reversed_on: date
    reason: str

    @property
    def key(self) -> LoanKey:
        return (self.institution_id, self.loan_id)

    @property
    def outcome_key(self) -> OutcomeKey:
        return (self.institution_id, Outcome.LOAN_ISSUED.value, self.loan_id)


def _reversal_rank(reversal: Reversal) -> tuple[date, str]:
    return (reversal.reversed_on, reversal.reason)


def earliest_reversals(reversals: Iterable[Reversal]) -> list[Reversal]:
    """One reversal per loan: the earliest `reversed_on` (then the least reason), whatever
    the order the bank's reversals arrived in."""
    kept: dict[LoanKey, Reversal] = {}
    for reversal in reversals:
        if prefer_reversal(reversal, kept.get(reversal.key)):
            kept[reversal.key] = reversal
    return list(kept.values())


def prefer_reversal(candidate: Reversal, stored: Reversal | None) -> bool:
    """Whether `candidate` replaces the `stored` reversal of the same loan."""
    return stored is None or _reversal_rank(candidate) < _reversal_rank(stored)


@dataclass(frozen=True)
class Attribution:
    """A bank outcome credited to the pairing it followed."""

    outcome: BankOutcome
    match_id: str
    reversal: Reversal | None = None


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
    reversal: Reversal | None = None


def standing(correlated: Iterable[Correlated]) -> list[Correlated]:
    """The outcomes that still count: a reversed loan is no outcome of its pairing."""
    return [c for c in correlated if c.reversal is None]


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

    counted = standing(correlated)

    def of(*kinds: Outcome) -> list[Correlated]:
        return [c for c in counted if c.outcome.outcome in kinds]

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
