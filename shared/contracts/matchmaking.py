"""Events of the matchmaking service, on `matchmaking.events`, key = USCC (fair id for fairs)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from shared.contracts import EventData
from shared.contracts.types import CountyCode, InstitutionId, Problem
from shared.validators import Uscc


class Channel(StrEnum):
    FAIR = "fair"  # 首贷对接会
    ONE_ON_ONE = "one_on_one"  # 一对一对接
    ONLINE = "online"  # 微信群等线上对接
    SERVICE_CENTER = "service_center"  # 首贷服务中心


class FairScheduled(EventData):
    """A first-loan matchmaking fair (首贷对接会) was scheduled."""

    fair_id: str
    county_code: CountyCode
    title: str
    held_on: date
    venue: str | None = None
    organizer: str | None = None


class AttendanceRegistered(EventData):
    """An enterprise or an institution attended a fair."""

    fair_id: str
    county_code: CountyCode
    held_on: date
    uscc: Uscc | None = None
    institution_id: InstitutionId | None = None
    listed: bool | None = Field(
        default=None, description="For an enterprise: on the cultivation list that day."
    )


class EnterpriseMatched(EventData):
    """A bank and an enterprise were paired (银企对接); the enterprise is assigned to it."""

    match_id: str
    uscc: Uscc
    institution_id: InstitutionId
    county_code: CountyCode | None = Field(default=None, description="From the roster, if known.")
    enterprise_name: str | None = None
    matched_on: date
    channel: Channel
    fair_id: str | None = None
    product_id: str | None = None


class CultivationPlanRecorded(EventData):
    """A cultivation plan (一企一策) was recorded or revised."""

    plan_id: str
    version: int = Field(ge=1)
    uscc: Uscc
    institution_id: InstitutionId
    problems: list[Problem]
    measures: list[str]
    responsible_person: str
    follow_up_on: date | None = None


class MatchOutcomeRecorded(EventData):
    """A pairing's outcome from the bank's events: credit, decline or loan, with timing."""

    match_id: str
    uscc: Uscc
    institution_id: InstitutionId
    outcome: str = Field(examples=["credit_granted", "credit_declined", "loan_issued"])
    on: date
    working_days: int | None = Field(
        default=None, description="From application (or the match) to this outcome."
    )
    within_goal: bool | None = None
