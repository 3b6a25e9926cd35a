"""Cultivated households, first-loan households, rates, expected progress and attainment per
county and per institution (contract §5 rules 2, 4, 5, 6)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from assessment.domain.first_loan import EnterpriseOutcome
from shared.reference import ReferenceData, Targets


class Status(StrEnum):
    NO_TARGET = "no_target"
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    WARNING = "warning"
    CRITICAL = "critical"


@dataclass
class Tally:
    """Distinct enterprises per unit: the sets, so that nothing is counted twice."""

    county_cultivated: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    county_first_loans: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    institution_cultivated: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    institution_first_loans: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    listed: set[str] = field(default_factory=set)
    first_loans: set[str] = field(default_factory=set)
    anomalies: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def tally(outcomes: Iterable[EnterpriseOutcome]) -> Tally:
    result = Tally()
    for outcome in outcomes:
        if outcome.county_code is not None:
            result.listed.add(outcome.uscc)
            result.county_cultivated[outcome.county_code].add(outcome.uscc)
            for institution in outcome.institutions:
                result.institution_cultivated[institution].add(outcome.uscc)
        if outcome.first_loan is not None:
            result.first_loans.add(outcome.uscc)
            result.county_first_loans[outcome.first_loan.county_code].add(outcome.uscc)
            issuer = outcome.first_loan.loan.institution_id
            result.institution_first_loans[issuer].add(outcome.uscc)
        for anomaly in outcome.anomalies:
            result.anomalies[anomaly.claim.institution_id] += 1
    return result


@dataclass(frozen=True)
class Progress:
    cultivated: float
    first_loans: float


@dataclass(frozen=True)
class UnitAttainment:
    unit_id: str
    name: str
    level: str
    category: str | None
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    targets: Targets | None
    expected: Progress | None
    attainment_ratio: float | None
    status: Status


@dataclass(frozen=True)
class Attainment:
    as_of: date
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    counties: tuple[UnitAttainment, ...]
    institutions: tuple[UnitAttainment, ...]
    anomalies_by_institution: dict[str, int]

    def unit(self, unit_id: str) -> UnitAttainment:
        for unit in (*self.counties, *self.institutions):
            if unit.unit_id == unit_id:
                return unit
        raise KeyError(unit_id)


def rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def elapsed_share(reference: ReferenceData, day: date) -> float:
    """Share of the campaign's days elapsed on `day` (the start day counts as elapsed)."""
    campaign = reference.campaign
    elapsed = min(max(campaign.day_number(day), 0), campaign.days)
    return elapsed / campaign.days


def expected(targets: Targets, share: float) -> Progress:
    return Progress(
        cultivated=min(targets.cultivated * share, targets.cultivated),
        first_loans=min(targets.first_loans * share, targets.first_loans),
    )


def status_of(ratio: float | None, targets: Targets | None, reference: ReferenceData) -> Status:
    if targets is None:
        return Status.NO_TARGET
    if ratio is None:
        return Status.NOT_STARTED
    if ratio >= 1:
        return Status.ON_TRACK
    if ratio < reference.thresholds.circular_ratio:
        return Status.CRITICAL
    if ratio < reference.thresholds.warning_ratio:
        return Status.WARNING
    return Status.BEHIND


def unit_attainment(
    unit_id: str,
    name: str,
    level: str,
    category: str | None,
    cultivated: int,
    first_loans: int,
    targets: Targets | None,
    share: float,
    reference: ReferenceData,
) -> UnitAttainment:
    progress = expected(targets, share) if targets is not None else None
    ratio = (
        first_loans / progress.first_loans
        if progress is not None and progress.first_loans > 0
        else None
    )
    return UnitAttainment(
        unit_id=unit_id,
        name=name,
        level=level,
        category=category,
        cultivated=cultivated,
        first_loans=first_loans,
        first_loan_rate=rate(first_loans, cultivated),
        targets=targets,
        expected=progress,
        attainment_ratio=ratio,
        status=status_of(ratio, targets, reference),
    )


def attainment(
    outcomes: Iterable[EnterpriseOutcome], reference: ReferenceData, day: date
) -> Attainment:
    counted = tally(outcomes)
    share = elapsed_share(reference, day)
    counties = tuple(
        unit_attainment(
            county.code,
            county.name,
            "county",
            None,
            len(counted.county_cultivated.get(county.code, ())),
            len(counted.county_first_loans.get(county.code, ())),
            county.targets,
            share,
            reference,
        )
        for county in reference.counties
    )
    institutions = tuple(
        unit_attainment(
            institution.id,
            institution.name,
            "institution",
            institution.category,
            len(counted.institution_cultivated.get(institution.id, ())),
            len(counted.institution_first_loans.get(institution.id, ())),
            reference.targets_for_institution(institution.id),
            share,
            reference,
        )
        for institution in reference.institutions
    )
    return Attainment(
        as_of=day,
        cultivated=len(counted.listed),
        first_loans=len(counted.first_loans),
        first_loan_rate=rate(len(counted.first_loans), len(counted.listed)),
        counties=counties,
        institutions=institutions,
        anomalies_by_institution=dict(counted.anomalies),
    )
