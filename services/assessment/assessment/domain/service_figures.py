"""How each institution serves the enterprises it lends to first: speed against the credit
process goal (working days from application to loan), price, and guarantee mix."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from assessment.domain.first_loan import EnterpriseOutcome


@dataclass(frozen=True)
class ServiceFigures:
    institution_id: str
    first_loans: int
    with_application_date: int
    within_goal: int
    share_within_goal: float | None
    average_rate_pct: float | None
    guarantee_mix: dict[str, int]


def service_figures(
    outcomes: Iterable[EnterpriseOutcome],
    working_days: Callable[[date, date], int],
    goal_days: int,
) -> list[ServiceFigures]:
    """`working_days(a, b)`: working days after `a` up to and including `b`."""
    by_institution: dict[str, list[EnterpriseOutcome]] = defaultdict(list)
    for outcome in outcomes:
        if outcome.first_loan is not None:
            by_institution[outcome.first_loan.loan.institution_id].append(outcome)
    figures = []
    for institution, lent in sorted(by_institution.items()):
        loans = [o.first_loan.loan for o in lent if o.first_loan is not None]
        timed = [loan for loan in loans if loan.applied_on is not None]
        within = sum(
            1
            for loan in timed
            if loan.applied_on is not None
            and working_days(loan.applied_on, loan.issued_on) <= goal_days
        )
        rates = [loan.annual_rate_pct for loan in loans if loan.annual_rate_pct is not None]
        figures.append(
            ServiceFigures(
                institution_id=institution,
                first_loans=len(loans),
                with_application_date=len(timed),
                within_goal=within,
                share_within_goal=within / len(timed) if timed else None,
                average_rate_pct=sum(rates) / len(rates) if rates else None,
                guarantee_mix=dict(Counter(loan.guarantee or "unknown" for loan in loans)),
            )
        )
    return figures
