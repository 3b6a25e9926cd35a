"""Assessment's HTTP bodies, and how its domain objects are shown as JSON."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from assessment.domain.attainment import UnitAttainment
from assessment.domain.data_quality import DataQuality
from assessment.domain.escalation import Finding
from assessment.domain.forecast import Forecast


class Pair(BaseModel):
    cultivated: float
    first_loans: float


class ForecastOut(BaseModel):
    first_loans: int = Field(description="Projected first-loan households at the campaign's end.")
    low: int = Field(description="The interval's low end.")
    high: int = Field(description="The interval's high end (under the target: a warning).")


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
    forecast: ForecastOut | None = Field(
        default=None,
        description="For a unit with a target: the recent weekly pace carried to the "
        "campaign's end, with its interval (none before the campaign's first full week).",
    )


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


def unit_out(unit: UnitAttainment, forecast: Forecast | None = None) -> UnitOut:
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
        forecast=None
        if forecast is None
        else ForecastOut(first_loans=forecast.first_loans, low=forecast.low, high=forecast.high),
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


# --- follow-through -------------------------------------------------------------------


class AcknowledgeIn(BaseModel):
    note: str | None = Field(default=None, max_length=2_000, description="What is being done.")


class AttendeeIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="The attendee's name.")
    position: str = Field(min_length=1, max_length=100, description="Their position (职务).")


class CommitmentIn(BaseModel):
    commitment: str = Field(min_length=1, max_length=2_000, description="What will be done.")
    due_on: date = Field(description="By when (on or after the talk).")


class TalkIn(BaseModel):
    scheduled_on: date = Field(description="The day of the talk.")
    attendees: list[AttendeeIn] = Field(
        min_length=1, max_length=50, description="The county's or institution's attendees."
    )
    minutes: str | None = Field(default=None, max_length=20_000, description="The minutes as text.")
    minutes_document_id: str | None = Field(
        default=None,
        max_length=64,
        description="Or: a document uploaded to the escalation (POST .../documents).",
    )
    rectifications: list[CommitmentIn] = Field(
        default_factory=list, max_length=50, description="Rectifications (整改) committed to."
    )


class CircularIn(BaseModel):
    document_id: str | None = Field(
        default=None,
        max_length=64,
        description="The circular as edited and uploaded (POST .../documents); none: the "
        "draft as generated is issued.",
    )
    note: str | None = Field(default=None, max_length=2_000, description="A note.")


class CloseIn(BaseModel):
    closing_note: str = Field(
        min_length=1, max_length=20_000, description="What was done (整改情况)."
    )


class StepOut(BaseModel):
    at: datetime
    kind: Literal[
        "raised",
        "upgraded",
        "acknowledged",
        "talk_held",
        "rectification_due",
        "rectification_closed",
        "circular_issued",
        "resolved",
    ]
    detail: dict[str, Any]


class RectificationOut(BaseModel):
    rectification_id: str
    talk_id: str
    commitment: str
    due_on: date
    closed_by: str | None
    closed_at: datetime | None
    closing_note: str | None
    followed_up_at: datetime | None


class EscalationStoryOut(BaseModel):
    escalation_id: str
    story: list[StepOut] = Field(description="Every step, oldest first.")
    acknowledged: bool
    rectifications: list[RectificationOut]
    circular_issued: bool
