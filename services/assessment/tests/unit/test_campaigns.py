"""Counting per campaign (`domain/campaigns.py`): each campaign counts what the rules give for
it alone (its listings and assignments, every loan), a false first-loan claim is counted in
one campaign only, and the handlers' counts kept batch by batch, for every campaign at once,
are those counted from scratch."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.domain.attainment import Attainment, attainment, attainment_from
from assessment.domain.campaigns import Lenses, lens
from assessment.domain.facts import Assignment, ListingChange, Loan, Reversal
from assessment.domain.first_loan import EnterpriseOutcome, campaign_window, evaluate
from assessment.domain.history import Fact, facts_by_enterprise
from assessment.handlers import Handlers
from shared.campaigns import CampaignBook
from shared.consumer import Message
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.roster import EnterpriseAssigned, EnterpriseDelisted, EnterpriseListed
from shared.contracts.types import Guarantee
from shared.reference import ReferenceData
from shared.testing import message, sample_uscc, unit_of_work_over

from ..campaigns_strategy import (
    BOOK,
    COUNTED_ON,
    XINZHOU,
    XINZHOU_2020,
    XINZHOU_2021,
    YUNZHOU_2020,
    facts_of,
)
from ..facts_strategy import replayed
from .fakes import InMemoryStore

ZONE = ZoneInfo("Asia/Shanghai")


def alone(facts: list[Fact], reference: ReferenceData, day: date) -> list[EnterpriseOutcome]:
    """The pure rules for one campaign by itself: its own listings and assignments, and
    every loan of the enterprise."""
    window = campaign_window(reference)
    return [evaluate(lens(f, reference), window, day) for f in facts_by_enterprise(facts).values()]


def per_campaign(
    facts: list[Fact], book: CampaignBook, day: date
) -> dict[str, list[EnterpriseOutcome]]:
    lenses, found = Lenses(book), defaultdict(list)
    for enterprise in facts_by_enterprise(facts).values():
        for campaign_id, outcome in lenses.outcomes(enterprise, day).items():
            found[campaign_id].append(outcome)
    return found


def figures(current: Attainment) -> tuple[Any, ...]:
    return (current.cultivated, current.first_loans, current.counties, current.institutions)


def claims(outcomes: list[EnterpriseOutcome]) -> set[tuple[str, tuple[str, str]]]:
    return {(o.uscc, a.claim.key) for o in outcomes for a in o.anomalies}


@settings(max_examples=300, deadline=None)
@given(facts=facts_of(), day=st.sampled_from(COUNTED_ON))
def test_each_campaign_counts_what_the_rules_count_for_it_alone(
    facts: list[Fact], day: date
) -> None:
    counted = per_campaign(facts, BOOK, day)
    counted_in: Counter[tuple[str, tuple[str, str]]] = Counter()
    for reference in BOOK.campaigns:
        mine = counted.get(reference.campaign.id, [])
        by_itself = alone(facts, reference, day)
        assert figures(attainment(mine, reference, day)) == figures(
            attainment(by_itself, reference, day)
        )
        # A claim counted in a campaign is one the campaign's own rules contradict...
        assert claims(mine) <= claims(by_itself)
        counted_in.update(claims(mine))
    # ... and it is counted in one campaign only: the province's sum counts it once.
    assert set(counted_in.values()) <= {1}


@settings(max_examples=300, deadline=None)
@given(facts=facts_of(XINZHOU), day=st.sampled_from(COUNTED_ON))
def test_one_city_after_another_counts_every_false_claim_where_it_falls(
    facts: list[Fact], day: date
) -> None:
    """In one city whose campaigns follow each other, a contradicted claim of a campaign's
    bank counts in the campaign whose window holds it: each campaign counts exactly what it
    would alone."""
    counted = per_campaign(facts, XINZHOU, day)
    for reference in XINZHOU.campaigns:
        mine = attainment(counted.get(reference.campaign.id, []), reference, day)
        by_itself = attainment(alone(facts, reference, day), reference, day)
        assert figures(mine) == figures(by_itself)
        banks = reference.institution_ids
        assert {i: n for i, n in mine.anomalies_by_institution.items() if i in banks} == {
            i: n for i, n in by_itself.anomalies_by_institution.items() if i in banks
        }


# --- the campaign a claim falls in ------------------------------------------------------

A, B, C = (sample_uscc(n, tag="CQ") for n in range(1, 4))


def listed(who: str, on: date, county: str, campaign_id: str, listed: bool = True) -> Fact:
    return ListingChange(who, on, listed, county, campaign_id)


def loan(bank: str, loan_id: str, who: str, on: date, attested: bool = True) -> Loan:
    return Loan(bank, loan_id, who, on, attested)


def test_a_first_loan_of_2020_makes_the_same_enterprises_claim_of_2021_an_anomaly() -> None:
    facts = [
        listed(A, date(2020, 9, 5), "140902", XINZHOU_2020.campaign.id),
        loan("icbc", "A-2020", A, date(2020, 10, 8)),
        listed(A, date(2021, 9, 3), "140902", XINZHOU_2021.campaign.id),
        loan("ccb", "A-2021", A, date(2021, 10, 10)),
        listed(B, date(2021, 9, 3), "140921", XINZHOU_2021.campaign.id),
        loan("ccb", "B-2021", B, date(2021, 10, 1)),
    ]
    counted = per_campaign(facts, BOOK, date(2021, 11, 15))
    in_2020 = attainment(counted["xinzhou-2020"], XINZHOU_2020, date(2021, 11, 15))
    in_2021 = attainment(counted["xinzhou-2021"], XINZHOU_2021, date(2021, 11, 15))
    assert (in_2020.cultivated, in_2020.first_loans) == (1, 1)
    assert (in_2021.cultivated, in_2021.first_loans) == (2, 1)
    assert in_2021.unit("140921").first_loans == 1
    assert in_2021.unit("140902").first_loans == 0
    assert in_2021.anomalies_by_institution == {"ccb": 1}
    assert in_2020.anomalies_by_institution == {}
    assert "yunzhou-2020" not in counted


def test_an_unlisted_enterprises_claim_counts_in_the_earliest_running_campaign_of_its_bank() -> (
    None
):
    earlier = [loan("abc", f"{who}-0", who, date(2019, 5, 1), False) for who in (A, B)]
    facts: list[Fact] = [
        *earlier,
        # Both campaigns run on 2020-11-02 and have icbc: Xinzhou's began first.
        loan("icbc", "A-1", A, date(2020, 11, 2)),
        # Only Yunzhou's has yzrcu.
        loan("yzrcu", "B-1", B, date(2020, 11, 2)),
    ]
    counted = per_campaign(facts, BOOK, date(2020, 12, 1))
    xinzhou = attainment(counted["xinzhou-2020"], XINZHOU_2020, date(2020, 12, 1))
    yunzhou = attainment(counted["yunzhou-2020"], YUNZHOU_2020, date(2020, 12, 1))
    assert xinzhou.anomalies_by_institution == {"icbc": 1}
    assert yunzhou.anomalies_by_institution == {"yzrcu": 1}


def test_a_claim_counts_where_the_enterprise_is_listed_or_was_last() -> None:
    earlier = [loan("abc", f"{who}-0", who, date(2019, 5, 1), False) for who in (A, B, C)]
    facts: list[Fact] = [
        *earlier,
        # Listed in Yunzhou on the claim's day: Yunzhou's, though Xinzhou's began first.
        listed(A, date(2020, 10, 5), "149902", YUNZHOU_2020.campaign.id),
        loan("icbc", "A-1", A, date(2020, 11, 2)),
        # Listed in Xinzhou's 2020 campaign, delisted; a claim in February 2021, when only
        # Yunzhou's runs: its county's campaign (Xinzhou's of 2020) does not hold the day.
        listed(B, date(2020, 9, 5), "140902", XINZHOU_2020.campaign.id),
        listed(B, date(2020, 12, 1), "140902", XINZHOU_2020.campaign.id, listed=False),
        loan("icbc", "B-1", B, date(2021, 2, 10)),
        # Listed in 2021 only after its claim: the county it was last listed in says 2021.
        listed(C, date(2021, 10, 20), "140981", XINZHOU_2021.campaign.id),
        loan("icbc", "C-1", C, date(2021, 9, 20)),
    ]
    counted = per_campaign(facts, BOOK, date(2021, 12, 31))
    anomalies = {
        campaign_id: sorted(a.claim.loan_id for o in outcomes for a in o.anomalies)
        for campaign_id, outcomes in counted.items()
    }
    assert anomalies == {"yunzhou-2020": ["A-1"], "xinzhou-2020": [], "xinzhou-2021": ["C-1"]}


# --- the handlers' counts, batch by batch, for every campaign at once ---------------------


def event(fact: Fact, named: bool) -> Message[Any]:
    """The fact as its consumer hands it over; `named`: the roster event names its campaign
    (an older one does not, and is attributed by its county and date)."""
    if isinstance(fact, ListingChange):
        campaign_id = fact.campaign_id if named else None
        if fact.listed:
            return message(
                EnterpriseListed(
                    campaign_id=campaign_id,
                    uscc=fact.uscc,
                    name="企业",
                    county_code=fact.county_code,
                    listed_on=fact.on,
                )
            )
        return message(
            EnterpriseDelisted(
                campaign_id=campaign_id,
                uscc=fact.uscc,
                county_code=fact.county_code,
                on=fact.on,
                reason="closed",
            )
        )
    if isinstance(fact, Assignment):
        return message(
            EnterpriseAssigned(
                campaign_id=fact.campaign_id,
                uscc=fact.uscc,
                institution_id=fact.institution_id,
                county_code="149902" if fact.campaign_id.startswith("yunzhou") else "140902",
                assigned_on=fact.assigned_on,
                way="explicit",
            )
        )
    if isinstance(fact, Loan):
        return message(
            LoanIssued(
                institution_id=fact.institution_id,
                loan_id=fact.loan_id,
                uscc=fact.uscc,
                enterprise_name="企业",
                amount_wan=Decimal(fact.amount_wan),
                issued_on=fact.issued_on,
                first_loan_attested=fact.first_loan_attested,
                guarantee=Guarantee.CREDIT,
            )
        )
    assert isinstance(fact, Reversal)
    return message(
        LoanReversed(
            institution_id=fact.institution_id,
            loan_id=fact.loan_id,
            reversed_on=fact.reversed_on,
            reason="错账",
        )
    )


def attributed_alike(change: ListingChange) -> bool:
    found = BOOK.attribute(change.county_code, change.on)
    return found is not None and found.campaign.id == change.campaign_id


async def counted_by_handlers(
    batches: list[list[Message[Any]]], day: date
) -> tuple[InMemoryStore, Handlers]:
    store = InMemoryStore()
    noon = datetime.combine(day, time(12), tzinfo=ZONE)
    handlers = Handlers(lambda: BOOK, lambda: noon)
    for batch in batches:
        roster = [m for m in batch if not isinstance(m.payload, LoanIssued | LoanReversed)]
        bank = [m for m in batch if isinstance(m.payload, LoanIssued | LoanReversed)]
        if roster:
            await handlers.apply_roster_events(unit_of_work_over(store), roster)
        if bank:
            await handlers.apply_loans(unit_of_work_over(store), bank)
    return store, handlers


@settings(max_examples=150, deadline=None)
@given(facts=facts_of(), day=st.sampled_from(COUNTED_ON), data=st.data())
def test_counts_kept_batch_by_batch_are_each_campaigns_counted_from_scratch(
    facts: list[Fact], day: date, data: st.DataObject
) -> None:
    # A listing its county and date attribute to its own campaign may name none (as events
    # written before campaigns had ids); the others name theirs.
    may_be_unnamed = {id(f) for f in facts if isinstance(f, ListingChange) and attributed_alike(f)}
    named = {id(f): id(f) not in may_be_unnamed or data.draw(st.booleans()) for f in facts}
    arrival = replayed(data, facts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arrival)), max_size=4)))
    batches = [
        [event(f, named[id(f)]) for f in arrival[a:b]]
        for a, b in zip([0, *cuts], [*cuts, len(arrival)], strict=True)
    ]
    store, _ = asyncio.run(counted_by_handlers(batches, day))
    counted = per_campaign(facts, BOOK, day)
    for reference in BOOK.campaigns:
        campaign_id = reference.campaign.id
        kept = attainment_from(asyncio.run(store.counts.load(campaign_id)), reference, day)
        stored = attainment(asyncio.run(store.outcomes.load(campaign_id)), reference, day)
        scratch = attainment(counted.get(campaign_id, []), reference, day)
        assert kept == stored == scratch, campaign_id
