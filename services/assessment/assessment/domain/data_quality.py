"""What supervisors are told about the quality of an institution's reports: records that
reused another event's id with other content, and loans reported in more than one version.
Neither changes a count (the counted copy is defined), but both mean the bank's system
sends contradictory data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConflictingDuplicate:
    """A record dead-lettered as conflicting_duplicate, and where it was read."""

    institution_id: str
    source: str
    event_id: str
    fingerprint: str
    event_type: str
    topic: str | None
    partition: int | None
    offset: int | None


@dataclass(frozen=True)
class DataQuality:
    conflicting_duplicates: int = 0
    conflicting_loans: int = 0
