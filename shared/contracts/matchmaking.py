"""Events of the matchmaking service, on `matchmaking.events`.

Key = the enterprise's USCC; the fair id for `FairScheduled` and for an institution's
`AttendanceRegistered`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
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
    product_id: str | None = Field(default=None, description="The first-loan product proposed.")
    listed: bool | None = Field(
        default=None, description="On the cultivation list on `matched_on`, as far as known."
    )


class CultivationPlanRecorded(EventData):
    """A cultivation plan (一企一策) was recorded or revised."""

    plan_id: str
    version: int = Field(ge=1)
    uscc: Uscc
    institution_id: InstitutionId = Field(description="The responsible institution.")
    problems: list[Problem] = Field(description="Diagnosed problems (缺信息、缺抵押, ...).")
    measures: list[str] = Field(description="Measures agreed (培植措施).")
    responsible_person: str
    follow_up_dates: list[date] = Field(default_factory=list, description="Planned follow-ups.")


class EnterpriseVisited(EventData):
    """An institution visited an enterprise (入户走访)."""

    visit_id: str
    uscc: Uscc
    institution_id: InstitutionId
    visited_on: date
    visitor: str
    notes: str


class Outcome(StrEnum):
    CREDIT_GRANTED = "credit_granted"  # 授信
    CREDIT_DECLINED = "credit_declined"  # 未授信
    LOAN_ISSUED = "loan_issued"  # 发放贷款


class MatchOutcomeRecorded(EventData):
    """A pairing's outcome from the bank's events: credit, decline or loan, with timing."""

    match_id: str
    uscc: Uscc
    institution_id: InstitutionId
    outcome: Outcome
    on: date = Field(description="The bank's date: granted_on, declined_on or issued_on.")
    started_on: date = Field(description="`applied_on` if the bank sent it, else `matched_on`.")
    working_days: int | None = Field(
        default=None,
        description="Working days (statutory calendar) from `started_on` to `on`; "
        "None when the calendar of a year is not published.",
    )
    goal_working_days: int = Field(ge=1, description="The credit process goal (10).")
    within_goal: bool | None = None
    amount_wan: Decimal | None = Field(default=None, description="Credit or loan amount, 万元.")
