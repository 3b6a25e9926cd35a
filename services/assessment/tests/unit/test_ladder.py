"""Every finding of the escalation ladder, through assessment's handlers over the in-memory
store (under-target warnings, talks and circulars at checkpoints, the circular after a talk,
falsification, overdue ledgers, no matchmaking fair, projected shortfall, and recovery), and
the pure findings of `domain/escalation.py` on small hand-built inputs.

The numbers follow the packaged reference data (xinzhou-2020): the campaign runs 122 days
from 2020-09-01 to 2020-12-31; a county of 200 first-loan households expects 49.18 of them on
day 30 (2020-09-30), so 30 first loans there are 0.61 of expected (over `warning_ratio` and
`talk_ratio`, 0.6), 15 are 0.305 (over `circular_ratio`, 0.3) and 14 are 0.285 (under it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import pytest

from assessment.commands import KeepUpToDate, RunCheckpoint
from assessment.domain.attainment import Attainment, Progress, Status, UnitAttainment
from assessment.domain.escalation import (
    EVIDENCE_SHOWN,
    checkpoint_dates,
    falsification_findings,
    ledger_findings,
    under_target_warnings,
)
from assessment.domain.forecast import Funnel, decision_rule, shortfall_findings, warning_days
from shared.consumer import Message
from shared.contracts.assessment import (
    EscalationRaised,
    EscalationReason,
    EscalationResolved,
    Severity,
)
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.reference import ReferenceData, Targets
from shared.testing import message, recorded, unit_of_work_over
from shared.unit_of_work import UnitOfWork
from shared.workdays import add_workdays

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
    pairings,
    submitted,
    usccs,
)
from .fakes import InMemoryStore

UNDER = EscalationReason.UNDER_TARGET
FALSIFICATION = EscalationReason.DATA_FALSIFICATION
LEDGER = EscalationReason.LEDGER_OVERDUE
NO_FAIR = EscalationReason.NO_MATCHMAKING_FAIR
SHORTFALL = EscalationReason.PROJECTED_SHORTFALL

XINFU, DINGXIANG, WUTAI, DAIXIAN = "140902", "140921", "140922", "140923"
WARNING_DAY = date(2020, 9, 30)  # day 30: `warning_from_campaign_day`
FIRST_CHECKPOINT, LAST_CHECKPOINT = date(2020, 9, 30), date(2020, 12, 31)
FORECAST_DAY = REFERENCE.campaign.start + timedelta(
    days=REFERENCE.forecast.shortfall_from_campaign_day - 1
)


# --- building events and handlers -----------------------------------------------------------


# --- reading what the ladder did ------------------------------------------------------------


def raised(uow: UnitOfWork[InMemoryStore]) -> list[EscalationRaised]:
    """The escalations the unit of work raised or upgraded (it must have been flushed)."""
    return [
        EscalationRaised.model_validate(e.data) for e in recorded(uow).events("EscalationRaised")
    ]


def resolved(uow: UnitOfWork[InMemoryStore]) -> list[EscalationResolved]:
    return [
        EscalationResolved.model_validate(e.data)
        for e in recorded(uow).events("EscalationResolved")
    ]


def of_reason(
    events: Sequence[EscalationRaised], reason: EscalationReason
) -> dict[str, EscalationRaised]:
    """The events of one reason by unit; a unit is raised at most once per unit of work."""
    found = [e for e in events if e.reason is reason]
    by_unit = {e.unit_id: e for e in found}
    assert len(by_unit) == len(found), "a unit raised twice for one reason in one step"
    return by_unit


async def opened(store: InMemoryStore) -> dict[tuple[str, EscalationReason], Severity]:
    """The store's open escalations: (unit, reason) to severity."""
    return {(e.unit_id, e.reason): e.severity for e in await store.escalations.open()}


async def open_for(store: InMemoryStore, reason: EscalationReason) -> dict[str, Severity]:
    return {unit: s for (unit, r), s in (await opened(store)).items() if r is reason}


async def roster(
    store: InMemoryStore, on: date, events: Sequence[Message[Any]]
) -> UnitOfWork[InMemoryStore]:
    uow = unit_of_work_over(store)
    await handlers(on).apply_roster_events(uow, events)
    await uow.flush()
    return uow


async def bank(
    store: InMemoryStore, on: date, events: Sequence[Message[Any]]
) -> UnitOfWork[InMemoryStore]:
    uow = unit_of_work_over(store)
    await handlers(on).apply_loans(uow, events)
    await uow.flush()
    return uow


