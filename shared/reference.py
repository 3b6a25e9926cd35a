"""One campaign's reference data: its region, dates, counties, institutions, targets and
thresholds.

Counties and institutions live only in the campaign's file (the packaged one is
`reference_data/xinzhou-2020.toml`), so operators can edit them without a release; the
platform knows many such files (`shared.campaigns`). Everything is checked at load; a bad
file fails with one line per problem.
"""

import tomllib
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

PACKAGED_REFERENCE_FILE = Path(__file__).parent / "reference_data" / "xinzhou-2020.toml"

INSTITUTION_ID_PATTERN = r"^[a-z][a-z0-9-]{1,31}$"
COUNTY_CODE_PATTERN = r"^[0-9]{6}$"
REGION_CODE_PATTERN = r"^[0-9]{4}$"

Ratio = Annotated[float, Field(gt=0, le=1)]
Count = Annotated[int, Field(ge=0)]
Name = Annotated[str, Field(min_length=1)]


class ReferenceDataError(ValueError):
    """The reference data file cannot be read or breaks a rule."""


class UnknownCountyError(LookupError):
    """No county of the campaign has this code."""


class UnknownInstitutionError(LookupError):
    """No institution of the campaign has this id."""


class _Frozen(BaseModel):
    # extra="forbid" turns a misspelt key in the data file into an error instead of a default.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Targets(_Frozen):
    cultivated: Count
    first_loans: Count

    @model_validator(mode="after")
    def _first_loans_within_cultivated(self) -> Self:
        if self.first_loans > self.cultivated:
            raise ValueError(
                f"first_loans target {self.first_loans} exceeds cultivated target {self.cultivated}"
            )
        return self


class Region(_Frozen):
    """The city whose sub-branch runs a campaign: its GB/T 2260 prefix (the first four
    digits of its counties' codes) and its name."""

    code: Annotated[str, Field(pattern=REGION_CODE_PATTERN)]
    name: Name

    def holds(self, county_code: str) -> bool:
        return county_code.startswith(self.code)


CAMPAIGN_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,63}$"


class Campaign(_Frozen):
    id: Annotated[str, Field(pattern=CAMPAIGN_ID_PATTERN)]
    name: Name
    region: Region | None = Field(
        default=None,
        description="Left out (a file of before regions): the prefix its counties share.",
    )
    source_document: str = ""
    authority: str = Field(default="", description="Who runs the campaign and signs notices.")
    start: date
    end: date
    list_deadline: date
    timezone: str
    ledger_due_day: Annotated[int, Field(ge=1, le=28)]
    special_reports_per_month: Count
    fairs_per_county: Count
    first_loan_rate_floor: Ratio
    first_loan_rate_goal: Ratio
    look_back_years: Annotated[int, Field(ge=1)]
    credit_process_goal_workdays: Annotated[int, Field(ge=1)]

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {name!r}") from error
        return name

    @model_validator(mode="after")
    def _consistent_dates_and_rates(self) -> Self:
        problems: list[str] = []
        if self.end <= self.start:
            problems.append(f"campaign end {self.end} must be after its start {self.start}")
        elif not self.contains(self.list_deadline):
            problems.append(
                f"list deadline {self.list_deadline} must be inside the campaign "
                f"{self.start}..{self.end}"
            )
        if self.first_loan_rate_floor > self.first_loan_rate_goal:
            problems.append(
                f"first-loan rate floor {self.first_loan_rate_floor} exceeds the goal "
                f"{self.first_loan_rate_goal}"
            )
        _raise_if_any(problems)
        return self

    @property
    def days(self) -> int:
        """Calendar days of the campaign, both ends included."""
        return (self.end - self.start).days + 1

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def day_number(self, day: date) -> int:
        """1 on the start date; may be zero or negative before it."""
        return (day - self.start).days + 1

    def ledger_due_date(self, year: int, month: int) -> date:
        """The last day (in `zone`) to submit the ledger of `year`-`month`."""
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        return date(next_year, next_month, self.ledger_due_day)


class Thresholds(_Frozen):
    warning_from_campaign_day: Annotated[int, Field(ge=1)]
    warning_ratio: Ratio
    talk_ratio: Ratio
    circular_ratio: Ratio
    falsification_anomalies: Annotated[int, Field(ge=1)]

    @model_validator(mode="after")
    def _circular_is_stricter_than_talk(self) -> Self:
        if self.circular_ratio > self.talk_ratio:
            raise ValueError(
                f"circular_ratio {self.circular_ratio} must not exceed talk_ratio {self.talk_ratio}"
            )
        return self


class ForecastMethod(_Frozen):
    """How a unit's first-loan households at the campaign's end are projected from its
    funnel (assessment's `domain/forecast.py` explains the method): a pairing counts as
    decided `days_to_apply` days, the campaign's `credit_process_goal_workdays` working days
    and `days_to_draw` days after it was made; a unit's conversion of decided pairings is
    drawn towards the city's by `prior_pairings` pairings' worth; the city's pairing pace is
    taken over the last `weeks` weeks; the interval is `interval_z` spreads wide. A
    `projected_shortfall` warning is raised from `shortfall_from_campaign_day` when the
    interval's high end has been under the target on each of the last
    `shortfall_after_days` days."""

    weeks: Annotated[int, Field(ge=1, le=26)] = 4
    interval_z: Annotated[float, Field(ge=0, le=5)] = 1.645
    prior_pairings: Annotated[int, Field(ge=1)] = 20
    days_to_apply: Count = 5
    days_to_draw: Count = 5
    shortfall_from_campaign_day: Annotated[int, Field(ge=1)] = 35
    shortfall_after_days: Annotated[int, Field(ge=1, le=60)] = 5


