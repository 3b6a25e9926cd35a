"""Loading and saving enterprises in bulk: one query per table for a whole batch."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import RowMapping, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.domain.enterprise import Enterprise, Listing, Profile
from roster.domain.nomination import PriorLoan
from roster.domain.size_standard import FiguredClass
from roster.storage.tables import (
    assignments,
    enterprises,
    listings,
    loans,
    nominations,
    profile_versions,
)


async def lock_usccs(connection: AsyncConnection, usccs: Iterable[str]) -> None:
    """Serialise concurrent nominations of the same enterprise until commit (in a fixed
    order, so two batches never deadlock)."""
    codes = sorted(set(usccs))
    if codes:
        await connection.execute(
            text(
                "SELECT pg_advisory_xact_lock(h) FROM "
                "(SELECT DISTINCT hashtext(u) AS h FROM unnest(CAST(:codes AS text[])) u "
                "ORDER BY h) AS locks"
            ),
            {"codes": codes},
        )


async def load_enterprises(
    connection: AsyncConnection, usccs: Iterable[str]
) -> dict[str, Enterprise]:
    codes = sorted(set(usccs))
    if not codes:
        return {}
    profiles = await connection.execute(select(enterprises).where(enterprises.c.uscc.in_(codes)))
    listed = await connection.execute(select(listings).where(listings.c.uscc.in_(codes)))
    assigned = await connection.execute(
        select(assignments.c.uscc, assignments.c.institution_id).where(
            assignments.c.uscc.in_(codes)
        )
    )
    by_uscc: dict[str, list[Listing]] = {}
    for row in listed.mappings():
        by_uscc.setdefault(row["uscc"], []).append(_listing(row))
    institutions: dict[str, set[str]] = {}
    for uscc, institution_id in assigned:
        institutions.setdefault(uscc, set()).add(institution_id)
    return {
        row["uscc"]: Enterprise(
            uscc=row["uscc"],
            profile=_profile(row),
            listings=tuple(sorted(by_uscc.get(row["uscc"], []), key=lambda x: x.listed_on)),
            institutions=frozenset(institutions.get(row["uscc"], set())),
        )
        for row in profiles.mappings()
    }


async def load_prior_loans(
    connection: AsyncConnection, usccs: Iterable[str]
) -> dict[str, list[PriorLoan]]:
    """The non-reversed loans of the given enterprises (the rule picks the window)."""
    codes = sorted(set(usccs))
    if not codes:
        return {}
    result = await connection.execute(
        select(loans.c.uscc, loans.c.institution_id, loans.c.loan_id, loans.c.issued_on).where(
            loans.c.uscc.in_(codes), loans.c.reversed_on.is_(None), loans.c.issued_on.is_not(None)
        )
    )
    found: dict[str, list[PriorLoan]] = {}
    for uscc, institution_id, loan_id, issued_on in result:
        found.setdefault(uscc, []).append(PriorLoan(institution_id, loan_id, issued_on))
    return found


@dataclass(frozen=True)
class NewListing:
    uscc: str
    nomination_id: str
    listing: Listing


@dataclass(frozen=True)
class NewProfile:
    uscc: str
    nomination_id: str
    effective_on: date
    profile: Profile


async def save_nominations(connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await connection.execute(insert(nominations), list(rows))


async def save_profiles(connection: AsyncConnection, changes: Sequence[NewProfile]) -> None:
    """Append each profile version; the enterprise's row takes the latest."""
    if not changes:
        return
    await connection.execute(
        insert(profile_versions),
        [
            {"uscc": c.uscc, "nomination_id": c.nomination_id, "effective_on": c.effective_on}
            | _profile_row(c.profile)
            for c in changes
        ],
    )
    latest = {c.uscc: c.profile for c in changes}
    statement = insert(enterprises).values(
        [{"uscc": uscc} | _profile_row(profile) for uscc, profile in latest.items()]
    )
    columns = {name: statement.excluded[name] for name in _profile_row(changes[0].profile)}
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=["uscc"], set_={**columns, "updated_at": func.now()}
        )
    )


async def save_listings(connection: AsyncConnection, new: Sequence[NewListing]) -> None:
    if new:
        await connection.execute(
            insert(listings),
            [
                {
                    "uscc": n.uscc,
                    "listed_on": n.listing.listed_on,
                    "county_code": n.listing.county_code,
                    "late": n.listing.late,
                    "nomination_id": n.nomination_id,
                }
                for n in new
            ],
        )


async def close_listing(connection: AsyncConnection, uscc: str, closed: Listing) -> None:
    await connection.execute(
        update(listings)
        .where(listings.c.uscc == uscc, listings.c.listed_on == closed.listed_on)
        .values(
            delisted_on=closed.delisted_on,
            delist_reason=closed.delist_reason,
            delist_note=closed.delist_note,
            delisted_at=func.now(),
        )
    )


async def add_assignments(
    connection: AsyncConnection, rows: Sequence[Mapping[str, Any]]
) -> set[tuple[str, str]]:
    """Insert (uscc, institution) assignments that are new; return the pairs inserted."""
    if not rows:
        return set()
    result = await connection.execute(
        insert(assignments)
        .values(list(rows))
        .on_conflict_do_nothing()
        .returning(assignments.c.uscc, assignments.c.institution_id)
    )
    return {(uscc, institution) for uscc, institution in result}


async def unannounced_assignments(
    connection: AsyncConnection, usccs: Iterable[str]
) -> list[dict[str, Any]]:
    """Assignments (from matches) made before the enterprise was on file, and mark them
    announced: the caller emits their EnterpriseAssigned now."""
    codes = sorted(set(usccs))
    if not codes:
        return []
    result = await connection.execute(
        update(assignments)
        .where(assignments.c.uscc.in_(codes), assignments.c.announced.is_(False))
        .values(announced=True)
        .returning(
            assignments.c.uscc,
            assignments.c.institution_id,
            assignments.c.way,
            assignments.c.assigned_on,
        )
    )
    return [dict(row) for row in result.mappings()]


def _profile_row(profile: Profile) -> dict[str, Any]:
    return {
        "name": profile.name,
        "county_code": profile.county_code,
        "size_class": profile.size_class,
        "size_verified": profile.size_verified.value if profile.size_verified else None,
        "industry": profile.industry,
        "employees": profile.employees,
        "revenue_wan": profile.revenue_wan,
        "assets_wan": profile.assets_wan,
        "financing_need_wan": profile.financing_need_wan,
    }


def _profile(row: RowMapping) -> Profile:
    verified = row["size_verified"]
    return Profile(
        name=row["name"],
        county_code=row["county_code"],
        size_class=row["size_class"],
        size_verified=FiguredClass(verified) if verified else None,
        industry=row["industry"],
        employees=row["employees"],
        revenue_wan=row["revenue_wan"],
        assets_wan=row["assets_wan"],
        financing_need_wan=row["financing_need_wan"],
    )


def _listing(row: RowMapping) -> Listing:
    return Listing(
        listed_on=row["listed_on"],
        county_code=row["county_code"],
        late=row["late"],
        delisted_on=row["delisted_on"],
        delist_reason=row["delist_reason"],
        delist_note=row["delist_note"],
    )
