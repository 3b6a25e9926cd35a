"""Contract §5 rules 2, 4-6: households, rates, expected progress, attainment ratio; and the
order-independence and idempotency of the whole count (hypothesis)."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.domain.attainment import Status, attainment
from assessment.domain.facts import Assignment, ListingChange, Loan
from assessment.domain.first_loan import CampaignWindow, evaluate
from assessment.domain.history import Fact, conflicting_loans, facts_by_enterprise
from shared.reference import load_reference
from shared.testing import sample_uscc

from ..facts_strategy import DAYS, FACTS, USCCS, replayed

REFERENCE = load_reference()
WINDOW = CampaignWindow(REFERENCE.campaign.start, REFERENCE.campaign.end, 5)


def count(facts: list[Fact], day: date):  # type: ignore[no-untyped-def]
    outcomes = [evaluate(f, WINDOW, day) for f in facts_by_enterprise(facts).values()]
    return attainment(outcomes, REFERENCE, day)


def test_households_rates_and_progress() -> None:
    a, b, c = sample_uscc(1), sample_uscc(2), sample_uscc(3)
    facts: list[Fact] = [
        ListingChange(a, date(2020, 9, 2), True, "140902"),
        ListingChange(b, date(2020, 9, 2), True, "140902"),
        ListingChange(c, date(2020, 9, 2), True, "140981"),
        Assignment(a, "icbc", date(2020, 9, 3)),
        Assignment(b, "icbc", date(2020, 9, 3)),
        Assignment(b, "abc", date(2020, 9, 4)),
        Loan("icbc", "L1", a, date(2020, 10, 1), True),
        Loan("abc", "L2", c, date(2020, 10, 1), True),
    ]
    day = date(2020, 10, 31)  # day 61 of 122
    result = count(facts, day)
    assert (result.cultivated, result.first_loans) == (3, 2)
    assert result.first_loan_rate == 2 / 3
    xinfu = result.unit("140902")
    assert (xinfu.cultivated, xinfu.first_loans, xinfu.first_loan_rate) == (2, 1, 0.5)
    assert xinfu.expected is not None
    assert xinfu.expected.first_loans == 400 * 61 / 122
    assert xinfu.attainment_ratio == 1 / 200
    assert xinfu.status is Status.CRITICAL
    icbc, abc = result.unit("icbc"), result.unit("abc")
    assert (icbc.cultivated, icbc.first_loans) == (2, 1)
    # abc issued c's first loan although c was never assigned to it: rule 4 counts issuers.
    assert (abc.cultivated, abc.first_loans) == (1, 1)
    assert result.unit("adbc").status is Status.NO_TARGET


def test_expected_progress_is_capped_at_the_target() -> None:
    result = count([], date(2021, 6, 1))
    xinfu = result.unit("140902")
    assert xinfu.expected is not None
    assert xinfu.expected.first_loans == 400
    before = count([], date(2020, 8, 1)).unit("140902")
    assert before.expected is not None
    assert before.expected.first_loans == 0
    assert before.status is Status.NOT_STARTED


@settings(max_examples=200, deadline=None)
@given(facts=FACTS, data=st.data(), day=DAYS)
def test_any_order_with_any_duplicates_gives_the_same_count(
    facts: list[Fact], data: st.DataObject, day: date
) -> None:
    assert count(replayed(data, facts), day) == count(facts, day)


@settings(max_examples=200, deadline=None)
@given(facts=FACTS, day=DAYS)
def test_nobody_is_counted_twice(facts: list[Fact], day: date) -> None:
    result = count(facts, day)
    assert sum(u.first_loans for u in result.counties) == result.first_loans
    assert sum(u.cultivated for u in result.counties) == result.cultivated
    assert result.first_loans <= len(USCCS)


@settings(max_examples=200, deadline=None)
@given(facts=FACTS, data=st.data())
def test_the_counted_copy_of_a_loan_and_its_conflicts_do_not_depend_on_order(
    facts: list[Fact], data: st.DataObject
) -> None:
    again = replayed(data, facts)
    assert facts_by_enterprise(again) == facts_by_enterprise(facts)
    assert conflicting_loans(again) == conflicting_loans(facts)
    loans = {f.key for f in facts if isinstance(f, Loan)}
    counted = [loan for e in facts_by_enterprise(facts).values() for loan in e.loans]
    assert sorted(loan.key for loan in counted) == sorted(loans)
