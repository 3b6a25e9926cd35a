"""The handlers over the in-memory store with three campaigns (xinzhou-2020, yunzhou-2020
overlapping it, xinzhou-2021 after it): each nomination, assignment, pairing and whitelist in
its campaign, and every event naming it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from roster.commands import Assign, Nominate, NominationInput, PublishWhitelist
from roster.domain.size_standard import load_size_standard
from roster.handlers import Handlers
from roster.schemas import read_nomination
from shared.campaigns import AmbiguousCampaignError, book_of
from shared.clock import NOON
from shared.contracts.matchmaking import Channel, EnterpriseMatched
from shared.reference import load_reference
from shared.testing import EXAMPLE_CAMPAIGNS, message, recorded, sample_uscc, unit_of_work_over
from shared.unit_of_work import UnitOfWork

from .fakes import InMemoryStore

BOOK = book_of(
    [
        load_reference(),
        load_reference(EXAMPLE_CAMPAIGNS / "yunzhou-2020.toml"),
        load_reference(EXAMPLE_CAMPAIGNS / "xinzhou-2021.toml"),
    ]
)
TODAY = date(2022, 6, 1)
CODE = sample_uscc(3, tag="CH")


def handlers() -> Handlers:
    def clock() -> datetime:
        return datetime.combine(TODAY, NOON, BOOK.zone)

    return Handlers(lambda: BOOK, load_size_standard(), clock)


def uow() -> UnitOfWork[InMemoryStore]:
    return unit_of_work_over(InMemoryStore())


def nominate(**changes: Any) -> Nominate:
    raw: dict[str, Any] = {
        "uscc": CODE,
        "name": "示例商贸有限公司",
        "county_code": "140902",
        "size_class": "micro",
        "source": "government",
        "nominated_by": "工信局",
        "nominated_on": "2020-09-05",
        "no_loan_in_5y_attested": True,
    } | changes
    return Nominate([NominationInput(*read_nomination(raw), raw)], channel="api")


def matched(on: str, institution_id: str = "icbc", match_id: str = "M1") -> Any:
    return message(
        EnterpriseMatched(
            match_id=match_id,
            uscc=CODE,
            institution_id=institution_id,
            matched_on=date.fromisoformat(on),
            channel=Channel.ONE_ON_ONE,
        )
    )


async def campaigns_of(unit: UnitOfWork[InMemoryStore], name: str) -> list[str | None]:
    await unit.flush()
    return [e.data["campaign_id"] for e in recorded(unit).events(name)]


async def test_every_event_of_a_nomination_names_its_campaign() -> None:
    unit = uow()
    (yunzhou,) = await handlers().nominate(
        unit, nominate(county_code="149921", nominated_on="2020-10-05")
    )
    (xinzhou,) = await handlers().nominate(
        unit, nominate(uscc=sample_uscc(4, tag="CH"), nominated_on="2020-10-05")
    )
    (refused,) = await handlers().nominate(unit, nominate(nominated_on="2022-03-01"))
    assert (yunzhou.campaign_id, xinzhou.campaign_id, refused.campaign_id) == (
        "yunzhou-2020",
        "xinzhou-2020",
        None,
    )
    assert await campaigns_of(unit, "EnterpriseListed") == ["yunzhou-2020", "xinzhou-2020"]
    assert await campaigns_of(unit, "EnterpriseNominated") == ["yunzhou-2020", "xinzhou-2020"]
    assert await campaigns_of(unit, "NominationRejected") == [None]
    assert [n.campaign_id for n in unit.store.enterprises.nominations] == [
        "yunzhou-2020",
        "xinzhou-2020",
        None,
    ]


async def test_a_bank_nomination_assigns_within_its_campaign() -> None:
    unit = uow()
    bank = {"source": "bank", "institution_id": "icbc", "nominated_by": "工商银行"}
    await handlers().nominate(unit, nominate(**bank))
    await handlers().nominate(unit, nominate(nominated_on="2021-09-05", **bank))
    held = unit.store.assignments.held
    assert sorted(c for c, _, _ in held) == ["xinzhou-2020", "xinzhou-2021"]
    assert await campaigns_of(unit, "EnterpriseAssigned") == ["xinzhou-2020", "xinzhou-2021"]


async def test_a_pairing_waiting_for_the_file_goes_to_the_campaign_that_lists_it() -> None:
    unit = uow()
    await handlers().apply_pairings(unit, [matched("2021-09-03")])
    assert unit.store.assignments.held == {}, "waits for the enterprise to be on file"
    await handlers().nominate(unit, nominate(nominated_on="2021-09-05"))
    assert list(unit.store.assignments.held) == [("xinzhou-2021", CODE, "icbc")]
    assert await campaigns_of(unit, "EnterpriseAssigned") == ["xinzhou-2021"]


async def test_a_pairing_counted_by_a_later_listing_is_assigned_there_in_either_order() -> None:
    """Listed in 2020, paired in 2021's window, nominated to 2021: the pairing assigns in 2021
    whichever of the pairing and the 2021 nomination came first."""
    outcomes = []
    for pairing_first in (True, False):
        unit = uow()
        await handlers().nominate(unit, nominate())
        steps = [
            handlers().apply_pairings(unit, [matched("2021-09-08")]),
            handlers().nominate(unit, nominate(nominated_on="2021-09-05")),
        ]
        if not pairing_first:
            steps.reverse()
        for step in steps:
            await step
        in_2021 = unit.store.assignments.held[("xinzhou-2021", CODE, "icbc")]
        outcomes.append(in_2021.assigned_on)
    assert outcomes == [date(2021, 9, 8), date(2021, 9, 8)]


async def test_an_assignment_naming_no_campaign_where_two_run_must_name_one() -> None:
    unit = uow()
    await handlers().nominate(unit, nominate(nominated_on="2020-10-05"))
    await handlers().nominate(unit, nominate(county_code="149921", nominated_on="2020-10-06"))
    with pytest.raises(AmbiguousCampaignError) as raised:
        await handlers().assign(unit, Assign(CODE, "icbc", date(2020, 10, 20)))
    assert raised.value.candidates == ("xinzhou-2020", "yunzhou-2020")
    named = await handlers().assign(unit, Assign(CODE, "icbc", date(2020, 10, 20), "yunzhou-2020"))
    assert (named.campaign_id, named.created) == ("yunzhou-2020", True)
    later = await handlers().assign(unit, Assign(CODE, "ccb", date(2021, 2, 1)))
    assert later.campaign_id == "yunzhou-2020", "only yunzhou-2020 runs on 2021-02-01"


async def test_whitelists_are_numbered_per_campaign() -> None:
    unit = uow()
    await handlers().nominate(unit, nominate(county_code="149921", nominated_on="2020-10-05"))
    first = await handlers().publish_whitelist(unit, PublishWhitelist("yunzhou-2020"))
    other = await handlers().publish_whitelist(unit, PublishWhitelist("xinzhou-2020"))
    again = await handlers().publish_whitelist(unit, PublishWhitelist("yunzhou-2020"))
    assert [(p.campaign_id, p.version) for p in (first, other, again)] == [
        ("yunzhou-2020", 1),
        ("xinzhou-2020", 1),
        ("yunzhou-2020", 2),
    ]
    assert await campaigns_of(unit, "WhitelistPublished") == [
        "yunzhou-2020",
        "xinzhou-2020",
        "yunzhou-2020",
    ]
    with pytest.raises(AmbiguousCampaignError):
        await handlers().publish_whitelist(unit, PublishWhitelist())
