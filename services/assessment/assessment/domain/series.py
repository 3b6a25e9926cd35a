"""Day-by-day totals of one campaign, counted afresh from the facts with the same rules as
`GET /attainment?as_of=`, cheaply: an enterprise's outcome changes only on the day of one of
its loans, reversals or listing changes, so it is evaluated on the first day and on those
days alone, and each day's totals are the sum of the changes up to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from assessment.domain.attainment import attainment
from assessment.domain.campaigns import Lenses
from assessment.domain.facts import EnterpriseFacts
from assessment.domain.first_loan import EnterpriseOutcome
from shared.reference import ReferenceData


def expected_first_loans(reference: ReferenceData, day: date) -> float:
    """The counties' first-loan targets times the campaign's elapsed share on `day`."""
    return sum(
        c.expected.first_loans
        for c in attainment((), reference, day).counties
        if c.expected is not None
    )


def _counted(outcome: EnterpriseOutcome | None) -> tuple[int, int]:
    """(cultivated, first-loan households) one enterprise adds to its campaign's totals."""
    if outcome is None:
        return 0, 0
    return int(outcome.county_code is not None), int(outcome.first_loan is not None)


def daily_totals(
    facts: Mapping[str, EnterpriseFacts], lenses: Lenses, campaign_id: str, days: Sequence[date]
) -> dict[date, tuple[int, int]]:
    """A campaign's (cultivated, first-loan households) on each of `days` (consecutive),
    as `GET /attainment?as_of=` counts them: each enterprise evaluated on the first day and
    then only on the days its outcome can change."""
    if not days:
        return {}
    first, last = days[0], days[-1]
    moved: dict[date, list[int]] = {day: [0, 0] for day in days}
    for enterprise in facts.values():
        own = [c for c in enterprise.listing_changes if c.campaign_id == campaign_id]
        if not own:
            continue  # never listed in the campaign: neither cultivated nor lent to in it
        changes = {c.on for c in own}
        changes |= {loan.issued_on for loan in enterprise.loans}
        changes |= {r.reversed_on for r in enterprise.reversals}
        before = _counted(lenses.outcome_in(enterprise, campaign_id, first))
        moved[first][0] += before[0]
        moved[first][1] += before[1]
        for day in sorted(d for d in changes if first < d <= last):
            now = _counted(lenses.outcome_in(enterprise, campaign_id, day))
            moved[day][0] += now[0] - before[0]
            moved[day][1] += now[1] - before[1]
            before = now
    totals: dict[date, tuple[int, int]] = {}
    cultivated = first_loans = 0
    for day in days:
        cultivated += moved[day][0]
        first_loans += moved[day][1]
        totals[day] = (cultivated, first_loans)
    return totals


def consecutive_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
