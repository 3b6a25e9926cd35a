"""Assessment's HTTP bodies, and how its domain objects are shown as JSON."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    Field,
    ValidationInfo,
    field_validator,
)

from assessment.domain.attainment import UnitAttainment
from assessment.domain.data_quality import DataQuality
from assessment.domain.escalation import Finding
from assessment.domain.forecast import Forecast
from assessment.domain.notices import (
    Channel,
    DeliveryStatus,
    Silence,
    Subscription,
    WebhookFormat,
)
from shared.campaigns import CampaignBook, CampaignStatus, RegionOut
from shared.contracts.assessment import EscalationReason, Severity
from shared.contracts.types import UnitId
from shared.reference import ReferenceData


class Pair(BaseModel):
    cultivated: float
    first_loans: float


class FunnelOut(BaseModel):
    listed: int = Field(description="Listed households (an institution's: assigned to it).")
    paired: int = Field(description="Of them, paired with a bank (an institution's: with it).")
    paired_lately: int = Field(description="Pairings of the last `weeks` weeks.")
    decided: int = Field(
        description="Pairings whose days to apply, working days to decide and days to draw "
        "have passed."
    )
    converted: int = Field(description="Of the decided pairings, those that became first loans.")
    deciding: int = Field(description="Pairings not yet decided, without a first loan.")
    unpaired: int = Field(description="Listed, not paired, without a first loan (a county's).")
    first_loans: int


class ForecastBasisOut(BaseModel):
    funnel: FunnelOut = Field(description="The unit's enterprises, stage by stage.")
    city: FunnelOut = Field(description="All counties together.")
    conversion: float = Field(
        description="The unit's conversion of decided pairings, drawn towards the city's."
    )
    city_conversion: float
    unpaired: float = Field(
        description="The unpaired enterprises the unit may still pair (an institution's: its "
        "share of the city's); none once a pairing could not be decided in time."
    )
    unpaired_at_most: float = Field(description="As many at most: the high end's.")
    paired_in_time: float = Field(
        description="The share of them the city's pairing pace of the last weeks would pair "
        "in time: the projection's."
    )


class ForecastOut(BaseModel):
    first_loans: int = Field(description="Projected first-loan households at the campaign's end.")
    low: int = Field(description="The interval's low end.")
    high: int = Field(
        description="The interval's high end: every unpaired enterprise paired in time "
        "(under the target on each of the warning's days: a warning)."
    )
    basis: ForecastBasisOut = Field(description="What the forecast rests on.")


class UnitOut(BaseModel):
    unit_id: str
    name: str
    level: Literal["county", "institution", "city"]
    category: str | None = None
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    targets: Pair | None
    expected: Pair | None
    attainment_ratio: float | None
    status: str
    forecast: ForecastOut | None = Field(
        default=None,
        description="For a unit with a target: its first-loan households at the campaign's "
        "end, projected from its funnel and the city's conversion of pairings, with its "
        "interval (none before the campaign's first full week).",
    )
    campaign_id: str | None = Field(
        default=None, description="The campaign the unit's figures are of."
    )


class Citywide(BaseModel):
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    first_loan_rate_floor: float
    first_loan_rate_goal: float


class CampaignRefOut(BaseModel):
    """A campaign as the figures of one name it."""

    id: str
    name: str
    region: RegionOut
    start: date
    end: date
    status: CampaignStatus


def campaign_ref(reference: ReferenceData, today: date) -> CampaignRefOut:
    campaign = reference.campaign
    return CampaignRefOut(
        id=campaign.id,
        name=campaign.name,
        region=RegionOut(code=reference.region.code, name=reference.region.name),
        start=campaign.start,
        end=campaign.end,
        status=CampaignBook.status(reference, today),
    )


class AttainmentOut(BaseModel):
    as_of: date
    campaign: CampaignRefOut | None = Field(
        default=None,
        description="The campaign the figures are of (none for `level=city`: each city's "
        "unit names its own).",
    )
    citywide: Citywide = Field(
        description="The campaign's totals; for `level=city`, the province's (the sum of the "
        "cities)."
    )
    units: list[UnitOut]


def unit_out(
    unit: UnitAttainment, forecast: Forecast | None = None, campaign_id: str | None = None
) -> UnitOut:
    return UnitOut(
        unit_id=unit.unit_id,
        name=unit.name,
        level=unit.level,
        category=unit.category,
        cultivated=unit.cultivated,
        first_loans=unit.first_loans,
        first_loan_rate=unit.first_loan_rate,
        targets=None if unit.targets is None else Pair(**unit.targets.model_dump()),
        expected=None
        if unit.expected is None
        else Pair(cultivated=unit.expected.cultivated, first_loans=unit.expected.first_loans),
        attainment_ratio=unit.attainment_ratio,
        status=unit.status.value,
        forecast=None if forecast is None else forecast_out(forecast),
        campaign_id=campaign_id,
    )


def forecast_out(forecast: Forecast) -> ForecastOut:
    return ForecastOut(
        first_loans=forecast.first_loans,
        low=forecast.low,
        high=forecast.high,
        basis=ForecastBasisOut(
            funnel=FunnelOut(**forecast.funnel.as_json()),
            city=FunnelOut(**forecast.city.as_json()),
            conversion=round(forecast.conversion, 3),
            city_conversion=round(forecast.city_conversion, 3),
            unpaired=round(forecast.unpaired, 1),
            unpaired_at_most=round(forecast.unpaired_at_most, 1),
            paired_in_time=round(forecast.paired_in_time, 3),
        ),
    )


class CheckpointIn(BaseModel):
    as_of: date = Field(description="The checkpoint's day.")


class EscalationFoundOut(BaseModel):
    campaign_id: str | None = None
    unit_id: str
    level: str
    reason: str
    severity: str
    figures: dict[str, object]


class CheckpointRunOut(BaseModel):
    as_of: date
    campaign_id: str | None = Field(default=None, description="The campaign assessed.")
    escalations: list[EscalationFoundOut] = Field(
        description="Raised or upgraded by this run; none when the checkpoint had run."
    )


def escalation_found_out(finding: Finding, campaign_id: str | None = None) -> EscalationFoundOut:
    return EscalationFoundOut(
        campaign_id=campaign_id,
        unit_id=finding.unit_id,
        level=finding.level,
        reason=finding.reason.value,
        severity=finding.severity.value,
        figures=dict(finding.figures),
    )


class DataQualityOut(BaseModel):
    conflicting_duplicates: int = Field(
        description="Records that reused the (source, id) of another of the institution's "
        "events with other content (dead-lettered; the first copy counts)."
    )
    conflicting_loans: int = Field(
        description="Loans reported in more than one version (same loan id, other content; "
        "the earliest issued copy counts)."
    )


class InstitutionDataQualityOut(BaseModel):
    institution_id: str
    name: str
    data_quality: DataQualityOut


def data_quality_out(quality: DataQuality) -> DataQualityOut:
    return DataQualityOut(**asdict(quality))


# --- notices of escalations ---------------------------------------------------------------

EMAIL_ADDRESS = re.compile(r"^[^@\s<>,;]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$")


class SubscriptionIn(BaseModel):
    channel: Channel = Field(description="`webhook` (a POST of JSON) or `email` (SMTP).")
    target: str = Field(
        max_length=2000,
        description="The webhook's http(s) URL (a WeCom or DingTalk group robot's, or any "
        "receiver's), or the e-mail address.",
        examples=["https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY"],
    )
    webhook_format: WebhookFormat = Field(
        default=WebhookFormat.WECOM,
        description='The body\'s convention: `wecom` `{"msgtype": "markdown", "markdown": '
        '{"content"}}`, `dingtalk` `{"msgtype": "markdown", "markdown": {"title", "text"}}`.',
    )
    min_severity: Severity = Field(
        default=Severity.WARNING, description="Only steps reaching this severity or above."
    )
    unit_id: UnitId | None = Field(
        default=None,
        description="One unit only (None: every unit). A county sub-branch names its own.",
    )
    level: Literal["county", "institution"] | None = Field(default=None)
    reason: EscalationReason | None = Field(default=None)

    @field_validator("target")
    @classmethod
    def target_fits_channel(cls, target: str, info: ValidationInfo) -> str:
        channel = info.data.get("channel")
        if channel is Channel.WEBHOOK:
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("a webhook is an http:// or https:// URL with a host")
        elif channel is Channel.EMAIL and not EMAIL_ADDRESS.match(target):
            raise ValueError("not an e-mail address")
        return target


class SubscriptionOut(BaseModel):
    subscription_id: str
    campaign_id: str | None = Field(
        default=None, description="The campaign whose escalations it hears of."
    )
    subscriber: str
    county_code: str | None = Field(description="The county sub-branch it is for, if any.")
    channel: Channel
    target: str
    webhook_format: WebhookFormat
    min_severity: Severity
    unit_id: str | None
    level: str | None
    reason: EscalationReason | None
    created_at: datetime | None = None
    ended_at: datetime | None = None


def subscription_out(subscription: Subscription) -> SubscriptionOut:
    return SubscriptionOut(**asdict(subscription), county_code=subscription.county)


class SilenceIn(BaseModel):
    unit_id: UnitId | None = Field(default=None, description="The unit muted (None: any).")
    reason: EscalationReason | None = Field(
        default=None, validate_default=True, description="The reason muted (None: any)."
    )
    starts_at: AwareDatetime | None = Field(default=None, description="Defaults to now.")
    ends_at: AwareDatetime = Field(description="When notices are heard again.")
    why: str = Field(min_length=1, max_length=2000, description="Why it is muted.")

    @field_validator("reason")
    @classmethod
    def names_something(
        cls, reason: EscalationReason | None, info: ValidationInfo
    ) -> EscalationReason | None:
        if reason is None and info.data.get("unit_id") is None:
            raise ValueError("a silence names a unit_id, a reason or both")
        return reason


class SilenceOut(BaseModel):
    silence_id: str
    campaign_id: str | None = Field(
        default=None, description="The campaign whose escalations it mutes."
    )
    created_by: str
    county_code: str | None = Field(
        description="None: a supervisor's, covering every subscription; else only the county "
        "sub-branch's own."
    )
    unit_id: str | None
    reason: EscalationReason | None
    starts_at: datetime
    ends_at: datetime
    why: str


def silence_out(silence: Silence) -> SilenceOut:
    return SilenceOut(**asdict(silence), county_code=silence.county)


class DeliveryOut(BaseModel):
    delivery_id: str
    subscription_id: str
    subscriber: str
    status: DeliveryStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    steps: list[dict[str, Any]] = Field(
        description="Each step told of: escalation_id, step (the severity reached, or "
        "`resolved`), unit_id, name, level, reason, severity, kind, as_of, figures, "
        "campaign_id."
    )


# --- follow-through -------------------------------------------------------------------


class AcknowledgeIn(BaseModel):
    note: str | None = Field(default=None, max_length=2_000, description="What is being done.")


class AttendeeIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, description="The attendee's name.")
    position: str = Field(min_length=1, max_length=100, description="Their position (职务).")


class CommitmentIn(BaseModel):
    commitment: str = Field(min_length=1, max_length=2_000, description="What will be done.")
    due_on: date = Field(description="By when (on or after the talk).")


class TalkIn(BaseModel):
    scheduled_on: date = Field(description="The day of the talk.")
    attendees: list[AttendeeIn] = Field(
        min_length=1, max_length=50, description="The county's or institution's attendees."
    )
    minutes: str | None = Field(default=None, max_length=20_000, description="The minutes as text.")
    minutes_document_id: str | None = Field(
        default=None,
        max_length=64,
        description="Or: a document uploaded to the escalation (POST .../documents).",
    )
    rectifications: list[CommitmentIn] = Field(
        default_factory=list, max_length=50, description="Rectifications (整改) committed to."
    )


class CircularIn(BaseModel):
    document_id: str | None = Field(
        default=None,
        max_length=64,
        description="The circular as edited and uploaded (POST .../documents); none: the "
        "draft as generated is issued.",
    )
    note: str | None = Field(default=None, max_length=2_000, description="A note.")


class CloseIn(BaseModel):
    closing_note: str = Field(
        min_length=1, max_length=20_000, description="What was done (整改情况)."
    )


class StepOut(BaseModel):
    at: datetime
    kind: Literal[
        "raised",
        "upgraded",
        "acknowledged",
        "talk_held",
        "rectification_due",
        "rectification_closed",
        "circular_issued",
        "resolved",
    ]
    detail: dict[str, Any]


class RectificationOut(BaseModel):
    rectification_id: str
    talk_id: str
    commitment: str
    due_on: date
    closed_by: str | None
    closed_at: datetime | None
    closing_note: str | None
    followed_up_at: datetime | None


class EscalationStoryOut(BaseModel):
    escalation_id: str
    story: list[StepOut] = Field(description="Every step, oldest first.")
    acknowledged: bool
    rectifications: list[RectificationOut]
    circular_issued: bool


# --- the province -------------------------------------------------------------------------


class ProvinceCampaignOut(BaseModel):
    id: str
    name: str
    start: date
    end: date
    status: CampaignStatus


class ProvinceCityOut(BaseModel):
    region: RegionOut
    campaign: ProvinceCampaignOut = Field(
        description="The campaign the city is seen through on the day: the one running, "
        "else the latest begun by then."
    )
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    targets: Pair = Field(description="The sum of the campaign's county targets.")
    expected: Pair
    attainment_ratio: float | None
    status: str
    rank: int = Field(description="1 for the highest attainment ratio (then first loans).")
    open_escalations: int = Field(description="Escalations of the campaign still open.")


class ProvinceTotalsOut(BaseModel):
    cultivated: int
    first_loans: int
    first_loan_rate: float | None
    targets: Pair
    expected: Pair
    attainment_ratio: float | None


class InCityOut(BaseModel):
    region_code: str
    campaign_id: str
    cultivated: int
    first_loans: int


class ProvinceInstitutionOut(BaseModel):
    institution_id: str
    name: str
    cultivated: int = Field(description="Summed over the cities it takes part in.")
    first_loans: int
    cities: list[InCityOut]


class ProvinceOut(BaseModel):
    as_of: date
    cities: list[ProvinceCityOut] = Field(description="By region code.")
    totals: ProvinceTotalsOut = Field(description="Exactly the sum of the cities.")
    ranking: list[str] = Field(
        description="Region codes by attainment ratio, then first-loan households, highest first."
    )
    institutions: list[ProvinceInstitutionOut]


class CityPointOut(BaseModel):
    on: date
    campaign_id: str = Field(description="The campaign the city is seen through that day.")
    expected_first_loans: float
    first_loans: int | None = Field(description="None for days after the day asked for.")
    cultivated: int | None


class CitySeriesOut(BaseModel):
    region: RegionOut
    campaign: ProvinceCampaignOut = Field(description="The city's campaign on `as_of`.")
    target_first_loans: int
    points: list[CityPointOut]


class ProvinceSeriesOut(BaseModel):
    as_of: date
    cities: list[CitySeriesOut]


def pair(figures: Any) -> Pair:
    return Pair(cultivated=figures.cultivated, first_loans=figures.first_loans)


def province_campaign_out(reference: ReferenceData, today: date) -> ProvinceCampaignOut:
    campaign = reference.campaign
    return ProvinceCampaignOut(
        id=campaign.id,
        name=campaign.name,
        start=campaign.start,
        end=campaign.end,
        status=CampaignBook.status(reference, today),
    )
