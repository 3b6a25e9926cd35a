"""An enterprise's place on the list (contract §5 rule 1): listed from `nominated_on` up to
the day before a delisting's `on` date; a repeated nomination merges (一企一档).

The list is per campaign: an enterprise has its listings in each campaign it was listed in,
and a nomination merges only into a listing of its own campaign. Its profile (particulars)
is one, whatever the campaign."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from roster.domain.assignments import Assignment
from roster.domain.nomination import Nomination
from roster.domain.size_standard import FiguredClass
from shared.contracts.roster import AssignmentWay


class Admission(StrEnum):
    LISTED = "listed"
    MERGED = "merged"


class NotListedError(Exception):
    """The enterprise is not on the campaign's list now, so it cannot be delisted or
    assigned."""


class DelistingBeforeListingError(Exception):
    """A delisting dated before the listing it would end."""


@dataclass(frozen=True)
class Listing:
    campaign_id: str
    listed_on: date
    county_code: str
    late: bool
    delisted_on: date | None = None
    delist_reason: str | None = None
    delist_note: str | None = None

    @property
    def is_open(self) -> bool:
        return self.delisted_on is None

    def covers(self, day: date) -> bool:
        return self.listed_on <= day and (self.delisted_on is None or day < self.delisted_on)


@dataclass(frozen=True)
class Profile:
    """The enterprise's current particulars; each change is kept as a new version."""

    name: str
    county_code: str
    size_class: str
    size_verified: FiguredClass | None
    industry: str | None
    employees: int | None
    revenue_wan: Decimal | None
    assets_wan: Decimal | None
    financing_need_wan: Decimal | None


@dataclass(frozen=True)
class Enterprise:
    uscc: str
    profile: Profile
    listings: tuple[Listing, ...] = ()
    """Every campaign's, by `listed_on`."""
    assigned: frozenset[tuple[str, str]] = frozenset()
    """(campaign id, institution id) of each assignment."""

    @property
    def campaigns(self) -> tuple[str, ...]:
        """The campaigns it was listed in, in the order of their first listing."""
        return tuple(dict.fromkeys(listing.campaign_id for listing in self._by_day))

    def listings_in(self, campaign_id: str) -> tuple[Listing, ...]:
        return tuple(x for x in self._by_day if x.campaign_id == campaign_id)

    def latest_in(self, campaign_id: str) -> Listing | None:
        listed = self.listings_in(campaign_id)
        return listed[-1] if listed else None

    def current_in(self, campaign_id: str) -> Listing | None:
        """The campaign's listing still open (not delisted), if any."""
        latest = self.latest_in(campaign_id)
        return latest if latest is not None and latest.is_open else None

    def listing_on(self, day: date, campaign_id: str | None = None) -> Listing | None:
        """The listing that covers `day` (in `campaign_id`; without it, the latest that does
        in any campaign)."""
        covering = [
            x
            for x in self._by_day
            if x.covers(day) and (campaign_id is None or x.campaign_id == campaign_id)
        ]
        return covering[-1] if covering else None

    @property
    def latest(self) -> Listing | None:
        """The listing of any campaign that began last."""
        return self._by_day[-1] if self._by_day else None

    def institutions_in(self, campaign_id: str) -> frozenset[str]:
        return frozenset(i for c, i in self.assigned if c == campaign_id)

    @property
    def institutions(self) -> frozenset[str]:
        """Every institution it was assigned to, in any campaign."""
        return frozenset(i for _, i in self.assigned)

    def county_in(self, campaign_id: str) -> str:
        """Its county in the campaign: its latest listing's there, else its profile's."""
        latest = self.latest_in(campaign_id)
        return latest.county_code if latest is not None else self.profile.county_code

    @property
    def _by_day(self) -> tuple[Listing, ...]:
        return tuple(sorted(self.listings, key=lambda x: (x.listed_on, x.campaign_id)))


@dataclass(frozen=True)
class Admitted:
    """What admitting a nomination changed."""

    admission: Admission
    enterprise: Enterprise
    new_listing: Listing | None
    new_profile: bool
    assignment: Assignment | None
    """What a bank's nomination asks for on every nomination, in the nomination's campaign:
    whether it is new or earlier than the one known is the store's to say (it sees every
    way of assigning)."""


def profile_of(nomination: Nomination, county_code: str) -> Profile:
    return Profile(
        name=nomination.name,
        county_code=county_code,
        size_class=nomination.size_class.value,
        size_verified=nomination.size_verified,
        industry=nomination.industry,
        employees=nomination.figures.employees,
        revenue_wan=nomination.figures.revenue_wan,
        assets_wan=nomination.figures.assets_wan,
        financing_need_wan=nomination.financing_need_wan,
    )


def admit(existing: Enterprise | None, nomination: Nomination) -> Admitted:
    """List the enterprise in the nomination's campaign, or merge the nomination into its
    listing there.

    A nomination dated while the enterprise is (or was) on the campaign's list merges; one
    dated on or after its last delisting there lists it again, and one of a campaign it was
    never listed in lists it (judged afresh: its listings in other campaigns do not count).
    A merge never moves the enterprise to another county: a move is a delisting (`moved`)
    and a nomination in the new county.
    """
    campaign = nomination.campaign_id
    latest = existing.latest_in(campaign) if existing else None
    relisting = latest is None or (
        latest.delisted_on is not None and nomination.nominated_on >= latest.delisted_on
    )
    county = nomination.county_code if relisting or latest is None else latest.county_code
    profile = profile_of(nomination, county)
    listing = (
        Listing(campaign, nomination.nominated_on, county, nomination.late) if relisting else None
    )
    institution = nomination.assigns_to
    assignment = (
        Assignment(nomination.uscc, institution, nomination.nominated_on, AssignmentWay.NOMINATION)
        if institution
        else None
    )
    known = existing.assigned if existing else frozenset()
    enterprise = Enterprise(
        uscc=nomination.uscc,
        profile=profile,
        listings=(*(existing.listings if existing else ()), *([listing] if listing else [])),
        assigned=known | ({(campaign, institution)} if institution else set()),
    )
    return Admitted(
        admission=Admission.LISTED if relisting else Admission.MERGED,
        enterprise=enterprise,
        new_listing=listing,
        new_profile=existing is None or existing.profile != profile,
        assignment=assignment,
    )


def delist(
    enterprise: Enterprise,
    on: date,
    reason: str,
    note: str | None,
    campaign_id: str | None = None,
) -> Listing:
    """The campaign's open listing, closed on `on` (the enterprise's last listed day there is
    `on` - 1). Without `campaign_id`: the campaign of its latest listing."""
    latest = enterprise.latest
    campaign = campaign_id or (latest.campaign_id if latest is not None else None)
    current = enterprise.current_in(campaign) if campaign is not None else None
    if current is None:
        where = f" of {campaign}" if campaign else ""
        raise NotListedError(f"{enterprise.uscc} is not on the list{where}")
    # At least one listed day: a listing and its re-listing never start on the same day.
    if on <= current.listed_on:
        raise DelistingBeforeListingError(
            f"{enterprise.uscc} is listed from {current.listed_on}; delist after that day"
        )
    return replace(current, delisted_on=on, delist_reason=reason, delist_note=note)
