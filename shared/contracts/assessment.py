"""Events of the assessment service: `assessment.attainment` (compacted) and
`assessment.escalations`, both keyed by unit id."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts import EventData
from shared.contracts.types import CampaignId, UnitId


class UnitLevel(StrEnum):
    """Which kind of unit of the attainment table."""

    COUNTY = "county"
    INSTITUTION = "institution"


class Severity(StrEnum):
    """How far an escalation has gone, in increasing order."""

    WARNING = "warning"  # 预警
    TALK = "talk"  # 约谈
    CIRCULAR = "circular"  # 通报


class EscalationReason(StrEnum):
    """Why a unit is escalated (contract §5, rule 7)."""

    UNDER_TARGET = "under_target"
    DATA_FALSIFICATION = "data_falsification"
    LEDGER_OVERDUE = "ledger_overdue"
    NO_MATCHMAKING_FAIR = "no_matchmaking_fair"
    # The forecast's high end at the campaign's end is under the target: a warning only.
    PROJECTED_SHORTFALL = "projected_shortfall"


class AttainmentStatus(StrEnum):
    """Where a unit stands against its expected progress."""

    NO_TARGET = "no_target"  # the unit has no published target
    NOT_STARTED = "not_started"  # nothing is expected yet
    ON_TRACK = "on_track"  # at or above the expected progress
    BEHIND = "behind"  # below it, above the warning threshold
    WARNING = "warning"  # below the warning threshold (预警)
    CRITICAL = "critical"  # below the circular threshold (通报)


class Figures(BaseModel):
    model_config = ConfigDict(frozen=True)

    cultivated: int = Field(ge=0, description="Cultivated households (培植户数).")
    first_loans: int = Field(ge=0, description="First-loan households (首贷户数).")


class AttainmentUpdated(EventData):
    """A unit's figures changed (the compacted topic keeps the latest per unit)."""

    campaign_id: CampaignId = None

    unit_id: UnitId
    level: UnitLevel = Field(description="A county or an institution.")
    as_of: date = Field(description="The day the figures are of.")
    cultivated: int = Field(
        ge=0, description="Distinct listed enterprises of the unit (培植户数, rule 2)."
    )
    first_loans: int = Field(
        ge=0, description="Distinct enterprises with a qualifying first loan (首贷户数, rule 4)."
    )
    first_loan_rate: float | None = Field(
        description="`first_loans` / `cultivated` (首贷率, rule 5); None with no cultivated."
    )
    targets: Figures | None = Field(description="The unit's campaign targets, if published.")
    expected: Figures | None = Field(
        description="The targets times the share of the campaign elapsed (rule 6)."
    )
    attainment_ratio: float | None = Field(
        description="`first_loans` over the expected first loans; None when none is expected."
    )
    status: AttainmentStatus = Field(description="Where the unit stands.")


class EscalationRaised(EventData):
    """A unit was escalated, or an open escalation was upgraded."""

    campaign_id: CampaignId = None

    escalation_id: str = Field(description="The escalation's id (kept while it is upgraded).")
    unit_id: UnitId
    level: UnitLevel = Field(description="A county or an institution.")
    reason: EscalationReason = Field(description="Why the unit is escalated.")
    severity: Severity = Field(description="The severity now.")
    previous_severity: Severity | None = Field(
        default=None, description="For an upgrade: the severity before it."
    )
    raised_at: datetime = Field(description="When it was raised or upgraded.")
    as_of: date = Field(description="The campaign day the finding is of.")
    figures: dict[str, Any] = Field(description="What the supervisor needs to act.")
    evidence: list[dict[str, Any]] = Field(
        default_factory=list,
        description="The facts behind it (for falsification: the contradicting loans).",
    )


class EscalationResolved(EventData):
    """An open escalation was resolved: its finding no longer holds."""

    campaign_id: CampaignId = None

    escalation_id: str = Field(description="The escalation resolved.")
    unit_id: UnitId
    reason: EscalationReason = Field(description="Its reason.")
    resolved_at: datetime = Field(description="When it was resolved.")
    as_of: date = Field(description="The campaign day the resolution is of.")
    why: str = Field(description="Why it no longer holds.")


