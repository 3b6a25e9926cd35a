"""Reporting units (填报单位): every county sub-branch and every city-level institution of the
reference data, and the months of the campaign with their deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ledger.domain.periods import Deadline, Month, months_between
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
    id: str
    name: str
    level: Level
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset((self.name, *self.aliases))


def all_reporting_units(reference: ReferenceData) -> list[ReportingUnit]:
    counties = [ReportingUnit(c.code, c.name, Level.COUNTY, c.aliases) for c in reference.counties]
    institutions = [ReportingUnit(i.id, i.name, Level.INSTITUTION) for i in reference.institutions]
    return counties + institutions


def reporting_unit_of(reference: ReferenceData, unit_id: str) -> ReportingUnit:
    for reporting_unit in all_reporting_units(reference):
        if reporting_unit.id == unit_id:
            return reporting_unit
    raise UnknownReportingUnitError(f"{unit_id!r} is neither a county code nor an institution id")


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