class County(_Frozen):
    code: Annotated[str, Field(pattern=COUNTY_CODE_PATTERN)]
    name: Name
    aliases: tuple[Name, ...] = ()
    targets: Targets


class InstitutionCategory(_Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")]
    name: Name
    targets: Targets | None = None
    """None for categories that are tracked but have no target."""


class Institution(_Frozen):
    id: Annotated[str, Field(pattern=INSTITUTION_ID_PATTERN)]
    name: Name
    category: str


class ReferenceData(_Frozen):
    campaign: Campaign
    thresholds: Thresholds
    forecast: ForecastMethod = ForecastMethod()
    counties: Annotated[tuple[County, ...], Field(min_length=1)]
    institution_categories: tuple[InstitutionCategory, ...]
    institutions: tuple[Institution, ...]

    @model_validator(mode="after")
    def _consistent_references(self) -> Self:
        problems = [
            *_duplicates("county code", (county.code for county in self.counties)),
            *_duplicates("county name", self._county_names()),
            *_duplicates("category id", (c.id for c in self.institution_categories)),
            *_duplicates("institution id", (i.id for i in self.institutions)),
            *self._unknown_categories(),
            *self._counties_outside_region(),
        ]
        if self.thresholds.warning_from_campaign_day > self.campaign.days:
            problems.append(
                f"warning_from_campaign_day {self.thresholds.warning_from_campaign_day} is "
                f"after the campaign's last day ({self.campaign.days})"
            )
        _raise_if_any(problems)
        return self

    @model_validator(mode="before")
    @classmethod
    def _region_from_counties(cls, raw: Any) -> Any:
        """A file written before campaigns had regions names none: its region is the prefix
        its counties share (GB/T 2260: province, city, county), named by that prefix."""
        if not isinstance(raw, dict):
            return raw
        campaign, counties = raw.get("campaign"), raw.get("counties")
        if not isinstance(campaign, dict) or "region" in campaign or not isinstance(counties, list):
            return raw
        prefixes = {str(c.get("code", ""))[:4] for c in counties if isinstance(c, dict)}
        if len(prefixes) != 1:
            return raw  # the region is then reported missing below
        (prefix,) = prefixes
        return {**raw, "campaign": {**campaign, "region": {"code": prefix, "name": prefix}}}

    @property
    def region(self) -> Region:
        if self.campaign.region is None:
            raise ReferenceDataError(f"campaign {self.campaign.id} names no region")
        return self.campaign.region

    def _counties_outside_region(self) -> list[str]:
        region = self.campaign.region
        if region is None:
            return ["campaign.region: required when the counties' codes share no city prefix"]
        return [
            f"county {county.code} is outside the region {region.code} ({region.name})"
            for county in self.counties
            if not region.holds(county.code)
        ]

    def _county_names(self) -> Iterable[str]:
        for county in self.counties:
            yield county.name
            yield from county.aliases

    def _unknown_categories(self) -> list[str]:
        known = {category.id for category in self.institution_categories}
        return [
            f"institution {institution.id!r} has unknown category {institution.category!r}"
            for institution in self.institutions
            if institution.category not in known
        ]

    @property
    def campaign_days(self) -> int:
        return self.campaign.days

    @property
    def county_codes(self) -> frozenset[str]:
        return frozenset(county.code for county in self.counties)

    @property
    def institution_ids(self) -> frozenset[str]:
        return frozenset(institution.id for institution in self.institutions)

    def county(self, code: str) -> County:
        for county in self.counties:
            if county.code == code:
                return county
        raise UnknownCountyError(f"no county with code {code!r} in {self.campaign.id}")

    def institution(self, institution_id: str) -> Institution:
        for institution in self.institutions:
            if institution.id == institution_id:
                return institution
        raise UnknownInstitutionError(
            f"no institution with id {institution_id!r} in {self.campaign.id}"
        )

    def category_of(self, institution_id: str) -> InstitutionCategory:
        category_id = self.institution(institution_id).category
        return next(c for c in self.institution_categories if c.id == category_id)

    def targets_for_institution(self, institution_id: str) -> Targets | None:
        """The per-institution targets of its category; None when it has none."""
        return self.category_of(institution_id).targets

    def bank_topic(self, institution_id: str) -> str:
        """The Kafka topic on which the institution's core system publishes."""
        return f"bank.{self.institution(institution_id).id}.events"


def load_reference(source: Path = PACKAGED_REFERENCE_FILE) -> ReferenceData:
    """Load and check one campaign's reference data (by default the packaged campaign;
    `shared.campaigns` loads all that the platform knows)."""
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ReferenceDataError(f"{source}: not valid TOML: {error}") from error
    return _validated(raw, source)


def _validated(raw: dict[str, Any], source: Path) -> ReferenceData:
    try:
        return ReferenceData.model_validate(raw)
    except ValidationError as error:
        lines = [_describe(detail) for detail in error.errors(include_url=False)]
        message = "\n  ".join([f"{source}: invalid reference data:", *lines])
        raise ReferenceDataError(message) from error


def _describe(detail: ErrorDetails) -> str:
    location = ".".join(str(part) for part in detail["loc"]) or "(file)"
    return f"{location}: {detail['msg']}"


def _duplicates(what: str, values: Iterable[str]) -> list[str]:
    counts = Counter(values)
    return [f"duplicate {what} {value!r}" for value, count in counts.items() if count > 1]


def _raise_if_any(problems: list[str]) -> None:
    if problems:
        raise ValueError("; ".join(problems))
