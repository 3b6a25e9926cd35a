"""Matchmaking's facts over several campaigns: which campaign a fact's county and day name
(its credit process goal, its lens), whose list an enterprise is on; and the handlers
accepting a fair and a pairing of another city's campaign."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from matchmaking import views
from matchmaking.commands import RecordMatch, RegisterEnterprise, ScheduleFair
from matchmaking.domain.campaigns import (
    campaign_id_of,
    campaign_of_fact,
    credit_goal,
    in_campaign,
    is_known_county,
    is_known_institution,
)
from matchmaking.domain.listing import Delisting, Listing, ListingHistory
from matchmaking.handlers import Handlers
from shared.campaigns import book_of
from shared.contracts.bank import CreditGranted
from shared.contracts.matchmaking import Channel
from shared.contracts.roster import EnterpriseDelisted, EnterpriseListed
from shared.contracts.types import Guarantee
from shared.reference import ReferenceData, load_reference
from shared.testing import EXAMPLE_CAMPAIGNS, message, recorded, sample_uscc, unit_of_work_over

from .fakes import InMemoryStore


def with_goal(reference: ReferenceData, workdays: int) -> ReferenceData:
    campaign = reference.campaign.model_copy(update={"credit_process_goal_workdays": workdays})
    return reference.model_copy(update={"campaign": campaign})


XINZHOU_2020 = load_reference()
XINZHOU_2021 = with_goal(load_reference(EXAMPLE_CAMPAIGNS / "xinzhou-2021.toml"), 8)
YUNZHOU_2020 = with_goal(load_reference(EXAMPLE_CAMPAIGNS / "yunzhou-2020.toml"), 5)
BOOK = book_of([XINZHOU_2020, YUNZHOU_2020, XINZHOU_2021])
YUNZHONG, XINFU = "149902", "140902"


def test_a_facts_campaign_is_its_countys_on_its_day() -> None:
    assert campaign_of_fact(BOOK, YUNZHONG, date(2020, 11, 2)) is YUNZHOU_2020
    assert campaign_of_fact(BOOK, XINFU, date(2020, 11, 2)) is XINZHOU_2020
    assert campaign_of_fact(BOOK, XINFU, date(2021, 10, 2)) is XINZHOU_2021
    # between Xinzhou's campaigns: the latest begun; before any: the first
    assert campaign_of_fact(BOOK, XINFU, date(2021, 5, 2)) is XINZHOU_2020
    assert campaign_of_fact(BOOK, XINFU, date(2019, 5, 2)) is XINZHOU_2020
    assert credit_goal(BOOK, YUNZHONG, date(2020, 11, 2)) == 5
    assert credit_goal(BOOK, XINFU, date(2021, 10, 2)) == 8
    assert credit_goal(BOOK, XINFU, date(2020, 11, 2)) == 10


def test_a_fact_of_no_known_county_takes_its_institutions_campaign() -> None:
    assert campaign_of_fact(BOOK, None, date(2021, 2, 1), "icbc") is YUNZHOU_2020
    assert campaign_of_fact(BOOK, None, date(2020, 11, 1), "yzrcu") is YUNZHOU_2020
    assert campaign_of_fact(BOOK, None, date(2020, 11, 1), "xzrcu") is XINZHOU_2020
    assert campaign_of_fact(BOOK, "999999", date(2021, 10, 1), "nobody") is XINZHOU_2021


def test_a_campaigns_lens_holds_the_facts_of_its_counties_and_window() -> None:
    assert in_campaign(YUNZHOU_2020, YUNZHONG, date(2021, 3, 31))
    assert not in_campaign(YUNZHOU_2020, YUNZHONG, date(2021, 4, 1))
    assert not in_campaign(YUNZHOU_2020, XINFU, date(2020, 11, 1))
    assert not in_campaign(YUNZHOU_2020, None, date(2020, 11, 1))


def test_counties_and_institutions_of_any_campaign_are_known() -> None:
    assert is_known_county(BOOK, YUNZHONG)
    assert is_known_county(BOOK, XINFU)
    assert not is_known_county(BOOK, "149999")
    assert is_known_institution(BOOK, "yzrcu")
    assert is_known_institution(BOOK, "xzrcu")
    assert not is_known_institution(BOOK, "nobody")
    assert campaign_id_of(BOOK, YUNZHONG, date(2020, 10, 9)) == "yunzhou-2020"
    assert campaign_id_of(BOOK, "149999", date(2020, 10, 9)) is None


def test_the_list_is_a_campaigns() -> None:
    uscc = sample_uscc(1)
    history = ListingHistory(
        (Listing(uscc, date(2020, 9, 5), "甲", XINFU, "xinzhou-2020"),),
        (Delisting(uscc, date(2021, 9, 1), "xinzhou-2021"),),
    )
    assert history.listed_on(date(2020, 10, 1), "xinzhou-2020")
    assert not history.listed_on(date(2021, 10, 1), "xinzhou-2021")  # not nominated again
    assert history.listed_on(date(2021, 10, 1), "xinzhou-2020")  # another campaign's delisting
    assert not history.listed_on(date(2021, 10, 1), None)  # every list: delisted


def handlers() -> Handlers:
    return Handlers(lambda: BOOK, lambda: datetime(2020, 11, 20, 4, tzinfo=UTC))


async def test_a_fair_and_a_pairing_of_yunzhou_are_timed_by_its_goal() -> None:
    uow, work = unit_of_work_over(InMemoryStore()), handlers()
    uscc = sample_uscc(7, county=YUNZHONG)
    listed = EnterpriseListed(
        campaign_id="yunzhou-2020",
        uscc=uscc,
        name="云中示例商贸有限公司",
        county_code=YUNZHONG,
        listed_on=date(2020, 10, 8),
    )
    await work.apply_listings(uow, [message(listed)])
    fair = await work.schedule_fair(
        uow, ScheduleFair(YUNZHONG, "云中区首贷对接会", date(2020, 10, 9))
    )
    attended = await work.register_attendance(uow, RegisterEnterprise(fair.fair_id, uscc))
    assert attended.attendee.listed is True
    match, _ = await work.record_match(
        uow, RecordMatch(uscc, "yzrcu", Channel.FAIR, fair_id=fair.fair_id)
    )
    assert (match.county_code, match.listed) == (YUNZHONG, True)
    granted = CreditGranted(
        institution_id="yzrcu",
        uscc=uscc,
        enterprise_name="云中示例商贸有限公司",
        credit_id="C-YZ",
        amount_wan=Decimal("80"),
        granted_on=date(2020, 11, 30),  # 7 working days after 11-20: over Yunzhou's 5
        guarantee=Guarantee.CREDIT,
    )
    await work.apply_credit_decisions(
        uow, [message(granted, source="urn:firstloan:institution:yzrcu")]
    )
    await uow.flush()
    (outcome,) = recorded(uow).events("MatchOutcomeRecorded")
    assert (outcome.data["goal_working_days"], outcome.data["within_goal"]) == (5, False)
    figures = await views.institution_figures(uow.store, BOOK, "yzrcu", YUNZHOU_2020)
    assert (figures.matches, figures.goal_working_days) == (1, 5)
    goals = views.goals_of(BOOK)
    in_xinzhou = await views.matches(
        uow.store, goals, institution_id="yzrcu", uscc=None, campaign=XINZHOU_2020
    )
    assert in_xinzhou == []
    assert len(await views.fairs(uow.store, None, YUNZHOU_2020)) == 1
    assert await views.fairs(uow.store, None, XINZHOU_2020) == []

    delisted = EnterpriseDelisted(
        uscc=uscc, county_code=YUNZHONG, on=date(2020, 12, 1), reason="first_loan_obtained"
    )
    await work.apply_delistings(uow, [message(delisted)])  # of no named campaign: Yunzhou's
    history = await uow.store.listings.history(uscc)
    assert [d.campaign_id for d in history.delistings] == ["yunzhou-2020"]
    assert not history.listed_on(date(2020, 12, 2), "yunzhou-2020")
