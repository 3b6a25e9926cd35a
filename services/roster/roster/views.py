"""What the GET endpoints return that is read, not decided: queries over the store, on the
platform's today unless a day is asked for, in the campaign the route resolved (the list,
whitelists and counts are per campaign; an enterprise's file spans them all)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from roster.domain.enterprise import Listing
from roster.domain.whitelist import WhitelistEntry
from roster.storage import SqlStore
from shared.campaigns import CampaignBook, UnknownCampaignError
from shared.clock import Clock
from shared.reference import ReferenceData


@dataclass(frozen=True)
class CampaignHistory:
    """What the enterprise's file says of one campaign: when it was listed there, by which
    banks it was cultivated, how many nominations were accepted and refused."""

    campaign_id: str
    name: str | None
    """None for a campaign the book no longer holds."""
    start: date | None
    end: date | None
    listed: bool
    """A listing of the campaign covers today."""
    periods: list[dict[str, Any]]
    institutions: list[str]
    nominations: int
    rejected_nominations: int


@dataclass(frozen=True)
class EnterpriseFile:
    """Everything the roster knows of one enterprise (一企一档), over every campaign."""

    uscc: str
    records: Mapping[str, Any]
    """The rows of each part of the file: profile, profile_history, nominations,
    assignments, listings, loans, matches, fairs (each row of nominations, assignments and
    listings names its campaign_id)."""
    current: Mapping[str, Any] | None
    """The listing that covers today (the latest, if several campaigns list it today)."""
    campaigns: list[CampaignHistory]


@dataclass(frozen=True)
class Whitelist:
    campaign_id: str
    version: int | None
    """None: the live list on `as_of`; otherwise a published version."""
    as_of: date
    published_at: datetime | None
    county_code: str | None
    institution_id: str | None
    entries: list[WhitelistEntry]


@dataclass(frozen=True)
class CountyAtDeadline:
    campaign_id: str
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
        self, engine: AsyncEngine, campaigns: Callable[[], CampaignBook], clock: Clock
    ) -> None:
        self._engine = engine
        self._campaigns = campaigns
        self._clock = clock

    def today(self) -> date:
        return self._clock().date()

    async def enterprise_file(self, uscc: str) -> EnterpriseFile | None:
        async with self._engine.connect() as connection:
            records = await SqlStore(connection).enterprises.file(uscc)
        if records is None:
            return None
        today = self.today()
        covering = [row for row in records["listings"] if _covers(row, today)]
        current = covering[-1] if covering else None
        return EnterpriseFile(
            uscc, records, current, campaign_history(self._campaigns(), records, today)
        )

    async def county_of(self, uscc: str) -> str | None:
        """The enterprise's county on file, or None if it is not on file."""
        async with self._engine.connect() as connection:
            found = await SqlStore(connection).enterprises.load([uscc])
        enterprise = found.get(uscc)
        return enterprise.profile.county_code if enterprise is not None else None

    async def latest_whitelist_version(self, campaign_id: str) -> int | None:
        async with self._engine.connect() as connection:
            return await SqlStore(connection).whitelist.latest_version(campaign_id)

    async def live_whitelist(
        self,
        campaign_id: str,
        as_of: date | None,
        county_code: str | None,
        institution_id: str | None,
    ) -> Whitelist:
        day = as_of or self.today()
        async with self._engine.connect() as connection:
            entries = await SqlStore(connection).whitelist.entries_on(
                campaign_id, day, county_code, institution_id
            )
        return Whitelist(campaign_id, None, day, None, county_code, institution_id, entries)

    async def published_whitelist(
        self,
        campaign_id: str,
        version: int,
        county_code: str | None,
        institution_id: str | None,
    ) -> Whitelist | None:
        async with self._engine.connect() as connection:
            found = await SqlStore(connection).whitelist.load_version(
                campaign_id, version, county_code, institution_id
            )
        if found is None:
            return None
        header, entries = found
        return Whitelist(
            campaign_id,
            version,
            header["as_of"],
            header["published_at"],
            county_code,
            institution_id,
            entries,
        )

    async def county_at_deadline(
        self, reference: ReferenceData, county_code: str
    ) -> CountyAtDeadline:
        campaign = reference.campaign.id
        if county_code not in reference.county_codes:
            raise UnknownCountyError(f"no county {county_code} in {campaign}")
        county = reference.county(county_code)
        deadline = reference.campaign.list_deadline
        today = self.today()
        async with self._engine.connect() as connection:
            whitelist = SqlStore(connection).whitelist
            at_deadline = await whitelist.county_count_on(campaign, county_code, deadline)
            current = await whitelist.county_count_on(campaign, county_code, today)
        return CountyAtDeadline(
            campaign_id=campaign,
            county_code=county_code,
            county_name=county.name,
            deadline=deadline,
            listed_at_deadline=at_deadline,
            listed_today=current,
            today=today,
            target_cultivated=county.targets.cultivated,
        )


def campaign_history(
    book: CampaignBook, records: Mapping[str, Any], today: date
) -> list[CampaignHistory]:
    """Each campaign the enterprise was nominated to or listed in: in the book's order (by
    start), then those the book no longer holds."""
    ids = {row["campaign_id"] for row in records["listings"]}
    ids |= {row["campaign_id"] for row in records["nominations"] if row["campaign_id"]}
    order = {campaign_id: n for n, campaign_id in enumerate(book.ids)}
    history = []
    for campaign_id in sorted(ids, key=lambda c: (order.get(c, len(order)), c)):
        try:
            campaign = book.get(campaign_id).campaign
        except UnknownCampaignError:
            campaign = None
        listings = [row for row in records["listings"] if row["campaign_id"] == campaign_id]
        nominations = [row for row in records["nominations"] if row["campaign_id"] == campaign_id]
        assigned = {
            row["institution_id"]
            for row in records["assignments"]
            if row["campaign_id"] == campaign_id
        }
        history.append(
            CampaignHistory(
                campaign_id=campaign_id,
                name=campaign.name if campaign else None,
                start=campaign.start if campaign else None,
                end=campaign.end if campaign else None,
                listed=any(_covers(row, today) for row in listings),
                periods=[
                    {
                        "listed_on": row["listed_on"],
                        "delisted_on": row["delisted_on"],
                        "delist_reason": row["delist_reason"],
                        "county_code": row["county_code"],
                        "late": row["late"],
                    }
                    for row in listings
                ],
                institutions=sorted(assigned),
                nominations=sum(row["status"] != "rejected" for row in nominations),
                rejected_nominations=sum(row["status"] == "rejected" for row in nominations),
            )
        )
    return history


def _covers(row: Mapping[str, Any], day: date) -> bool:
    listing = Listing(
        row["campaign_id"], row["listed_on"], row["county_code"], row["late"], row["delisted_on"]
    )
    return listing.covers(day)
