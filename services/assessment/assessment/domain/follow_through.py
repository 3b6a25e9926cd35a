"""What supervisors do about an escalation once it is raised (促其改进): acknowledge it, hold a
talk (约谈) whose record carries the rectifications (整改) the unit commits to, issue a
circular (通报), close each rectification with a note. A rectification past its due date
with no closing note gets one follow-up. The story of an escalation is every step of it, in
the order they happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.contracts.assessment import Severity

ACCEPTED_MEDIA_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "text/plain",
        "image/png",
        "image/jpeg",
    }
)
"""What minutes and circulars may be kept as: documents and scans of them."""


class FollowThroughRefusedError(ValueError):
    """A command the escalation's state does not allow (409), naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class NotFoundError(LookupError):
    """An escalation, document or rectification the command names does not exist (404)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class EscalationState:
    escalation_id: str
    unit_id: str
    reason: str
    severity: Severity
    status: str
    raised_at: datetime
    resolved_at: datetime | None
    history: tuple[Mapping[str, Any], ...]
    campaign_id: str = ""
    """The campaign that raised it; everything done about it is of that campaign."""


@dataclass(frozen=True)
class Acknowledgement:
    escalation_id: str
    by: str
    at: datetime
    note: str | None


@dataclass(frozen=True)
class Rectification:
    rectification_id: str
    escalation_id: str
    talk_id: str
    unit_id: str
    commitment: str
    due_on: date
    closed_by: str | None = None
    closed_at: datetime | None = None
    closing_note: str | None = None
    followed_up_at: datetime | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None


@dataclass(frozen=True)
class Talk:
    talk_id: str
    escalation_id: str
    scheduled_on: date
    attendees: tuple[Mapping[str, str], ...]
    minutes: str | None
    minutes_document: Mapping[str, Any] | None
    recorded_by: str
    recorded_at: datetime


@dataclass(frozen=True)
class Circular:
    escalation_id: str
    document: Mapping[str, Any]
    issued_by: str
    issued_at: datetime
    note: str | None


@dataclass(frozen=True)
class Record:
    """Everything done about one escalation so far."""

    escalation: EscalationState
    acknowledgement: Acknowledgement | None = None
    talks: tuple[Talk, ...] = ()
    rectifications: tuple[Rectification, ...] = ()
    circular: Circular | None = None


RANK = {Severity.WARNING: 1, Severity.TALK: 2, Severity.CIRCULAR: 3}


def reached(escalation: EscalationState, severity: Severity) -> bool:
    """Whether the escalation is, or has been, at `severity` or above (the ladder only
    climbs, so its current severity is its highest)."""
    return RANK[escalation.severity] >= RANK[severity]


def check_acknowledge(record: Record) -> None:
    if record.acknowledgement is not None:
        found = record.acknowledgement
        raise FollowThroughRefusedError(
            "escalation_id", f"already acknowledged by {found.by} at {found.at.isoformat()}"
        )


def check_talk(
    record: Record,
    scheduled_on: date,
    minutes: str | None,
    minutes_document: Mapping[str, Any] | None,
    due_dates: Sequence[date],
) -> None:
    """A talk is for an escalation that reached `talk`; its record has minutes (text or a
    document); each rectification is due on or after the talk."""
    if not reached(record.escalation, Severity.TALK):
        raise FollowThroughRefusedError(
            "escalation_id",
            f"the escalation is a {record.escalation.severity.value}: talks are held for "
            "talks and circulars",
        )
    if not (minutes or "").strip() and minutes_document is None:
        raise FollowThroughRefusedError("minutes", "give the minutes as text or as a document")
    for index, due_on in enumerate(due_dates):
        if due_on < scheduled_on:
            raise FollowThroughRefusedError(
                f"rectifications.{index}.due_on", f"due {due_on}, before the talk on {scheduled_on}"
            )


def check_circular(record: Record) -> None:
    if not reached(record.escalation, Severity.CIRCULAR):
        raise FollowThroughRefusedError(
            "escalation_id",
            f"the escalation is a {record.escalation.severity.value}: a circular needs one",
        )
    if record.circular is not None:
        raise FollowThroughRefusedError(
            "escalation_id", f"a circular was issued at {record.circular.issued_at.isoformat()}"
        )


def check_close(rectification: Rectification) -> None:
    if rectification.closed:
        assert rectification.closed_at is not None
        raise FollowThroughRefusedError(
            "rectification_id",
            f"closed by {rectification.closed_by} at {rectification.closed_at.isoformat()}",
        )


def due_for_follow_up(rectifications: Iterable[Rectification], today: date) -> list[Rectification]:
    """Open rectifications past their due date that have not been followed up yet."""
    return sorted(
        (
            r
            for r in rectifications
            if not r.closed and r.due_on < today and r.followed_up_at is None
        ),
        key=lambda r: (r.due_on, r.rectification_id),
    )


@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str
    detail: Mapping[str, Any]


def story(record: Record) -> list[Step]:
    """Every step of the escalation, oldest first (ties in the order they can happen)."""
    escalation = record.escalation
    steps: list[tuple[datetime, int, Step]] = []

    def add(at: datetime, order: int, kind: str, detail: Mapping[str, Any]) -> None:
        steps.append((at, order, Step(at, kind, detail)))

    for index, step in enumerate(escalation.history):
        at = datetime.fromisoformat(step["at"]) if "at" in step else escalation.raised_at
        kind = "raised" if index == 0 else "upgraded"
        add(at, 0, kind, {"severity": step.get("severity"), "as_of": step.get("as_of")})
    if record.acknowledgement is not None:
        ack = record.acknowledgement
        add(ack.at, 1, "acknowledged", {"by": ack.by, "note": ack.note})
    for talk in record.talks:
        committed = [
            {"rectification_id": r.rectification_id, "commitment": r.commitment, "due_on": r.due_on}
            for r in record.rectifications
            if r.talk_id == talk.talk_id
        ]
        add(
            talk.recorded_at,
            2,
            "talk_held",
            {
                "talk_id": talk.talk_id,
                "scheduled_on": talk.scheduled_on,
                "attendees": list(talk.attendees),
                "minutes": talk.minutes,
                "minutes_document": talk.minutes_document,
                "rectifications": committed,
                "by": talk.recorded_by,
            },
        )
    for rectification in record.rectifications:
        if rectification.followed_up_at is not None:
            add(
                rectification.followed_up_at,
                3,
                "rectification_due",
                {
                    "rectification_id": rectification.rectification_id,
                    "commitment": rectification.commitment,
                    "due_on": rectification.due_on,
                },
            )
        if rectification.closed_at is not None:
            add(
                rectification.closed_at,
                4,
                "rectification_closed",
                {
                    "rectification_id": rectification.rectification_id,
                    "by": rectification.closed_by,
                    "closing_note": rectification.closing_note,
                },
            )
    if record.circular is not None:
        circular = record.circular
        add(
            circular.issued_at,
            5,
            "circular_issued",
            {"by": circular.issued_by, "document": circular.document, "note": circular.note},
        )
    if escalation.resolved_at is not None:
        add(escalation.resolved_at, 6, "resolved", {})
    return [step for _, _, step in sorted(steps, key=lambda s: (s[0], s[1]))]
