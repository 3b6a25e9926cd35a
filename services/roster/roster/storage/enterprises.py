"""Enterprises' files (一企一档): profiles, nominations and listings (of every campaign),
loaded and saved in bulk (one query per table for a whole batch)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import RowMapping, Select, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.domain.enterprise import Enterprise, Listing, Profile
from roster.domain.size_standard import FiguredClass
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
from shared.db import as_arrays, insert_unnested


@dataclass(frozen=True)
class NominationRecord:
    """A nomination as received and what became of it (accepted or not), for the file."""

    nomination_id: str
    campaign_id: str | None
    """None: a rejection whose campaign could not be told."""
    uscc: str | None
    status: str  # listed | merged | rejected
    source: str | None
    nominated_by: str | None
    nominated_on: date | None
    institution_id: str | None
    late: bool | None
    channel: str  # api | batch | upload
    input: Mapping[str, Any]
    reasons: Sequence[Mapping[str, Any]] | None


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


class EnterpriseRepository(Protocol):
    async def lock(self, usccs: Iterable[str]) -> None:
        """Serialise the changes of these enterprises' files until the transaction ends."""

    async def load(self, usccs: Iterable[str]) -> dict[str, Enterprise]:
        """The enterprises on file among `usccs`, with their listings and assignments in
        every campaign."""

    async def save_nominations(self, records: Sequence[NominationRecord]) -> None: ...

    async def save_profiles(self, changes: Sequence[NewProfile]) -> None:
        """Append each profile version; the enterprise's current profile is the latest."""

    async def save_listings(self, new: Sequence[NewListing]) -> None: ...

    async def close_listing(self, uscc: str, closed: Listing) -> None: ...


class SqlEnterpriseRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock(self, usccs: Iterable[str]) -> None:
        """Serialise concurrent nominations of the same enterprise until commit (in a fixed
        order, so two batches never deadlock)."""
        codes = sorted(set(usccs))
        if codes:
            await self._connection.execute(
                text(
                    "SELECT pg_advisory_xact_lock(h) FROM "
                    "(SELECT DISTINCT hashtext(u) AS h FROM unnest(CAST(:codes AS text[])) u "
                    "ORDER BY h) AS locks"
                ),
                {"codes": codes},
            )

    async def load(self, usccs: Iterable[str]) -> dict[str, Enterprise]:
        codes = sorted(set(usccs))
        if not codes:
            return {}
        profiles = await self._connection.execute(
            select(enterprises).where(enterprises.c.uscc.in_(codes))
        )
        listed = await self._connection.execute(select(listings).where(listings.c.uscc.in_(codes)))
        assigned = await self._connection.execute(
            select(
                assignments.c.uscc, assignments.c.campaign_id, assignments.c.institution_id
            ).where(assignments.c.uscc.in_(codes))
        )
        by_uscc: dict[str, list[Listing]] = {}
        for row in listed.mappings():
            by_uscc.setdefault(row["uscc"], []).append(_listing(row))
        pairs: dict[str, set[tuple[str, str]]] = {}
        for uscc, campaign_id, institution_id in assigned:
            pairs.setdefault(uscc, set()).add((campaign_id, institution_id))
        return {
            row["uscc"]: Enterprise(
                uscc=row["uscc"],
                profile=_profile(row),
                listings=tuple(
                    sorted(by_uscc.get(row["uscc"], []), key=lambda x: (x.listed_on, x.campaign_id))
                ),
                assigned=frozenset(pairs.get(row["uscc"], set())),
            )
            for row in profiles.mappings()
        }

    async def save_nominations(self, records: Sequence[NominationRecord]) -> None:
        if records:
            await self._connection.execute(insert(nominations), [asdict(r) for r in records])

    async def save_profiles(self, changes: Sequence[NewProfile]) -> None:
        """Append each profile version; the enterprise's row takes the latest."""
        if not changes:
            return
        await self._connection.execute(
            insert(profile_versions),
            [
                {"uscc": c.uscc, "nomination_id": c.nomination_id, "effective_on": c.effective_on}
                | _profile_row(c.profile)
                for c in changes
            ],
        )
        latest = {c.uscc: c.profile for c in changes}
        # One array per column: any batch is one statement, under PostgreSQL's limit of
        # 32,767 parameters however many rows it has.
        rows = [{"uscc": uscc} | _profile_row(profile) for uscc, profile in latest.items()]
        names = list(rows[0])
        statement = insert_unnested(enterprises, names)
        columns = {name: statement.excluded[name] for name in names[1:]}
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=["uscc"], set_={**columns, "updated_at": func.now()}
            ),
            as_arrays(enterprises, rows, names),
        )

    async def save_listings(self, new: Sequence[NewListing]) -> None:
        if new:
            await self._connection.execute(
                insert(listings),
                [
                    {
                        "campaign_id": n.listing.campaign_id,
                        "uscc": n.uscc,
                        "listed_on": n.listing.listed_on,
                        "county_code": n.listing.county_code,
                        "late": n.listing.late,
                        "nomination_id": n.nomination_id,
                    }
                    for n in new
                ],
            )

    async def close_listing(self, uscc: str, closed: Listing) -> None:
        await self._connection.execute(
            update(listings)
            .where(
                listings.c.campaign_id == closed.campaign_id,
                listings.c.uscc == uscc,
                listings.c.listed_on == closed.listed_on,
            )
            .values(
                delisted_on=closed.delisted_on,
                delist_reason=closed.delist_reason,
                delist_note=closed.delist_note,
                delisted_at=func.now(),
            )
        )

    async def file(self, uscc: str) -> dict[str, Any] | None:
        """Everything the roster knows of one enterprise (一企一档), or None if nothing."""
        profile = (
            (await self._connection.execute(select(enterprises).where(enterprises.c.uscc == uscc)))
            .mappings()
            .first()
        )
        if profile is None:
            return None

        async def rows(statement: Select[Any]) -> list[dict[str, Any]]:
            return [dict(r) for r in (await self._connection.execute(statement)).mappings()]

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
                .order_by(
                    assignments.c.assigned_on,
                    assignments.c.institution_id,
                    assignments.c.campaign_id,
                )
            ),
            "listings": await rows(
                select(listings)
                .where(listings.c.uscc == uscc)
                .order_by(listings.c.listed_on, listings.c.campaign_id)
            ),
            "loans": await rows(
                select(loans)
                .where(loans.c.uscc == uscc)
                .order_by(loans.c.issued_on, loans.c.loan_id)
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
        campaign_id=row["campaign_id"],
        listed_on=row["listed_on"],
        county_code=row["county_code"],
        late=row["late"],
        delisted_on=row["delisted_on"],
        delist_reason=row["delist_reason"],
        delist_note=row["delist_note"],
    )
