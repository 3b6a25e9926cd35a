"""What assessment's GET endpoints read: queries over the store, deciding nothing."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from assessment.domain.attainment import Attainment, attainment, attainment_from
from assessment.domain.data_quality import DataQuality
from assessment.domain.evidence import anomaly_json
from assessment.domain.first_loan import campaign_window, evaluate
from assessment.domain.follow_through import NotFoundError, Record, story
from assessment.domain.forecast import Forecast, decision_rule, forecasts, unit_funnels
from assessment.domain.service_figures import service_figures
from assessment.schemas import InstitutionDataQualityOut, data_quality_out
from assessment.storage import Store
from shared.reference import ReferenceData
from shared.workdays import add_workdays, workdays_between


async def attainment_on(
    store: Store, reference: ReferenceData, day: date, live_day: date
) -> tuple[Attainment, dict[str, Forecast | None]]:
    """Today's figures come from the counts kept up to date, and the forecasts from the
    funnels the daily tick stored; any other day is counted afresh from the facts, with the
    same rules, and its forecasts from the funnels as they stood that day."""
    decided_by = decision_rule(reference, add_workdays)
    if day == live_day and await store.outcomes.evaluated_on() == live_day:
        current = attainment_from(await store.counts.load(), reference, day)
        funnels = await store.forecast_funnels.load()
        return current, forecasts(current, funnels, reference, decided_by)
    facts = await store.facts.load()
    outcomes = [evaluate(f, campaign_window(reference), day) for f in facts.values()]
    current = attainment(outcomes, reference, day)
    weeks = reference.forecast.weeks
    funnels_then = unit_funnels(facts, outcomes, [day], decided_by, weeks)[day]
    return current, forecasts(current, funnels_then, reference, decided_by)


async def escalation_record(store: Store, escalation_id: str) -> Record:
    found = await store.follow_through.records([escalation_id])
    if escalation_id not in found:
        raise NotFoundError("escalation_id", f"no escalation {escalation_id!r}")
    return found[escalation_id]


async def escalation_stories(store: Store, escalation_ids: list[str]) -> list[dict[str, Any]]:
    """Each escalation (in the order given) with the story of what was done about it."""
    records = await store.follow_through.records(escalation_ids)
    return [
        {
            "escalation_id": escalation_id,
            "story": [asdict(step) for step in story(records[escalation_id])],
            "acknowledged": records[escalation_id].acknowledgement is not None,
            "rectifications": [asdict(r) for r in records[escalation_id].rectifications],
            "circular_issued": records[escalation_id].circular is not None,
        }
        for escalation_id in escalation_ids
        if escalation_id in records
    ]


async def anomalies(store: Store) -> list[dict[str, Any]]:
    outcomes = await store.outcomes.with_anomalies()
    return [{"uscc": o.uscc, **anomaly_json(a)} for o in outcomes for a in o.anomalies]


async def institution_service(store: Store, reference: ReferenceData) -> list[dict[str, Any]]:
    goal = reference.campaign.credit_process_goal_workdays
    return [
        asdict(f) | {"goal_working_days": goal}
        for f in service_figures(await store.outcomes.load(), workdays_between, goal)
    ]


async def data_quality(store: Store, reference: ReferenceData) -> list[InstitutionDataQualityOut]:
    """Every institution of the reference data (most with nothing found), and any other
    institution something was found against."""
    found = await store.data_quality.by_institution()
    names = {i.id: i.name for i in reference.institutions}
    return [
        InstitutionDataQualityOut(
            institution_id=institution,
            name=names.get(institution, institution),
            data_quality=data_quality_out(found.get(institution, DataQuality())),
        )
        for institution in [*names, *sorted(found.keys() - names.keys())]
    ]


async def circular_entries(
    store: Store, reference: ReferenceData, as_of: date
) -> list[dict[str, Any]]:
    """The units talked to or given a circular at the checkpoint, circulars first."""
    escalated = [
        e
        for e in await store.escalations.listed(only_open=False)
        if e["as_of"] == as_of and e["severity"] in ("talk", "circular")
    ]
    names = {c.code: c.name for c in reference.counties}
    names |= {i.id: i.name for i in reference.institutions}
    entries = [{**e, "name": names.get(e["unit_id"], e["unit_id"])} for e in escalated]
    entries.sort(key=lambda e: (e["severity"] != "circular", e["unit_id"]))
    return entries
