"""Assignments and loans: whatever order (and duplication) the facts arrive in, the one kept
is the same."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from random import Random

from hypothesis import given
from hypothesis import strategies as st

from roster.domain.assignments import Assignment, earliest, kept
from roster.domain.loans import LoanIssuance, LoanReversal, kept_issuances, kept_reversals
from shared.contracts.roster import AssignmentWay

days = st.dates(min_value=date(2020, 9, 1), max_value=date(2020, 12, 31))
assignments = st.builds(
    Assignment,
    uscc=st.sampled_from(["91140902MA0K6Y8L1N", "92140902MA0K6Y8L2X"]),
    institution_id=st.sampled_from(["icbc", "xzrcu"]),
    assigned_on=days,
    way=st.sampled_from(AssignmentWay),
)


def fold(arrivals: list[Assignment]) -> dict[tuple[str, str], Assignment]:
    """One at a time, as separate requests and events would reach the store."""
    held: dict[tuple[str, str], Assignment] = {}
    for assignment in arrivals:
        held[assignment.pair] = kept(held.get(assignment.pair), assignment)
    return held


@given(st.lists(assignments, min_size=1, max_size=12), st.randoms())
def test_any_order_keeps_the_earliest_assignment(arrivals: list[Assignment], rng: Random) -> None:
    shuffled = list(arrivals) + arrivals[: len(arrivals) // 2]  # some arrive twice
    rng.shuffle(shuffled)
    assert fold(shuffled) == fold(arrivals) == earliest(shuffled)
    for pair, held in fold(arrivals).items():
        assert held.assigned_on == min(a.assigned_on for a in arrivals if a.pair == pair)


def test_on_the_same_day_the_way_first_in_alphabetical_order_is_kept() -> None:
    day = date(2020, 9, 20)
    match = Assignment("91140902MA0K6Y8L1N", "icbc", day, AssignmentWay.MATCH)
    explicit = Assignment("91140902MA0K6Y8L1N", "icbc", day, AssignmentWay.EXPLICIT)
    assert kept(match, explicit) == kept(explicit, match) == explicit


issuances = st.builds(
    LoanIssuance,
    institution_id=st.just("icbc"),
    loan_id=st.sampled_from(["L1", "L2"]),
    uscc=st.sampled_from(["91140902MA0K6Y8L1N", "92140902MA0K6Y8L2X"]),
    enterprise_name=st.sampled_from(["忻州示例商贸有限公司", "Xinzhou Trading", "忻州商贸"]),
    amount_wan=st.decimals(min_value=1, max_value=500, places=2),
    issued_on=days,
    first_loan_attested=st.booleans(),
)
reversals = st.builds(
    LoanReversal,
    institution_id=st.just("icbc"),
    loan_id=st.sampled_from(["L1", "L2"]),
    reversed_on=days,
    reason=st.sampled_from(["录入错误", "duplicate", "撤销"]),
)


@given(st.lists(issuances, min_size=1, max_size=8), st.randoms())
def test_two_copies_of_a_loan_keep_the_earliest_issued_whatever_the_order(
    copies: list[LoanIssuance], rng: Random
) -> None:
    shuffled = list(copies)
    rng.shuffle(shuffled)
    assert kept_issuances(shuffled) == kept_issuances(copies)
    for (_, loan_id), loan in kept_issuances(copies).items():
        assert loan.issued_on == min(c.issued_on for c in copies if c.loan_id == loan_id)


@given(st.lists(reversals, min_size=1, max_size=8), st.randoms())
def test_the_earliest_reversal_counts_whatever_the_order(
    copies: list[LoanReversal], rng: Random
) -> None:
    shuffled = list(copies)
    rng.shuffle(shuffled)
    assert kept_reversals(shuffled) == kept_reversals(copies)
    for (_, loan_id), reversal in kept_reversals(copies).items():
        assert reversal.reversed_on == min(c.reversed_on for c in copies if c.loan_id == loan_id)


def test_same_day_copies_of_a_loan_are_ordered_by_their_other_fields() -> None:
    day = date(2019, 3, 1)
    small = LoanIssuance("icbc", "L1", "91140902MA0K6Y8L1N", "忻州", Decimal("50.00"), day, False)
    large = LoanIssuance("icbc", "L1", "91140902MA0K6Y8L1N", "忻州", Decimal("80.00"), day, False)
    assert (
        kept_issuances([small, large]) == kept_issuances([large, small]) == {("icbc", "L1"): small}
    )
