"""The handlers over the in-memory store: what they store and what they publish."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from roster.commands import Assign, Nominate, NominationInput, PublishWhitelist
from roster.domain.assignments import Assignment
from roster.domain.size_standard import load_size_standard
from roster.handlers import Handlers
from roster.schemas import read_nomination
from shared.campaigns import book_of
from shared.clock import NOON
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.matchmaking import Channel, EnterpriseMatched
from shared.contracts.roster import AssignmentWay
from shared.envelope import Envelope
from shared.reference import load_reference
from shared.testing import message, recorded, sample_uscc, unit_of_work_over
from shared.unit_of_work import UnitOfWork

from .fakes import InMemoryStore

REFERENCE = load_reference()
CAMPAIGN = REFERENCE.campaign.id
BOOK = book_of([REFERENCE])
TODAY = date(2021, 3, 15)
CODE = sample_uscc(1, tag="HT")


def handlers() -> Handlers:
    def clock() -> datetime:
        return datetime.combine(TODAY, NOON, REFERENCE.campaign.zone)

    return Handlers(lambda: BOOK, load_size_standard(), clock)


def uow() -> UnitOfWork[InMemoryStore]:
    return unit_of_work_over(InMemoryStore())


def nominate_command(**changes: Any) -> Nominate:
    raw: dict[str, Any] = {
        "uscc": CODE,
        "name": "忻州示例商贸有限公司",
        "county_code": "140902",
        "size_class": "micro",
        "source": "government",
        "nominated_by": "忻府区工信局",
        "nominated_on": "2020-09-05",
        "no_loan_in_5y_attested": True,
    } | changes
    return Nominate([NominationInput(*read_nomination(raw), raw)], channel="api")


def matched(on: str, institution_id: str = "xzrcu", match_id: str = "M1") -> Any:
    return message(
        EnterpriseMatched(
            match_id=match_id,
            uscc=CODE,
            institution_id=institution_id,
            matched_on=date.fromisoformat(on),
            channel=Channel.FAIR,
        )
    )


async def published(unit: UnitOfWork[InMemoryStore], name: str) -> list[Envelope]:
    """The events of type `name` the unit of work has published so far."""
    await unit.flush()
    return recorded(unit).events(name)


async def assigned_days(unit: UnitOfWork[InMemoryStore]) -> list[tuple[str, str, str]]:
    return [
        (e.data["institution_id"], e.data["assigned_on"], e.data["way"])
        for e in await published(unit, "EnterpriseAssigned")
    ]


async def test_a_nomination_lists_the_enterprise_and_publishes_it() -> None:
    unit = uow()
    (outcome,) = await handlers().nominate(unit, nominate_command())
    assert outcome.status == "listed"
    listings = unit.store.enterprises.listings[CODE]
    assert [(x.listed_on, x.county_code) for x in listings] == [(date(2020, 9, 5), "140902")]
    (listed,) = await published(unit, "EnterpriseListed")
    assert (listed.data["uscc"], listed.data["listed_on"]) == (CODE, "2020-09-05")
    assert len(await published(unit, "EnterpriseNominated")) == 1


async def test_a_repeated_nomination_merges_into_the_file() -> None:
    unit = uow()
    await handlers().nominate(unit, nominate_command())
    (again,) = await handlers().nominate(unit, nominate_command(nominated_on="2020-09-20"))
    assert again.status == "merged"
    assert len(unit.store.enterprises.listings[CODE]) == 1
    assert [n.status for n in unit.store.enterprises.nominations] == ["listed", "merged"]
    assert len(await published(unit, "EnterpriseListed")) == 1
    assert len(await published(unit, "EnterpriseNominated")) == 2


async def test_a_match_assigns_and_publishes_the_assignment() -> None:
    unit = uow()
    await handlers().nominate(unit, nominate_command())
    await handlers().apply_pairings(unit, [matched("2020-09-20")])
    held = unit.store.assignments.held[(CAMPAIGN, CODE, "xzrcu")]
    assert held == Assignment(CODE, "xzrcu", date(2020, 9, 20), AssignmentWay.MATCH)
    assert await assigned_days(unit) == [("xzrcu", "2020-09-20", "match")]


async def test_an_earlier_match_moves_the_assignment_day_and_a_later_one_does_not() -> None:
    unit = uow()
    await handlers().nominate(unit, nominate_command())
    await handlers().apply_pairings(unit, [matched("2020-09-20")])
    await handlers().apply_pairings(unit, [matched("2020-09-12", match_id="M2")])
    await handlers().apply_pairings(unit, [matched("2020-09-30", match_id="M3")])
    assert unit.store.assignments.held[(CAMPAIGN, CODE, "xzrcu")].assigned_on == date(2020, 9, 12)
    assert await assigned_days(unit) == [
        ("xzrcu", "2020-09-20", "match"),
        ("xzrcu", "2020-09-12", "match"),
    ]


async def test_a_match_before_the_file_waits_and_an_earlier_bank_nomination_wins() -> None:
    unit = uow()
    await handlers().apply_pairings(unit, [matched("2020-09-20")])
    assert await assigned_days(unit) == [], "no county to publish before the enterprise is on file"
    bank = nominate_command(source="bank", institution_id="xzrcu", nominated_by="忻州农商银行")
    await handlers().nominate(unit, bank)
    assert unit.store.assignments.held[(CAMPAIGN, CODE, "xzrcu")].way is AssignmentWay.NOMINATION
    assert await assigned_days(unit) == [("xzrcu", "2020-09-05", "nomination")]


async def test_an_assignment_without_a_day_is_on_the_clocks_today() -> None:
    unit = uow()
    await handlers().nominate(unit, nominate_command())
    outcome = await handlers().assign(unit, Assign(CODE, "icbc"))
    assert outcome.created
    assert unit.store.assignments.held[(CAMPAIGN, CODE, "icbc")].assigned_on == TODAY
    again = await handlers().assign(unit, Assign(CODE, "icbc", date(2020, 10, 1)))
    assert not again.created
    assert await assigned_days(unit) == [
        ("icbc", TODAY.isoformat(), "explicit"),
        ("icbc", "2020-10-01", "explicit"),
    ]


async def test_the_whitelist_is_published_on_the_clocks_day() -> None:
    unit = uow()
    await handlers().nominate(unit, nominate_command(nominated_on="2021-03-01"))
    version = await handlers().publish_whitelist(unit, PublishWhitelist())
    assert (version.version, version.as_of, version.counts.total) == (1, TODAY, 1)
    (event,) = await published(unit, "WhitelistPublished")
    assert datetime.fromisoformat(event.data["published_at"]).date() == TODAY


def issued(on: str, amount: str) -> Any:
    return message(
        LoanIssued(
            institution_id="icbc",
            loan_id="L1",
            uscc=CODE,
            enterprise_name="忻州示例商贸有限公司",
            amount_wan=Decimal(amount),
            issued_on=date.fromisoformat(on),
            first_loan_attested=False,
            guarantee="credit",
        ),
        source="urn:firstloan:institution:icbc",
    )


def reversal(on: str) -> Any:
    return message(
        LoanReversed(
            institution_id="icbc", loan_id="L1", reversed_on=date.fromisoformat(on), reason="错"
        ),
        source="urn:firstloan:institution:icbc",
    )


async def test_two_copies_of_a_loan_keep_the_same_one_in_either_order() -> None:
    copies = [issued("2019-03-01", "50.00"), issued("2019-02-01", "80.00")]
    kept = []
    for order in (copies, copies[::-1]):
        unit = uow()
        for copy in order:
            await handlers().apply_loans(unit, [copy])
        kept.append(unit.store.loans.issued[("icbc", "L1")])
    assert kept[0] == kept[1]
    assert (kept[0].issued_on, kept[0].amount_wan) == (date(2019, 2, 1), Decimal("80.00"))


async def test_the_earliest_reversal_counts_in_either_order() -> None:
    copies = [reversal("2020-08-02"), reversal("2020-07-01")]
    for order in (copies, copies[::-1]):
        unit = uow()
        for copy in order:
            await handlers().apply_reversals(unit, [copy])
        assert unit.store.loans.reversed[("icbc", "L1")].reversed_on == date(2020, 7, 1)
