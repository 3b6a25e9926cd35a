"""Any order and any duplication of the facts, in any batches, through the real handlers and
repositories on PostgreSQL, stores the outcomes the pure domain counts from the set of facts,
and the same data-quality findings (a loan reported in several versions); pairings are stored
as their set, and the funnels the daily tick keeps for the forecast are those the domain counts
from the stored facts."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from assessment.commands import KeepUpToDate
from assessment.domain.attainment import attainment, attainment_from
from assessment.domain.counts import Counts
from assessment.domain.facts import Assignment, ListingChange, Loan, Pairing, Reversal
from assessment.domain.first_loan import EnterpriseOutcome, campaign_window, evaluate
from assessment.domain.forecast import Funnel, decision_rule, unit_funnels
from assessment.domain.history import Fact, conflicting_loans, facts_by_enterprise
from assessment.handlers import Handlers
from assessment.settings import AssessmentSettings
from assessment.storage import SqlStore
from shared.consumer import Message
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.matchmaking import EnterpriseMatched
from shared.contracts.roster import EnterpriseAssigned, EnterpriseDelisted, EnterpriseListed
from shared.contracts.types import Guarantee
from shared.db import create_engine
from shared.reference import load_reference
from shared.testing import message, unit_of_work_over
from shared.workdays import add_workdays

from ..facts_strategy import BANKS, DAYS, FACTS, USCCS, replayed
from ..ladder_events import first_loans, listings, pairings, usccs

pytestmark = pytest.mark.integration

REFERENCE = load_reference()
TODAY = datetime(2020, 11, 15, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
HANDLERS = Handlers(lambda: REFERENCE, lambda: TODAY)


@pytest.fixture(scope="module")
def database(private_namespace: str) -> Iterator[tuple[asyncio.AbstractEventLoop, AsyncEngine]]:
    """An engine on a loop of its own: hypothesis drives a plain function, example by
    example, each in a transaction rolled back afterwards (a fresh database each time)."""
    loop = asyncio.new_event_loop()
    engine = create_engine(AssessmentSettings(namespace=private_namespace))
    yield loop, engine
    loop.run_until_complete(engine.dispose())
    loop.close()


def event(fact: Fact) -> Message[Any]:
    if isinstance(fact, ListingChange):
        if fact.listed:
            return message(
                EnterpriseListed(
                    uscc=fact.uscc, name="企业", county_code=fact.county_code, listed_on=fact.on
                )
            )
        return message(
            EnterpriseDelisted(
                uscc=fact.uscc, county_code=fact.county_code, on=fact.on, reason="closed"
            )
        )
    if isinstance(fact, Assignment):
        return message(
            EnterpriseAssigned(
                uscc=fact.uscc,
                institution_id=fact.institution_id,
                county_code="140902",
                assigned_on=fact.assigned_on,
                way="explicit",
            )
        )
    if isinstance(fact, Loan):
        assert fact.guarantee is not None
        return message(
            LoanIssued(
                institution_id=fact.institution_id,
                loan_id=fact.loan_id,
                uscc=fact.uscc,
                enterprise_name="企业",
                amount_wan=Decimal(fact.amount_wan),
                issued_on=fact.issued_on,
                applied_on=fact.applied_on,
                first_loan_attested=fact.first_loan_attested,
                annual_rate_pct=fact.annual_rate_pct,
                guarantee=Guarantee(fact.guarantee),
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


def known(outcomes: Sequence[EnterpriseOutcome]) -> dict[str, EnterpriseOutcome]:
    """Outcomes that say something: an enterprise left with no fact (its only loan's
    counted copy names another) keeps an outcome that says nothing."""
    return {
        o.uscc: o
        for o in outcomes
        if o.county_code or o.first_loan or o.anomalies or o.institutions
    }


async def stored_after(
    engine: AsyncEngine, batches: list[list[Fact]]
) -> tuple[list[EnterpriseOutcome], Counts, dict[str, int]]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            store = SqlStore(connection)
            for batch in batches:
                roster = [event(f) for f in batch if isinstance(f, ListingChange | Assignment)]
                bank = [event(f) for f in batch if isinstance(f, Loan | Reversal)]
                if roster:
                    await HANDLERS.apply_roster_events(unit_of_work_over(store), roster)
                if bank:
                    await HANDLERS.apply_loans(unit_of_work_over(store), bank)
            found = await store.data_quality.by_institution()
            return (
                await store.outcomes.load(),
                await store.counts.load(),
                {i: q.conflicting_loans for i, q in found.items() if q.conflicting_loans},
            )
        finally:
            await transaction.rollback()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(facts=FACTS, data=st.data())
def test_any_order_duplication_and_batching_stores_what_the_domain_counts(
    database: tuple[asyncio.AbstractEventLoop, AsyncEngine],
    facts: list[Fact],
    data: st.DataObject,
) -> None:
    arrival = replayed(data, facts)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arrival)), max_size=4)))
    batches = [arrival[a:b] for a, b in zip([0, *cuts], [*cuts, len(arrival)], strict=True)]
    loop, engine = database
    stored, counts, conflicts = loop.run_until_complete(stored_after(engine, batches))

    day = TODAY.date()
    counted = [
        evaluate(f, campaign_window(REFERENCE), day) for f in facts_by_enterprise(facts).values()
    ]
    assert known(stored) == known(counted)
    assert attainment(stored, REFERENCE, day) == attainment(counted, REFERENCE, day)
    # The counts kept batch by batch are those of every enterprise counted from scratch.
    assert attainment_from(counts, REFERENCE, day) == attainment(counted, REFERENCE, day)
    assert conflicts == dict(Counter(i for i, _ in conflicting_loans(facts)))


def test_a_preferred_copy_naming_another_enterprise_takes_the_loan_from_the_first(
    database: tuple[asyncio.AbstractEventLoop, AsyncEngine],
) -> None:
    first, other = USCCS[0], USCCS[1]
    on = date(2020, 9, 2)
    listed = [ListingChange(who, on, True, "140902") for who in (first, other)]
    later = Loan("icbc", "L1", first, date(2020, 10, 9), True, "50", None, "credit")
    earlier = replace(later, uscc=other, issued_on=date(2020, 10, 8))
    loop, engine = database
    stored, _, conflicts = loop.run_until_complete(
        stored_after(engine, [[*listed, later], [earlier]])
    )
    by_uscc = known(stored)
    assert by_uscc[first].first_loan is None
    first_loan = by_uscc[other].first_loan
    assert first_loan is not None
    assert first_loan.loan == earlier
    assert conflicts == {"icbc": 1}


PAIRINGS = st.lists(
    st.builds(Pairing, st.sampled_from(USCCS), st.sampled_from(BANKS), DAYS), max_size=12
)


def matched(pairing: Pairing) -> Message[EnterpriseMatched]:
    return message(
        EnterpriseMatched(
            match_id=f"M-{pairing.uscc}-{pairing.institution_id}-{pairing.matched_on}",
            uscc=pairing.uscc,
            institution_id=pairing.institution_id,
            matched_on=pairing.matched_on,
            channel="fair",
        )
    )


async def stored_pairings(
    engine: AsyncEngine, batches: list[list[Pairing]]
) -> dict[str, frozenset[Pairing]]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            store = SqlStore(connection)
            for batch in batches:
                await HANDLERS.apply_pairings(unit_of_work_over(store), [matched(p) for p in batch])
            return {uscc: f.pairings for uscc, f in (await store.facts.load()).items()}
        finally:
            await transaction.rollback()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=PAIRINGS, data=st.data())
def test_pairings_in_any_order_repetition_and_batching_are_stored_as_their_set(
    database: tuple[asyncio.AbstractEventLoop, AsyncEngine],
    pairs: list[Pairing],
    data: st.DataObject,
) -> None:
    facts: list[Fact] = [*pairs]
    arrival = [p for p in replayed(data, facts) if isinstance(p, Pairing)]
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arrival)), max_size=3)))
    batches = [arrival[a:b] for a, b in zip([0, *cuts], [*cuts, len(arrival)], strict=True)]
    loop, engine = database
    expected = {f.uscc: f.pairings for f in facts_by_enterprise(facts).values()}
    assert loop.run_until_complete(stored_pairings(engine, batches)) == expected


async def ticked_funnels(engine: AsyncEngine) -> tuple[date | None, dict[str, Funnel], Any]:
    """The funnels the tick stored, and those counted in memory from the stored facts."""
    who = usccs("140921", 30, "FN")
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            store = SqlStore(connection)
            await HANDLERS.apply_roster_events(unit_of_work_over(store), listings(who, "140921"))
            await HANDLERS.apply_pairings(
                unit_of_work_over(store), pairings(who[:20], date(2020, 9, 8), "icbc")
            )
            await HANDLERS.apply_loans(
                unit_of_work_over(store), first_loans(who[:12], date(2020, 9, 25), "icbc")
            )
            await HANDLERS.keep_up_to_date(
                unit_of_work_over(store), KeepUpToDate(run_checkpoints=False)
            )
            facts, day = await store.facts.load(), TODAY.date()
            outcomes = [evaluate(f, campaign_window(REFERENCE), day) for f in facts.values()]
            decided_by = decision_rule(REFERENCE, add_workdays)
            weeks = REFERENCE.forecast.weeks
            counted = unit_funnels(facts, outcomes, [day], decided_by, weeks)[day]
            funnels = store.forecast_funnels
            return await funnels.computed_on(), await funnels.load(), counted
        finally:
            await transaction.rollback()


def test_the_daily_tick_stores_the_funnels_the_domain_counts(
    database: tuple[asyncio.AbstractEventLoop, AsyncEngine],
) -> None:
    loop, engine = database
    computed_on, stored, counted = loop.run_until_complete(ticked_funnels(engine))
    assert computed_on == TODAY.date()
    assert stored == counted
    dingxiang, icbc = stored["140921"], stored["icbc"]
    assert (dingxiang.listed, dingxiang.paired, dingxiang.unpaired) == (30, 20, 10)
    assert (icbc.decided, icbc.converted, icbc.first_loans) == (20, 12, 12)
