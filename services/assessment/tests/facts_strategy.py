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

USCCS = [sample_uscc(n, tag="HY") for n in range(4)]
COUNTIES = ["140902", "140981"]
BANKS = ["icbc", "abc", "xzrcu"]
LOAN_IDS = ["L1", "L2", "L3"]
DAYS = st.integers(min_value=-2000, max_value=160).map(
    lambda n: date(2020, 9, 1) + timedelta(days=n)
)

LOANS = st.builds(
    Loan,
    st.sampled_from(BANKS),
    st.sampled_from(LOAN_IDS),
    st.sampled_from(USCCS),
    DAYS,
    st.booleans(),
    st.sampled_from(["50", "80.5"]),
    st.none() | DAYS,
    st.none() | st.sampled_from(["credit", "collateral", "third_party"]),
    st.none() | st.sampled_from([3.85, 4.35, 4.3456]),
)

FACTS: st.SearchStrategy[list[Fact]] = st.lists(
    st.one_of(
        st.builds(
            ListingChange, st.sampled_from(USCCS), DAYS, st.booleans(), st.sampled_from(COUNTIES)
        ),
        st.builds(Assignment, st.sampled_from(USCCS), st.sampled_from(BANKS), DAYS),
        LOANS,
        st.builds(Reversal, st.sampled_from(BANKS), st.sampled_from(LOAN_IDS), DAYS),
    ),
    max_size=25,
)


def replayed(data: st.DataObject, facts: list[Fact]) -> list[Fact]:
    """The facts in a drawn order, some of them drawn again (redeliveries)."""
    again = data.draw(st.lists(st.sampled_from(facts)) if facts else st.just([]))
    return data.draw(st.permutations(facts + again))
