"""Reporting units are a campaign's: which campaign a call about a unit's month means, and
whose ledger holds the pairings of enterprises of no known county."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.domain.periods import Month
from ledger.reporting_units import (
    Level,
    UnknownReportingUnitError,
    all_reporting_units,
    campaign_of_unit,
    deadlines,
    reporting_unit_of,
    takes_unplaced_pairings,
)
from shared.campaigns import AmbiguousCampaignError, book_of
from shared.reference import load_reference
from shared.testing import EXAMPLE_CAMPAIGNS

XINZHOU_2020 = load_reference()
XINZHOU_2021 = load_reference(EXAMPLE_CAMPAIGNS / "xinzhou-2021.toml")
YUNZHOU_2020 = load_reference(EXAMPLE_CAMPAIGNS / "yunzhou-2020.toml")
BOOK = book_of([XINZHOU_2020, YUNZHOU_2020, XINZHOU_2021])
CAMPAIGNS = BOOK.campaigns
OCTOBER = Month(2020, 10)


def chosen(unit_id: str, month: Month | None, today: date) -> str:
    return campaign_of_unit(CAMPAIGNS, unit_id, month, today).campaign.id


def test_a_county_means_its_campaign_that_has_the_month() -> None:
    assert chosen("149921", OCTOBER, date(2020, 10, 20)) == "yunzhou-2020"
    assert chosen("140902", OCTOBER, date(2021, 10, 1)) == "xinzhou-2020"
    assert chosen("140902", Month(2021, 10), date(2020, 10, 1)) == "xinzhou-2021"
    # no campaign of the county has the month: the one running today (then 404 for the month)
    assert chosen("140902", Month(2022, 5), date(2021, 10, 1)) == "xinzhou-2021"


def test_an_institution_of_two_running_campaigns_is_ambiguous() -> None:
    with pytest.raises(AmbiguousCampaignError) as raised:
        chosen("icbc", OCTOBER, date(2020, 10, 20))
    assert set(raised.value.candidates) == {"xinzhou-2020", "yunzhou-2020"}
    # a month only one of them has decides
    assert chosen("icbc", Month(2020, 9), date(2020, 10, 20)) == "xinzhou-2020"
    assert chosen("icbc", Month(2021, 2), date(2020, 10, 20)) == "yunzhou-2020"
    # a month both have, once only one runs: the running one
    assert chosen("icbc", OCTOBER, date(2021, 2, 1)) == "yunzhou-2020"
    # an institution of one city only
    assert chosen("xzrcu", OCTOBER, date(2020, 10, 20)) == "xinzhou-2020"
    assert chosen("yzrcu", None, date(2020, 10, 20)) == "yunzhou-2020"


def test_one_campaign_answers_without_being_named() -> None:
    assert campaign_of_unit([XINZHOU_2020], "icbc", OCTOBER, date(2020, 10, 20)) is XINZHOU_2020
    assert campaign_of_unit([XINZHOU_2020], "icbc", None, date(2025, 1, 1)) is XINZHOU_2020


def test_a_unit_of_no_campaign_is_unknown() -> None:
    with pytest.raises(UnknownReportingUnitError):
        chosen("nowhere", OCTOBER, date(2020, 10, 20))
    with pytest.raises(UnknownReportingUnitError):
        reporting_unit_of(XINZHOU_2020, "149921")


def test_units_and_deadlines_are_the_campaigns() -> None:
    icbc_xz = reporting_unit_of(XINZHOU_2020, "icbc")
    icbc_yz = reporting_unit_of(YUNZHOU_2020, "icbc")
    assert (icbc_xz.campaign_id, icbc_yz.campaign_id) == ("xinzhou-2020", "yunzhou-2020")
    assert icbc_xz.name != icbc_yz.name  # each city's branch
    counties = {u.id for u in all_reporting_units(YUNZHOU_2020) if u.level is Level.COUNTY}
    assert counties == {"149902", "149921", "149922"}
    assert [str(m) for m in deadlines(YUNZHOU_2020)][:2] == ["2020-10", "2020-11"]
    assert str(max(deadlines(YUNZHOU_2020))) == "2021-03"


def test_pairings_of_no_known_county_go_to_the_institutions_only_campaign_of_the_month() -> None:
    icbc_xz = reporting_unit_of(XINZHOU_2020, "icbc")
    icbc_yz = reporting_unit_of(YUNZHOU_2020, "icbc")
    xzrcu = reporting_unit_of(XINZHOU_2020, "xzrcu")
    county = reporting_unit_of(XINZHOU_2020, "140902")
    assert not takes_unplaced_pairings(CAMPAIGNS, XINZHOU_2020, icbc_xz, OCTOBER)
    assert not takes_unplaced_pairings(CAMPAIGNS, YUNZHOU_2020, icbc_yz, OCTOBER)
    assert takes_unplaced_pairings(CAMPAIGNS, XINZHOU_2020, icbc_xz, Month(2020, 9))
    assert takes_unplaced_pairings(CAMPAIGNS, XINZHOU_2020, xzrcu, OCTOBER)
    assert takes_unplaced_pairings([XINZHOU_2020], XINZHOU_2020, icbc_xz, OCTOBER)
    assert not takes_unplaced_pairings(CAMPAIGNS, XINZHOU_2020, county, OCTOBER)
