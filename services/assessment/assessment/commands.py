"""What the API and the service's own loop ask the handlers to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from assessment.domain.notices import Channel, WebhookFormat
from shared.contracts.assessment import EscalationReason, Severity


@dataclass(frozen=True)
class RunCheckpoint:
    """Assess every unit of the campaign as of `as_of` and move its ladder (once per
    checkpoint day); no campaign named: the one running on `as_of`, else the only one."""

    as_of: date
    campaign_id: str | None = None


@dataclass(frozen=True)
class KeepUpToDate:
    """The daily tick: re-evaluate on a new day; run each campaign's checkpoints whose day
    has come."""

    run_checkpoints: bool


@dataclass(frozen=True)
class Subscribe:
    """Tell `subscriber` of escalations matching the filters (None: any) by `channel`.
    `county`: the county sub-branch it is for (None: a central supervisor's)."""

    subscriber: str
    county: str | None
    channel: Channel
    target: str
    min_severity: Severity
    unit_id: str | None = None
    level: str | None = None
    reason: EscalationReason | None = None
    webhook_format: WebhookFormat = WebhookFormat.WECOM
    campaign_id: str | None = None
    """The campaign whose escalations it hears of (None: every campaign's)."""


@dataclass(frozen=True)
class EndSubscription:
    """Stop a subscription (a county's only, unless `county` is None); its notices still
    pending are not sent."""

    subscription_id: str
    county: str | None
    actor: str


@dataclass(frozen=True)
class Mute:
    """Silence a unit, a reason or both until `ends_at` (from `starts_at`, or now)."""

    created_by: str
    county: str | None
    ends_at: datetime
    why: str
    starts_at: datetime | None = None
    unit_id: str | None = None
    reason: EscalationReason | None = None
    campaign_id: str | None = None
    """The campaign whose escalations it mutes (None: every campaign's)."""


@dataclass(frozen=True)
class DeliverNotices:
    """Send the due notices, at most `limit` in one round; a notice claimed by a round is
    left to it for `lease_seconds` (longer than an attempt can take)."""

    limit: int
    lease_seconds: float = 60.0


@dataclass(frozen=True)
class Acknowledge:
    escalation_id: str
    by: str
    note: str | None


@dataclass(frozen=True)
class Attendance:
    name: str
    position: str


@dataclass(frozen=True)
class Commit:
    commitment: str
    due_on: date


@dataclass(frozen=True)
class RecordTalk:
    """A talk (约谈) about the escalation: minutes as text, or a document uploaded to the
    escalation before (its id), and the rectifications committed to."""

    escalation_id: str
    by: str
    scheduled_on: date
    attendees: tuple[Attendance, ...]
    minutes: str | None
    minutes_document_id: str | None
    rectifications: tuple[Commit, ...]


@dataclass(frozen=True)
class UploadDocument:
    escalation_id: str
    by: str
    name: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class IssueCircular:
    """Mark the circular issued: a document uploaded to the escalation (the draft, edited),
    or, with none named, the draft as generated."""

    escalation_id: str
    by: str
    document_id: str | None
    note: str | None


@dataclass(frozen=True)
class CloseRectification:
    rectification_id: str
    by: str
    closing_note: str
