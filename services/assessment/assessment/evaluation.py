"""Bringing assessment up to date after facts change: re-evaluate the enterprises touched,
publish the units whose figures changed, and move the escalation ladder.

Everything here runs inside one unit of work: the outcomes, the published figures, the
escalations and the events about them commit together.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from assessment.domain.attainment import Attainment, UnitAttainment, attainment
from assessment.domain.escalation import (
    Changes,
    Finding,
    checkpoint_dates,
    checkpoint_findings,
    ledger_findings,
    live_findings,
    reconcile,
)
from assessment.domain.first_loan import CampaignWindow, EnterpriseOutcome, evaluate
from assessment.storage import escalations as escalation_store
from assessment.storage import ledgers_and_fairs
from assessment.storage.facts import load_facts
from assessment.storage.outcomes import (
    anomaly_json,
    evaluated_on,
    load_outcomes,
    save_outcomes,
    set_evaluated_on,
)
from assessment.storage.tables import published_figures
from shared.contracts.assessment import (
    AttainmentUpdated,
    EscalationReason,
    Figures,
    UnitLevel,
)
from shared.reference import ReferenceData
from shared.topics import ASSESSMENT_ATTAINMENT, ASSESSMENT_ESCALATIONS
from shared.unit_of_work import UnitOfWork

# Consumers, the daily tick and checkpoints all move the same ladder and figures: one
# transaction-scoped lock makes them take turns.
_LOCK = 810_400


async def serialize(unit: UnitOfWork[AsyncConnection]) -> None:
    await unit.store.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})


def window(reference: ReferenceData) -> CampaignWindow:
    campaign = reference.campaign
    return CampaignWindow(campaign.start, campaign.end, campaign.look_back_years)


async def reassess(
    unit: UnitOfWork[AsyncConnection],
    usccs: Collection[str] | None,
    reference: ReferenceData,
    now: datetime,
) -> None:
    """Re-evaluate the given enterprises (all when None) as of today, then publish."""
    today = now.date()
    facts = await load_facts(unit.store, usccs)
    outcomes = [evaluate(f, window(reference), today) for f in facts.values()]
    await save_outcomes(unit.store, outcomes, today)
    if usccs is None:
        await set_evaluated_on(unit.store, today)
    await publish_live(unit, reference, now)


async def publish_live(
    unit: UnitOfWork[AsyncConnection], reference: ReferenceData, now: datetime
) -> None:
    outcomes = await load_outcomes(unit.store)
    current = attainment(outcomes, reference, now.date())
    await publish_changed_figures(unit, current)
    evidence = anomaly_evidence(outcomes)
    findings = live_findings(current, reference, evidence)
    evaluated = {EscalationReason.DATA_FALSIFICATION}
    if reference.campaign.day_number(current.as_of) >= (
        reference.thresholds.warning_from_campaign_day
    ):
        evaluated.add(EscalationReason.UNDER_TARGET)
    pending, ever = await ledgers_and_fairs.overdue_months(unit.store)
    findings += ledger_findings(pending, ever)
    evaluated.add(EscalationReason.LEDGER_OVERDUE)
    if current.as_of >= reference.campaign.end:
        with_fair = await ledgers_and_fairs.counties_with_fair(unit.store, reference.campaign.end)
        findings += [
            f
            for f in checkpoint_findings(current, reference, frozenset(), with_fair)
            if f.reason is EscalationReason.NO_MATCHMAKING_FAIR
        ]
        evaluated.add(EscalationReason.NO_MATCHMAKING_FAIR)
    await move_ladder(unit, findings, frozenset(evaluated), current.as_of, now)


def anomaly_evidence(outcomes: Iterable[EnterpriseOutcome]) -> dict[str, list[dict[str, Any]]]:
    evidence: dict[str, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        for anomaly in outcome.anomalies:
            evidence.setdefault(anomaly.claim.institution_id, []).append(anomaly_json(anomaly))
    return evidence


async def move_ladder(
    unit: UnitOfWork[AsyncConnection],
    findings: list[Finding],
    evaluated: frozenset[EscalationReason],
    as_of: date,
    now: datetime,
) -> Changes:
    changes = reconcile(await escalation_store.open_escalations(unit.store), findings, evaluated)
    for event in await escalation_store.record(unit.store, changes, as_of, now):
        unit.emit(ASSESSMENT_ESCALATIONS, event.unit_id, event)
    return changes


def attainment_event(unit_attainment: UnitAttainment, as_of: date) -> AttainmentUpdated:
    targets, expected = unit_attainment.targets, unit_attainment.expected
    return AttainmentUpdated(
        unit_id=unit_attainment.unit_id,
        level=UnitLevel(unit_attainment.level),
        as_of=as_of,
        cultivated=unit_attainment.cultivated,
        first_loans=unit_attainment.first_loans,
        first_loan_rate=unit_attainment.first_loan_rate,
        targets=None
        if targets is None
        else Figures(cultivated=targets.cultivated, first_loans=targets.first_loans),
        expected=None
        if expected is None
        else Figures(
            cultivated=round(expected.cultivated), first_loans=round(expected.first_loans)
        ),
        attainment_ratio=unit_attainment.attainment_ratio,
        status=unit_attainment.status.value,
    )


async def publish_changed_figures(unit: UnitOfWork[AsyncConnection], current: Attainment) -> None:
    """AttainmentUpdated for each unit whose figures differ from the last published."""
    rows = await unit.store.execute(select(published_figures))
    last = {row.unit_id: row.figures for row in rows}
    changed = []
    for unit_attainment in (*current.counties, *current.institutions):
        event = attainment_event(unit_attainment, current.as_of)
        figures = event.model_dump(mode="json")
        if last.get(event.unit_id) != figures:
            changed.append({"unit_id": event.unit_id, "figures": figures})
            unit.emit(ASSESSMENT_ATTAINMENT, event.unit_id, event)
    if changed:
        statement = insert(published_figures)
        await unit.store.execute(
            statement.on_conflict_do_update(
                index_elements=[published_figures.c.unit_id],
                set_={"figures": statement.excluded.figures},
            ),
            changed,
        )


def ranking(current: Attainment) -> dict[str, Any]:
    def ranked(units: tuple[UnitAttainment, ...]) -> list[dict[str, Any]]:
        ordered = sorted(
            (u for u in units if u.targets is not None),
            key=lambda u: (-(u.attainment_ratio or 0.0), -u.first_loans, u.unit_id),
        )
        return [
            {
                "rank": i,
                "unit_id": u.unit_id,
                "name": u.name,
                "category": u.category,
                "cultivated": u.cultivated,
                "first_loans": u.first_loans,
                "first_loan_rate": u.first_loan_rate,
                "attainment_ratio": u.attainment_ratio,
                "status": u.status.value,
            }
            for i, u in enumerate(ordered, start=1)
        ]

    return {
        "as_of": current.as_of.isoformat(),
        "counties": ranked(current.counties),
        "institutions": ranked(current.institutions),
    }


async def run_checkpoint(
    unit: UnitOfWork[AsyncConnection], reference: ReferenceData, as_of: date, now: datetime
) -> list[Finding]:
    """Assess every unit as of `as_of`; a checkpoint runs once: running it again changes
    nothing and returns nothing."""
    if await escalation_store.checkpoint_run(unit.store, as_of):
        return []
    facts = await load_facts(unit.store)
    current = attainment(
        [evaluate(f, window(reference), as_of) for f in facts.values()], reference, as_of
    )
    talked = await escalation_store.talked_before(unit.store, as_of)
    with_fair = await ledgers_and_fairs.counties_with_fair(unit.store, reference.campaign.end)
    findings = checkpoint_findings(current, reference, talked, with_fair)
    evaluated = {EscalationReason.UNDER_TARGET}
    if as_of >= reference.campaign.end:
        evaluated.add(EscalationReason.NO_MATCHMAKING_FAIR)
    changes = await move_ladder(unit, findings, frozenset(evaluated), as_of, now)
    under_target = [f.unit_id for f in findings if f.reason is EscalationReason.UNDER_TARGET]
    await escalation_store.save_checkpoint(unit.store, as_of, under_target, ranking(current))
    return [*changes.raised, *(f for _, f in changes.upgraded)]


async def keep_up_to_date(
    unit: UnitOfWork[AsyncConnection],
    reference: ReferenceData,
    now: datetime,
    run_checkpoints: bool,
) -> None:
    """The daily tick: a new day moves expected progress and listing dates, so every
    enterprise is re-evaluated once a day; checkpoints whose date has come are run."""
    await serialize(unit)
    today = now.date()
    if await evaluated_on(unit.store) != today:
        await reassess(unit, None, reference, now)
    if run_checkpoints:
        for day in checkpoint_dates(reference):
            if day <= today:
                await run_checkpoint(unit, reference, day, now)
