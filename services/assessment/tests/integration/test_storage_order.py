"""Any order and any duplication of the facts, in any batches, through the real handlers and
repositories on PostgreSQL, stores the outcomes the pure domain counts from the set of facts,
and the same data-quality findings (a loan reported in several versions)."""

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

from assessment.domain.attainment import attainment, attainment_from
from assessment.domain.counts import Counts
from assessment.domain.facts import Assignment, ListingChange, Loan, Reversal
from assessment.domain.first_loan import EnterpriseOutcome, campaign_window, evaluate
from assessment.domain.history import Fact, conflicting_loans, facts_by_enterprise
from assessment.handlers import Handlers
from assessment.settings import AssessmentSettings
from assessment.storage import SqlStore
from shared.consumer import Message
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.roster import EnterpriseAssigned, EnterpriseDelisted, EnterpriseListed
from shared.contracts.types import Guarantee
from shared.db import create_engine
from shared.reference import load_reference
from shared.testing import message, unit_of_work_over

from ..facts_strategy import FACTS, USCCS, replayed

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