# --- Follow-through: what supervisors did about an escalation ---------------------------


class Attendee(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str = Field(description="The attendee's name.")
    position: str = Field(description="The attendee's position in the unit (职务).")


class DocumentRef(BaseModel):
    """A document kept with an escalation (minutes of a talk, an issued circular)."""

    model_config = ConfigDict(frozen=True)

    document_id: str = Field(description="The document's id (GET it from assessment).")
    name: str = Field(description="The file name it was uploaded or generated with.")
    media_type: str = Field(description="Its media type.")
    size: int = Field(ge=0, description="Its size in bytes.")
    sha256: str = Field(description="The SHA-256 of its content, hexadecimal.")


class Commitment(BaseModel):
    """A rectification (整改) the unit committed to at a talk."""

    model_config = ConfigDict(frozen=True)

    rectification_id: str = Field(description="The rectification's id (to close it).")
    commitment: str = Field(description="What the unit committed to do.")
    due_on: date = Field(description="The day it is due by.")


class EscalationAcknowledged(EventData):
    """A supervisor acknowledged an escalation: it has been seen and is being dealt with."""

    campaign_id: CampaignId = None

    escalation_id: str = Field(description="The escalation acknowledged.")
    unit_id: UnitId
    acknowledged_by: str = Field(description="Who acknowledged it (the token's subject).")
    acknowledged_at: datetime = Field(description="When.")
    note: str | None = Field(default=None, description="What the supervisor noted.")


class TalkHeld(EventData):
    """The record of a talk (约谈) with the unit's people about an escalation, with the
    rectifications (整改) they committed to."""

    campaign_id: CampaignId = None

    escalation_id: str = Field(description="The escalation the talk is about.")
    unit_id: UnitId
    talk_id: str = Field(description="The talk's id.")
    scheduled_on: date = Field(description="The day the talk is or was held.")
    attendees: list[Attendee] = Field(description="The county's or institution's attendees.")
    minutes: str | None = Field(default=None, description="The minutes, as text.")
    minutes_document: DocumentRef | None = Field(
        default=None, description="The minutes, as an uploaded document."
    )
    rectifications: list[Commitment] = Field(
        default_factory=list, description="The rectifications committed to, with due dates."
    )
    recorded_by: str = Field(description="Who recorded the talk (the token's subject).")
    recorded_at: datetime = Field(description="When it was recorded.")


class CircularIssued(EventData):
    """A circular (通报) about an escalation was issued: the draft, edited, marked issued."""

    campaign_id: CampaignId = None

    escalation_id: str = Field(description="The escalation the circular is about.")
    unit_id: UnitId
    document: DocumentRef = Field(description="The circular as issued.")
    issued_by: str = Field(description="Who issued it (the token's subject).")
    issued_at: datetime = Field(description="When.")
    note: str | None = Field(default=None, description="What the supervisor noted.")


class RectificationDue(EventData):
    """A rectification passed its due date without a closing note (a follow-up notice,
    sent once)."""

    campaign_id: CampaignId = None

    escalation_id: str = Field(description="The escalation of the talk it was committed at.")
    unit_id: UnitId
    rectification_id: str = Field(description="The rectification overdue.")
    commitment: str = Field(description="What the unit committed to do.")
    due_on: date = Field(description="The day it was due by.")
    as_of: date = Field(description="The platform's day the follow-up was raised on.")


class RectificationClosed(EventData):
    """A rectification was closed with a closing note."""

    campaign_id: CampaignId = None

    escalation_id: str = Field(description="The escalation of the talk it was committed at.")
    unit_id: UnitId
    rectification_id: str = Field(description="The rectification closed.")
    closed_by: str = Field(description="Who closed it (the token's subject).")
    closed_at: datetime = Field(description="When.")
    closing_note: str = Field(description="What was done (整改情况).")
