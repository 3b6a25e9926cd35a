"""A campaign's list on a day, and its published whitelist versions: immutable snapshots
of it, numbered 1, 2, ... within the campaign."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import RowMapping, and_, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.domain.whitelist import WhitelistCounts, WhitelistEntry
from roster.storage.tables import (
    assignments,
    enterprises,
    listings,
    whitelist_entries,
    whitelist_versions,
)


class WhitelistRepository(Protocol):
    async def entries_on(
        self,
        campaign_id: str,
        day: date,
        county_code: str | None = None,
        institution_id: str | None = None,
    ) -> list[WhitelistEntry]:
        """The enterprises on the campaign's list on `day` (by county, then USCC), with the
        institutions assigned to each in the campaign."""

    async def next_version(self, campaign_id: str) -> int:
        """The campaign's next version number; concurrent publishers wait for each other
        until the transaction ends."""

    async def save_version(
        self,
        campaign_id: str,
        version: int,
        published_at: datetime,
        as_of: date,
        counts: WhitelistCounts,
        entries: Sequence[WhitelistEntry],
    ) -> None: ...


class SqlWhitelistRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def entries_on(
        self,
        campaign_id: str,
        day: date,
        county_code: str | None = None,
        institution_id: str | None = None,
    ) -> list[WhitelistEntry]:
        institutions = (
            select(func.array_agg(assignments.c.institution_id.distinct()))
            .where(
                assignments.c.campaign_id == listings.c.campaign_id,
                assignments.c.uscc == listings.c.uscc,
            )
            .scalar_subquery()
        )
        statement = (
            select(
                listings.c.uscc,
                enterprises.c.name,
                listings.c.county_code,
                enterprises.c.size_class,
                listings.c.listed_on,
                listings.c.late,
                institutions.label("institutions"),
            )
            .join(enterprises, enterprises.c.uscc == listings.c.uscc)
            .where(listings.c.campaign_id == campaign_id, _covering(day))
            .order_by(listings.c.county_code, listings.c.uscc)
        )
        if county_code is not None:
            statement = statement.where(listings.c.county_code == county_code)
        if institution_id is not None:
            statement = statement.where(
                select(assignments.c.uscc)
                .where(
                    assignments.c.campaign_id == listings.c.campaign_id,
                    assignments.c.uscc == listings.c.uscc,
                    assignments.c.institution_id == institution_id,
                )
                .exists()
            )
        return [_entry(row) for row in (await self._connection.execute(statement)).mappings()]

    async def next_version(self, campaign_id: str) -> int:
        await self._connection.execute(
            text("LOCK TABLE whitelist_versions IN SHARE ROW EXCLUSIVE MODE")
        )
        return int(await self.latest_version(campaign_id) or 0) + 1

    async def save_version(
        self,
        campaign_id: str,
        version: int,
        published_at: datetime,
        as_of: date,
        counts: WhitelistCounts,
        entries: Sequence[WhitelistEntry],
    ) -> None:
        await self._connection.execute(
            insert(whitelist_versions).values(
                campaign_id=campaign_id,
                version=version,
                published_at=published_at,
                as_of=as_of,
                total=counts.total,
                by_county=counts.by_county,
                by_institution=counts.by_institution,
            )
        )
        if entries:
            await self._connection.execute(
                insert(whitelist_entries),
                [
                    {
                        "campaign_id": campaign_id,
                        "version": version,
                        **asdict(e),
                        "institutions": list(e.institutions),
                    }
                    for e in entries
                ],
            )

    async def latest_version(self, campaign_id: str) -> int | None:
        """The campaign's last published version, or None before the first."""
        latest = await self._connection.scalar(
            select(func.max(whitelist_versions.c.version)).where(
                whitelist_versions.c.campaign_id == campaign_id
            )
        )
        return int(latest) if latest is not None else None

    async def load_version(
        self,
        campaign_id: str,
        version: int,
        county_code: str | None = None,
        institution_id: str | None = None,
    ) -> tuple[dict[str, Any], list[WhitelistEntry]] | None:
        header = (
            (
                await self._connection.execute(
                    select(whitelist_versions).where(
                        whitelist_versions.c.campaign_id == campaign_id,
                        whitelist_versions.c.version == version,
                    )
                )
            )
            .mappings()
            .first()
        )
        if header is None:
            return None
        statement = (
            select(whitelist_entries)
            .where(
                whitelist_entries.c.campaign_id == campaign_id,
                whitelist_entries.c.version == version,
            )
            .order_by(whitelist_entries.c.county_code, whitelist_entries.c.uscc)
        )
        if county_code is not None:
            statement = statement.where(whitelist_entries.c.county_code == county_code)
        if institution_id is not None:
            statement = statement.where(whitelist_entries.c.institutions.any(institution_id))
        result = await self._connection.execute(statement)
        entries = [_entry(row) for row in result.mappings()]
        return dict(header), entries

    async def county_count_on(self, campaign_id: str, county_code: str, day: date) -> int:
        """How many enterprises of the county are on the campaign's list on `day`."""
        count = await self._connection.scalar(
            select(func.count(listings.c.uscc.distinct())).where(
                listings.c.campaign_id == campaign_id,
                listings.c.county_code == county_code,
                _covering(day),
            )
        )
        return int(count or 0)


def _covering(day: date) -> Any:
    return and_(
        listings.c.listed_on <= day,
        or_(listings.c.delisted_on.is_(None), listings.c.delisted_on > day),
    )


def _entry(row: RowMapping) -> WhitelistEntry:
    return WhitelistEntry(
        uscc=row["uscc"],
        name=row["name"],
        county_code=row["county_code"],
        size_class=row["size_class"],
        listed_on=row["listed_on"],
        late=row["late"],
        institutions=tuple(sorted(row["institutions"] or ())),
    )