async def pair(
    store: InMemoryStore, on: date, events: Sequence[Message[Any]]
) -> UnitOfWork[InMemoryStore]:
    uow = unit_of_work_over(store)
    await handlers(on).apply_pairings(uow, events)
    await uow.flush()
    return uow


async def ledgers(
    store: InMemoryStore, on: date, events: Sequence[Message[Any]]
) -> UnitOfWork[InMemoryStore]:
    uow = unit_of_work_over(store)
    await handlers(on).apply_ledger_events(uow, events)
    await uow.flush()
    return uow


async def fairs(
    store: InMemoryStore, on: date, events: Sequence[Message[Any]]
) -> UnitOfWork[InMemoryStore]:
    uow = unit_of_work_over(store)
    await handlers(on).apply_fairs(uow, events)
    await uow.flush()
    return uow


async def tick(
    store: InMemoryStore, on: date, run_checkpoints: bool = False
) -> UnitOfWork[InMemoryStore]:
    uow = unit_of_work_over(store)
    await handlers(on).keep_up_to_date(uow, KeepUpToDate(run_checkpoints=run_checkpoints))
    await uow.flush()
    return uow


async def checkpoint(store: InMemoryStore, as_of: date) -> UnitOfWork[InMemoryStore]:
    uow = unit_of_work_over(store)
    await handlers(as_of).run_checkpoint(uow, RunCheckpoint(as_of))
    await uow.flush()
    return uow


async def county_with_first_loans(
    store: InMemoryStore, county: str, count: int, on: date, tag: str
) -> list[str]:
    """`count` enterprises listed in `county`, each given a first loan issued `on` (by the
    policy bank), reported on the day before the warning day so that nothing escalates yet."""
    who = usccs(county, count, tag)
    await roster(store, WARNING_DAY - timedelta(days=1), listings(who, county))
    await bank(store, WARNING_DAY - timedelta(days=1), first_loans(who, on))
    return who


# --- under-target warnings ------------------------------------------------------------------


async def test_no_under_target_warning_before_the_campaigns_warning_day() -> None:
    store = InMemoryStore()
    uow = await roster(
        store, WARNING_DAY - timedelta(days=1), listings(usccs(XINFU, 1, "WA"), XINFU)
    )
    # The listing was counted and published: the ladder ran, and found nothing to warn of.
    published = {e.data["unit_id"]: e.data for e in recorded(uow).events("AttainmentUpdated")}
    assert published[XINFU]["cultivated"] == 1
    assert raised(uow) == []
    day_29 = await tick(store, WARNING_DAY - timedelta(days=1))
    assert of_reason(raised(day_29), UNDER) == {}
    assert await open_for(store, UNDER) == {}


@pytest.mark.parametrize("on", [WARNING_DAY, date(2020, 11, 20)])
async def test_every_unit_with_a_target_under_the_ratio_is_warned_on_and_after_the_warning_day(
    on: date,
) -> None:
    store = InMemoryStore()
    uow = await roster(store, on, listings(usccs(XINFU, 1, "WB"), XINFU))
    warnings = of_reason(raised(uow), UNDER)
    # Nobody has a first loan: every unit with a target is at ratio 0; the policy bank,
    # without a target, is never assessed.
    assert set(warnings) == UNITS_WITH_TARGET
    assert POLICY_BANK not in warnings
    assert {(w.severity, w.as_of, w.previous_severity) for w in warnings.values()} == {
        (Severity.WARNING, on, None)
    }
    assert warnings[XINFU].figures["cultivated"] == 1
    assert await open_for(store, UNDER) == dict.fromkeys(UNITS_WITH_TARGET, Severity.WARNING)


@pytest.mark.parametrize(("loans", "warned"), [(29, True), (30, False)])
async def test_the_daily_tick_on_the_warning_day_warns_only_the_units_under_the_ratio(
    loans: int, warned: bool
) -> None:
    store = InMemoryStore()
    await county_with_first_loans(store, DINGXIANG, loans, date(2020, 9, 20), "WC")
    assert await opened(store) == {}
    uow = await tick(store, WARNING_DAY)
    warnings = of_reason(raised(uow), UNDER)
    # 29 of 49.18 expected is 0.59 (a warning), 30 is 0.61 (none).
    assert (DINGXIANG in warnings) is warned
    assert set(warnings) - {DINGXIANG} == UNITS_WITH_TARGET - {DINGXIANG}


