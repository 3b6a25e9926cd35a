"""An enterprise's place on the list (contract §5 rule 1): listed from `nominated_on` up to
the day before a delisting's `on` date; a repeated nomination merges (一企一档)."""

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
    """The enterprise is not on the list now, so it cannot be delisted."""


class DelistingBeforeListingError(Exception):
    """A delisting dated before the listing it would end."""


@dataclass(frozen=True)
class Listing:
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
    institutions: frozenset[str] = frozenset()

    @property
    def current(self) -> Listing | None:
        latest = self.latest
        return latest if latest is not None and latest.is_open else None

    def listing_on(self, day: date) -> Listing | None:
        return next((listing for listing in self.listings if listing.covers(day)), None)

    @property
    def latest(self) -> Listing | None:
        return max(self.listings, key=lambda listing: listing.listed_on, default=None)


@dataclass(frozen=True)
class Admitted:
    """What admitting a nomination changed."""

    admission: Admission
    enterprise: Enterprise
    new_listing: Listing | None
    new_profile: bool
    assignment: Assignment | None
    """What a bank's nomination asks for on every nomination: whether it is new or earlier
    than the one known is the store's to say (it sees every way of assigning)."""


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
    """List the enterprise, or merge the nomination into its file.

    A nomination dated while the enterprise is (or was) on the list merges; one dated on or
    after its last delisting lists it again. A merge never moves the enterprise to another
    county: a move is a delisting (`moved`) and a nomination in the new county.
    """
    latest = existing.latest if existing else None
    relisting = latest is None or (
        latest.delisted_on is not None and nomination.nominated_on >= latest.delisted_on
    )
    county = nomination.county_code if relisting or latest is None else latest.county_code
    profile = profile_of(nomination, county)
    listing = Listing(nomination.nominated_on, county, nomination.late) if relisting else None
    institution = nomination.assigns_to
    assignment = (
        Assignment(nomination.uscc, institution, nomination.nominated_on, AssignmentWay.NOMINATION)
        if institution
        else None
    )
    known = existing.institutions if existing else frozenset()
    enterprise = Enterprise(
        uscc=nomination.uscc,
        profile=profile,
        listings=(*(existing.listings if existing else ()), *([listing] if listing else [])),
        institutions=known | ({institution} if institution else set()),
    )
    return Admitted(
        admission=Admission.LISTED if relisting else Admission.MERGED,
        enterprise=enterprise,
        new_listing=listing,
        new_profile=existing is None or existing.profile != profile,
        assignment=assignment,
    )


def delist(enterprise: Enterprise, on: date, reason: str, note: str | None) -> Listing:
    """The current listing, closed on `on` (the enterprise's last listed day is `on` - 1)."""
    current = enterprise.current
    if current is None:
        raise NotListedError(f"{enterprise.uscc} is not on the list")
    # At least one listed day: a listing and its re-listing never start on the same day.
    if on <= current.listed_on:
        raise DelistingBeforeListingError(
            f"{enterprise.uscc} is listed from {current.listed_on}; delist after that day"
        )
    return replace(current, delisted_on=on, delist_reason=reason, delist_note=note)
