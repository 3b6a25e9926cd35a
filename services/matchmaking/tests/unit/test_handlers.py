"""Matchmaking's handlers over the in-memory store: what they keep and what they announce,
including that a reversed loan is withdrawn from its pairing whatever the arrival order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from matchmaking import views
from matchmaking.commands import RecordMatch, RegisterEnterprise, ScheduleFair
from matchmaking.handlers import Handlers
from matchmaking.storage import Store
from shared.campaigns import book_of
from shared.contracts.bank import CreditGranted, LoanIssued, LoanReversed
from shared.contracts.matchmaking import Channel
from shared.contracts.roster import EnterpriseListed
from shared.contracts.types import Guarantee
from shared.reference import load_reference
from shared.testing import message, recorded, sample_uscc, unit_of_work_over
from shared.unit_of_work import UnitOfWork

from .fakes import InMemoryStore

REFERENCE = load_reference()
BOOK = book_of([REFERENCE])
GOAL = REFERENCE.campaign.credit_process_goal_workdays
TODAY = date(2021, 3, 15)
USCC = sample_uscc(1, tag="HM")
BANK = "icbc"
BANK_SOURCE = f"urn:firstloan:institution:{BANK}"


def handlers() -> Handlers:
    return Handlers(lambda: BOOK, lambda: datetime(2021, 3, 15, 12, tzinfo=UTC))


def new_uow() -> UnitOfWork[Store]:
    return unit_of_work_over(InMemoryStore())


def loan(loan_id: str = "L-1", issued_on: date = date(2020, 10, 20), amount: str = "50") -> Any:
    return LoanIssued(
        institution_id=BANK,
        uscc=USCC,
        enterprise_name="忻州示例商贸有限公司",
        loan_id=loan_id,
        amount_wan=Decimal(amount),
        issued_on=issued_on,
        first_loan_attested=True,
        guarantee=Guarantee.CREDIT,
    )


def credit(granted_on: date, amount: str = "80") -> Any:
    return CreditGranted(
        institution_id=BANK,
        uscc=USCC,
        enterprise_name="忻州示例商贸有限公司",
        credit_id="C-1",
        amount_wan=Decimal(amount),
        granted_on=granted_on,
        guarantee=Guarantee.CREDIT,
    )


def reversal(reversed_on: date, loan_id: str = "L-1", reason: str = "录入错误") -> Any:
    return LoanReversed(
        institution_id=BANK, loan_id=loan_id, reversed_on=reversed_on, reason=reason
    )


PAIRING = RecordMatch(USCC, BANK, Channel.ONE_ON_ONE, matched_on=date(2020, 10, 9))


async def deliver(work: Handlers, uow: UnitOfWork[Store], fact: Any) -> None:
    """A roster or bank event as its consumer hands it over, or a pairing recorded."""
    if isinstance(fact, RecordMatch):
        await work.record_match(uow, fact)
    elif isinstance(fact, EnterpriseListed):
        await work.apply_listings(uow, [message(fact)])
    elif isinstance(fact, LoanReversed):
        await work.apply_reversals(uow, [message(fact, source=BANK_SOURCE)])
    elif isinstance(fact, LoanIssued):
        await work.apply_loans(uow, [message(fact, source=BANK_SOURCE)])
    else:
        await work.apply_credit_decisions(uow, [message(fact, source=BANK_SOURCE)])
    await uow.flush()


def run(step: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(step())


def types_of(uow: UnitOfWork[Store]) -> list[str]:
    return [e.name for e in recorded(uow).events()]


async def test_scheduling_a_fair_keeps_it_and_announces_it() -> None:
    uow = new_uow()
    fair = await handlers().schedule_fair(uow, ScheduleFair("140902", "忻府区首贷对接会", TODAY))
    await uow.flush()
    assert await uow.store.fairs.get(fair.fair_id) == fair
    (event,) = recorded(uow).events("FairScheduled")
    assert event.data["fair_id"] == fair.fair_id
    assert event.data["held_on"] == "2021-03-15"


async def test_an_enterprise_off_the_list_attends_flagged_once() -> None:
    uow, work = new_uow(), handlers()
    fair = await work.schedule_fair(uow, ScheduleFair("140902", "对接会", TODAY))
    first = await work.register_attendance(uow, RegisterEnterprise(fair.fair_id, USCC))
    again = await work.register_attendance(uow, RegisterEnterprise(fair.fair_id, USCC))
    await uow.flush()
    assert (first.fresh, again.fresh, first.attendee.listed) == (True, False, False)
    assert len(recorded(uow).events("AttendanceRegistered")) == 1


async def test_a_pairing_is_announced_and_credited_with_the_loan_waiting_for_it() -> None:
    uow, work = new_uow(), handlers()
    await deliver(work, uow, loan())
    assert recorded(uow).events() == []  # a loan with no pairing is no pairing's outcome
    match, created = await work.record_match(uow, PAIRING)
    await uow.flush()
    assert created
    assert types_of(uow) == ["EnterpriseMatched", "MatchOutcomeRecorded"]
    (outcome,) = recorded(uow).events("MatchOutcomeRecorded")
    assert (outcome.data["match_id"], outcome.data["outcome"]) == (match.match_id, "loan_issued")
    shown = await views.pairing(uow.store, match, GOAL)
    assert [o.ref for o in shown.outcomes] == ["L-1"]


async def test_a_pairing_without_a_day_is_dated_by_the_platform_clock() -> None:
    uow = new_uow()
    match, _ = await handlers().record_match(uow, RecordMatch(USCC, BANK, Channel.ONLINE))
    assert match.matched_on == TODAY


async def test_a_reversal_withdraws_the_loan_from_its_pairing_and_says_so() -> None:
    uow, work = new_uow(), handlers()
    await deliver(work, uow, PAIRING)
    await deliver(work, uow, loan())
    await deliver(work, uow, reversal(date(2020, 10, 25)))
    await deliver(work, uow, reversal(date(2020, 10, 24)))  # announced once only
    assert types_of(uow) == ["EnterpriseMatched", "MatchOutcomeRecorded", "MatchOutcomeReversed"]
    (withdrawn,) = recorded(uow).events("MatchOutcomeReversed")
    assert (withdrawn.data["loan_id"], withdrawn.data["reversed_on"]) == ("L-1", "2020-10-25")
    (match,) = await uow.store.matches.find(uscc=USCC)
    assert (await views.pairing(uow.store, match, GOAL)).outcomes == []
    figures = await views.institution_figures(uow.store, BOOK, BANK)
    assert (figures.loans_issued, figures.loan_amount_wan) == (0, Decimal(0))
    stored = await uow.store.outcomes.reversals([(BANK, "L-1")])
    assert stored[(BANK, "L-1")].reversed_on == date(2020, 10, 24)  # the earliest


async def test_a_loan_reversed_before_it_arrives_is_never_announced() -> None:
    uow, work = new_uow(), handlers()
    await deliver(work, uow, reversal(date(2020, 10, 25)))
    await deliver(work, uow, PAIRING)
    await deliver(work, uow, loan())
    assert types_of(uow) == ["EnterpriseMatched"]
    figures = await views.institution_figures(uow.store, BOOK, BANK)
    assert figures.loans_issued == 0


FACTS: list[Any] = [
    EnterpriseListed(uscc=USCC, name="甲", county_code="140902", listed_on=date(2020, 9, 1)),
    EnterpriseListed(uscc=USCC, name="乙", county_code="140902", listed_on=date(2020, 9, 1)),
    PAIRING,
    loan("L-1"),
    loan("L-2", issued_on=date(2020, 10, 22), amount="30"),
    reversal(date(2020, 10, 26), "L-1", "录入错误"),
    reversal(date(2020, 10, 25), "L-1", "重复发放"),
    credit(date(2020, 10, 15), amount="80"),
    credit(date(2020, 10, 13), amount="90"),  # the same credit sent again, earlier
]


async def final_state(order: list[int]) -> tuple[Any, ...]:
    uow, work = new_uow(), handlers()
    for index in order:
        await deliver(work, uow, FACTS[index])
    (match,) = await uow.store.matches.find(uscc=USCC)
    shown = await views.pairing(uow.store, match, GOAL)
    figures = await views.institution_figures(uow.store, BOOK, BANK)
    history = await uow.store.listings.history(USCC)
    reversals = await uow.store.outcomes.reversals([(BANK, "L-1")])
    return (
        [(o.outcome, o.ref, o.on, o.amount_wan, o.working_days) for o in shown.outcomes],
        figures.model_dump(),
        reversals,
        history.listings,
    )


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(len(FACTS))))
def test_outcomes_and_figures_do_not_depend_on_arrival_order(order: list[int]) -> None:
    async def compare() -> None:
        expected = await final_state(list(range(len(FACTS))))
        assert await final_state(order) == expected
        outcomes, figures = expected[0], expected[1]
        assert [(o[1], o[2], o[3]) for o in outcomes] == [
            ("C-1", date(2020, 10, 13), Decimal("90")),
            ("L-2", date(2020, 10, 22), Decimal("30")),
        ]
        assert (figures["loans_issued"], figures["loan_amount_wan"]) == (1, Decimal("30"))
        assert expected[2][(BANK, "L-1")].reversed_on == date(2020, 10, 25)
        assert [entry.name for entry in expected[3]] == ["乙"]  # the least name, not the last

    run(compare)


@settings(max_examples=30, deadline=None)
@given(st.permutations(range(len(FACTS))))
def test_what_is_announced_nets_out_the_same_in_any_order(order: list[int]) -> None:
    """Each loan announced as an outcome and later withdrawn is withdrawn exactly once;
    what stays announced is what the pairing shows."""

    async def replay() -> None:
        uow, work = new_uow(), handlers()
        for index in order:
            await deliver(work, uow, FACTS[index])
        recorded_refs = {
            (e.data["outcome"], str(e.data["on"]))
            for e in recorded(uow).events("MatchOutcomeRecorded")
        }
        withdrawn = [e.data["loan_id"] for e in recorded(uow).events("MatchOutcomeReversed")]
        assert len(withdrawn) == len(set(withdrawn))
        assert set(withdrawn) <= {"L-1"}
        assert ("loan_issued", "2020-10-22") in recorded_refs
        assert ("loan_issued", "2020-10-20") in recorded_refs or not withdrawn
        assert ("loan_issued", "2020-10-20") not in recorded_refs or withdrawn == ["L-1"]

    run(replay)


LATER_PAIRING = RecordMatch(USCC, BANK, Channel.ONLINE, matched_on=date(2020, 10, 14))
TWO_PAIRINGS: list[Any] = [
    PAIRING,  # 2020-10-09
    LATER_PAIRING,  # 2020-10-14
    loan("L-2", issued_on=date(2020, 10, 22), amount="30"),
    credit(date(2020, 10, 15), amount="80"),
    credit(date(2020, 10, 13), amount="90"),  # the same credit sent again, earlier
]


@settings(max_examples=60, deadline=None)
@given(st.permutations(range(len(TWO_PAIRINGS))))
def test_each_outcome_goes_to_its_latest_pairing_before_it_in_any_order(order: list[int]) -> None:
    """Whatever became known first, an outcome is credited to the pair's latest pairing on
    or before its date, and the last announcement of each outcome names that pairing."""

    async def replay() -> None:
        uow, work = new_uow(), handlers()
        for index in order:
            await deliver(work, uow, TWO_PAIRINGS[index])
        credited: dict[str, date] = {}
        for match in await uow.store.matches.find(uscc=USCC):
            shown = await views.pairing(uow.store, match, GOAL)
            credited |= {o.ref: match.matched_on for o in shown.outcomes}
        assert credited == {"C-1": date(2020, 10, 9), "L-2": date(2020, 10, 14)}
        matched_on = {m.match_id: m.matched_on for m in await uow.store.matches.find(uscc=USCC)}
        last: dict[str, date] = {}
        for event in recorded(uow).events("MatchOutcomeRecorded"):
            last[event.data["outcome_ref"]] = matched_on[event.data["match_id"]]
        assert last == credited

    run(replay)
