"""The escalation ladder: the one place that publishes each unit's figures
(`AttainmentUpdated`) and moves escalations (`EscalationRaised`, `EscalationResolved`), live
after facts change, at checkpoints, and from the daily forecast. Each campaign has a ladder
of its own: its figures, its findings, its open escalations, its checkpoints.

Everything here runs inside one unit of work, through its store: the published figures, the
escalations and the events about them commit together. The ladder moves only for the
reasons whose inputs changed (bank events cannot change a ledger or fair finding). Its lock
(`Store.lock_ladder`) comes after the touched enterprises' outcomes and the counts' rows; a
checkpoint holds the store's lock alone (`Store.serialize`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, NamedTuple

from assessment.commands import RunCheckpoint
from assessment.domain.attainment import Attainment, attainment, attainment_from, ranking
from assessment.domain.campaigns import lens
from assessment.domain.escalation import (
    Changes,
    Finding,
    checkpoint_findings,
    falsification_findings,
    ledger_findings,
    reconcile,
    under_target_warnings,
)
from assessment.domain.events import attainment_event, raised_event
from assessment.domain.evidence import anomaly_evidence
from assessment.domain.facts import EnterpriseFacts
from assessment.domain.first_loan import EnterpriseOutcome
from assessment.domain.forecast import (
    decision_rule,
    shortfall_findings,
    unit_funnels,
    warning_days,
)
from assessment.handlers.notices import NoticeHandlers
from assessment.storage import Store
from shared.contracts.assessment import EscalationReason, EscalationResolved
from shared.reference import ReferenceData
from shared.topics import ASSESSMENT_ATTAINMENT, ASSESSMENT_ESCALATIONS
from shared.unit_of_work import UnitOfWork
from shared.workdays import add_workdays


class Evaluated(NamedTuple):
    """Every enterprise's facts and its outcomes in one campaign as of one day, as the daily
    re-evaluation counted them."""

    facts: dict[str, EnterpriseFacts]
    outcomes: list[EnterpriseOutcome]


class CheckpointOutsideCampaignError(ValueError):
    """A checkpoint names a day before the campaign's start or after its end."""


def attainment_key(campaign_id: str, unit_id: str) -> str:
    """The key of a unit's figures on the compacted `assessment.attainment`: a unit id alone
    would let one campaign's figures of a bank erase another's."""
    return f"{campaign_id}/{unit_id}"


