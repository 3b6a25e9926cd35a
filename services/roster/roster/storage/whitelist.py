"""Published whitelist versions: immutable snapshots, numbered 1, 2, ..."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.domain.whitelist import WhitelistCounts, WhitelistEntry
from roster.storage.tables import whitelist_entries, whitelist_versions


async def next_version(connection: AsyncConnection) -> int:
    """The next version number; concurrent publishers wait for each other until commit."""
    await connection.execute(text("LOCK TABLE whitelist_versions IN SHARE ROW EXCLUSIVE MODE"))
    latest = await connection.scalar(select(func.max(whitelist_versions.c.version)))
    return int(latest or 0) + 1


async def save_version(
    connection: AsyncConnection,
    version: int,
    published_at: datetime,
    as_of: date,
    counts: WhitelistCounts,
    entries: Sequence[WhitelistEntry],
) -> None:
    await connection.execute(
        insert(whitelist_versions).values(
            version=version,
            published_at=published_at,
            as_of=as_of,
            total=counts.total,
            by_county=counts.by_county,
            by_institution=counts.by_institution,
        )
    )
    if entries:
        await connection.execute(
            insert(whitelist_entries),
            [
                {"version": version, **asdict(e), "institutions": list(e.institutions)}
                for e in entries
            ],
        )


async def load_version(
    connection: AsyncConnection,
    version: int,
    county_code: str | None = None,
    institution_id: str | None = None,
) -> tuple[dict[str, Any], list[WhitelistEntry]] | None:
    header = (
        (
            await connection.execute(
                select(whitelist_versions).where(whitelist_versions.c.version == version)
            )
        )
        .mappings()
        .first()
    )
    if header is None:
        return None
    statement = (
        select(whitelist_entries)
        .where(whitelist_entries.c.version == version)
        .order_by(whitelist_entries.c.county_code, whitelist_entries.c.uscc)
    )
    if county_code is not None:
        statement = statement.where(whitelist_entries.c.county_code == county_code)
    if institution_id is not None:
        statement = statement.where(whitelist_entries.c.institutions.any(institution_id))
    entries = [
        WhitelistEntry(
            uscc=r["uscc"],
            name=r["name"],
            county_code=r["county_code"],
            size_class=r["size_class"],
            listed_on=r["listed_on"],
            late=r["late"],
            institutions=tuple(r["institutions"]),
        )
        for r in (await connection.execute(statement)).mappings()
    ]
    return dict(header), entries
