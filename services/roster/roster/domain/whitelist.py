"""The whitelist (首贷培植白名单): the list as distributed to banks and guarantee companies."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class WhitelistEntry:
    uscc: str
    name: str
    county_code: str
    size_class: str
    listed_on: date
    late: bool
    institutions: tuple[str, ...]


@dataclass(frozen=True)
class WhitelistCounts:
    total: int
    by_county: dict[str, int]
    by_institution: dict[str, int]


def count(entries: Sequence[WhitelistEntry]) -> WhitelistCounts:
    """Enterprises per county and per assigned institution (one enterprise may count for
    several institutions, never twice for one)."""
    by_county = Counter(entry.county_code for entry in entries)
    by_institution = Counter(i for entry in entries for i in set(entry.institutions))
    return WhitelistCounts(
        total=len(entries),
        by_county=dict(sorted(by_county.items())),
        by_institution=dict(sorted(by_institution.items())),
    )
