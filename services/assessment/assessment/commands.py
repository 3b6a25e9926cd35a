"""What the API and the service's own loop ask the handlers to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from assessment.domain.notices import Channel, WebhookFormat
from shared.contracts.assessment import EscalationReason, Severity


@dataclass(frozen=True)
class RunCheckpoint:
    """Assess every unit as of `as_of` and move the ladder (once per checkpoint day)."""

    as_of: date


@dataclass(frozen=True)
class KeepUpToDate:
    """The daily tick: re-evaluate on a new day; run the checkpoints whose day has come."""

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


@dataclass(frozen=True)
class DeliverNotices:
    """Send the due notices, at most `limit` in one round."""

    limit: int
