"""Hypothesis strategies for facts over several campaigns: Xinzhou's of 2020 and of 2021 (one
city, one after the other) and Yunzhou's of 2020 (another city, overlapping Xinzhou's of
2020). Few enterprises, banks and days, so that listings of one enterprise fall in two
campaigns, loans of 2020 contradict claims of 2021, and banks lend in both cities."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import strategies as st

from assessment.domain.facts import Assignment, ListingChange, Loan, Reversal
from assessment.domain.history import Fact
from shared.campaigns import CampaignBook, book_of
from shared.reference import load_reference
from shared.testing import EXAMPLE_CAMPAIGNS, sample_uscc

XINZHOU_2020 = load_reference()
XINZHOU_2021 = load_reference(EXAMPLE_CAMPAIGNS / "xinzhou-2021.toml")
YUNZHOU_2020 = load_reference(EXAMPLE_CAMPAIGNS / "yunzhou-2020.toml")
BOOK: CampaignBook = book_of([XINZHOU_2020, XINZHOU_2021, YUNZHOU_2020])
XINZHOU: CampaignBook = book_of([XINZHOU_2020, XINZHOU_2021])

USCCS = [sample_uscc(n, tag="CP") for n in range(4)]
# Counties of both cities: an enterprise is listed where its campaign's counties are.
COUNTIES = {
    XINZHOU_2020.campaign.id: ["140902", "140981"],
    XINZHOU_2021.campaign.id: ["140902", "140981"],
    YUNZHOU_2020.campaign.id: ["149902", "149921"],
}
BANKS = ["icbc", "ccb", "xzrcu", "yzrcu"]
LOAN_IDS = ["L1", "L2", "L3", "L4"]
# Mostly inside a campaign's window, sometimes just outside or years before (where a loan
# contradicts a claim); listings early in a window, so that later loans find them.
WINDOWS = [(date(2020, 9, 1), 122), (date(2020, 10, 1), 182), (date(2021, 9, 1), 122)]
IN_A_WINDOW = st.sampled_from(WINDOWS).flatmap(
    lambda w: st.integers(-15, w[1] + 15).map(lambda n: w[0] + timedelta(days=n))
)
YEARS_BEFORE = st.integers(1, 2000).map(lambda n: date(2020, 9, 1) - timedelta(days=n))
DAYS = st.one_of(IN_A_WINDOW, IN_A_WINDOW, IN_A_WINDOW, YEARS_BEFORE)
EARLY = st.sampled_from(WINDOWS).flatmap(
    lambda w: st.integers(-20, 40).map(lambda n: w[0] + timedelta(days=n))
)
LISTING_DAYS = st.one_of(EARLY, EARLY, DAYS)
COUNTED_ON = [date(2020, 11, 15), date(2021, 2, 1), date(2021, 11, 15), date(2022, 1, 10)]


@st.composite
def listing(draw: st.DrawFn, book: CampaignBook = BOOK) -> ListingChange:
    campaign_id = draw(st.sampled_from(book.ids))
    return ListingChange(
        draw(st.sampled_from(USCCS)),
        draw(LISTING_DAYS),
        draw(st.sampled_from([True, True, False])),
        draw(st.sampled_from(COUNTIES[campaign_id])),
        campaign_id,
    )


@st.composite
def assignment(draw: st.DrawFn, book: CampaignBook = BOOK) -> Assignment:
    campaign_id = draw(st.sampled_from(book.ids))
    return Assignment(
        draw(st.sampled_from(USCCS)), draw(st.sampled_from(BANKS)), draw(DAYS), campaign_id
    )


LOANS = st.builds(
    Loan,
    st.sampled_from(BANKS),
    st.sampled_from(LOAN_IDS),
    st.sampled_from(USCCS),
    DAYS,
    st.sampled_from([True, True, False]),
    st.just("50"),
    st.none(),
    st.just("credit"),
    st.none(),
)
REVERSALS = st.builds(
    Reversal,
    st.sampled_from(BANKS),
    st.sampled_from(LOAN_IDS),
    IN_A_WINDOW,
)


@st.composite
def story(draw: st.DrawFn, uscc: str, book: CampaignBook) -> list[Fact]:
    """One enterprise's facts: listed in a campaign or two, lent to a few times."""
    facts: list[Fact] = []
    for campaign_id in draw(st.lists(st.sampled_from(book.ids), min_size=1, max_size=2)):
        county = draw(st.sampled_from(COUNTIES[campaign_id]))
        start = book.get(campaign_id).campaign.start
        on = start + timedelta(days=draw(st.integers(-20, 40)))
        facts.append(ListingChange(uscc, on, True, county, campaign_id))
        if draw(st.booleans()):
            bank = draw(st.sampled_from(BANKS))
            facts.append(Assignment(uscc, bank, on + timedelta(days=3), campaign_id))
    for n in range(draw(st.integers(0, 3))):
        facts.append(
            Loan(
                draw(st.sampled_from(BANKS)),
                f"{uscc[-4:]}-{n}",
                uscc,
                draw(DAYS),
                draw(st.booleans()),
                "50",
            )
        )
    return facts


def facts_of(book: CampaignBook = BOOK) -> st.SearchStrategy[list[Fact]]:
    """Each enterprise's story, and facts at random that collide with them."""
    stories = st.tuples(*(story(uscc, book) for uscc in USCCS)).map(
        lambda found: [f for facts in found for f in facts]
    )
    scattered = st.lists(
        st.one_of(listing(book), assignment(book), LOANS, LOANS, REVERSALS), max_size=15
    )
    return st.tuples(stories, scattered).map(lambda both: [*both[0], *both[1]])