# --- talks and circulars at checkpoints -----------------------------------------------------


async def test_a_checkpoint_talks_under_the_talk_ratio_and_circulates_under_the_circular_one() -> (
    None
):
    store = InMemoryStore()
    on = date(2020, 9, 15)
    await county_with_first_loans(store, DINGXIANG, 15, on, "CA")  # 0.305: a talk
    await county_with_first_loans(store, WUTAI, 14, on, "CB")  # 0.285: a circular
    await county_with_first_loans(store, DAIXIAN, 30, on, "CC")  # 0.61: nothing
    uow = await checkpoint(store, FIRST_CHECKPOINT)
    under = of_reason(raised(uow), UNDER)
    assert under[DINGXIANG].severity is Severity.TALK
    assert under[WUTAI].severity is Severity.CIRCULAR
    assert DAIXIAN not in under
    assert under[XINFU].severity is Severity.CIRCULAR  # no first loan at all
    assert under[DINGXIANG].figures["talked_at_previous_checkpoint"] is False
    assert under[DINGXIANG].as_of == FIRST_CHECKPOINT
    # No fair is asked for before the campaign's end.
    assert of_reason(raised(uow), NO_FAIR) == {}
    stored = await open_for(store, UNDER)
    assert (stored[DINGXIANG], stored[WUTAI], DAIXIAN in stored) == (
        Severity.TALK,
        Severity.CIRCULAR,
        False,
    )


async def test_a_unit_talked_to_and_still_under_the_talk_ratio_gets_a_circular() -> None:
    store = InMemoryStore()
    # 定襄县: 20 first loans by the first checkpoint (0.41: a talk), 70 by the last (0.35 of
    # 200: a talk on its own). 五台县: 30 (0.61: nothing), then 70 too.
    dingxiang = await county_with_first_loans(store, DINGXIANG, 70, date(2020, 10, 15), "RA")
    await bank(
        store, date(2020, 9, 29), [loan(u, f"E-{u}", date(2020, 9, 15)) for u in dingxiang[:20]]
    )
    wutai = await county_with_first_loans(store, WUTAI, 70, date(2020, 10, 15), "RB")
    await bank(store, date(2020, 9, 29), [loan(u, f"E-{u}", date(2020, 9, 15)) for u in wutai[:30]])
    first = of_reason(raised(await checkpoint(store, FIRST_CHECKPOINT)), UNDER)
    assert first[DINGXIANG].severity is Severity.TALK
    assert WUTAI not in first

    last = of_reason(raised(await checkpoint(store, LAST_CHECKPOINT)), UNDER)
    # The same escalation goes up to a circular; 五台县, never talked to, gets a talk.
    assert last[DINGXIANG].severity is Severity.CIRCULAR
    assert last[DINGXIANG].previous_severity is Severity.TALK
    assert last[DINGXIANG].escalation_id == first[DINGXIANG].escalation_id
    assert last[DINGXIANG].figures["talked_at_previous_checkpoint"] is True
    ratio = last[DINGXIANG].figures["attainment_ratio"]
    assert REFERENCE.thresholds.circular_ratio <= ratio < REFERENCE.thresholds.talk_ratio
    assert (last[WUTAI].severity, last[WUTAI].previous_severity) == (Severity.TALK, None)


async def test_the_daily_tick_runs_the_checkpoints_whose_day_has_come_and_only_once() -> None:
    store = InMemoryStore()
    uow = await tick(store, date(2020, 10, 5), run_checkpoints=True)
    circulars = {
        e.unit_id
        for e in raised(uow)
        if e.reason is UNDER and e.severity is Severity.CIRCULAR and e.as_of == FIRST_CHECKPOINT
    }
    assert circulars == UNITS_WITH_TARGET
    # The last checkpoint has not come: no fair is asked for.
    assert of_reason(raised(uow), NO_FAIR) == {}
    again = await tick(store, date(2020, 10, 6), run_checkpoints=True)
    assert [e for e in raised(again) if e.reason is UNDER] == []


# --- no matchmaking fair --------------------------------------------------------------------


