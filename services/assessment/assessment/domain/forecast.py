"""A projection of each unit's first-loan households at the campaign's end, from its own
series so far (the method is `shared.reference.ForecastMethod`):

- the unit's weekly counts: new first-loan households in each of the last `weeks` full
  weeks ending on the day (fewer early in the campaign; none before its first full week);
- the pace is their mean, carried over the days left: `projected = now + pace x weeks left`;
- the interval is that plus or minus `interval_z` standard deviations of the weekly counts,
  grown with the square root of the weeks left (weeks taken as independent); with one week
  only, the deviation of a Poisson count of that mean stands in;
- the low end is never under what the unit already has.

A `projected_shortfall` warning is the interval's high end under the target, from the
campaign's `shortfall_from_campaign_day`; it is its own reason and never upgrades.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from assessment.domain.attainment import Attainment
from assessment.domain.escalation import Finding, units_with_target
from assessment.domain.first_loan import EnterpriseOutcome
from shared.contracts.assessment import EscalationReason, Severity
from shared.reference import Campaign, ForecastMethod, ReferenceData

DailyCounts = Mapping[date, int]
"""New first-loan households of one unit, per issue day."""


@dataclass(frozen=True)
class Forecast:
    first_loans: int
    low: int
    high: int
    weekly_pace: float
    weeks_used: int


def first_loan_days(outcomes: Iterable[EnterpriseOutcome]) -> dict[str, Counter[date]]:
    """Per unit (the county the first loan counts for, and its issuing institution): how
    many of its first-loan households got their first loan on each day."""
    series: dict[str, Counter[date]] = {}
    for outcome in outcomes:
        first = outcome.first_loan
        if first is None:
            continue
        for unit_id in (first.county_code, first.loan.institution_id):
            series.setdefault(unit_id, Counter())[first.loan.issued_on] += 1
    return series


def weekly_counts(days: DailyCounts, as_of: date, start: date, weeks: int) -> list[int]:
    """The counts of the last `weeks` full weeks ending on `as_of` (oldest first), as many
    as have elapsed since `start`."""
    elapsed = (as_of - start).days + 1
    full = min(weeks, max(elapsed, 0) // 7)
    counts = []
    for back in range(full - 1, -1, -1):
        last = as_of - timedelta(days=7 * back)
        counts.append(sum(days.get(last - timedelta(days=d), 0) for d in range(7)))
    return counts


def project(
    current: int, days: DailyCounts, as_of: date, campaign: Campaign, method: ForecastMethod
) -> Forecast | None:
    """The unit's forecast on `as_of`, having `current` first-loan households; None before
    the campaign's first full week."""
    if as_of >= campaign.end:
        return Forecast(current, current, current, 0.0, 0)
    counts = weekly_counts(days, as_of, campaign.start, method.weeks)
    if not counts:
        return None
    pace = statistics.fmean(counts)
    spread = statistics.stdev(counts) if len(counts) > 1 else math.sqrt(pace)
    weeks_left = (campaign.end - as_of).days / 7
    central = current + pace * weeks_left
    margin = method.interval_z * spread * math.sqrt(weeks_left)
    low = max(current, math.floor(central - margin))
    high = max(low, math.ceil(central + margin))
    return Forecast(min(max(round(central), low), high), low, high, pace, len(counts))


def forecasts(
    current: Attainment, series: Mapping[str, DailyCounts], reference: ReferenceData
) -> dict[str, Forecast | None]:
    """Every unit with a target, by unit id."""
    return {
        unit.unit_id: project(
            unit.first_loans,
            series.get(unit.unit_id, {}),
            current.as_of,
            reference.campaign,
            reference.forecast,
        )
        for unit in units_with_target(current)
    }


def shortfall_findings(
    current: Attainment, projected: Mapping[str, Forecast | None], reference: ReferenceData
) -> list[Finding]:
    """A warning for each unit whose forecast's high end is under its target, from the
    campaign's `shortfall_from_campaign_day`."""
    if (
        reference.campaign.day_number(current.as_of)
        < reference.forecast.shortfall_from_campaign_day
    ):
        return []
    findings = []
    for unit in units_with_target(current):
        forecast = projected.get(unit.unit_id)
        assert unit.targets is not None
        if forecast is None or forecast.high >= unit.targets.first_loans:
            continue
        figures = {
            "name": unit.name,
            "first_loans": unit.first_loans,
            "targets": unit.targets.model_dump(),
            "forecast": {
                "first_loans": forecast.first_loans,
                "low": forecast.low,
                "high": forecast.high,
                "weekly_pace": round(forecast.weekly_pace, 3),
                "weeks_used": forecast.weeks_used,
            },
        }
        findings.append(
            Finding(
                unit.unit_id,
                unit.level,
                EscalationReason.PROJECTED_SHORTFALL,
                Severity.WARNING,
                figures,
            )
        )
    return findings
