"""One campaign's escalation ladder, run step by step through assessment's handlers against
the handler tests' `InMemoryStore` and against `SqlStore` on PostgreSQL: the same test, so
that the fake cannot drift from the database without one of the two failing.

The scenario (reference data xinzhou-2020; a county expects 49.18 of its 200 first loans on
2020-09-30, all 200 on 2020-12-31):

- 定襄县 (140921): 20 first loans by the first checkpoint (0.41: a talk), 70 by the last
  (0.35: a talk on its own, a circular after the earlier talk);
- 代县 (140923): 30 by the first checkpoint (0.61: nothing), 70 by the last (a talk);
- the industrial and commercial bank attests three first loans of enterprises that had an
  earlier loan of the agricultural bank: a circular for falsification at once;
- 忻府区 (140902) lets two monthly ledgers go overdue (a warning, then a talk), the joint-stock
  bank jinshang one, which it submits late (resolved);
- only 忻府区 holds a matchmaking fair: at the end, every other county gets a talk;
- the daily tick on each day of the scenario, running the checkpoints and the forecasts: no
  unit lists enough enterprises for its target, so from the forecast's first day (after the
  first checkpoint, before 2020-11-11) every unit with a target is warned of a shortfall.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date

import pytest

from assessment.commands import KeepUpToDate
from assessment.domain.attainment import attainment_from
from assessment.settings import AssessmentSettings
from assessment.storage import SqlStore, Store
from shared.consumer import Message
from shared.contracts.assessment import (
    EscalationRaised,
    EscalationReason,
    EscalationResolved,
    Severity,
)
from shared.contracts.bank import LoanIssued
from shared.db import create_engine
from shared.testing import recorded, unit_of_work_over
from shared.unit_of_work import UnitOfWork

from ..ladder_events import (
    COUNTIES,
    POLICY_BANK,
    REFERENCE,
    UNITS_WITH_TARGET,
    fair,
    first_loans,
    handlers,
    listings,
    loan,
    overdue,
    submitted,
    usccs,
)
from ..unit.fakes import InMemoryStore

pytestmark = pytest.mark.integration

XINFU, DINGXIANG, DAIXIAN = "140902", "140921", "140923"
UNDER = EscalationReason.UNDER_TARGET
FALSIFICATION = EscalationReason.DATA_FALSIFICATION
LEDGER = EscalationReason.LEDGER_OVERDUE
NO_FAIR = EscalationReason.NO_MATCHMAKING_FAIR
SHORTFALL = EscalationReason.PROJECTED_SHORTFALL


# --- the scenario's events ------------------------------------------------------------------


def false_claims(who: Sequence[str]) -> list[Message[LoanIssued]]:
    """For each enterprise an earlier loan inside the look-back years, then a first loan
    the industrial and commercial bank attests: a contradicted claim each."""
    return [
        m
        for n, u in enumerate(who)
        for m in (
            loan(u, f"OLD-{n}", date(2019, 6, 1), institution="abc", attested=False),
            loan(u, f"CLAIM-{n}", date(2020, 9, 10), institution="icbc"),
        )
    ]


# --- running it -----------------------------------------------------------------------------

Change = tuple[str, str, str, str | None, str | None]
"""What one event did: (unit, reason, raised | upgraded | resolved, severity, before)."""


@dataclass
class Run:
    """What each step of the scenario emitted, in a form that does not depend on ids."""

    steps: dict[str, set[Change]] = field(default_factory=dict)

    async def step(self, name: str, uow: UnitOfWork[Store]) -> None:
        await uow.flush()
        sink = recorded(uow)
        changes: set[Change] = set()
        for event in sink.events("EscalationRaised"):
            up = EscalationRaised.model_validate(event.data)
            kind = "raised" if up.previous_severity is None else "upgraded"
            before = None if up.previous_severity is None else up.previous_severity.value
            changes.add((up.unit_id, up.reason.value, kind, up.severity.value, before))
        for event in sink.events("EscalationResolved"):
            down = EscalationResolved.model_validate(event.data)
            changes.add((down.unit_id, down.reason.value, "resolved", None, None))
        self.steps[name] = changes


async def run_scenario(store: Store) -> Run:
    run = Run()
    dingxiang, daixian = usccs(DINGXIANG, 70, "LA"), usccs(DAIXIAN, 70, "LB")
    september, october = date(2020, 9, 15), date(2020, 10, 15)

    async def tick(on: date) -> None:
        uow = unit_of_work_over(store)
        await handlers(on).keep_up_to_date(uow, KeepUpToDate(run_checkpoints=True))
        await run.step(f"tick {on}", uow)

    day = date(2020, 9, 29)
    uow = unit_of_work_over(store)
    await handlers(day).apply_roster_events(
        uow, [*listings(dingxiang, DINGXIANG), *listings(daixian, DAIXIAN)]
    )
    await run.step("listings", uow)
    uow = unit_of_work_over(store)
    await handlers(day).apply_loans(
        uow,
        [
            *first_loans(dingxiang[:20], september),
            *first_loans(daixian[:30], september),
            *false_claims(usccs(XINFU, 3, "LC")),
        ],
    )
    await run.step("september loans", uow)
    await tick(date(2020, 9, 30))

    uow = unit_of_work_over(store)
    await handlers(date(2020, 10, 11)).apply_ledger_events(
        uow,
        [
            overdue(XINFU, "2020-09"),
            overdue("jinshang", "2020-09"),
        ],
    )
    await run.step("september ledgers overdue", uow)
    uow = unit_of_work_over(store)
    await handlers(date(2020, 10, 20)).apply_loans(
        uow, [*first_loans(dingxiang[20:], october), *first_loans(daixian[30:], october)]
    )
    await run.step("october loans", uow)

    day = date(2020, 11, 11)
    uow = unit_of_work_over(store)
    await handlers(day).apply_ledger_events(
        uow,
        [
            overdue(XINFU, "2020-10"),
            submitted("jinshang", "2020-09", day),
        ],
    )
    await run.step("october ledgers", uow)
    uow = unit_of_work_over(store)
    await handlers(day).apply_fairs(uow, [fair(XINFU, date(2020, 11, 20))])
    await run.step("fair", uow)
    await tick(day)
    await tick(date(2020, 12, 31))
    return run


# --- the two stores -------------------------------------------------------------------------


@pytest.fixture(params=["in_memory", "postgresql"])
async def store(request: pytest.FixtureRequest, private_namespace: str) -> AsyncIterator[Store]:
    """An empty store: in memory, or on PostgreSQL in one transaction rolled back after the
    test (every step of the scenario a unit of work of its own in it)."""
    if request.param == "in_memory":
        yield InMemoryStore()
        return
    engine = create_engine(AssessmentSettings(namespace=private_namespace))
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            try:
                yield SqlStore(connection)
            finally:
                await transaction.rollback()
    finally:
        await engine.dispose()


def raised(unit_id: str, reason: EscalationReason, severity: Severity) -> Change:
    return (unit_id, reason.value, "raised", severity.value, None)


def upgraded(unit_id: str, reason: EscalationReason, severity: Severity, was: Severity) -> Change:
    return (unit_id, reason.value, "upgraded", severity.value, was.value)


def resolved(unit_id: str, reason: EscalationReason) -> Change:
    return (unit_id, reason.value, "resolved", None, None)


def expected_steps() -> dict[str, set[Change]]:
    """What each step must emit, from the rules (the module's docstring)."""
    # On the warning day every unit with a target but 代县 (0.61) is under the ratio; the
    # checkpoint then talks to 定襄县 (0.41) and circulates the rest (nothing: 0); the
    # forecast warns from a later day.
    under_at_first = UNITS_WITH_TARGET - {DAIXIAN}
    first_tick = {raised(u, UNDER, Severity.WARNING) for u in under_at_first}
    first_tick |= {
        upgraded(u, UNDER, Severity.TALK if u == DINGXIANG else Severity.CIRCULAR, Severity.WARNING)
        for u in under_at_first
    }
    last_tick = {raised(c, NO_FAIR, Severity.TALK) for c in COUNTIES - {XINFU}}
    last_tick |= {
        # Both at 0.35; 定襄县 was talked to at the first checkpoint, 代县 was not.
        upgraded(DINGXIANG, UNDER, Severity.CIRCULAR, Severity.WARNING),
        upgraded(DAIXIAN, UNDER, Severity.TALK, Severity.WARNING),
    }
    return {
        "listings": set(),
        "september loans": {raised("icbc", FALSIFICATION, Severity.CIRCULAR)},
        "tick 2020-09-30": first_tick,
        "september ledgers overdue": {
            raised(XINFU, LEDGER, Severity.WARNING),
            raised("jinshang", LEDGER, Severity.WARNING),
        },
        # 70 first loans on 2020-10-20 are 0.85 of 定襄县's expected 81.97: recovered.
        "october loans": {resolved(DINGXIANG, UNDER)},
        "october ledgers": {
            upgraded(XINFU, LEDGER, Severity.TALK, Severity.WARNING),
            resolved("jinshang", LEDGER),
        },
        # Before the campaign's end a fair changes no escalation.
        "fair": set(),
        # By 2020-11-11 the 70 are 0.59 of the 118 expected: warned again. Of 70 listed,
        # each has its 70 and no more to come: with every other unit, short of its target.
        "tick 2020-11-11": {
            raised(DINGXIANG, UNDER, Severity.WARNING),
            raised(DAIXIAN, UNDER, Severity.WARNING),
            *(raised(u, SHORTFALL, Severity.WARNING) for u in UNITS_WITH_TARGET),
        },
        "tick 2020-12-31": last_tick,
    }


def open_after(steps: dict[str, set[Change]]) -> dict[tuple[str, str], str]:
    """The open escalations the steps leave, as the events tell them. Within a step a tick
    may raise a warning and its checkpoint upgrade it: raises go first."""
    order = {"raised": 0, "upgraded": 1, "resolved": 2}
    found: dict[tuple[str, str], str] = {}
    for changes in steps.values():
        for unit_id, reason, kind, severity, _ in sorted(changes, key=lambda c: order[c[2]]):
            if kind == "resolved":
                del found[(unit_id, reason)]
            else:
                assert severity is not None
                found[(unit_id, reason)] = severity
    return found


async def test_the_ladder_moves_alike_over_the_in_memory_store_and_postgresql(
    store: Store,
) -> None:
    by_day = REFERENCE.campaign.day_number(date(2020, 11, 11))
    # The scenario's forecast day: after the first checkpoint, by 2020-11-11.
    assert 30 < REFERENCE.forecast.shortfall_from_campaign_day <= by_day
    run = await run_scenario(store)
    expected = expected_steps()
    assert list(run.steps) == list(expected)
    for name, changes in expected.items():
        assert run.steps[name] == changes, name

    # The store's open escalations are those the events tell.
    stored = {(e.unit_id, e.reason.value): e.severity.value for e in await store.escalations.open()}
    assert stored == open_after(expected)

    # The figures the ladder was moved from, kept batch by batch.
    start, end = REFERENCE.campaign.start, REFERENCE.campaign.end
    final = attainment_from(await store.counts.load(), REFERENCE, end)
    counted = {
        u.unit_id: (u.cultivated, u.first_loans) for u in (*final.counties, *final.institutions)
    }
    assert {u: n for u, n in counted.items() if n != (0, 0)} == {
        DINGXIANG: (70, 70),
        DAIXIAN: (70, 70),
        POLICY_BANK: (0, 140),  # no enterprise is assigned to it: none cultivated
    }
    assert final.anomalies_by_institution == {"icbc": 3}
    published = await store.figures.last()
    assert (published[DINGXIANG]["first_loans"], published[DINGXIANG]["as_of"]) == (
        70,
        end.isoformat(),
    )
    assert published[XINFU]["status"] == "critical"

    # What the checkpoints kept: who was under target (the next one's repeated talk), and
    # the ranking (tied at the end on ratio and first loans: by unit id).
    escalations = store.escalations
    assert await escalations.talked_before(end) == UNITS_WITH_TARGET - {DAIXIAN}
    first = await escalations.checkpoint_ranking(date(2020, 9, 30))
    last = await escalations.checkpoint_ranking(end)
    assert first is not None
    assert last is not None
    assert [r["unit_id"] for r in first["counties"][:2]] == [DAIXIAN, DINGXIANG]
    assert [r["unit_id"] for r in last["counties"][:2]] == [DINGXIANG, DAIXIAN]

    # The ledger and fair facts the findings were read from.
    pending, ever = await store.ledgers_and_fairs.overdue_months()
    assert {u: sorted(months) for u, months in pending.items()} == {XINFU: ["2020-09", "2020-10"]}
    assert ever == {XINFU: 2, "jinshang": 1}
    assert await store.ledgers_and_fairs.counties_with_fair(start, end) == {XINFU}
