"""Bringing assessment up to date after facts change: re-evaluate the enterprises touched,
publish the units whose figures changed, and move the escalation ladder.

Everything here runs inside one unit of work, through its store: the outcomes, the counts,
the published figures, the escalations and the events about them commit together.

The work is in proportion to what changed: a batch re-evaluates the enterprises it touched,
moves the counts by their change, and moves the ladder only for the reasons whose inputs it
changed (bank events cannot change a ledger or fair finding). Locks are as narrow as the data:
the touched enterprises' outcomes, then the counts' rows, then the ladder, in that order; a
whole re-evaluation or a checkpoint holds the store's lock alone (`Store.serialize`), and
every other transaction shares it (`Store.share`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any

from assessment.domain.attainment import Attainment, UnitAttainment, attainment, attainment_from
from assessment.domain.counts import Measure, change, counted
from assessment.domain.escalation import (
    Changes,
    Finding,
    checkpoint_dates,
    checkpoint_findings,
    falsification_findings,
    ledger_findings,
    reconcile,
    under_target_warnings,
)
from assessment.domain.facts import EnterpriseFacts
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
    if usccs is None:
        await reassess_all(uow, reference, now)
        return
    store, today = uow.store, now.date()
    before = await store.outcomes.lock(usccs, today)
    facts = await store.facts.load(before)
    # An enterprise can be left with no fact: its loan's counted copy now names another.
    after = [
        evaluate(facts.get(uscc) or EnterpriseFacts(uscc), window(reference), today)
        for uscc in before
    ]
    await store.outcomes.save(after, today)
    moved = change(before.values(), after)
    await store.counts.add(moved)
    if not moved:
        return
    changed = {EscalationReason.UNDER_TARGET}
    if any(measure is Measure.ANOMALIES for measure, _, _ in moved):
        changed.add(EscalationReason.DATA_FALSIFICATION)
    await publish_live(uow, reference, now, frozenset(changed))


async def reassess_all(uow: UnitOfWork[Store], reference: ReferenceData, now: datetime) -> None:
    """Every enterprise, counted from scratch: a new day moves listing dates and loans'
    liveness for all of them. The caller holds the store's lock alone."""
    store, today = uow.store, now.date()
    facts = await store.facts.load()
    outcomes = [evaluate(f, window(reference), today) for f in facts.values()]
    await store.outcomes.save(outcomes, today)
    await store.counts.replace(counted(outcomes))
    await store.outcomes.set_evaluated_on(today)
    await publish_live(uow, reference, now, frozenset(EscalationReason))


async def publish_live(
    uow: UnitOfWork[Store],
    reference: ReferenceData,
    now: datetime,
    changed: frozenset[EscalationReason],
) -> None:
    """Publish the units whose figures moved, and move the ladder for the reasons whose
    inputs `changed` (the others are neither raised nor resolved here)."""
    store = uow.store
    await store.lock_ladder()
    current = attainment_from(await store.counts.load(), reference, now.date())
    await publish_changed_figures(uow, current)
    findings: list[Finding] = []
    evaluated: set[EscalationReason] = set()
    campaign_day = reference.campaign.day_number(current.as_of)
    if EscalationReason.UNDER_TARGET in changed and (
        campaign_day >= reference.thresholds.warning_from_campaign_day
    ):
        findings += under_target_warnings(current, reference)
        evaluated.add(EscalationReason.UNDER_TARGET)
    if EscalationReason.DATA_FALSIFICATION in changed:
        findings += falsification_findings(
            reference,
            current.anomalies_by_institution,
            await _anomaly_evidence(store, current, reference),
        )
        evaluated.add(EscalationReason.DATA_FALSIFICATION)
    if EscalationReason.LEDGER_OVERDUE in changed:
        pending, ever = await store.ledgers_and_fairs.overdue_months()
        findings += ledger_findings(pending, ever)
        evaluated.add(EscalationReason.LEDGER_OVERDUE)
    if EscalationReason.NO_MATCHMAKING_FAIR in changed and current.as_of >= reference.campaign.end:
        with_fair = await store.ledgers_and_fairs.counties_with_fair(reference.campaign.end)
        findings += [
            f
            for f in checkpoint_findings(current, reference, frozenset(), with_fair)
            if f.reason is EscalationReason.NO_MATCHMAKING_FAIR
        ]
        evaluated.add(EscalationReason.NO_MATCHMAKING_FAIR)
    await move_ladder(uow, findings, frozenset(evaluated), current.as_of, now)


async def _anomaly_evidence(
    store: Store, current: Attainment, reference: ReferenceData
) -> dict[str, list[dict[str, Any]]]:
    """Evidence is read only for an escalation about to be raised: an institution with
    enough anomalies and no open falsification escalation."""
    threshold = reference.thresholds.falsification_anomalies
    escalated = {
        e.unit_id
        for e in await store.escalations.open()
        if e.reason is EscalationReason.DATA_FALSIFICATION
    }
    wanted = {
        institution
        for institution, n in current.anomalies_by_institution.items()
        if n >= threshold and institution not in escalated
    }
    if not wanted:
        return {}
    evidence = anomaly_evidence(await store.outcomes.with_anomalies())
    return {institution: evidence[institution] for institution in wanted if institution in evidence}


def anomaly_evidence(outcomes: Iterable[EnterpriseOutcome]) -> dict[str, list[dict[str, Any]]]:
    evidence: dict[str, list[dict[str, Any]]] = {}
    for outcome in outcomes:
        for anomaly in outcome.anomalies:
            evidence.setdefault(anomaly.claim.institution_id, []).append(anomaly_json(anomaly))
    for claims in evidence.values():
        claims.sort(key=lambda a: (a["claim"]["issued_on"], a["claim"]["loan_id"]))
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
