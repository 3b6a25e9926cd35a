"""Matchmaking's rules without I/O: the list on a day, pairings, plans, products, and the
credit process measured in statutory working days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchmaking.domain.errors import (
    FairRequiredError,
    MatchmakingError,
    ProductMismatchError,
    TooManyProductsError,
)
from matchmaking.domain.fairs import Fair, Match, check_match, match_id_for
from matchmaking.domain.listing import listed_on
from matchmaking.domain.outcomes import BankOutcome, Correlated, figures, pairing_of, timing
from matchmaking.domain.plans import Plan, Product, check_new_product, revise
from shared.contracts.matchmaking import Channel, Outcome
from shared.contracts.types import Guarantee, Problem

USCC = "91140902MA0GABCD14"
GOAL = 10


def match(matched_on: date, match_id: str = "m1", institution: str = "icbc") -> Match:
    return Match(match_id, USCC, institution, matched_on, Channel.FAIR, "fair-1")


def outcome(
    on: date, applied_on: date | None = None, kind: Outcome = Outcome.CREDIT_GRANTED
) -> BankOutcome:
    return BankOutcome("icbc", USCC, kind, f"ref-{on}", on, applied_on, Decimal("100"))


# National Day and Mid-Autumn 2020: 10-01..10-08 off; Sunday 09-27 and Saturday 10-10 worked.
def test_working_days_skip_the_national_holiday() -> None:
    took = timing(
        outcome(date(2020, 10, 12), applied_on=date(2020, 9, 28)), match(date(2020, 9, 1)), GOAL
    )
    assert took.started_on == date(2020, 9, 28)
    assert took.working_days == 5  # 09-29, 09-30, 10-09, 10-10 (adjusted), 10-12
    assert took.within_goal is True


def test_an_adjusted_weekend_workday_counts() -> None:
    took = timing(
        outcome(date(2020, 9, 28), applied_on=date(2020, 9, 25)), match(date(2020, 9, 1)), GOAL
    )
    assert took.working_days == 2  # Sunday 09-27 was a working day, then Monday 09-28


def test_without_applied_on_the_pairing_date_starts_the_clock() -> None:
    took = timing(outcome(date(2020, 10, 30)), match(date(2020, 9, 30)), GOAL)
    assert took.started_on == date(2020, 9, 30)
    assert took.working_days == 17  # 10-09, 10-10, then 10-12..10-30 (15)
    assert took.within_goal is False


def test_a_year_without_a_published_calendar_gives_no_duration() -> None:
    took = timing(outcome(date(2099, 3, 2)), match(date(2099, 3, 1)), GOAL)
    assert took.working_days is None
    assert took.within_goal is None


def test_an_outcome_goes_to_the_latest_pairing_on_or_before_it() -> None:
    early, late = match(date(2020, 9, 5), "m-early"), match(date(2020, 10, 20), "m-late")
    other_bank = match(date(2020, 9, 30), "m-abc", institution="abc")
    assert pairing_of(outcome(date(2020, 10, 12)), [late, other_bank, early]) == early
    assert pairing_of(outcome(date(2020, 10, 21)), [early, late]) == late
    assert pairing_of(outcome(date(2020, 9, 1)), [early, late]) is None


@given(st.permutations(range(4)))
def test_the_pairing_found_does_not_depend_on_order(order: list[int]) -> None:
    known = [match(date(2020, 9, 1) + timedelta(days=7 * i), f"m{i}") for i in range(4)]
    shuffled = [known[i] for i in order]
    assert pairing_of(outcome(date(2020, 9, 20)), shuffled) == known[2]


def test_the_list_on_a_day_follows_dates_not_arrival() -> None:
    listings, delistings = [date(2020, 9, 5), date(2020, 11, 1)], [date(2020, 10, 1)]
    assert not listed_on(date(2020, 9, 4), listings, delistings)
    assert listed_on(date(2020, 9, 30), listings, delistings)
    assert not listed_on(date(2020, 10, 1), listings, delistings)  # delisted from `on`
    assert listed_on(date(2020, 11, 2), listings, delistings)  # listed again


def test_a_retried_pairing_has_the_same_id() -> None:
    a = match_id_for(USCC, "icbc", date(2020, 9, 5), Channel.ONLINE, None)
    assert a == match_id_for(USCC, "icbc", date(2020, 9, 5), Channel.ONLINE, None)
    assert a != match_id_for(USCC, "icbc", date(2020, 9, 6), Channel.ONLINE, None)


def test_a_fair_pairing_names_an_existing_fair_and_the_banks_own_product() -> None:
    fair = Fair("fair-1", "140902", "对接会", date(2020, 9, 20))
    with pytest.raises(FairRequiredError):
        check_match(Channel.FAIR, None, None, "icbc", None)
    with pytest.raises(FairRequiredError):
        check_match(Channel.FAIR, None, "fair-x", "icbc", None)
    with pytest.raises(ProductMismatchError):
        check_match(Channel.FAIR, fair, "fair-1", "icbc", "abc")
    check_match(Channel.SERVICE_CENTER, None, None, "icbc", "icbc")


def plan(*problems: Problem, person: str = "张经理") -> Plan:
    return Plan(USCC, "icbc", person, problems, ("规范财务",), (date(2020, 10, 9),))


def test_a_plan_is_versioned_only_when_it_changes() -> None:
    first = revise(None, plan(Problem.LACK_OF_COLLATERAL))
    assert first is not None
    assert first.version == 1
    assert revise(first, plan(Problem.LACK_OF_COLLATERAL)) is None
    second = revise(first, plan(Problem.LACK_OF_COLLATERAL, Problem.IRREGULAR_FINANCES))
    assert second is not None
    assert (second.version, second.plan_id) == (2, first.plan_id)


def product(name: str, low: str = "10", high: str = "300") -> Product:
    return Product(
        f"icbc-{name}",
        "icbc",
        name,
        Decimal(low),
        Decimal(high),
        Decimal("3.85"),
        Decimal("4.35"),
        (Guarantee.CREDIT,),
        12,
    )


def test_an_institution_has_at_most_two_flagship_products() -> None:
    check_new_product(product("b"), [product("a")])
    with pytest.raises(TooManyProductsError):
        check_new_product(product("c"), [product("a"), product("b")])
    with pytest.raises(MatchmakingError):
        check_new_product(product("d", low="500"), [])
    with pytest.raises(MatchmakingError):
        check_new_product(product("a"), [product("a")])


def test_figures_count_outcomes_and_durations() -> None:
    pairing = match(date(2020, 9, 20))
    granted = outcome(date(2020, 10, 12), applied_on=date(2020, 9, 28))
    loan = outcome(date(2020, 10, 30), kind=Outcome.LOAN_ISSUED)
    correlated = [
        Correlated(pairing, granted, timing(granted, pairing, GOAL)),
        Correlated(pairing, loan, timing(loan, pairing, GOAL)),
    ]
    result = figures("icbc", [pairing], correlated, GOAL)
    assert (result.matches, result.enterprises, result.by_channel) == (1, 1, {"fair": 1})
    assert (result.credit_granted, result.loans_issued) == (1, 1)
    assert result.credit_amount_wan == Decimal("100")
    assert result.to_decision.mean_working_days == 5
    assert result.to_decision.within_goal == 1
    assert result.to_loan.max_working_days == 26  # 9 in September, 2 + 15 in October
    assert result.to_loan.within_goal == 0
