"""What the API and the service's own loop ask the handlers to do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class RunCheckpoint:
    """Assess every unit as of `as_of` and move the ladder (once per checkpoint day)."""

    as_of: date


@dataclass(frozen=True)
class KeepUpToDate:
    """The daily tick: re-evaluate on a new day; run the checkpoints whose day has come."""

    run_checkpoints: bool


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
