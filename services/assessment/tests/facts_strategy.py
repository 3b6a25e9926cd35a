"""Hypothesis strategies for sets of facts, shared by the pure and the storage properties.

Few enterprises, banks and loan ids, so that facts collide: the same loan id reported with
other content (another date, amount, application date, guarantee or rate, even another
enterprise), several reversals of one loan, listings and delistings on the same day.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from assessment.domain.facts import Assignment, ListingChange, Loan, Reversal
from assessment.domain.history import Fact
from shared.testing import sample_uscc

USCCS = [sample_uscc(n, tag="HY") for n in range(3)]
COUNTIES = ["140902", "140981"]
BANKS = ["icbc", "xzrcu"]
LOAN_IDS = ["L1", "L2", "L3"]
# Mostly around the campaign (September to December 2020), where loans count; sometimes
# years before it, where they contradict a claim.
NEAR = st.integers(min_value=-20, max_value=120)
DAYS = st.one_of(NEAR, NEAR, NEAR, st.integers(min_value=-2000, max_value=160)).map(
    lambda n: date(2020, 9, 1) + timedelta(days=n)
)

LOANS = st.builds(
    Loan,
    st.sampled_from(BANKS),
    st.sampled_from(LOAN_IDS),
    st.sampled_from(USCCS),
    DAYS,
    st.sampled_from([True, True, False]),
    st.sampled_from(["50", "80.5"]),
    st.none() | DAYS,
    st.sampled_from(["credit", "collateral", "third_party"]),
    st.none() | st.sampled_from([3.85, 4.35, 4.3456]),
)

# Reversals come late, often after the day counted: a loan is live until then.
REVERSAL_DAYS = st.integers(min_value=30, max_value=240).map(
    lambda n: date(2020, 9, 1) + timedelta(days=n)
)

LISTINGS = st.builds(
    ListingChange,
    st.sampled_from(USCCS),
    DAYS,
    st.sampled_from([True, True, False]),
    st.sampled_from(COUNTIES),
)

FACTS: st.SearchStrategy[list[Fact]] = st.lists(
    st.one_of(
        LISTINGS,
        LISTINGS,
        st.builds(Assignment, st.sampled_from(USCCS), st.sampled_from(BANKS), DAYS),
        LOANS,
        LOANS,
        st.builds(Reversal, st.sampled_from(BANKS), st.sampled_from(LOAN_IDS), REVERSAL_DAYS),
    ),
    min_size=4,
    max_size=30,
)


def replayed(data: st.DataObject, facts: list[Fact]) -> list[Fact]:
    """The facts in a drawn order, some of them drawn again (redeliveries)."""
    again = data.draw(st.lists(st.sampled_from(facts)) if facts else st.just([]))
    return data.draw(st.permutations(facts + again))