async def test_a_county_with_no_fair_by_the_campaigns_end_gets_a_talk() -> None:
    store = InMemoryStore()
    before_end = await fairs(store, date(2020, 11, 10), [fair(XINFU, date(2020, 11, 20))])
    assert raised(before_end) == []
    uow = await checkpoint(store, LAST_CHECKPOINT)
    talks = of_reason(raised(uow), NO_FAIR)
    assert set(talks) == COUNTIES - {XINFU}
    assert {(t.severity, t.level.value, t.figures["fairs"]) for t in talks.values()} == {
        (Severity.TALK, "county", 0)
    }
    assert set(await open_for(store, NO_FAIR)) == COUNTIES - {XINFU}


async def test_a_fair_by_the_end_resolves_the_no_fair_talk_and_one_after_it_does_not() -> None:
    store = InMemoryStore()
    talks = of_reason(raised(await checkpoint(store, LAST_CHECKPOINT)), NO_FAIR)
    late = await fairs(store, LAST_CHECKPOINT, [fair(WUTAI, date(2021, 1, 5))])
    assert resolved(late) == []
    on_time = await fairs(store, LAST_CHECKPOINT, [fair(DINGXIANG, LAST_CHECKPOINT)])
    assert [(r.unit_id, r.reason, r.escalation_id) for r in resolved(on_time)] == [
        (DINGXIANG, NO_FAIR, talks[DINGXIANG].escalation_id)
    ]
    assert set(await open_for(store, NO_FAIR)) == COUNTIES - {DINGXIANG}


async def test_a_fair_held_before_the_campaign_does_not_count_as_the_countys_fair() -> None:
    store = InMemoryStore()
    await fairs(store, date(2020, 8, 20), [fair(XINFU, date(2020, 8, 20))])
    talks = of_reason(raised(await checkpoint(store, LAST_CHECKPOINT)), NO_FAIR)
    assert XINFU in talks


# --- falsification --------------------------------------------------------------------------


def false_claim(uscc: str, n: int) -> list[Message[LoanIssued]]:
    """An earlier loan of another bank inside the look-back years, then a first loan the
    industrial and commercial bank attests for the same enterprise: a contradicted claim."""
    return [
        loan(uscc, f"OLD-{n}", date(2019, 6, 1), institution="abc", attested=False),
        loan(uscc, f"CLAIM-{n}", date(2020, 9, 10), institution="icbc"),
    ]


async def test_three_contradicted_first_loan_claims_give_the_bank_a_circular_at_once() -> None:
    store = InMemoryStore()
    who = usccs(XINFU, 4, "FA")
    # Before the warning day: falsification does not wait for it. The enterprises need not
    # be listed: a false claim is one, listed or not.
    on = date(2020, 9, 12)
    two = await bank(store, on, [*false_claim(who[0], 0), *false_claim(who[1], 1)])
    assert of_reason(raised(two), FALSIFICATION) == {}
    three = await bank(store, on, false_claim(who[2], 2))
    (circular,) = of_reason(raised(three), FALSIFICATION).values()
    assert (circular.unit_id, circular.level.value, circular.severity) == (
        "icbc",
        "institution",
        Severity.CIRCULAR,
    )
    assert circular.figures == {"anomalies": REFERENCE.thresholds.falsification_anomalies}
    assert sorted(e["claim"]["loan_id"] for e in circular.evidence) == [
        "CLAIM-0",
        "CLAIM-1",
        "CLAIM-2",
    ]
    # The bank that reported the earlier loans claimed nothing: nothing against it.
    assert await open_for(store, FALSIFICATION) == {"icbc": Severity.CIRCULAR}
    # A fourth claim changes nothing: the escalation is open already.
    four = await bank(store, on, false_claim(who[3], 3))
    assert raised(four) == []


async def test_a_bank_whose_contradicted_claims_fall_under_three_recovers() -> None:
    store = InMemoryStore()
    who = usccs(XINFU, 3, "FB")
    on = date(2020, 9, 12)
    claims = [m for n, u in enumerate(who) for m in false_claim(u, n)]
    (circular,) = of_reason(raised(await bank(store, on, claims)), FALSIFICATION).values()
    # The earlier loan behind one claim was withdrawn: that claim is no longer contradicted.
    withdrawn = LoanReversed(
        institution_id="abc", loan_id="OLD-0", reversed_on=date(2020, 9, 11), reason="错账"
    )
    uow = await bank(store, on, [message(withdrawn, source="urn:firstloan:institution:abc")])
    assert [(r.unit_id, r.reason, r.escalation_id) for r in resolved(uow)] == [
        ("icbc", FALSIFICATION, circular.escalation_id)
    ]
    assert await open_for(store, FALSIFICATION) == {}


