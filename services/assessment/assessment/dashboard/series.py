"""The campaign-wide trend: first-loan households week by week against the expected line.

Counted afresh from the facts with the same rules as `GET /attainment?as_of=`: the facts
are loaded once, then every enterprise is evaluated on each day of the series (the province's
daily series per city: `domain/series.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from assessment.domain.attainment import attainment
from assessment.domain.campaigns import Lenses
from assessment.domain.facts import EnterpriseFacts
from shared.reference import ReferenceData


@dataclass(frozen=True)
class SeriesPoint:
    on: date
    expected_first_loans: float
    """City-wide: the counties' first-loan targets times the campaign's elapsed share."""
    first_loans: int | None
    """None for days after today: the future has no actual figures."""
    cultivated: int | None


def series_days(reference: ReferenceData, today: date) -> list[date]:
    """Every seventh day from the campaign's start, today, and the campaign's end."""
    campaign = reference.campaign
    weekly = {campaign.start + timedelta(days=n) for n in range(0, campaign.days, 7)} | {
        campaign.end
    }
    if campaign.contains(today):
        weekly.add(today)
    return sorted(weekly)


def first_loan_series(
    facts: Mapping[str, EnterpriseFacts],
    lenses: Lenses,
    reference: ReferenceData,
    days: Iterable[date],
    today: date,
) -> list[SeriesPoint]:
    campaign_id = reference.campaign.id
    points = []
    for day in days:
        expected = sum(
            c.expected.first_loans
            for c in attainment((), reference, day).counties
            if c.expected is not None
        )
        if day > today:
            points.append(SeriesPoint(day, expected, None, None))
            continue
        outcomes = (lenses.outcome_in(f, campaign_id, day) for f in facts.values())
        counted = attainment((o for o in outcomes if o is not None), reference, day)
        points.append(SeriesPoint(day, expected, counted.first_loans, counted.cultivated))
    return points
