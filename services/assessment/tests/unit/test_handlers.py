"""Assessment's handlers over the in-memory store: what they store and what they publish."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from assessment.commands import KeepUpToDate, RunCheckpoint
from assessment.domain.data_quality import DataQuality
from assessment.handlers import CheckpointOutsideCampaignError, Handlers
from shared.consumer import ConsumedRecord
from shared.contracts.assessment import AttainmentUpdated
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.roster import EnterpriseListed
from shared.contracts.types import Guarantee
from shared.reference import load_reference
from shared.testing import message, recorded, sample_uscc, unit_of_work_over
from shared.unit_of_work import UnitOfWork

from .fakes import InMemoryStore

REFERENCE = load_reference()
XINFU = "140902"
TODAY = datetime(2020, 11, 15, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
WHO = sample_uscc(1, tag="HD")
ICBC = "urn:firstloan:institution:icbc"


def handlers() -> Handlers:
    return Handlers(lambda: REFERENCE, lambda: TODAY)


def listed(who: str = WHO) -> EnterpriseListed:
    return EnterpriseListed(
        uscc=who, name="示例企业", county_code=XINFU, listed_on=date(2020, 9, 5)
    )


def loan(loan_id: str = "L-1", on: date = date(2020, 10, 8), amount: str = "50") -> LoanIssued:
    return LoanIssued(
        loan_id=loan_id,
        institution_id="icbc",
        uscc=WHO,
        enterprise_name="示例企业",
        amount_wan=Decimal(amount),
        issued_on=on,
        applied_on=date(2020, 9, 28),
        first_loan_attested=True,
        annual_rate_pct=4.35,
        guarantee=Guarantee.CREDIT,
    )


def xinfu_updates(uow: UnitOfWork[InMemoryStore]) -> list[AttainmentUpdated]:
    events = recorded(uow).events("AttainmentUpdated")
    updates = [AttainmentUpdated.model_validate(e.data) for e in events]
    return [u for u in updates if u.unit_id == XINFU]


async def listed_store() -> InMemoryStore:
    store = InMemoryStore()
    await handlers().apply_roster_events(unit_of_work_over(store), [message(listed())])
    return store


async def test_a_loan_to_a_listed_enterprise_publishes_the_countys_first_loan() -> None:
    store = await listed_store()
    uow = unit_of_work_over(store)
    await handlers().apply_loans(uow, [message(loan(), source=ICBC)])
    await uow.flush()
    assert [u.first_loans for u in xinfu_updates(uow)] == [1]
    outcome = store.outcomes.by_uscc[WHO]
    assert outcome.first_loan is not None
    assert outcome.first_loan.loan.applied_on == date(2020, 9, 28)
    # Consumers share the store's lock and take the ladder's: neither holds it alone.
    assert (store.serialized, store.shared, store.ladder_locked) == (0, 2, 2)


async def test_a_reversal_re_evaluates_the_loans_enterprise() -> None:
    store = await listed_store()
    await handlers().apply_loans(unit_of_work_over(store), [message(loan(), source=ICBC)])
    uow = unit_of_work_over(store)
    reversal = LoanReversed(
        institution_id="icbc", loan_id="L-1", reversed_on=date(2020, 11, 1), reason="错账"
    )
    await handlers().apply_loans(uow, [message(reversal, source=ICBC)])
    await uow.flush()
    assert [u.first_loans for u in xinfu_updates(uow)] == [0]
    assert store.outcomes.by_uscc[WHO].first_loan is None


async def test_a_conflicting_duplicate_is_counted_once_against_its_institution() -> None:
    store = InMemoryStore()
    where = ConsumedRecord("bank.icbc.events", 2, 41, None, None)
    copy = replace(message(loan("L-9"), source=ICBC, event_id="e-1"), record=where)
    for _ in range(2):
        await handlers().record_conflicting_duplicates(unit_of_work_over(store), [copy])
    assert await store.data_quality.by_institution() == {"icbc": DataQuality(1, 0)}
    (kept,) = store.data_quality.duplicates.values()
    assert (kept.topic, kept.partition, kept.offset, kept.event_id) == (
        "bank.icbc.events",
        2,
        41,
        "e-1",
    )


async def test_a_loan_reported_twice_otherwise_counts_once_and_is_a_finding() -> None:
    store = await listed_store()
    later = loan(on=date(2020, 10, 20), amount="80")
    await handlers().apply_loans(unit_of_work_over(store), [message(later, source=ICBC)])
    await handlers().apply_loans(unit_of_work_over(store), [message(loan(), source=ICBC)])
    first = store.outcomes.by_uscc[WHO].first_loan
    assert first is not None
    assert (first.loan.issued_on, first.loan.amount_wan) == (date(2020, 10, 8), "50.00")
    assert await store.data_quality.by_institution() == {"icbc": DataQuality(0, 1)}


async def test_a_checkpoint_runs_once_and_the_tick_evaluates_once_a_day() -> None:
    store = await listed_store()
    first = await handlers().run_checkpoint(
        unit_of_work_over(store), RunCheckpoint(date(2020, 9, 30))
    )
    assert XINFU in {f.unit_id for f in first}
    assert (
        await handlers().run_checkpoint(unit_of_work_over(store), RunCheckpoint(date(2020, 9, 30)))
        == []
    )
    await handlers().keep_up_to_date(unit_of_work_over(store), KeepUpToDate(run_checkpoints=False))
    assert store.outcomes.day == TODAY.date()


async def test_a_checkpoint_outside_the_campaign_is_refused_and_records_nothing() -> None:
    store = InMemoryStore()
    handle = handlers()
    for outside in (date(2019, 6, 30), date(2020, 8, 31), date(2021, 1, 1), date(9999, 12, 31)):
        with pytest.raises(CheckpointOutsideCampaignError, match="2020-09-01 to 2020-12-31"):
            await handle.run_checkpoint(unit_of_work_over(store), RunCheckpoint(outside))
    assert store.escalations.history == {}
    for edge in (REFERENCE.campaign.start, REFERENCE.campaign.end):
        await handle.run_checkpoint(unit_of_work_over(store), RunCheckpoint(edge))
