"""Queries behind the read endpoints: the enterprise file, the list, deadline counts."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import RowMapping, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.domain.whitelist import WhitelistEntry
from roster.storage.tables import (
    assignments,
    attendances,
    enterprises,
    listings,
    loans,
    matches,
    nominations,
    profile_versions,
)


async def enterprise_file(connection: AsyncConnection, uscc: str) -> dict[str, Any] | None:
    """Everything the roster knows of one enterprise (一企一档), or None if nothing."""
    profile = (
        (await connection.execute(select(enterprises).where(enterprises.c.uscc == uscc)))
        .mappings()
        .first()
    )
    if profile is None:
        return None

    async def rows(statement: Select[Any]) -> list[dict[str, Any]]:
        return [dict(r) for r in (await connection.execute(statement)).mappings()]

    return {
        "profile": dict(profile),
        "profile_history": await rows(
            select(profile_versions)
            .where(profile_versions.c.uscc == uscc)
            .order_by(profile_versions.c.id)
        ),
        "nominations": await rows(
            select(nominations)
            .where(nominations.c.uscc == uscc)
            .order_by(nominations.c.recorded_at, nominations.c.nomination_id)
        ),
        "assignments": await rows(
            select(assignments)
            .where(assignments.c.uscc == uscc)
            .order_by(assignments.c.assigned_on, assignments.c.institution_id)
        ),
        "listings": await rows(
            select(listings).where(listings.c.uscc == uscc).order_by(listings.c.listed_on)
        ),
        "loans": await rows(
            select(loans).where(loans.c.uscc == uscc).order_by(loans.c.issued_on, loans.c.loan_id)
        ),
        "matches": await rows(
            select(matches)
            .where(matches.c.uscc == uscc)
            .order_by(matches.c.matched_on, matches.c.match_id)
        ),
        "fairs": await rows(
            select(attendances)
            .where(attendances.c.uscc == uscc)
            .order_by(attendances.c.held_on, attendances.c.fair_id)
        ),
    }


def _covering(day: date) -> Any:
    return and_(
        listings.c.listed_on <= day,
        or_(listings.c.delisted_on.is_(None), listings.c.delisted_on > day),
    )


async def list_on(
    connection: AsyncConnection,
    day: date,
    county_code: str | None = None,
    institution_id: str | None = None,
) -> list[WhitelistEntry]:
    """The enterprises on the list on `day`, with the institutions assigned to each."""
    institutions = (
        select(func.array_agg(assignments.c.institution_id.distinct()))
        .where(assignments.c.uscc == listings.c.uscc)
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
        .where(_covering(day))
        .order_by(listings.c.county_code, listings.c.uscc)
    )
    if county_code is not None:
        statement = statement.where(listings.c.county_code == county_code)
    if institution_id is not None:
        statement = statement.where(
            select(assignments.c.uscc)
            .where(
                assignments.c.uscc == listings.c.uscc,
                assignments.c.institution_id == institution_id,
            )
            .exists()
        )
    return [_entry(row) for row in (await connection.execute(statement)).mappings()]


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


async def county_count_on(connection: AsyncConnection, county_code: str, day: date) -> int:
    count = await connection.scalar(
        select(func.count(listings.c.uscc.distinct())).where(
            listings.c.county_code == county_code, _covering(day)
        )
    )
    return int(count or 0)
