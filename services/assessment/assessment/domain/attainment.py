"""Cultivated households, first-loan households, rates, expected progress and attainment per
county and per institution (contract §5 rules 2, 4, 5, 6)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from assessment.domain.counts import REGION, Counts, Measure, count_of, counted
from assessment.domain.first_loan import EnterpriseOutcome
from shared.reference import ReferenceData, Targets


class Status(StrEnum):
    NO_TARGET = "no_target"
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    WARNING = "warning"
    CRITICAL = "critical"


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
    """The attainment of every unit counted from every enterprise's outcome."""
    return attainment_from(counted(outcomes), reference, day)


def attainment_from(counts: Counts, reference: ReferenceData, day: date) -> Attainment:
    """The attainment of every unit from its counts (kept up to date, or just counted)."""
    share = elapsed_share(reference, day)

    def of(measure: Measure, level: str, unit_id: str) -> int:
        return count_of(counts, measure, level, unit_id)

    counties = tuple(
        unit_attainment(
            county.code,
            county.name,
            "county",
            None,
            of(Measure.CULTIVATED, "county", county.code),
            of(Measure.FIRST_LOANS, "county", county.code),
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
            of(Measure.CULTIVATED, "institution", institution.id),
            of(Measure.FIRST_LOANS, "institution", institution.id),
            reference.targets_for_institution(institution.id),
            share,
            reference,
        )
        for institution in reference.institutions
    )
    cultivated = of(Measure.CULTIVATED, REGION, "")
    first_loans = of(Measure.FIRST_LOANS, REGION, "")
    return Attainment(
        as_of=day,
        cultivated=cultivated,
        first_loans=first_loans,
        first_loan_rate=rate(first_loans, cultivated),
        counties=counties,
        institutions=institutions,
        anomalies_by_institution={
            unit_id: n
            for (measure, _, unit_id), n in sorted(counts.items())
            if measure == Measure.ANOMALIES and n
        },
    )


def ranking(current: Attainment) -> dict[str, Any]:
    """A checkpoint's ranking of the units with a target: by attainment, then first loans."""

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
