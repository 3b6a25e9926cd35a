"""What the GET endpoints return that is read, not decided: queries over the store, on the
platform's today unless a day is asked for."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from roster.domain.enterprise import Listing
from roster.domain.whitelist import WhitelistEntry
from roster.storage import SqlStore
from shared.clock import Clock
from shared.reference import ReferenceData


@dataclass(frozen=True)
class EnterpriseFile:
    """Everything the roster knows of one enterprise (一企一档)."""

    uscc: str
    records: Mapping[str, Any]
    """The rows of each part of the file: profile, profile_history, nominations,
    assignments, listings, loans, matches, fairs."""
    current: Mapping[str, Any] | None
    """The listing that covers today, if the enterprise is on the list today."""


@dataclass(frozen=True)
class Whitelist:
    version: int | None
    """None: the live list on `as_of`; otherwise a published version."""
    as_of: date
    published_at: datetime | None
    county_code: str | None
    institution_id: str | None
    entries: list[WhitelistEntry]


@dataclass(frozen=True)
class CountyAtDeadline:
    county_code: str
    county_name: str
    deadline: date
    listed_at_deadline: int
    listed_today: int
    today: date
    target_cultivated: int


class UnknownCountyError(LookupError):
    """A county that is not one of the campaign's."""


class Views:
    def __init__(
        self, engine: AsyncEngine, reference: Callable[[], ReferenceData], clock: Clock
    ) -> None:
        self._engine = engine
        self._reference = reference
        self._clock = clock

    def today(self) -> date:
        return self._clock().date()

    async def enterprise_file(self, uscc: str) -> EnterpriseFile | None:
        async with self._engine.connect() as connection:
            records = await SqlStore(connection).enterprises.file(uscc)
        if records is None:
            return None
        today = self.today()
        current = next((row for row in records["listings"] if _covers(row, today)), None)
        return EnterpriseFile(uscc, records, current)

    async def county_of(self, uscc: str) -> str | None:
        """The enterprise's county on file, or None if it is not on file."""
        async with self._engine.connect() as connection:
            found = await SqlStore(connection).enterprises.load([uscc])
        enterprise = found.get(uscc)
        return enterprise.profile.county_code if enterprise is not None else None

    async def latest_whitelist_version(self) -> int | None:
        async with self._engine.connect() as connection:
            return await SqlStore(connection).whitelist.latest_version()

    async def live_whitelist(
        self, as_of: date | None, county_code: str | None, institution_id: str | None
    ) -> Whitelist:
        day = as_of or self.today()
        async with self._engine.connect() as connection:
            entries = await SqlStore(connection).whitelist.entries_on(
                day, county_code, institution_id
            )
        return Whitelist(None, day, None, county_code, institution_id, entries)

    async def published_whitelist(
        self, version: int, county_code: str | None, institution_id: str | None
    ) -> Whitelist | None:
        async with self._engine.connect() as connection:
            found = await SqlStore(connection).whitelist.load_version(
                version, county_code, institution_id
            )
        if found is None:
            return None
        header, entries = found
        return Whitelist(
            version,
            header["as_of"],
            header["published_at"],
            county_code,
            institution_id,
            entries,
        )

    async def county_at_deadline(self, county_code: str) -> CountyAtDeadline:
        reference = self._reference()
        if county_code not in reference.county_codes:
            raise UnknownCountyError(f"no county {county_code} in {reference.campaign.id}")
        county = reference.county(county_code)
        deadline = reference.campaign.list_deadline
        today = self.today()
        async with self._engine.connect() as connection:
            whitelist = SqlStore(connection).whitelist
            at_deadline = await whitelist.county_count_on(county_code, deadline)
            current = await whitelist.county_count_on(county_code, today)
        return CountyAtDeadline(
            county_code=county_code,
            county_name=county.name,
            deadline=deadline,
            listed_at_deadline=at_deadline,
            listed_today=current,
            today=today,
            target_cultivated=county.targets.cultivated,
        )


def _covers(row: Mapping[str, Any], day: date) -> bool:
    listing = Listing(row["listed_on"], row["county_code"], row["late"], row["delisted_on"])
    return listing.covers(day)
