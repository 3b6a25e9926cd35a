"""Bringing assessment up to date after facts change: re-evaluate the enterprises touched,
publish the units whose figures changed, and move the escalation ladder.

Everything here runs inside one unit of work, through its store: the outcomes, the
published figures, the escalations and the events about them commit together. The caller
holds the store's lock (`Store.serialize`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any

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
from assessment.notifying import tell_subscribers
from assessment.storage import Store
from assessment.storage.outcomes import anomaly_json
from shared.contracts.assessment import (
    AttainmentUpdated,
    EscalationRaised,
    EscalationReason,
    EscalationResolved,
    Figures,
    Severity,
    UnitLevel,
)
from shared.reference import ReferenceData
from shared.topics import ASSESSMENT_ATTAINMENT, ASSESSMENT_ESCALATIONS
from shared.unit_of_work import UnitOfWork


def window(reference: ReferenceData) -> CampaignWindow:
    campaign = reference.campaign
    return CampaignWindow(campaign.start, campaign.end, campaign.look_back_years)


async def reassess(
    uow: UnitOfWork[Store],
    usccs: Collection[str] | None,
    reference: ReferenceData,
    now: datetime,
) -> None:
    """Re-evaluate the given enterprises (all when None) as of today, then publish."""
    today = now.date()
    facts = await uow.store.facts.load(usccs)
    outcomes = [evaluate(f, window(reference), today) for f in facts.values()]
    await uow.store.outcomes.save(outcomes, today)
    if usccs is None:
        await uow.store.outcomes.set_evaluated_on(today)
    await publish_live(uow, reference, now)


async def publish_live(uow: UnitOfWork[Store], reference: ReferenceData, now: datetime) -> None:
    outcomes = await uow.store.outcomes.load()
    current = attainment(outcomes, reference, now.date())
    await publish_changed_figures(uow, current)
    evidence = anomaly_evidence(outcomes)
    findings = live_findings(current, reference, evidence)
    evaluated = {EscalationReason.DATA_FALSIFICATION}
    if reference.campaign.day_number(current.as_of) >= (
        reference.thresholds.warning_from_campaign_day
    ):
        evaluated.add(EscalationReason.UNDER_TARGET)
    pending, ever = await uow.store.ledgers_and_fairs.overdue_months()
    findings += ledger_findings(pending, ever)
    evaluated.add(EscalationReason.LEDGER_OVERDUE)
    if current.as_of >= reference.campaign.end:
        with_fair = await uow.store.ledgers_and_fairs.counties_with_fair(reference.campaign.end)
        findings += [
            f
            for f in checkpoint_findings(current, reference, frozenset(), with_fair)
            if f.reason is EscalationReason.NO_MATCHMAKING_FAIR
        ]
        evaluated.add(EscalationReason.NO_MATCHMAKING_FAIR)
    await move_ladder(uow, findings, frozenset(evaluated), current.as_of, now)


def anomaly_evidence(outcomes: Iterable[EnterpriseOutcome]) -> dict[str, list[dict[str, Any]]]:
    evidence: dict[str, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        for anomaly in outcome.anomalies:
            evidence.setdefault(anomaly.claim.institution_id, []).append(anomaly_json(anomaly))
    return evidence


async def move_ladder(
    uow: UnitOfWork[Store],
    findings: list[Finding],
    evaluated: frozenset[EscalationReason],
    as_of: date,
    now: datetime,
) -> Changes:
    """Apply the ladder's changes and tell supervisors of each."""
    escalations = uow.store.escalations
    changes = reconcile(await escalations.open(), findings, evaluated)
    for finding in changes.raised:
        escalation_id = str(uuid.uuid4())
        await escalations.raise_escalation(escalation_id, finding, as_of, now)
        uow.emit(
            ASSESSMENT_ESCALATIONS,
            finding.unit_id,
            raised_event(escalation_id, finding, None, as_of, now),
        )
    for current, finding in changes.upgraded:
        await escalations.upgrade(current.escalation_id, finding, as_of, now)
        uow.emit(
            ASSESSMENT_ESCALATIONS,
            finding.unit_id,
            raised_event(current.escalation_id, finding, current.severity, as_of, now),
        )
    for current in changes.resolved:
        await escalations.resolve(current.escalation_id, now)
        resolved = EscalationResolved(
            escalation_id=current.escalation_id,
            unit_id=current.unit_id,
            reason=current.reason,
            resolved_at=now,
            as_of=as_of,
            why="the unit no longer meets the condition",
        )
        uow.emit(ASSESSMENT_ESCALATIONS, current.unit_id, resolved)
    await tell_subscribers(uow, changes, as_of, now)
    return changes


def raised_event(
    escalation_id: str, finding: Finding, previous: Severity | None, as_of: date, now: datetime
) -> EscalationRaised:
    return EscalationRaised(
        escalation_id=escalation_id,
        unit_id=finding.unit_id,
        level=UnitLevel(finding.level),
        reason=finding.reason,
        severity=finding.severity,
        previous_severity=previous,
        raised_at=now,
        as_of=as_of,
        figures=dict(finding.figures),
        evidence=[dict(e) for e in finding.evidence],
    )


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


async def publish_changed_figures(uow: UnitOfWork[Store], current: Attainment) -> None:
    """AttainmentUpdated for each unit whose figures differ from the last published."""
    last = await uow.store.figures.last()
    changed = {}
    for unit_attainment in (*current.counties, *current.institutions):
        event = attainment_event(unit_attainment, current.as_of)
        figures = event.model_dump(mode="json")
        if last.get(event.unit_id) != figures:
            changed[event.unit_id] = figures
            uow.emit(ASSESSMENT_ATTAINMENT, event.unit_id, event)
    await uow.store.figures.save(changed)


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
    uow: UnitOfWork[Store], reference: ReferenceData, as_of: date, now: datetime
) -> list[Finding]:
    """Assess every unit as of `as_of`; a checkpoint runs once: running it again changes
    nothing and returns nothing."""
    store = uow.store
    if await store.escalations.checkpoint_run(as_of):
        return []
    facts = await store.facts.load()
    current = attainment(
        [evaluate(f, window(reference), as_of) for f in facts.values()], reference, as_of
    )
    talked = await store.escalations.talked_before(as_of)
    with_fair = await store.ledgers_and_fairs.counties_with_fair(reference.campaign.end)
    findings = checkpoint_findings(current, reference, talked, with_fair)
    evaluated = {EscalationReason.UNDER_TARGET}
    if as_of >= reference.campaign.end:
        evaluated.add(EscalationReason.NO_MATCHMAKING_FAIR)
    changes = await move_ladder(uow, findings, frozenset(evaluated), as_of, now)
    under_target = [f.unit_id for f in findings if f.reason is EscalationReason.UNDER_TARGET]
    await store.escalations.save_checkpoint(as_of, under_target, ranking(current), now)
    return [*changes.raised, *(f for _, f in changes.upgraded)]


async def keep_up_to_date(
    uow: UnitOfWork[Store], reference: ReferenceData, now: datetime, run_checkpoints: bool
) -> None:
    """The daily tick: a new day moves expected progress and listing dates, so every
    enterprise is re-evaluated once a day; checkpoints whose date has come are run."""
    today = now.date()
    if await uow.store.outcomes.evaluated_on() != today:
        await reassess(uow, None, reference, now)
    if run_checkpoints:
        for day in checkpoint_dates(reference):
            if day <= today:
                await run_checkpoint(uow, reference, day, now)