# --- overdue ledgers ------------------------------------------------------------------------


async def test_an_overdue_ledger_warns_a_second_month_overdue_talks_and_submitting_resolves() -> (
    None
):
    store = InMemoryStore()
    first = await ledgers(store, date(2020, 10, 11), [overdue(XINFU, "2020-09")])
    (warning,) = of_reason(raised(first), LEDGER).values()
    assert (warning.unit_id, warning.level.value, warning.severity) == (
        XINFU,
        "county",
        Severity.WARNING,
    )
    second = await ledgers(store, date(2020, 11, 11), [overdue(XINFU, "2020-10")])
    (talk,) = of_reason(raised(second), LEDGER).values()
    assert (talk.severity, talk.previous_severity) == (Severity.TALK, Severity.WARNING)
    assert talk.escalation_id == warning.escalation_id
    assert talk.figures == {
        "unsubmitted_overdue_months": ["2020-09", "2020-10"],
        "months_overdue": 2,
    }
    # One month still unsubmitted: the talk stays, neither resolved nor downgraded.
    one = await ledgers(
        store, date(2020, 11, 12), [submitted(XINFU, "2020-09", date(2020, 11, 12))]
    )
    assert (raised(one), resolved(one)) == ([], [])
    both = await ledgers(
        store, date(2020, 11, 13), [submitted(XINFU, "2020-10", date(2020, 11, 13))]
    )
    assert [(r.unit_id, r.escalation_id) for r in resolved(both)] == [
        (XINFU, warning.escalation_id)
    ]
    assert await open_for(store, LEDGER) == {}


async def test_a_second_month_overdue_is_a_talk_even_after_the_first_was_submitted() -> None:
    store = InMemoryStore()
    await ledgers(store, date(2020, 10, 11), [overdue("icbc", "2020-09")])
    late = await ledgers(
        store, date(2020, 10, 20), [submitted("icbc", "2020-09", date(2020, 10, 20))]
    )
    assert [r.unit_id for r in resolved(late)] == ["icbc"]
    again = await ledgers(store, date(2020, 11, 11), [overdue("icbc", "2020-10")])
    (talk,) = of_reason(raised(again), LEDGER).values()
    assert (talk.level.value, talk.severity, talk.previous_severity) == (
        "institution",
        Severity.TALK,
        None,
    )


# --- projected shortfall --------------------------------------------------------------------


async def test_a_projected_shortfall_is_warned_from_the_forecast_day_unless_the_funnel_does() -> (
    None
):
    store = InMemoryStore()
    # 定襄县 lists 240 and pairs 60 on 2020-09-05, decided by 2020-09-29; 50 of them draw a
    # first loan: at that conversion its 180 unpaired still reach its 200 at the high end.
    who = usccs(DINGXIANG, 240, "HA")
    await roster(store, date(2020, 9, 2), listings(who, DINGXIANG))
    await pair(store, date(2020, 9, 5), pairings(who[:60], date(2020, 9, 5)))
    await bank(store, date(2020, 9, 20), first_loans(who[:50], date(2020, 9, 20)))
    before = await tick(store, FORECAST_DAY - timedelta(days=1))
    assert of_reason(raised(before), SHORTFALL) == {}
    uow = await tick(store, FORECAST_DAY)
    warnings = of_reason(raised(uow), SHORTFALL)
    assert set(warnings) == UNITS_WITH_TARGET - {DINGXIANG}
    assert {w.severity for w in warnings.values()} == {Severity.WARNING}
    # Nobody else lists anything: their high end stays at nothing.
    wutai = warnings[WUTAI].figures["forecast"]
    assert (wutai["high"], wutai["funnel"]["listed"]) == (0, 0)
    assert await open_for(store, SHORTFALL) == dict.fromkeys(
        UNITS_WITH_TARGET - {DINGXIANG}, Severity.WARNING
    )


