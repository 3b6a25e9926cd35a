"""Events of the assessment service: `assessment.attainment` (compacted) and
`assessment.escalations`, both keyed by unit id."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import EventData
from shared.contracts.types import UnitId


class UnitLevel(StrEnum):
    COUNTY = "county"
    INSTITUTION = "institution"


class Severity(StrEnum):
    WARNING = "warning"  # 预警
    TALK = "talk"  # 约谈
    CIRCULAR = "circular"  # 通报


class EscalationReason(StrEnum):
    UNDER_TARGET = "under_target"
    DATA_FALSIFICATION = "data_falsification"
    LEDGER_OVERDUE = "ledger_overdue"
    NO_MATCHMAKING_FAIR = "no_matchmaking_fair"


class Figures(BaseModel):
    model_config = ConfigDict(frozen=True)

    cultivated: int = Field(ge=0)
    first_loans: int = Field(ge=0)


class AttainmentUpdated(EventData):
    """A unit's figures changed (the compacted topic keeps the latest per unit)."""

    unit_id: UnitId
    level: UnitLevel
    as_of: date
    cultivated: int = Field(ge=0)
    first_loans: int = Field(ge=0)
    first_loan_rate: float | None
    targets: Figures | None
    expected: Figures | None
    attainment_ratio: float | None
    status: str


class EscalationRaised(EventData):
    """A unit was escalated, or an open escalation was upgraded."""

    escalation_id: str
    unit_id: UnitId
    level: UnitLevel
    reason: EscalationReason
    severity: Severity
    previous_severity: Severity | None = None
    raised_at: datetime
    as_of: date
    figures: dict[str, Any] = Field(description="What the supervisor needs to act.")
    evidence: list[dict[str, Any]] = Field(default_factory=list)


class EscalationResolved(EventData):
    escalation_id: str
    unit_id: UnitId
    reason: EscalationReason
    resolved_at: datetime
    as_of: date
    why: str
