"""Notices of escalations: who is told of which step of the ladder, what is muted, how the
steps of one moment are grouped, and how a failed delivery is retried.

A supervisor subscribes to escalations by unit, level, reason and minimum severity, naming a
delivery (a webhook or an e-mail address). Each step of an escalation (raised at a severity,
upgraded to one, resolved) reaches every subscription it matches once: its key is
(escalation, step, subscription), and a step is named by the severity reached (severities
only rise while an escalation is open) or `resolved`. The steps of one moment (one
checkpoint, one batch of events) reach a subscription as one notice. A silence mutes a unit
or a reason for a period: the notices it covers are recorded as muted, never sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from assessment.domain.escalation import RANK, Changes
from shared.contracts.assessment import EscalationReason, Severity

RESOLVED = "resolved"


class Channel(StrEnum):
    WEBHOOK = "webhook"
    EMAIL = "email"


class WebhookFormat(StrEnum):
    """The group-robot conventions a webhook body follows (both take markdown)."""

    WECOM = "wecom"  # 企业微信: {"msgtype": "markdown", "markdown": {"content"}}
    DINGTALK = "dingtalk"  # 钉钉: {"msgtype": "markdown", "markdown": {"title", "text"}}


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENT = "sent"
    FAILED = "failed"  # given up: too old, or its subscription ended
    MUTED = "muted"  # covered by a silence when it arose: recorded, never sent


class StepKind(StrEnum):
    RAISED = "raised"
    UPGRADED = "upgraded"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Step:
    """One step of one escalation, as supervisors are told of it."""

    escalation_id: str
    unit_id: str
    level: str
    reason: EscalationReason
    severity: Severity  # reached, or held when resolved
    kind: StepKind
    as_of: date
    name: str = ""
    previous_severity: Severity | None = None
    figures: Mapping[str, Any] = field(default_factory=dict)
    campaign_id: str = ""

    @property
    def key(self) -> str:
        return RESOLVED if self.kind is StepKind.RESOLVED else self.severity.value


@dataclass(frozen=True)
class Subscription:
    """`county`: the county sub-branch that owns it (None: a central supervisor's). A filter
    left None matches every value; `campaign_id`, the campaign whose escalations it hears of
    (a unit id names one unit in each campaign it takes part in)."""

    subscription_id: str
    subscriber: str
    county: str | None
    channel: Channel
    target: str  # the webhook's URL, or the e-mail address
    min_severity: Severity = Severity.WARNING
    unit_id: str | None = None
    level: str | None = None
    reason: EscalationReason | None = None
    webhook_format: WebhookFormat = WebhookFormat.WECOM
    campaign_id: str | None = None

    def matches(self, step: Step) -> bool:
        return (
            (self.campaign_id is None or self.campaign_id == step.campaign_id)
            and (self.unit_id is None or self.unit_id == step.unit_id)
            and (self.level is None or self.level == step.level)
            and (self.reason is None or self.reason is step.reason)
            and RANK[step.severity] >= RANK[self.min_severity]
        )


@dataclass(frozen=True)
class Silence:
    """Mutes a unit, a reason or both from `starts_at` until `ends_at` (excluded). A central
    supervisor's silence (`county` None) covers every subscription; a county sub-branch's
    only its own county's: a unit cannot mute what supervisors above it are told. Of one
    campaign's escalations (`campaign_id`; None: of every campaign)."""

    silence_id: str
    created_by: str
    county: str | None
    starts_at: datetime
    ends_at: datetime
    why: str
    unit_id: str | None = None
    reason: EscalationReason | None = None
    campaign_id: str | None = None

    def __post_init__(self) -> None:
        if self.unit_id is None and self.reason is None:
            raise ValueError("a silence names a unit, a reason or both")
        if self.ends_at <= self.starts_at:
            raise ValueError("a silence ends after it starts")

    def mutes(self, subscription: Subscription, step: Step, at: datetime) -> bool:
        return (
            self.starts_at <= at < self.ends_at
            and (self.campaign_id is None or self.campaign_id == step.campaign_id)
            and (self.county is None or self.county == subscription.county)
            and (self.unit_id is None or self.unit_id == step.unit_id)
            and (self.reason is None or self.reason is step.reason)
        )


@dataclass(frozen=True)
class Notice:
    """The steps of one moment one subscription is told of (or, muted, would have been)."""

    subscription: Subscription
    steps: tuple[Step, ...]
    muted: bool = False


def notices_for(
    steps: Sequence[Step],
    subscriptions: Iterable[Subscription],
    silences: Sequence[Silence],
    at: datetime,
) -> list[Notice]:
    """Per subscription, the steps it matches as one notice; the steps a silence covers at
    `at` as another, muted. A step appears once per subscription."""
    notices: list[Notice] = []
    for subscription in subscriptions:
        matched = {(s.escalation_id, s.key): s for s in steps if subscription.matches(s)}
        heard: list[Step] = []
        muted: list[Step] = []
        for step in matched.values():
            silenced = any(s.mutes(subscription, step, at) for s in silences)
            (muted if silenced else heard).append(step)
        notices += [Notice(subscription, tuple(heard))] if heard else []
        notices += [Notice(subscription, tuple(muted), muted=True)] if muted else []
    return notices


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: `first_seconds` after the first failure, doubling up to
    `longest_seconds`; given up once the notice is `give_up_seconds` old."""

    first_seconds: float = 5.0
    longest_seconds: float = 600.0
    give_up_seconds: float = 72 * 3600.0

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt (1 for the first)."""
        if attempts < 1:
            raise ValueError("a delay follows a failed attempt")
        # Capped before exponentiation overflows: 2**60 seconds outlasts any policy.
        return min(self.first_seconds * 2.0 ** min(attempts - 1, 60), self.longest_seconds)

    def gives_up(self, age_seconds: float) -> bool:
        return age_seconds >= self.give_up_seconds


# --- what a notice says -------------------------------------------------------------------

SEVERITY_WORDS = {
    Severity.WARNING: "预警 warning",
    Severity.TALK: "约谈 talk",
    Severity.CIRCULAR: "通报 circular",
}
REASON_WORDS = {
    EscalationReason.UNDER_TARGET: "首贷进度不达标 under target",
    EscalationReason.DATA_FALSIFICATION: "数据不实 data falsification",
    EscalationReason.LEDGER_OVERDUE: "台帐逾期 ledger overdue",
    EscalationReason.NO_MATCHMAKING_FAIR: "未开展银企对接 no matchmaking fair",
    EscalationReason.PROJECTED_SHORTFALL: "预计完不成目标 projected shortfall",
}
KIND_WORDS = {
    StepKind.RAISED: "新发 raised",
    StepKind.UPGRADED: "升级 upgraded",
    StepKind.RESOLVED: "解除 resolved",
}
# A WeCom group robot takes markdown content of at most 4096 bytes (UTF-8).
MARKDOWN_BYTES = 4096


def notice_title(steps: Sequence[Step]) -> str:
    counts = {kind: sum(1 for s in steps if s.kind is kind) for kind in StepKind}
    told = ", ".join(f"{n} {kind.value}" for kind, n in counts.items() if n)
    return f"首贷培植行动督办 Escalations: {told}"


def step_line(step: Step) -> str:
    unit = f"{step.name} ({step.unit_id})" if step.name else step.unit_id
    line = (
        f"- **{SEVERITY_WORDS[step.severity]}** {KIND_WORDS[step.kind]} · {unit} · "
        f"{REASON_WORDS[step.reason]} · as of {step.as_of.isoformat()}"
    )
    if step.previous_severity is not None:
        line += f" · was {step.previous_severity.value}"
    ratio = step.figures.get("attainment_ratio")
    if isinstance(ratio, int | float):
        line += f" · 达成率 attainment {ratio:.0%}"
    return line


def notice_markdown(steps: Sequence[Step], limit_bytes: int = MARKDOWN_BYTES) -> str:
    """The notice as markdown, strongest steps first, cut to `limit_bytes` with a last line
    saying how many steps did not fit (the full list is at `GET /deliveries`)."""
    ordered = sorted(steps, key=lambda s: (-RANK[s.severity], s.kind != StepKind.RAISED, s.unit_id))
    lines = [f"### {notice_title(steps)}"]
    for n, step in enumerate(ordered):
        line = step_line(step)
        rest = len(ordered) - n - 1
        tail = f"\n- … {rest} more: GET /deliveries" if rest else ""
        if _size([*lines, line]) + len(tail.encode()) > limit_bytes:
            lines.append(f"- … {len(ordered) - n} more: GET /deliveries")
            break
        lines.append(line)
    return "\n".join(lines)


def _size(lines: Sequence[str]) -> int:
    return len("\n".join(lines).encode())


# --- deliveries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """A notice claimed for an attempt: where it goes, what it says, how it has gone."""

    delivery_id: str
    subscription: Subscription
    steps: tuple[Step, ...]
    attempts: int  # made before this one
    age_seconds: float


@dataclass(frozen=True)
class KnownEscalation:
    """What the ladder's table says of an escalation a step is of."""

    escalation_id: str
    unit_id: str
    reason: EscalationReason
    level: str
    is_open: bool
    name: str = ""


def steps_of(
    changes: Changes, known: Iterable[KnownEscalation], as_of: date, campaign_id: str = ""
) -> list[Step]:
    """The steps a move of the ladder made, named as the ladder's table knows them (a raised
    escalation by its open (unit, reason), a resolved one by its id); `known`: the
    escalations of the campaign whose ladder moved."""
    by_id = {e.escalation_id: e for e in known}
    open_by_key = {(e.unit_id, e.reason): e for e in by_id.values() if e.is_open}
    steps = []
    for finding in changes.raised:
        found = open_by_key.get((finding.unit_id, finding.reason))
        if found is None:
            continue  # not stored: nothing to name it by (never, in one transaction)
        steps.append(
            Step(
                found.escalation_id,
                finding.unit_id,
                finding.level,
                finding.reason,
                finding.severity,
                StepKind.RAISED,
                as_of,
                str(finding.figures.get("name") or found.name),
                figures=finding.figures,
                campaign_id=campaign_id,
            )
        )
    for current, finding in changes.upgraded:
        named = by_id.get(current.escalation_id)
        steps.append(
            Step(
                current.escalation_id,
                finding.unit_id,
                finding.level,
                finding.reason,
                finding.severity,
                StepKind.UPGRADED,
                as_of,
                str(finding.figures.get("name") or (named.name if named else "")),
                previous_severity=current.severity,
                figures=finding.figures,
                campaign_id=campaign_id,
            )
        )
    for current in changes.resolved:
        named = by_id.get(current.escalation_id)
        steps.append(
            Step(
                current.escalation_id,
                current.unit_id,
                named.level if named else "",
                current.reason,
                current.severity,
                StepKind.RESOLVED,
                as_of,
                named.name if named else "",
                campaign_id=campaign_id,
            )
        )
    return steps
