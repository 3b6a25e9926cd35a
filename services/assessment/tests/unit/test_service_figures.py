from __future__ import annotations

from datetime import date

from assessment.domain.facts import Loan
from assessment.domain.first_loan import EnterpriseOutcome, FirstLoan
from assessment.domain.service_figures import service_figures
from shared.workdays import workdays_between


def outcome(
    n: int, applied: date | None, issued: date, rate: float | None, guarantee: str
) -> EnterpriseOutcome:
    loan = Loan("icbc", f"L{n}", f"U{n}", issued, True, "10", applied, guarantee, rate)
    return EnterpriseOutcome(f"U{n}", "140902", FirstLoan(loan, "140902"), (), frozenset())


def test_speed_rate_and_guarantee_mix_across_national_day() -> None:
    outcomes = [
        # Across the National Day holiday: 09-29, 09-30, 10-09, 10-10 (an adjusted
        # Saturday), 10-12, 10-13, 10-14: 7 working days, within the goal.
        outcome(1, date(2020, 9, 28), date(2020, 10, 14), 4.5, "credit"),
        outcome(2, date(2020, 9, 1), date(2020, 10, 30), 5.5, "collateral"),
        outcome(3, None, date(2020, 11, 2), None, "credit"),
    ]
    (icbc,) = service_figures(outcomes, workdays_between, 10)
    assert workdays_between(date(2020, 9, 28), date(2020, 10, 14)) == 7
    assert (icbc.first_loans, icbc.with_application_date, icbc.within_goal) == (3, 2, 1)
    assert icbc.share_within_goal == 0.5
    assert icbc.average_rate_pct == 5.0
    assert icbc.guarantee_mix == {"credit": 2, "collateral": 1}
