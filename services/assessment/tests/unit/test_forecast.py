"""The forecast of first-loan households at the campaign's end, and its warning."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.domain.attainment import attainment
from assessment.domain.facts import Loan
from assessment.domain.first_loan import EnterpriseOutcome, FirstLoan
from assessment.domain.forecast import (
    first_loan_days,
    forecasts,
    project,
    shortfall_findings,
    weekly_counts,
)
from shared.contracts.assessment import EscalationReason, Severity
from shared.reference import ForecastMethod, load_reference

REFERENCE = load_reference()
CAMPAIGN = REFERENCE.campaign
METHOD = REFERENCE.forecast
XINFU = "140902"
START = CAMPAIGN.start

days_in_campaign = st.integers(0, CAMPAIGN.days - 1).map(lambda n: START + timedelta(days=n))
daily_counts = st.dictionaries(days_in_campaign, st.integers(1, 6), max_size=60)


def outcome(n: int, on: date, county: str = XINFU, bank: str = "icbc") -> EnterpriseOutcome:
    loan = Loan(bank, f"L{n}", f"U{n}", on, True)
    return EnterpriseOutcome(f"U{n}", county, FirstLoan(loan, county), (), frozenset({bank}))


def test_weekly_counts_are_the_last_full_weeks_ending_on_the_day() -> None:
    days = {START: 1, START + timedelta(days=6): 2, START + timedelta(days=7): 5}
    assert weekly_counts(days, START + timedelta(days=5), START, 4) == []
    assert weekly_counts(days, START + timedelta(days=6), START, 4) == [3]
    assert weekly_counts(days, START + timedelta(days=13), START, 4) == [3, 5]
    # Only the last `weeks`: the first week drops out.
    assert weekly_counts(days, START + timedelta(days=13), START, 1) == [5]


def test_a_steady_pace_is_carried_to_the_end_with_no_spread() -> None:
    as_of = START + timedelta(days=27)  # 4 full weeks of 10
    days = {START + timedelta(days=7 * w): 10 for w in range(4)}
    found = project(40, days, as_of, CAMPAIGN, METHOD)
    weeks_left = (CAMPAIGN.end - as_of).days / 7
    assert found is not None
    assert found.weekly_pace == 10
    assert found.first_loans == round(40 + 10 * weeks_left)
    assert found.low == found.first_loans - 1 or found.low == found.first_loans
    assert found.high - found.low <= 1


def test_an_uneven_pace_widens_the_interval() -> None:
    as_of = START + timedelta(days=27)
    steady = {START + timedelta(days=7 * w): 10 for w in range(4)}
    uneven = {START + timedelta(days=7 * w): n for w, n in enumerate((0, 20, 0, 20))}
    a, b = (project(40, d, as_of, CAMPAIGN, METHOD) for d in (steady, uneven))
    assert a is not None
    assert b is not None
    assert a.first_loans == b.first_loans
    assert b.high - b.low > a.high - a.low + 20


def test_no_forecast_before_the_first_full_week_and_none_needed_at_the_end() -> None:
    assert project(3, {START: 3}, START + timedelta(days=5), CAMPAIGN, METHOD) is None
    done = project(7, {START: 3}, CAMPAIGN.end, CAMPAIGN, METHOD)
    assert done is not None
    assert (done.first_loans, done.low, done.high) == (7, 7, 7)


@settings(max_examples=200, deadline=None)
@given(
    daily_counts,
    days_in_campaign,
    st.integers(0, 50),
    st.builds(ForecastMethod, weeks=st.integers(1, 8), interval_z=st.floats(0, 3)),
)
def test_the_interval_holds_the_projection_and_never_goes_under_today(
    days: dict[date, int], as_of: date, current: int, method: ForecastMethod
) -> None:
    found = project(current, days, as_of, CAMPAIGN, method)
    if found is None:
        assert (as_of - START).days + 1 < 7
        return
    assert current <= found.low <= found.first_loans <= found.high


@settings(max_examples=100, deadline=None)
@given(daily_counts, days_in_campaign, days_in_campaign)
def test_one_more_first_loan_in_the_window_never_lowers_the_projection(
    days: dict[date, int], as_of: date, extra: date
) -> None:
    more = {**days, extra: days.get(extra, 0) + 1}
    before = project(0, days, as_of, CAMPAIGN, METHOD)
    after = project(0, more, as_of, CAMPAIGN, METHOD)
    if before is not None and after is not None:
        assert after.first_loans >= before.first_loans


@settings(max_examples=100, deadline=None)
@given(st.lists(days_in_campaign, max_size=40), st.randoms(use_true_random=False))
def test_the_series_depends_on_the_set_of_outcomes_not_their_order(
    issued: list[date], shuffler: object
) -> None:
    outcomes = [outcome(n, on, bank="icbc" if n % 2 else "ccb") for n, on in enumerate(issued)]
    shuffled = list(outcomes)
    shuffler.shuffle(shuffled)  # type: ignore[attr-defined]
    assert first_loan_days(outcomes) == first_loan_days(shuffled)
    series = first_loan_days(outcomes)
    assert sum(series.get(XINFU, {}).values()) == len(issued)
    assert sum(series.get("icbc", {}).values()) + sum(series.get("ccb", {}).values()) == len(issued)


def test_a_unit_whose_high_end_is_under_target_is_warned_from_the_fifteenth_day() -> None:
    # Xinfu (target 400) has 10 first loans, all in the campaign's first days.
    outcomes = [outcome(n, START + timedelta(days=n % 3)) for n in range(10)]
    series = first_loan_days(outcomes)
    for day_number, warned in ((14, False), (15, True)):
        as_of = START + timedelta(days=day_number - 1)
        current = attainment(outcomes, REFERENCE, as_of)
        found = shortfall_findings(current, forecasts(current, series, REFERENCE), REFERENCE)
        xinfu = [f for f in found if f.unit_id == XINFU]
        assert bool(xinfu) is warned
    assert xinfu[0].reason is EscalationReason.PROJECTED_SHORTFALL
    assert xinfu[0].severity is Severity.WARNING
    assert xinfu[0].figures["forecast"]["high"] < 400


def test_a_unit_on_pace_for_its_target_is_not_warned() -> None:
    # 35 a week in Xinfu: 17.6 weeks at that pace reach its 400.
    outcomes = [outcome(n, START + timedelta(days=n // 5)) for n in range(140)]
    as_of = START + timedelta(days=27)
    current = attainment(outcomes, REFERENCE, as_of)
    projected = forecasts(current, first_loan_days(outcomes), REFERENCE)
    xinfu = projected[XINFU]
    assert xinfu is not None
    assert xinfu.high >= 400
    found = shortfall_findings(current, projected, REFERENCE)
    assert XINFU not in {f.unit_id for f in found}
