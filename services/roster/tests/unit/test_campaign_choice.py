"""Which campaign a nomination, an assignment, a delisting and a pairing belong to, as plain
rules over the campaigns' terms (two cities' campaigns at once, and one city's two years)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from roster.domain.campaigns import (
    CampaignTerms,
    NominationScreen,
    Screened,
    listed_campaign,
    nomination_campaign,
    pairing_campaign,
    terms_of,
)
from roster.domain.enterprise import Admission, Enterprise, Listing, NotListedError, admit, delist
from roster.domain.nomination import Nomination, PriorLoan
from roster.domain.size_standard import load_size_standard
from roster.schemas import read_nomination
from shared.campaigns import AmbiguousCampaignError, load_campaigns
from shared.testing import campaigns_dir, sample_uscc


def terms(
    campaign_id: str, counties: set[str], start: date, end: date, deadline: date
) -> CampaignTerms:
    return CampaignTerms(
        id=campaign_id,
        county_codes=frozenset(counties),
        institution_ids=frozenset({"icbc", "ccb", "xzrcu", "yzrcu"}),
        start=start,
        end=end,
        list_deadline=deadline,
        look_back_years=5,
    )


XINZHOU = {"140902", "140981"}
XINZHOU_2020 = terms(
    "xinzhou-2020", XINZHOU, date(2020, 9, 1), date(2020, 12, 31), date(2020, 9, 10)
)
XINZHOU_2021 = terms(
    "xinzhou-2021", XINZHOU, date(2021, 9, 1), date(2021, 12, 31), date(2021, 9, 10)
)
YUNZHOU_2020 = terms(
    "yunzhou-2020", {"149921"}, date(2020, 10, 1), date(2021, 3, 31), date(2020, 10, 15)
)
CAMPAIGNS = (XINZHOU_2020, YUNZHOU_2020, XINZHOU_2021)
SCREEN = NominationScreen(CAMPAIGNS, load_size_standard(), date(2030, 1, 1))
CODE = sample_uscc(7, tag="CC")


def chosen(county: str | None, day: date | None, requested: str | None = None) -> str:
    choice = nomination_campaign(CAMPAIGNS, requested, county, day)
    assert isinstance(choice, CampaignTerms), choice
    return choice.id


@pytest.mark.parametrize(
    ("county", "day", "expected"),
    [
        # Two cities' campaigns at once: each county's own.
        ("140902", date(2020, 10, 5), "xinzhou-2020"),
        ("149921", date(2020, 10, 5), "yunzhou-2020"),
        # Before a campaign starts: the one being prepared.
        ("140902", date(2020, 8, 20), "xinzhou-2020"),
        ("140902", date(2021, 8, 20), "xinzhou-2021"),
        # Between one year's campaign and the next: the next.
        ("140902", date(2021, 3, 1), "xinzhou-2021"),
        # After the county's only campaign: that one, as on a platform of one campaign.
        ("149921", date(2022, 1, 1), "yunzhou-2020"),
    ],
)
def test_the_county_and_the_day_say_which_campaign(county: str, day: date, expected: str) -> None:
    assert chosen(county, day) == expected


def test_a_named_campaign_wins_over_the_day() -> None:
    assert chosen("140902", date(2021, 9, 5), requested="xinzhou-2020") == "xinzhou-2020"


def test_after_every_campaign_of_a_county_with_several_the_campaign_must_be_named() -> None:
    choice = nomination_campaign(CAMPAIGNS, None, "140902", date(2022, 3, 1))
    assert isinstance(choice, list)
    assert [(r.code.value, r.field) for r in choice] == [("missing_field", "campaign")]
    assert "xinzhou-2020, xinzhou-2021" in choice[0].message_en


def raw(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "uscc": CODE,
        "name": "示例商贸有限公司",
        "county_code": "140902",
        "size_class": "micro",
        "source": "government",
        "nominated_by": "工信局",
        "nominated_on": "2020-10-05",
        "no_loan_in_5y_attested": True,
    }
    return {k: v for k, v in (body | changes).items() if v is not None}


def screened(loans: dict[str, list[PriorLoan]] | None = None, **changes: Any) -> Screened:
    draft, problems = read_nomination(raw(**changes))
    return SCREEN.screen(draft, loans or {}, problems)


def reasons(found: Screened) -> list[str]:
    assert isinstance(found.result, list), found
    return [f"{r.code.value}:{r.field}" for r in found.result]


def test_an_unknown_campaign_is_refused_naming_campaign() -> None:
    found = screened(campaign="nowhere-2020")
    assert found.campaign_id is None
    assert reasons(found) == ["invalid_field:campaign"]


def test_a_named_campaign_must_hold_the_county() -> None:
    found = screened(campaign="yunzhou-2020")
    assert found.campaign_id == "yunzhou-2020"
    assert reasons(found) == ["county_not_in_campaign:county_code"]
    assert isinstance(found.result, list)
    assert "yunzhou-2020" in found.result[0].message_en


def test_a_county_of_no_campaign_is_refused_once_with_every_other_reason() -> None:
    found = screened(county_code="110108", size_class="medium")
    assert found.campaign_id is None
    assert sorted(reasons(found)) == [
        "county_not_in_campaign:county_code",
        "size_class_not_eligible:size_class",
    ]


def test_a_nomination_naming_no_campaign_where_none_can_be_told_gives_every_reason() -> None:
    found = screened(nominated_on="2022-03-01", no_loan_in_5y_attested=False)
    assert found.campaign_id is None
    assert reasons(found) == ["not_attested:no_loan_in_5y_attested", "missing_field:campaign"]


def test_the_list_deadline_is_the_nominations_campaigns() -> None:
    xinzhou = screened(nominated_on="2020-10-05")
    yunzhou = screened(nominated_on="2020-10-05", county_code="149921")
    for found, campaign, late in (
        (xinzhou, "xinzhou-2020", True),
        (yunzhou, "yunzhou-2020", False),
    ):
        assert isinstance(found.result, Nomination), found
        assert (found.result.campaign_id, found.result.late) == (campaign, late)


def test_a_first_loan_of_2020_refuses_the_2021_nomination() -> None:
    loans = {CODE: [PriorLoan("icbc", "L2020", date(2020, 10, 10))]}
    refused = screened(loans, nominated_on="2021-09-05")
    assert refused.campaign_id == "xinzhou-2021"
    assert reasons(refused) == ["prior_loan:uscc"]
    before_the_loan = screened(loans, nominated_on="2020-09-05")
    assert isinstance(before_the_loan.result, Nomination)


def nominated(day: str, **changes: Any) -> Nomination:
    found = screened(nominated_on=day, **changes).result
    assert isinstance(found, Nomination), found
    return found


def test_listed_in_2020_and_nominated_to_2021_is_a_new_listing_judged_afresh() -> None:
    first = admit(None, nominated("2020-09-05"))
    again_2020 = admit(first.enterprise, nominated("2020-10-01"))
    assert again_2020.admission is Admission.MERGED
    in_2021 = admit(
        again_2020.enterprise, nominated("2021-09-05", source="bank", institution_id="icbc")
    )
    assert in_2021.admission is Admission.LISTED
    enterprise = in_2021.enterprise
    assert enterprise.campaigns == ("xinzhou-2020", "xinzhou-2021")
    assert [(x.campaign_id, x.listed_on) for x in enterprise.listings] == [
        ("xinzhou-2020", date(2020, 9, 5)),
        ("xinzhou-2021", date(2021, 9, 5)),
    ]
    assert enterprise.institutions_in("xinzhou-2021") == {"icbc"}
    assert enterprise.institutions_in("xinzhou-2020") == frozenset()
    merged_2021 = admit(enterprise, nominated("2021-09-20"))
    assert merged_2021.admission is Admission.MERGED


def enterprise(*listings: Listing) -> Enterprise:
    profile = admit(None, nominated("2020-09-05")).enterprise.profile
    return Enterprise(CODE, profile, listings)


def test_an_assignment_or_delisting_goes_to_the_listing_campaign_running_on_its_day() -> None:
    both = enterprise(
        Listing("xinzhou-2020", date(2020, 9, 5), "140902", False),
        Listing("xinzhou-2021", date(2021, 9, 5), "140902", False),
    )
    assert listed_campaign(both, {"xinzhou-2020", "yunzhou-2020"}) == "xinzhou-2020"
    assert listed_campaign(both, {"xinzhou-2021"}) == "xinzhou-2021"
    assert listed_campaign(both, set()) == "xinzhou-2021", "none running: the latest listing's"
    closed = delist(both, date(2020, 11, 1), "closed", None, "xinzhou-2020")
    assert (closed.campaign_id, closed.delisted_on) == ("xinzhou-2020", date(2020, 11, 1))
    with pytest.raises(NotListedError):
        delist(replace(both, listings=(closed,)), date(2020, 12, 1), "closed", None, "xinzhou-2020")


def test_listed_in_two_running_campaigns_the_campaign_must_be_named() -> None:
    two_cities = enterprise(
        Listing("xinzhou-2020", date(2020, 9, 5), "140902", False),
        Listing("yunzhou-2020", date(2020, 10, 5), "149921", False),
    )
    with pytest.raises(AmbiguousCampaignError) as raised:
        listed_campaign(two_cities, {"xinzhou-2020", "yunzhou-2020"})
    assert raised.value.candidates == ("xinzhou-2020", "yunzhou-2020")


def test_a_pairing_assigns_in_the_campaign_counting_it_if_listed_there_else_the_latest() -> None:
    listed_2020 = enterprise(Listing("xinzhou-2020", date(2020, 9, 5), "140902", False))
    assert pairing_campaign(listed_2020, "xinzhou-2020") == "xinzhou-2020"
    assert pairing_campaign(listed_2020, "xinzhou-2021") == "xinzhou-2020"
    assert pairing_campaign(listed_2020, None) == "xinzhou-2020"
    never = enterprise()
    assert pairing_campaign(never, "xinzhou-2020") is None


def test_the_packaged_example_campaigns_choose_alike(tmp_path: Any) -> None:
    book = load_campaigns(campaigns_dir(tmp_path / "c", "yunzhou-2020", "xinzhou-2021"))
    campaigns = terms_of(book)
    assert [c.id for c in campaigns] == ["xinzhou-2020", "yunzhou-2020", "xinzhou-2021"]
    for county, day, expected in (
        ("149921", date(2020, 10, 5), "yunzhou-2020"),
        ("140902", date(2020, 10, 5), "xinzhou-2020"),
        ("140902", date(2021, 8, 25), "xinzhou-2021"),
    ):
        choice = nomination_campaign(campaigns, None, county, day)
        assert isinstance(choice, CampaignTerms)
        assert choice.id == expected
