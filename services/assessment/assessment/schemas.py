"""Assessment's HTTP bodies, and how its domain objects are shown as JSON."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from assessment.domain.attainment import UnitAttainment
from assessment.domain.data_quality import DataQuality
from assessment.domain.escalation import Finding


class Pair(BaseModel):
    cultivated: float
    first_loans: float


class UnitOut(BaseModel):
    unit_id: str
    name: str
    level: Literal["county", "institution"]
    category: str | None = None
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    targets: Pair | None
    expected: Pair | None
    attainment_ratio: float | None
    status: str


class Citywide(BaseModel):
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    first_loan_rate_floor: float
    first_loan_rate_goal: float


class AttainmentOut(BaseModel):
    as_of: date
    citywide: Citywide
    units: list[UnitOut]


def unit_out(unit: UnitAttainment) -> UnitOut:
    return UnitOut(
        unit_id=unit.unit_id,
        name=unit.name,
        level=unit.level,
        category=unit.category,
        cultivated=unit.cultivated,
        first_loans=unit.first_loans,
        first_loan_rate=unit.first_loan_rate,
        targets=None if unit.targets is None else Pair(**unit.targets.model_dump()),
        expected=None
        if unit.expected is None
        else Pair(cultivated=unit.expected.cultivated, first_loans=unit.expected.first_loans),
        attainment_ratio=unit.attainment_ratio,
        status=unit.status.value,
    )


class CheckpointIn(BaseModel):
    as_of: date = Field(description="The checkpoint's day.")


class EscalationFoundOut(BaseModel):
    unit_id: str
    level: str
    reason: str
    severity: str
    figures: dict[str, object]


class CheckpointRunOut(BaseModel):
    as_of: date
    escalations: list[EscalationFoundOut] = Field(
        description="Raised or upgraded by this run; none when the checkpoint had run."
    )


def escalation_found_out(finding: Finding) -> EscalationFoundOut:
    return EscalationFoundOut(
        unit_id=finding.unit_id,
        level=finding.level,
        reason=finding.reason.value,
        severity=finding.severity.value,
        figures=dict(finding.figures),
    )


class DataQualityOut(BaseModel):
    conflicting_duplicates: int = Field(
        description="Records that reused the (source, id) of another of the institution's "
        "events with other content (dead-lettered; the first copy counts)."
    )
    conflicting_loans: int = Field(
        description="Loans reported in more than one version (same loan id, other content; "
        "the earliest issued copy counts)."
    )


class InstitutionDataQualityOut(BaseModel):
    institution_id: str
    name: str
    data_quality: DataQualityOut


def data_quality_out(quality: DataQuality) -> DataQualityOut:
    return DataQualityOut(**asdict(quality))
