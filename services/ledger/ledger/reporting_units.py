"""Reporting units (填报单位) of a campaign: each of its county sub-branches and city-level
institutions, and the campaign's months with their deadlines.

A ledger is a campaign's: one institution takes part in several cities' campaigns (ICBC's
branch in each city) and keeps a ledger in each, and one county's campaigns follow each other
year after year. Which campaign a call means when it names none is `campaign_of_unit`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from ledger.domain.periods import Deadline, Month, months_between
from shared.campaigns import AmbiguousCampaignError
from shared.reference import ReferenceData


class Level(StrEnum):
    COUNTY = "county"
    INSTITUTION = "institution"


class UnknownReportingUnitError(LookupError):
    """Neither a county code nor an institution id of the campaign."""


class NotACampaignMonthError(LookupError):
    """The month is outside the campaign."""


@dataclass(frozen=True)
class ReportingUnit:
    """A unit that reports in one campaign: its ledgers, reports and notices are that
    campaign's."""

    campaign_id: str
    id: str
    name: str
    level: Level
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset((self.name, *self.aliases))


def all_reporting_units(reference: ReferenceData) -> list[ReportingUnit]:
    campaign = reference.campaign.id
    counties = [
        ReportingUnit(campaign, c.code, c.name, Level.COUNTY, c.aliases) for c in reference.counties
    ]
    institutions = [
        ReportingUnit(campaign, i.id, i.name, Level.INSTITUTION) for i in reference.institutions
    ]
    return counties + institutions


def reporting_unit_of(reference: ReferenceData, unit_id: str) -> ReportingUnit:
    for reporting_unit in all_reporting_units(reference):
        if reporting_unit.id == unit_id:
            return reporting_unit
    raise UnknownReportingUnitError(
        f"{unit_id!r} is neither a county code nor an institution id of {reference.campaign.id}"
    )


def reports_in(reference: ReferenceData, unit_id: str) -> bool:
    return unit_id in reference.county_codes or unit_id in reference.institution_ids


def campaign_of_unit(
    campaigns: Sequence[ReferenceData], unit_id: str, month: Month | None, today: date
) -> ReferenceData:
    """The campaign a call about a unit's ledger means when it names none: among the
    campaigns the unit reports in, those having the month (when it names one that any of
    them has), of these the ones running today, else all of them; it must leave one.
    Raises UnknownReportingUnitError (no campaign has the unit) or AmbiguousCampaignError
    naming the candidates."""
    having = [c for c in campaigns if reports_in(c, unit_id)]
    if not having:
        raise UnknownReportingUnitError(
            f"{unit_id!r} is neither a county code nor an institution id"
        )
    if month is not None:
        having = [c for c in having if month in campaign_months(c)] or having
    running = [c for c in having if c.campaign.contains(today)]
    candidates = running or having
    if len(candidates) == 1:
        return candidates[0]
    raise AmbiguousCampaignError([c.campaign.id for c in candidates], f"the unit {unit_id}")


def takes_unplaced_pairings(
    campaigns: Sequence[ReferenceData], reference: ReferenceData, unit: ReportingUnit, month: Month
) -> bool:
    """Whether the institution's ledger of this campaign and month also holds the pairings
    of enterprises whose county is not known (neither roster nor matchmaking named it):
    only when no other campaign of the institution has the month, so that such a pairing is
    never in two cities' ledgers (with one campaign, as before campaigns, it is in its
    institution's)."""
    if unit.level is not Level.INSTITUTION:
        return False
    return not any(
        c.campaign.id != reference.campaign.id
        and unit.id in c.institution_ids
        and month in campaign_months(c)
        for c in campaigns
    )


def campaign_months(reference: ReferenceData) -> list[Month]:
    return months_between(reference.campaign.start, reference.campaign.end)


def deadline_of(reference: ReferenceData, month: Month) -> Deadline:
    campaign = reference.campaign
    return Deadline(campaign.ledger_due_date(month.year, month.month), campaign.zone)


def campaign_month(reference: ReferenceData, period: str) -> Month:
    month = Month.parse(period)
    if month not in campaign_months(reference):
        raise NotACampaignMonthError(f"{period} is not a month of {reference.campaign.id}")
    return month


def deadlines(reference: ReferenceData) -> dict[Month, Deadline]:
    return {month: deadline_of(reference, month) for month in campaign_months(reference)}