async def test_a_unit_whose_funnel_fills_has_its_projected_shortfall_resolved() -> None:
    store = InMemoryStore()
    warned = of_reason(raised(await tick(store, FORECAST_DAY)), SHORTFALL)
    # 320 listed in 五台县: at the conversion of one half (no pairing decided anywhere yet)
    # the high end reaches its 200. The policy bank paired with ten of them before the days
    # the warning rests on: every pairing is its, so no institution with a target has a
    # share of the city's unpaired enterprises.
    who = usccs(WUTAI, 320, "HB")
    await roster(store, FORECAST_DAY + timedelta(days=1), listings(who, WUTAI))
    paired_on = FORECAST_DAY - timedelta(days=10)
    await pair(store, FORECAST_DAY + timedelta(days=1), pairings(who[:10], paired_on))
    uow = await tick(store, FORECAST_DAY + timedelta(days=2))
    assert [(r.unit_id, r.escalation_id) for r in resolved(uow) if r.reason is SHORTFALL] == [
        (WUTAI, warned[WUTAI].escalation_id)
    ]
    assert WUTAI not in await open_for(store, SHORTFALL)


# --- recovery of an under-target warning ----------------------------------------------------


async def test_a_unit_back_over_the_warning_ratio_has_its_warning_resolved() -> None:
    store = InMemoryStore()
    who = usccs(DINGXIANG, 30, "RC")
    listed = await roster(store, WARNING_DAY, listings(who, DINGXIANG))
    warning = of_reason(raised(listed), UNDER)[DINGXIANG]
    almost = await bank(store, WARNING_DAY, first_loans(who[:29], date(2020, 9, 25)))
    assert DINGXIANG not in {r.unit_id for r in resolved(almost)}
    enough = await bank(store, WARNING_DAY, first_loans(who[29:], date(2020, 9, 25)))
    assert [(r.unit_id, r.reason, r.escalation_id) for r in resolved(enough)] == [
        (DINGXIANG, UNDER, warning.escalation_id)
    ]
    still = await open_for(store, UNDER)
    assert DINGXIANG not in still
    assert set(still) == UNITS_WITH_TARGET - {DINGXIANG}


# --- the pure findings ----------------------------------------------------------------------

TEN = Targets(cultivated=20, first_loans=10)


def unit(
    unit_id: str, ratio: float | None, targets: Targets | None = TEN, level: str = "county"
) -> UnitAttainment:
    """A unit whose expected first loans are 10, at `ratio` of them."""
    first = 0 if ratio is None else round(10 * ratio)
    return UnitAttainment(
        unit_id=unit_id,
        name=f"单位{unit_id}",
        level=level,
        category=None if level == "county" else "joint_stock_city",
        cultivated=20,
        first_loans=first,
        first_loan_rate=first / 20,
        targets=targets,
        expected=None if targets is None else Progress(cultivated=20, first_loans=10),
        attainment_ratio=ratio,
        status=Status.BEHIND,
    )


def attainment_of(day: date, *units: UnitAttainment) -> Attainment:
    return Attainment(
        as_of=day,
        cultivated=20 * len(units),
        first_loans=sum(u.first_loans for u in units),
        first_loan_rate=None,
        counties=tuple(u for u in units if u.level == "county"),
        institutions=tuple(u for u in units if u.level == "institution"),
        anomalies_by_institution={},
    )


def test_under_target_warnings_are_none_before_the_warning_day_even_at_nothing() -> None:
    current = attainment_of(WARNING_DAY - timedelta(days=1), unit("140902", 0.0))
    assert under_target_warnings(current, REFERENCE) == []


def test_under_target_warnings_are_for_units_with_a_target_strictly_under_the_ratio() -> None:
    current = attainment_of(
        WARNING_DAY,
        unit("140902", 0.5),
        unit("140981", 0.6),  # at the ratio: not under it
        unit("140921", None),  # nothing expected
        unit("adbc", None, targets=None, level="institution"),
        unit("spdb", 0.1, level="institution"),
    )
    found = under_target_warnings(current, REFERENCE)
    assert [(f.unit_id, f.level, f.reason, f.severity) for f in found] == [
        ("140902", "county", UNDER, Severity.WARNING),
        ("spdb", "institution", UNDER, Severity.WARNING),
    ]
    assert (found[0].figures["first_loans"], found[0].figures["attainment_ratio"]) == (5, 0.5)


def test_falsification_findings_circulate_each_bank_at_the_threshold_with_its_earliest_claims() -> (
    None
):
    evidence = [{"claim": {"loan_id": f"C{n:02d}"}} for n in range(EVIDENCE_SHOWN + 5)]
    found = falsification_findings(
        REFERENCE,
        {"spdb": 4, "abc": 2, "ccb": 3},
        # ccb's evidence was left out: its escalation is open already.
        {"spdb": evidence, "abc": evidence[:2]},
    )
    assert [(f.unit_id, f.level, f.severity, f.figures) for f in found] == [
        ("ccb", "institution", Severity.CIRCULAR, {"anomalies": 3}),
        ("spdb", "institution", Severity.CIRCULAR, {"anomalies": 4}),
    ]
    assert found[0].evidence == ()
    assert found[1].evidence == tuple(evidence[:EVIDENCE_SHOWN])
    assert {f.reason for f in found} == {FALSIFICATION}


