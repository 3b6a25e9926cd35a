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
    """Screen and admit nominations in one transaction, each with its own outcome, each in
    its campaign (roster.domain.campaigns.nomination_campaign)."""

    inputs: Sequence[NominationInput]
    channel: str  # api | batch | upload


@dataclass(frozen=True)
class Assign:
    uscc: str
    institution_id: str
    assigned_on: date | None = None
    """None: the platform's today."""
    campaign: str | None = None
    """None: the campaign the enterprise is listed in that runs on the assignment's day,
    else its latest listing's (roster.domain.campaigns.listed_campaign)."""


@dataclass(frozen=True)
class Delist:
    uscc: str
    on: date
    """The first day off the list."""
    reason: str
    note: str | None = None
    campaign: str | None = None
    """None: the campaign the enterprise is listed in that runs on `on`, else its latest
    listing's."""


@dataclass(frozen=True)
class PublishWhitelist:
    """Publish the campaign's list of the platform's today as its next whitelist version."""

    campaign_id: str | None = None
    """None: the campaign running today, else the only one (the API names it)."""
