"""Every campaign the platform knows: the campaign book.

A campaign is data: one reference file (`shared.reference`) says its id, region, dates,
counties, institutions, targets and thresholds. The book holds many, from a directory of such
files (`<id>.toml` each) or one file, checked together at load: ids unique, and no two
campaigns of one region overlapping in time, so that a county and a day name at most one
campaign. Facts (loans, credits, pairings, fairs) belong to no campaign; a campaign is the lens
that counts those of its region and window.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from shared.reference import (
    PACKAGED_REFERENCE_FILE,
    Institution,
    ReferenceData,
    ReferenceDataError,
    Region,
    UnknownInstitutionError,
    load_reference,
)

log = logging.getLogger(__name__)

CAMPAIGNS_ENV = "FIRSTLOAN_CAMPAIGNS"
STATE_DIR = Path(__file__).resolve().parent.parent / ".state"
OPERATOR_CAMPAIGNS_DIR = STATE_DIR / "campaigns"


class CampaignStatus(StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    ENDED = "ended"


class RegionOut(BaseModel):
    code: str
    name: str


class CampaignOut(BaseModel):
    """A campaign as `GET /campaigns` lists it."""

    id: str
    name: str
    authority: str
    source_document: str
    region: RegionOut
    start: date
    end: date
    status: CampaignStatus
    counties: list[str]
    institutions: list[str]

    @classmethod
    def of(cls, reference: ReferenceData, status: CampaignStatus) -> CampaignOut:
        c = reference.campaign
        return cls(
            id=c.id,
            name=c.name,
            authority=c.authority,
            source_document=c.source_document,
            region=RegionOut(code=reference.region.code, name=reference.region.name),
            start=c.start,
            end=c.end,
            status=status,
            counties=[county.code for county in reference.counties],
            institutions=[i.id for i in reference.institutions],
        )


class UnknownCampaignError(LookupError):
    """No campaign has this id."""


class AmbiguousCampaignError(LookupError):
    """A call that names no campaign where several could be meant."""

    def __init__(self, candidates: Sequence[str], where: str) -> None:
        self.candidates = tuple(candidates)
        listed = ", ".join(self.candidates) if self.candidates else "none"
        super().__init__(f"name the campaign: {where} has several ({listed})")


class NoCampaignError(LookupError):
    """A county or region that no campaign covers."""


@dataclass(frozen=True)
class CampaignBook:
    """The campaigns, ordered by start date then id."""

    campaigns: tuple[ReferenceData, ...]

    def __post_init__(self) -> None:
        if not self.campaigns:
            raise ReferenceDataError("no campaign is known")

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.campaign.id for c in self.campaigns)

    def get(self, campaign_id: str) -> ReferenceData:
        for reference in self.campaigns:
            if reference.campaign.id == campaign_id:
                return reference
        raise UnknownCampaignError(f"no campaign {campaign_id!r}; known: {', '.join(self.ids)}")

    @property
    def regions(self) -> tuple[Region, ...]:
        """Each region once, under the name of its latest campaign."""
        named: dict[str, Region] = {}
        for reference in self.campaigns:
            named[reference.region.code] = reference.region
        return tuple(sorted(named.values(), key=lambda r: r.code))

    def region_of_county(self, county_code: str) -> Region | None:
        for region in self.regions:
            if region.holds(county_code):
                return region
        return None

    def in_region(self, region_code: str) -> tuple[ReferenceData, ...]:
        return tuple(c for c in self.campaigns if c.region.code == region_code)

    def with_county(self, county_code: str) -> tuple[ReferenceData, ...]:
        return tuple(c for c in self.campaigns if county_code in c.county_codes)

    def on(self, county_code: str, day: date) -> ReferenceData | None:
        """The campaign that counts what happens in this county on this day, if any."""
        for reference in self.with_county(county_code):
            if reference.campaign.contains(day):
                return reference
        return None

    def attribute(self, county_code: str, day: date) -> ReferenceData | None:
        """The campaign a record of this county and day belongs to when it names none (an
        event written before campaigns were named): the one whose window holds the day,
        else the latest of the county's that began on or before it, else its first. None
        when no campaign has the county."""
        having = self.with_county(county_code)
        if not having:
            return None
        inside = self.on(county_code, day)
        if inside is not None:
            return inside
        begun = [c for c in having if c.campaign.start <= day]
        return begun[-1] if begun else having[0]

    def running(self, day: date, region_code: str | None = None) -> tuple[ReferenceData, ...]:
        return tuple(
            c
            for c in self.campaigns
            if c.campaign.contains(day) and (region_code is None or c.region.code == region_code)
        )

    def resolve(
        self,
        requested: str | None,
        today: date,
        *,
        region_code: str | None = None,
        county_code: str | None = None,
    ) -> ReferenceData:
        """The campaign a call means: the one it names, else the one running today in the
        region (or the county's), else the only one there is there. Raises
        UnknownCampaignError, AmbiguousCampaignError (naming the candidates) or
        NoCampaignError."""
        if requested:
            return self.get(requested)
        if county_code is not None:
            scope = self.with_county(county_code)
            where = f"county {county_code}"
            if not scope:
                raise NoCampaignError(f"no campaign has the county {county_code}")
        elif region_code is not None:
            scope = self.in_region(region_code)
            where = f"region {region_code}"
            if not scope:
                raise NoCampaignError(f"no campaign runs in the region {region_code}")
        else:
            scope, where = self.campaigns, "the platform"
        running = tuple(c for c in scope if c.campaign.contains(today))
        candidates = running or scope
        if len(candidates) == 1:
            return candidates[0]
        raise AmbiguousCampaignError([c.campaign.id for c in candidates], where)

    def sole(self) -> ReferenceData:
        if len(self.campaigns) != 1:
            raise AmbiguousCampaignError(self.ids, "the platform")
        return self.campaigns[0]

    @property
    def zone(self) -> ZoneInfo:
        """The platform's one time zone: every campaign's (checked at load)."""
        return self.campaigns[0].campaign.zone

    @staticmethod
    def status(reference: ReferenceData, today: date) -> CampaignStatus:
        if today < reference.campaign.start:
            return CampaignStatus.PLANNED
        if today > reference.campaign.end:
            return CampaignStatus.ENDED
        return CampaignStatus.RUNNING

    # What is the same in every campaign: an institution's id, its Kafka topic and principal.

    @property
    def institutions(self) -> tuple[Institution, ...]:
        """Every institution of any campaign, once, as the latest campaign names it."""
        named: dict[str, Institution] = {}
        for reference in self.campaigns:
            for institution in reference.institutions:
                named[institution.id] = institution
        return tuple(sorted(named.values(), key=lambda i: i.id))

    @property
    def institution_ids(self) -> frozenset[str]:
        return frozenset(i.id for c in self.campaigns for i in c.institutions)

    def institution(self, institution_id: str) -> Institution:
        for institution in self.institutions:
            if institution.id == institution_id:
                return institution
        raise UnknownInstitutionError(f"no campaign has the institution {institution_id!r}")

    def bank_topic(self, institution_id: str) -> str:
        """The Kafka topic on which the institution's core system publishes, whatever
        campaigns it takes part in."""
        return f"bank.{self.institution(institution_id).id}.events"


def book_of(campaigns: Iterable[ReferenceData]) -> CampaignBook:
    """The book of these campaigns, checked together."""
    ordered = tuple(sorted(campaigns, key=lambda c: (c.campaign.start, c.campaign.id)))
    problems = _conflicts(ordered)
    if problems:
        raise ReferenceDataError("\n  ".join(["the campaigns conflict:", *problems]))
    return CampaignBook(ordered)


def _conflicts(campaigns: Sequence[ReferenceData]) -> list[str]:
    problems: list[str] = []
    zones = sorted({c.campaign.timezone for c in campaigns})
    if len(zones) > 1:
        problems.append(f"the campaigns keep different time zones ({', '.join(zones)}): one clock")
    seen: set[str] = set()
    for reference in campaigns:
        if reference.campaign.id in seen:
            problems.append(f"campaign id {reference.campaign.id!r} is used twice")
        seen.add(reference.campaign.id)
    for i, first in enumerate(campaigns):
        for second in campaigns[i + 1 :]:
            if first.region.code != second.region.code:
                continue
            a, b = first.campaign, second.campaign
            if a.start <= b.end and b.start <= a.end:
                problems.append(
                    f"{a.id} ({a.start}..{a.end}) and {b.id} ({b.start}..{b.end}) overlap in "
                    f"the region {first.region.code}: a county and a day must name one campaign"
                )
    return problems


def load_campaigns(path: Path | None = None) -> CampaignBook:
    """The campaigns of a directory (every `*.toml`, each named after its campaign's id) or
    of one file. Without `path`: `FIRSTLOAN_CAMPAIGNS`, else the platform's own directory
    (`.state/campaigns`, which `make up` makes), else the packaged campaign."""
    source = path or configured_campaigns()
    if not source.is_dir():
        return book_of([load_reference(source)])
    files = campaign_files(source)
    if not files:
        raise ReferenceDataError(f"{source}: no campaign file (*.toml)")
    campaigns: list[ReferenceData] = []
    misnamed: list[str] = []
    for file in files:
        reference = load_reference(file)
        if file.stem != reference.campaign.id:
            misnamed.append(
                f"{file}: holds {reference.campaign.id}; name it {reference.campaign.id}.toml"
            )
        campaigns.append(reference)
    if misnamed:
        raise ReferenceDataError("\n  ".join(misnamed))
    return book_of(campaigns)


def campaign_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.toml") if not p.name.startswith("."))


def configured_campaigns() -> Path:
    configured = os.environ.get(CAMPAIGNS_ENV, "").strip()
    if configured:
        return Path(configured)
    return OPERATOR_CAMPAIGNS_DIR if OPERATOR_CAMPAIGNS_DIR.is_dir() else PACKAGED_REFERENCE_FILE


class CampaignWatcher:
    """The campaign book, re-read when a campaign file is added, changed or removed (checked
    at most every `every` seconds), so that a campaign or an institution an operator adds is
    known without a restart. A book that fails its checks is refused and the last good one
    kept."""

    def __init__(
        self, path: Path | None, every: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._source = path or configured_campaigns()
        self._every = every
        self._clock = clock
        self._current = load_campaigns(self._source)
        self._stamp = self._fingerprint()
        self._checked = clock()

    @property
    def source(self) -> Path:
        return self._source

    def __call__(self) -> CampaignBook:
        now = self._clock()
        if now - self._checked >= self._every:
            self._checked = now
            stamp = self._fingerprint()
            if stamp != self._stamp:
                self._stamp = stamp
                self._reload()
        return self._current

    def _reload(self) -> None:
        try:
            self._current = load_campaigns(self._source)
        except (OSError, ValueError):
            log.exception("campaigns at %s are invalid; keeping the previous ones", self._source)

    def _fingerprint(self) -> tuple[tuple[str, float], ...]:
        files = campaign_files(self._source) if self._source.is_dir() else [self._source]
        stamps: list[tuple[str, float]] = []
        for file in files:
            try:
                stamps.append((file.name, file.stat().st_mtime))
            except OSError:
                continue
        return tuple(stamps)


def ensure_operator_campaigns(directory: Path = OPERATOR_CAMPAIGNS_DIR) -> Path:
    """The platform's own campaign directory, made once (`make up`): from the single
    reference file of an older installation (`.state/reference.toml`, moved under its
    campaign's id) or else from the packaged campaign. Existing files are left alone."""
    if directory.is_dir() and campaign_files(directory):
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    older = directory.parent / "reference.toml"
    source = older if older.exists() else PACKAGED_REFERENCE_FILE
    reference = load_reference(source)
    target = directory / f"{reference.campaign.id}.toml"
    target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    if source == older:
        older.unlink()
    return directory


if __name__ == "__main__":
    print(ensure_operator_campaigns())