def test_ledger_findings_warn_a_pending_month_and_talk_from_the_second_month_overdue() -> None:
    found = ledger_findings(
        {"140902": ["2020-09"], "icbc": ["2020-11", "2020-09"], "abc": [], "spdb": ["2020-10"]},
        {"140902": 1, "icbc": 2, "abc": 3},
    )
    assert [(f.unit_id, f.level, f.reason, f.severity, f.figures) for f in found] == [
        (
            "140902",
            "county",
            LEDGER,
            Severity.WARNING,
            {"unsubmitted_overdue_months": ["2020-09"], "months_overdue": 1},
        ),
        (
            "icbc",
            "institution",
            LEDGER,
            Severity.TALK,
            {"unsubmitted_overdue_months": ["2020-09", "2020-11"], "months_overdue": 2},
        ),
        # abc submitted every month it let go overdue: nothing, however often it was late.
        # spdb's count is missing: a pending month alone is a warning.
        (
            "spdb",
            "institution",
            LEDGER,
            Severity.WARNING,
            {"unsubmitted_overdue_months": ["2020-10"], "months_overdue": 0},
        ),
    ]


def test_checkpoint_dates_of_the_packaged_campaign_are_its_quarter_end_and_its_end() -> None:
    assert checkpoint_dates(REFERENCE) == [FIRST_CHECKPOINT, LAST_CHECKPOINT]


def campaign_of(start: date, end: date) -> ReferenceData:
    campaign = REFERENCE.campaign.model_copy(
        update={"start": start, "end": end, "list_deadline": start}
    )
    return REFERENCE.model_copy(update={"campaign": campaign})


def test_checkpoint_dates_are_every_quarter_end_inside_the_campaign_then_its_end() -> None:
    longer = campaign_of(date(2020, 3, 31), date(2021, 5, 20))
    assert checkpoint_dates(longer) == [
        date(2020, 3, 31),  # the start day is inside the campaign
        date(2020, 6, 30),
        date(2020, 9, 30),
        date(2020, 12, 31),
        date(2021, 3, 31),
        date(2021, 5, 20),
    ]
    # A campaign ending on a quarter end has that day once; one inside a quarter, its end.
    assert checkpoint_dates(campaign_of(date(2020, 4, 1), date(2020, 6, 30))) == [date(2020, 6, 30)]
    assert checkpoint_dates(campaign_of(date(2020, 4, 1), date(2020, 5, 15))) == [date(2020, 5, 15)]


def test_shortfall_findings_warn_a_high_end_under_the_target_on_each_warning_day() -> None:
    days = warning_days(FORECAST_DAY, REFERENCE)
    assert len(days) == REFERENCE.forecast.shortfall_after_days
    current = attainment_of(
        FORECAST_DAY, unit("140902", 0.1), unit("140981", 0.1), unit("140921", 0.1)
    )
    few, enough = Funnel(listed=5, unpaired=5), Funnel(listed=40, unpaired=40)
    funnels: dict[date, dict[str, Funnel]] = {
        day: {"140902": few, "140981": enough, "140921": enough if day == days[0] else few}
        for day in days
    }
    decided_by = decision_rule(REFERENCE, add_workdays)
    found = shortfall_findings(current, funnels, REFERENCE, decided_by)
    # 140981 reaches its 10 at the high end; 140921 did on the first warning day.
    assert [(f.unit_id, f.reason, f.severity) for f in found] == [
        ("140902", SHORTFALL, Severity.WARNING)
    ]
    figures = found[0].figures["forecast"]
    assert figures["high"] < TEN.first_loans
    assert figures["funnel"] == few.as_json()
    earlier = attainment_of(FORECAST_DAY - timedelta(days=1), unit("140902", 0.1))
    assert shortfall_findings(earlier, funnels, REFERENCE, decided_by) == []
    # A warning day without its funnels is a day without the warning's evidence.
    del funnels[days[0]]
    assert shortfall_findings(current, funnels, REFERENCE, decided_by) == []
