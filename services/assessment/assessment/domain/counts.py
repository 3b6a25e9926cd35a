"""What each enterprise adds to its units' counts, so that counts can be kept up to date from
the enterprises a batch touched alone (contract §5 rules 2 and 4).

An enterprise's outcome adds one to each count it belongs to; a unit's count is the sum over
enterprises, so the change of a count is the sum of the changes of the enterprises touched.
Counting everything from scratch (`counted`) and adding up changes (`change`) give the same
counts, whatever the order of the changes: a property test holds them to it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from enum import StrEnum

from assessment.domain.first_loan import EnterpriseOutcome


class Measure(StrEnum):
    CULTIVATED = "cultivated"
    FIRST_LOANS = "first_loans"
    ANOMALIES = "anomalies"
    """First-loan claims contradicted by an earlier loan, against the claiming institution."""


REGION = "region"
"""The level of the whole region's counts (unit id "")."""

CountKey = tuple[Measure, str, str]
"""(measure, level, unit id): level is county, institution or region."""

Counts = Mapping[CountKey, int]

OutcomeKey = tuple[str, str]
"""(campaign id, uscc): an enterprise has an outcome in each campaign it has a part in."""

CampaignCounts = Mapping[str, Counts]
"""Each campaign's counts, by campaign id."""


def contributions(outcome: EnterpriseOutcome) -> Counter[CountKey]:
    added: Counter[CountKey] = Counter()
    if outcome.county_code is not None:
        added[(Measure.CULTIVATED, REGION, "")] += 1
        added[(Measure.CULTIVATED, "county", outcome.county_code)] += 1
        for institution in outcome.institutions:
            added[(Measure.CULTIVATED, "institution", institution)] += 1
    if outcome.first_loan is not None:
        added[(Measure.FIRST_LOANS, REGION, "")] += 1
        added[(Measure.FIRST_LOANS, "county", outcome.first_loan.county_code)] += 1
        issuer = outcome.first_loan.loan.institution_id
        added[(Measure.FIRST_LOANS, "institution", issuer)] += 1
    for anomaly in outcome.anomalies:
        added[(Measure.ANOMALIES, "institution", anomaly.claim.institution_id)] += 1
    return added


def counted(outcomes: Iterable[EnterpriseOutcome]) -> Counter[CountKey]:
    """Every count, from every enterprise's outcome (one outcome per enterprise)."""
    total: Counter[CountKey] = Counter()
    for outcome in outcomes:
        total.update(contributions(outcome))
    return total


def change(
    before: Iterable[EnterpriseOutcome], after: Iterable[EnterpriseOutcome]
) -> dict[CountKey, int]:
    """How the counts move when the enterprises' outcomes `before` become those `after`
    (the same enterprises; one absent before counts as adding nothing); zeros left out."""
    moved: Counter[CountKey] = Counter()
    for outcome in after:
        moved.update(contributions(outcome))
    for outcome in before:
        moved.subtract(contributions(outcome))
    return {key: n for key, n in moved.items() if n}


def count_of(counts: Counts, measure: Measure, level: str, unit_id: str) -> int:
    return counts.get((measure, level, unit_id), 0)


def counted_by_campaign(
    outcomes: Mapping[OutcomeKey, EnterpriseOutcome],
) -> dict[str, Counter[CountKey]]:
    """Every campaign's counts, from every (campaign, enterprise) outcome."""
    total: dict[str, Counter[CountKey]] = {}
    for (campaign_id, _), outcome in outcomes.items():
        total.setdefault(campaign_id, Counter()).update(contributions(outcome))
    return total


def change_by_campaign(
    before: Mapping[OutcomeKey, EnterpriseOutcome], after: Mapping[OutcomeKey, EnterpriseOutcome]
) -> dict[str, dict[CountKey, int]]:
    """How each campaign's counts move when the outcomes `before` become those `after` (an
    outcome absent on either side adds nothing); campaigns and counts that do not move are
    left out."""
    moved: dict[str, Counter[CountKey]] = {}
    for (campaign_id, _), outcome in after.items():
        moved.setdefault(campaign_id, Counter()).update(contributions(outcome))
    for (campaign_id, _), outcome in before.items():
        moved.setdefault(campaign_id, Counter()).subtract(contributions(outcome))
    changes = {c: {key: n for key, n in m.items() if n} for c, m in moved.items()}
    return {c: m for c, m in changes.items() if m}
