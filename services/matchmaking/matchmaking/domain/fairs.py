"""Fairs (首贷专场融资对接会), their attendance, and pairings (银企对接)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from matchmaking.domain.errors import FairRequiredError, ProductMismatchError
from shared.contracts.matchmaking import Channel

_MATCH_NAMESPACE = uuid.UUID("6f0c6d1e-4a55-5b8e-9a57-3c1b7f1c2a10")


@dataclass(frozen=True)
class Fair:
    fair_id: str
    county_code: str
    title: str
    held_on: date
    venue: str | None = None
    organizer: str | None = None


class AttendeeKind(StrEnum):
    ENTERPRISE = "enterprise"
    INSTITUTION = "institution"


@dataclass(frozen=True)
class Attendee:
    """An enterprise (by USCC, flagged when off the list) or an institution at a fair."""

    fair_id: str
    kind: AttendeeKind
    attendee: str
    listed: bool | None = None


def new_fair_id() -> str:
    return f"fair-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Match:
    match_id: str
    uscc: str
    institution_id: str
    matched_on: date
    channel: Channel
    fair_id: str | None = None
    product_id: str | None = None
    listed: bool | None = None
    county_code: str | None = None
    enterprise_name: str | None = None


def match_id_for(
    uscc: str, institution_id: str, matched_on: date, channel: Channel, fair_id: str | None
) -> str:
    """The same pairing recorded twice (a retried request) is one match."""
    name = "|".join([uscc, institution_id, matched_on.isoformat(), channel.value, fair_id or ""])
    return f"match-{uuid.uuid5(_MATCH_NAMESPACE, name).hex[:16]}"


def check_match(
    channel: Channel,
    fair: Fair | None,
    fair_id: str | None,
    institution_id: str,
    product_institution: str | None,
) -> None:
    """A fair pairing names its fair; a product proposed is the pairing bank's own."""
    if channel is Channel.FAIR and fair_id is None:
        raise FairRequiredError("a pairing at a fair names the fair")
    if fair_id is not None and fair is None:
        raise FairRequiredError(f"no fair {fair_id!r}")
    if product_institution is not None and product_institution != institution_id:
        raise ProductMismatchError(
            f"the product belongs to {product_institution!r}, not {institution_id!r}"
        )