class LadderHandlers(NoticeHandlers):
    def campaign_named(self, campaign_id: str | None, day: date) -> ReferenceData:
        """The campaign a command names; none named: the one running on `day`, else the only
        one (shared.campaigns: raises UnknownCampaignError, AmbiguousCampaignError)."""
        return self.book().resolve(campaign_id, day)

    async def run_checkpoint(self, uow: UnitOfWork[Store], command: RunCheckpoint) -> list[Finding]:
        """The escalations the checkpoint raised or upgraded (none when it had run). Raises
        CheckpointOutsideCampaignError for a day the campaign does not hold."""
        reference = self.campaign_named(command.campaign_id, command.as_of)
        campaign = reference.campaign
        if not campaign.contains(command.as_of):
            raise CheckpointOutsideCampaignError(
                f"{command.as_of} is outside the campaign {campaign.id}, "
                f"{campaign.start} to {campaign.end}"
            )
        await uow.store.serialize()
        return await self.checkpoint(uow, reference, command.as_of, self.now())

    async def checkpoint(
        self, uow: UnitOfWork[Store], reference: ReferenceData, as_of: date, now: datetime
    ) -> list[Finding]:
        """Assess every unit of the campaign as of `as_of`, holding the store's lock alone; a
        checkpoint runs once: running it again changes nothing and returns nothing."""
        store, campaign = uow.store, reference.campaign
        if await store.escalations.checkpoint_run(as_of, campaign.id):
            return []
        lenses = self.lenses()
        outcomes = [
            found
            for f in (await store.facts.load()).values()
            if (found := lenses.outcome_in(f, campaign.id, as_of)) is not None
        ]
        current = attainment(outcomes, reference, as_of)
        talked = await store.escalations.talked_before(as_of, campaign.id)
        with_fair = await store.ledgers_and_fairs.counties_with_fair(campaign.start, campaign.end)
        findings = checkpoint_findings(current, reference, talked, with_fair)
        evaluated = {EscalationReason.UNDER_TARGET}
        if as_of >= campaign.end:
            evaluated.add(EscalationReason.NO_MATCHMAKING_FAIR)
        changes = await self.move_ladder(
            uow, campaign.id, findings, frozenset(evaluated), as_of, now
        )
        under_target = [f.unit_id for f in findings if f.reason is EscalationReason.UNDER_TARGET]
        await store.escalations.save_checkpoint(
            campaign.id, as_of, under_target, ranking(current), now
        )
        return [*changes.raised, *(f for _, f in changes.upgraded)]

    async def publish_live(
        self,
        uow: UnitOfWork[Store],
        reference: ReferenceData,
        now: datetime,
        changed: frozenset[EscalationReason],
    ) -> None:
        """Publish the campaign's units whose figures moved, and move its ladder for the
        reasons whose inputs `changed` (the others are neither raised nor resolved here)."""
        store, campaign_id = uow.store, reference.campaign.id
        await store.lock_ladder()
        current = attainment_from(await store.counts.load(campaign_id), reference, now.date())
        await _publish_changed_figures(uow, campaign_id, current)
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
                await _evidence_wanted(store, current, reference),
            )
            evaluated.add(EscalationReason.DATA_FALSIFICATION)
        if EscalationReason.LEDGER_OVERDUE in changed:
            pending, ever = await store.ledgers_and_fairs.overdue_months(campaign_id)
            findings += ledger_findings(pending, ever)
            evaluated.add(EscalationReason.LEDGER_OVERDUE)
        end = reference.campaign.end
        if EscalationReason.NO_MATCHMAKING_FAIR in changed and current.as_of >= end:
            with_fair = await store.ledgers_and_fairs.counties_with_fair(
                reference.campaign.start, end
            )
            findings += [
                f
                for f in checkpoint_findings(current, reference, frozenset(), with_fair)
                if f.reason is EscalationReason.NO_MATCHMAKING_FAIR
            ]
            evaluated.add(EscalationReason.NO_MATCHMAKING_FAIR)
        await self.move_ladder(uow, campaign_id, findings, frozenset(evaluated), current.as_of, now)

    async def refresh_forecasts(
        self,
        uow: UnitOfWork[Store],
        reference: ReferenceData,
        now: datetime,
        counted: Evaluated | None = None,
    ) -> None:
        """Once a day (a no-op when the campaign's funnels of today are stored): each of the
        campaign's units' funnel, from the facts as the campaign sees them and the outcomes
        the tick has just brought up to date (`counted`, when it has just counted them: read
        again otherwise), on today and the days a warning rests on; today's stored for
        `GET /attainment`, and the `projected_shortfall` warnings raised or resolved from
        them all."""
        today, campaign_id = now.date(), reference.campaign.id
        if await uow.store.forecast_funnels.computed_on(campaign_id) == today:
            return
        if counted is None:
            counted = Evaluated(
                await uow.store.facts.load(), await uow.store.outcomes.load(campaign_id)
            )
        facts, outcomes = counted
        seen = {o.uscc: lens(facts[o.uscc], reference) for o in outcomes if o.uscc in facts}
        decided_by = decision_rule(reference, add_workdays)
        days = warning_days(today, reference)
        recent = unit_funnels(seen, outcomes, days, decided_by, reference.forecast.weeks)
        await uow.store.forecast_funnels.replace(campaign_id, recent[today], today)
        current = attainment(outcomes, reference, today)
        findings = shortfall_findings(current, recent, reference, decided_by)
        evaluated = frozenset({EscalationReason.PROJECTED_SHORTFALL})
        await self.move_ladder(uow, campaign_id, findings, evaluated, today, now)

    async def move_ladder(
        self,
        uow: UnitOfWork[Store],
        campaign_id: str,
        findings: list[Finding],
        evaluated: frozenset[EscalationReason],
        as_of: date,
        now: datetime,
    ) -> Changes:
        """Apply the changes of the campaign's ladder and tell supervisors of each."""
        escalations = uow.store.escalations
        changes = reconcile(await escalations.open(campaign_id), findings, evaluated)
        for finding in changes.raised:
            # Unique across campaigns (and across replicas): a random id.
            escalation_id = str(uuid.uuid4())
            await escalations.raise_escalation(campaign_id, escalation_id, finding, as_of, now)
            uow.emit(
                ASSESSMENT_ESCALATIONS,
                finding.unit_id,
                raised_event(escalation_id, finding, None, as_of, now, campaign_id),
            )
        for current, finding in changes.upgraded:
            await escalations.upgrade(current.escalation_id, finding, as_of, now)
            uow.emit(
                ASSESSMENT_ESCALATIONS,
                finding.unit_id,
                raised_event(
                    current.escalation_id, finding, current.severity, as_of, now, campaign_id
                ),
            )
        for current in changes.resolved:
            await escalations.resolve(current.escalation_id, now)
            resolved = EscalationResolved(
                campaign_id=campaign_id,
                escalation_id=current.escalation_id,
                unit_id=current.unit_id,
                reason=current.reason,
                resolved_at=now,
                as_of=as_of,
                why="the unit no longer meets the condition",
            )
            uow.emit(ASSESSMENT_ESCALATIONS, current.unit_id, resolved)
        await self.tell_subscribers(uow, campaign_id, changes, as_of, now)
        return changes


async def _publish_changed_figures(
    uow: UnitOfWork[Store], campaign_id: str, current: Attainment
) -> None:
    """AttainmentUpdated for each of the campaign's units whose figures differ from the last
    published."""
    last = await uow.store.figures.last(campaign_id)
    changed = {}
    for unit_attainment in (*current.counties, *current.institutions):
        event = attainment_event(unit_attainment, current.as_of, campaign_id)
        figures = event.model_dump(mode="json")
        if last.get(event.unit_id) != figures:
            changed[event.unit_id] = figures
            uow.emit(ASSESSMENT_ATTAINMENT, attainment_key(campaign_id, event.unit_id), event)
    await uow.store.figures.save(campaign_id, changed)


async def _evidence_wanted(
    store: Store, current: Attainment, reference: ReferenceData
) -> dict[str, list[dict[str, Any]]]:
    """Evidence is read only for an escalation about to be raised: an institution with
    enough anomalies and no open falsification escalation."""
    threshold = reference.thresholds.falsification_anomalies
    escalated = {
        e.unit_id
        for e in await store.escalations.open(reference.campaign.id)
        if e.reason is EscalationReason.DATA_FALSIFICATION
    }
    wanted = {
        institution
        for institution, n in current.anomalies_by_institution.items()
        if n >= threshold and institution not in escalated
    }
    if not wanted:
        return {}
    evidence = anomaly_evidence(await store.outcomes.with_anomalies(reference.campaign.id))
    return {institution: evidence[institution] for institution in wanted if institution in evidence}
