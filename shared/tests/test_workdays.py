from datetime import date

import chinese_calendar
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared.workdays import (
    CalendarNotCoveredError,
    add_workdays,
    is_workday,
    workdays_between,
)

NATIONAL_DAY_2020 = date(2020, 10, 1)
# 2020's National Day and Mid-Autumn holiday ran 1-8 October, made up on
# Sunday 27 September and Saturday 10 October.
ADJUSTED_SUNDAY = date(2020, 9, 27)
ADJUSTED_SATURDAY = date(2020, 10, 10)


def covered_days() -> st.SearchStrategy[date]:
    return st.dates(min_value=date(2005, 1, 1), max_value=date(2025, 12, 31))


def campaign_era_days() -> st.SearchStrategy[date]:
    return st.dates(min_value=date(2019, 1, 1), max_value=date(2021, 12, 31))


def test_national_day_is_a_holiday() -> None:
    assert not is_workday(NATIONAL_DAY_2020)


@pytest.mark.parametrize("day", [ADJUSTED_SUNDAY, ADJUSTED_SATURDAY])
def test_adjusted_weekend_days_are_workdays(day: date) -> None:
    assert day.weekday() >= 5
    assert chinese_calendar.is_workday(day)
    assert is_workday(day)


def test_ordinary_weekend_is_not_a_workday() -> None:
    assert not is_workday(date(2020, 9, 26))


@pytest.mark.parametrize(
    ("start", "end", "count"),
    [
        (date(2020, 9, 30), date(2020, 10, 9), 1),
        (date(2020, 9, 30), date(2020, 10, 8), 0),
        (date(2020, 9, 25), date(2020, 9, 27), 1),
        (date(2020, 9, 28), date(2020, 10, 19), 10),
        (date(2020, 9, 28), date(2020, 9, 28), 0),
        (date(2020, 10, 9), date(2020, 9, 30), -1),
        (date(2020, 10, 12), date(2020, 9, 30), -3),
    ],
)
def test_workdays_between(start: date, end: date, count: int) -> None:
    assert workdays_between(start, end) == count


def test_credit_process_goal_across_national_day() -> None:
    # Applied Monday 28 September: 29, 30 Sep, 9, 10, 12-16 and 19 Oct are the ten days.
    assert add_workdays(date(2020, 9, 28), 10) == date(2020, 10, 19)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2020, 9, 30), 1, date(2020, 10, 9)),
        (date(2020, 9, 25), 1, ADJUSTED_SUNDAY),
        (date(2020, 10, 9), -1, date(2020, 9, 30)),
        (NATIONAL_DAY_2020, 0, NATIONAL_DAY_2020),
        (NATIONAL_DAY_2020, -1, date(2020, 9, 30)),
    ],
)
def test_add_workdays(start: date, n: int, expected: date) -> None:
    assert add_workdays(start, n) == expected


@settings(max_examples=60)
@given(covered_days(), st.integers(min_value=-40, max_value=40))
def test_add_workdays_inverts_workdays_between(start: date, n: int) -> None:
    assert workdays_between(start, add_workdays(start, n)) == n


@settings(max_examples=60)
@given(campaign_era_days(), campaign_era_days())
def test_workdays_between_is_antisymmetric_between_workdays(first: date, second: date) -> None:
    assume(is_workday(first) and is_workday(second))
    assert workdays_between(first, second) == -workdays_between(second, first)


@given(covered_days(), st.integers(min_value=1, max_value=40))
def test_add_workdays_lands_on_a_workday(start: date, n: int) -> None:
    assert is_workday(add_workdays(start, n))
    assert is_workday(add_workdays(start, -n))


@pytest.mark.parametrize("year", [1999, 2100])
def test_uncovered_year_asks_for_an_upgrade(year: int) -> None:
    with pytest.raises(CalendarNotCoveredError, match="upgrade the `chinesecalendar`") as raised:
        is_workday(date(year, 6, 1))
    assert raised.value.year == year
    assert isinstance(raised.value, ValueError)


def test_durations_reaching_an_uncovered_year_fail_clearly() -> None:
    with pytest.raises(CalendarNotCoveredError):
        workdays_between(date(2020, 12, 1), date(2100, 1, 10))
