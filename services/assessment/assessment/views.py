"""What assessment's GET endpoints read: queries over the store, deciding nothing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from assessment.domain.attainment import Attainment, attainment, attainment_from
from assessment.domain.campaigns import Lenses, lens
from assessment.domain.data_quality import DataQuality
from assessment.domain.evidence import anomaly_json
from assessment.domain.facts import EnterpriseFacts
from assessment.domain.first_loan import EnterpriseOutcome
from assessment.domain.follow_through import NotFoundError, Record, story
from assessment.domain.forecast import Forecast, decision_rule, forecasts, unit_funnels
from assessment.domain.province import Province, city_campaign, province
from assessment.domain.series import consecutive_days, daily_totals, expected_first_loans
from assessment.domain.service_figures import service_figures
from assessment.schemas import InstitutionDataQualityOut, data_quality_out
from assessment.storage import Store
from shared.reference import ReferenceData
from shared.workdays import add_workdays, workdays_between


async def attainment_on(
    store: Store, lenses: Lenses, reference: ReferenceData, day: date, live_day: date
) -> tuple[Attainment, dict[str, Forecast | None]]:
    """The campaign's figures on `day`. Today's come from the counts kept up to date, and
    the forecasts from the funnels the daily tick stored; any other day is counted afresh
    from the facts, with the same rules, and its forecasts from the funnels as they stood
    that day."""
    campaign_id = reference.campaign.id
    decided_by = decision_rule(reference, add_workdays)
    if day == live_day and await store.outcomes.evaluated_on(campaign_id) == live_day:
        current = attainment_from(await store.counts.load(campaign_id), reference, day)
        funnels = await store.forecast_funnels.load(campaign_id)
        return current, forecasts(current, funnels, reference, decided_by)
    facts = await store.facts.load()
    outcomes = outcomes_in(lenses, facts, campaign_id, day)
    current = attainment(outcomes, reference, day)
    weeks = reference.forecast.weeks
    seen = {o.uscc: lens(facts[o.uscc], reference) for o in outcomes if o.uscc in facts}
    funnels_then = unit_funnels(seen, outcomes, [day], decided_by, weeks)[day]
    return current, forecasts(current, funnels_then, reference, decided_by)


def outcomes_in(
    lenses: Lenses, facts: Mapping[str, EnterpriseFacts], campaign_id: str, day: date
) -> list[EnterpriseOutcome]:
    """Every enterprise's outcome in one campaign on `day`, counted afresh."""
    return [
        found
        for f in facts.values()
        if (found := lenses.outcome_in(f, campaign_id, day)) is not None
    ]


async def figures_on(
    store: Store, lenses: Lenses, references: Sequence[ReferenceData], day: date, live_day: date
) -> list[Attainment]:
    """Each campaign's attainment on `day` (no forecasts): today's from the counts kept up
    to date; another day's counted afresh, the facts read once for all."""
    found: dict[str, Attainment] = {}
    afresh = []
    for reference in references:
        campaign_id = reference.campaign.id
        if day == live_day and await store.outcomes.evaluated_on(campaign_id) == live_day:
            found[campaign_id] = attainment_from(
                await store.counts.load(campaign_id), reference, day
            )
        else:
            afresh.append(reference)
    if afresh:
        facts = await store.facts.load()
        for reference in afresh:
            outcomes = outcomes_in(lenses, facts, reference.campaign.id, day)
            found[reference.campaign.id] = attainment(outcomes, reference, day)
    return [found[r.campaign.id] for r in references]


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


async def anomalies(store: Store, reference: ReferenceData) -> list[dict[str, Any]]:
    """The contradicted claims counted in the campaign."""
    outcomes = await store.outcomes.with_anomalies(reference.campaign.id)
    return [
        {"uscc": o.uscc, **anomaly_json(a), "campaign_id": reference.campaign.id}
        for o in outcomes
        for a in o.anomalies
    ]


async def institution_service(store: Store, reference: ReferenceData) -> list[dict[str, Any]]:
    goal = reference.campaign.credit_process_goal_workdays
    outcomes = await store.outcomes.load(reference.campaign.id)
    return [
        asdict(f) | {"goal_working_days": goal}
        for f in service_figures(outcomes, workdays_between, goal)
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
    """The campaign's units talked to or given a circular at the checkpoint, circulars
    first."""
    escalated = [
        e
        for e in await store.escalations.listed(False, [reference.campaign.id])
        if e["as_of"] == as_of and e["severity"] in ("talk", "circular")
    ]
    names = {c.code: c.name for c in reference.counties}
    names |= {i.id: i.name for i in reference.institutions}
    entries = [{**e, "name": names.get(e["unit_id"], e["unit_id"])} for e in escalated]
    entries.sort(key=lambda e: (e["severity"] != "circular", e["unit_id"]))
    return entries


async def province_on(
    store: Store, lenses: Lenses, references: Sequence[ReferenceData], day: date, live_day: date
) -> tuple[Province, dict[str, int]]:
    """The province on `day` over these cities' campaigns, and each campaign's open
    escalations."""
    figures = await figures_on(store, lenses, references, day, live_day)
    seen = province(day, list(zip(references, figures, strict=True)))
    return seen, await store.escalations.open_by_campaign()


def city_series(
    facts: Mapping[str, EnterpriseFacts],
    lenses: Lenses,
    region_code: str,
    days: Sequence[date],
    counted_until: date,
) -> list[dict[str, Any]]:
    """The city's points on `days` (consecutive): each day's campaign (the one the city is
    seen through that day), its expected first-loan households, and, up to
    `counted_until`, its cultivated and first-loan households."""
    book = lenses.book
    of_day = {day: city_campaign(book, region_code, day) for day in days}
    totals: dict[str, dict[date, tuple[int, int]]] = {}
    for reference in {r.campaign.id: r for r in of_day.values()}.values():
        its = [d for d in days if of_day[d] is reference and d <= counted_until]
        totals[reference.campaign.id] = (
            daily_totals(facts, lenses, reference.campaign.id, consecutive_days(its[0], its[-1]))
            if its
            else {}
        )
    points = []
    for day in days:
        reference = of_day[day]
        counted = totals[reference.campaign.id].get(day)
        points.append(
            {
                "on": day,
                "campaign_id": reference.campaign.id,
                "expected_first_loans": expected_first_loans(reference, day),
                "cultivated": None if counted is None else counted[0],
                "first_loans": None if counted is None else counted[1],
            }
        )
    return points
