"""The province: every city's attainment against its own campaign's targets on one day, side
by side; the province's totals, exactly the sum of the cities; a ranking of the cities; the
institutions summed over the cities they lend in.

A city is a campaigns' region; on a day it is seen through one campaign (`city_campaign`):
the one running then, else the latest begun by then, else its first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from assessment.domain.attainment import (
    Attainment,
    Progress,
    UnitAttainment,
    elapsed_share,
    rate,
    unit_attainment,
)
from shared.campaigns import CampaignBook
from shared.reference import ReferenceData, Targets

CITY = "city"


def city_campaign(book: CampaignBook, region_code: str, day: date) -> ReferenceData:
    """The campaign a city is seen through on `day`."""
    campaigns = book.in_region(region_code)
    running = [c for c in campaigns if c.campaign.contains(day)]
    if running:
        return running[0]
    begun = [c for c in campaigns if c.campaign.start <= day]
    return begun[-1] if begun else campaigns[0]


def city_campaigns(book: CampaignBook, day: date) -> list[ReferenceData]:
    """Each city's campaign on `day`, by region code."""
    return [city_campaign(book, region.code, day) for region in book.regions]


def city_targets(reference: ReferenceData) -> Targets:
    """A city's targets: the sum of its campaign's county targets."""
    return Targets(
        cultivated=sum(c.targets.cultivated for c in reference.counties),
        first_loans=sum(c.targets.first_loans for c in reference.counties),
    )


def city_unit(reference: ReferenceData, current: Attainment) -> UnitAttainment:
    """The city as a unit (level `city`, its region's code and name) of its campaign's
    attainment: every enterprise of the campaign, against the counties' targets summed."""
    region = reference.region
    return unit_attainment(
        region.code,
        region.name,
        CITY,
        None,
        current.cultivated,
        current.first_loans,
        city_targets(reference),
        elapsed_share(reference, current.as_of),
        reference,
    )


@dataclass(frozen=True)
class City:
    reference: ReferenceData
    attainment: Attainment
    unit: UnitAttainment
    rank: int


@dataclass(frozen=True)
class Totals:
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    targets: Targets
    expected: Progress
    attainment_ratio: float | None


@dataclass(frozen=True)
class InCity:
    region_code: str
    campaign_id: str
    cultivated: int
    first_loans: int


@dataclass(frozen=True)
class InstitutionAcross:
    institution_id: str
    cultivated: int
    first_loans: int
    cities: tuple[InCity, ...]


@dataclass(frozen=True)
class Province:
    as_of: date
    cities: tuple[City, ...]
    """By region code."""
    totals: Totals
    ranking: tuple[str, ...]
    """Region codes, by attainment ratio then first-loan households, highest first."""
    institutions: tuple[InstitutionAcross, ...]


def ranked(units: Iterable[UnitAttainment]) -> list[str]:
    """Unit ids by attainment ratio, then first-loan households, highest first (ties by id)."""
    ordered = sorted(units, key=lambda u: (-(u.attainment_ratio or 0.0), -u.first_loans, u.unit_id))
    return [u.unit_id for u in ordered]


def totals_of(units: Sequence[UnitAttainment]) -> Totals:
    """The sum of the units, and the rate and ratio of the sums."""
    cultivated = sum(u.cultivated for u in units)
    first_loans = sum(u.first_loans for u in units)
    targets = Targets(
        cultivated=sum(u.targets.cultivated for u in units if u.targets),
        first_loans=sum(u.targets.first_loans for u in units if u.targets),
    )
    expected = Progress(
        cultivated=sum(u.expected.cultivated for u in units if u.expected),
        first_loans=sum(u.expected.first_loans for u in units if u.expected),
    )
    return Totals(
        cultivated=cultivated,
        first_loans=first_loans,
        first_loan_rate=rate(first_loans, cultivated),
        targets=targets,
        expected=expected,
        attainment_ratio=first_loans / expected.first_loans if expected.first_loans > 0 else None,
    )


def province(as_of: date, seen: Sequence[tuple[ReferenceData, Attainment]]) -> Province:
    """The province on `as_of` from each city's campaign and that campaign's attainment."""
    units = {ref.region.code: city_unit(ref, current) for ref, current in seen}
    order = ranked(units.values())
    cities = tuple(
        City(ref, current, units[ref.region.code], order.index(ref.region.code) + 1)
        for ref, current in sorted(seen, key=lambda s: s[0].region.code)
    )
    return Province(
        as_of=as_of,
        cities=cities,
        totals=totals_of([c.unit for c in cities]),
        ranking=tuple(order),
        institutions=institutions_across(cities),
    )


def institutions_across(cities: Sequence[City]) -> tuple[InstitutionAcross, ...]:
    """Each institution of any city's campaign, its figures summed over those cities."""
    found: dict[str, list[InCity]] = {}
    for city in cities:
        for unit in city.attainment.institutions:
            found.setdefault(unit.unit_id, []).append(
                InCity(
                    city.reference.region.code,
                    city.reference.campaign.id,
                    unit.cultivated,
                    unit.first_loans,
                )
            )
    return tuple(
        InstitutionAcross(
            institution_id,
            sum(c.cultivated for c in where),
            sum(c.first_loans for c in where),
            tuple(where),
        )
        for institution_id, where in sorted(found.items())
    )
