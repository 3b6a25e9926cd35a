"""What the API asks the handlers to do (one frozen dataclass per command)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from roster.domain.nomination import NominationDraft
from roster.domain.reasons import Reason


@dataclass(frozen=True)
class NominationInput:
    """One nomination as read: the draft, what was wrong with the fields, and the input as
    received (kept in the file)."""

    draft: NominationDraft
    problems: Sequence[Reason]
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Nominate:
    """Screen and admit nominations in one transaction, each with its own outcome."""

    inputs: Sequence[NominationInput]
    channel: str  # api | batch | upload


@dataclass(frozen=True)
class Assign:
    uscc: str
    institution_id: str
    assigned_on: date | None = None
    """None: the platform's today."""


@dataclass(frozen=True)
class Delist:
    uscc: str
    on: date
    """The first day off the list."""
    reason: str
    note: str | None = None


@dataclass(frozen=True)
class PublishWhitelist:
    """Publish the list of the platform's today as the next whitelist version."""
