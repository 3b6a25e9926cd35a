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
    """How a bank and an enterprise were paired."""

    FAIR = "fair"  # 首贷对接会
    ONE_ON_ONE = "one_on_one"  # 一对一对接
    ONLINE = "online"  # 微信群等线上对接
    SERVICE_CENTER = "service_center"  # 首贷服务中心


class FairScheduled(EventData):
    """A first-loan matchmaking fair (首贷对接会) was scheduled."""

    fair_id: str = Field(description="The fair's id, given by matchmaking.")
    county_code: CountyCode
    title: str = Field(description="The fair's title.")
    held_on: date = Field(description="The day the fair is held.")
    venue: str | None = Field(default=None, description="Where it is held, if given.")
    organizer: str | None = Field(
        default=None, description="Who organizes it (usually a county sub-branch), if given."
    )


class AttendanceRegistered(EventData):
    """An enterprise or an institution attended a fair."""

    fair_id: str = Field(description="The fair attended.")
    county_code: CountyCode = Field(description="The fair's county.")
    held_on: date = Field(description="The fair's day.")
    uscc: Uscc | None = Field(
        default=None, description="The enterprise that attended (absent for an institution)."
    )
    institution_id: InstitutionId | None = Field(
        default=None, description="The institution that attended (absent for an enterprise)."
    )
    listed: bool | None = Field(
        default=None, description="For an enterprise: on the cultivation list that day."
    )


class EnterpriseMatched(EventData):
    """A bank and an enterprise were paired (银企对接); the enterprise is assigned to it."""

    match_id: str = Field(description="The pairing's id (the same for a retried request).")
    uscc: Uscc = Field(description="The enterprise paired.")
    institution_id: InstitutionId = Field(
        description="The bank paired; the enterprise is assigned to it."
    )
    county_code: CountyCode | None = Field(default=None, description="From the roster, if known.")
    enterprise_name: str | None = Field(
        default=None, description="The enterprise's name from the roster, if known."
    )
    matched_on: date = Field(description="The day of the pairing.")
    channel: Channel = Field(description="How the pairing was made.")
    fair_id: str | None = Field(default=None, description="The fair, for a pairing at a fair.")
    product_id: str | None = Field(default=None, description="The first-loan product proposed.")
    listed: bool | None = Field(
        default=None, description="On the cultivation list on `matched_on`, as far as known."
    )


class CultivationPlanRecorded(EventData):
    """A cultivation plan (一企一策) was recorded or revised."""

    plan_id: str = Field(description="The enterprise's plan id (the same across versions).")
    version: int = Field(ge=1, description="1 for the first plan, one more per revision.")
    uscc: Uscc = Field(description="The enterprise cultivated.")
    institution_id: InstitutionId = Field(description="The responsible institution.")
    problems: list[Problem] = Field(description="Diagnosed problems (缺信息、缺抵押, ...).")
    measures: list[str] = Field(description="Measures agreed (培植措施).")
    responsible_person: str = Field(description="The institution's person in charge.")
    follow_up_dates: list[date] = Field(default_factory=list, description="Planned follow-ups.")


class EnterpriseVisited(EventData):
    """An institution visited an enterprise (入户走访)."""

    visit_id: str = Field(description="The visit's id, given by matchmaking.")
    uscc: Uscc = Field(description="The enterprise visited.")
    institution_id: InstitutionId = Field(description="The visiting institution.")
    visited_on: date = Field(description="The day of the visit.")
    visitor: str = Field(description="Who visited.")
    notes: str = Field(description="What was found and agreed (走访记录).")


class Outcome(StrEnum):
    """What a bank decided after a pairing."""

    CREDIT_GRANTED = "credit_granted"  # 授信
    CREDIT_DECLINED = "credit_declined"  # 未授信
    LOAN_ISSUED = "loan_issued"  # 发放贷款


class MatchOutcomeRecorded(EventData):
    """A pairing's outcome from the bank's events: credit, decline or loan, with timing."""

    match_id: str = Field(description="The pairing credited with the outcome.")
    uscc: Uscc = Field(description="The enterprise.")
    institution_id: InstitutionId = Field(description="The bank whose outcome it is.")
    outcome: Outcome = Field(description="Credit granted, credit declined, or loan issued.")
    on: date = Field(description="The bank's date: granted_on, declined_on or issued_on.")
    started_on: date = Field(description="`applied_on` if the bank sent it, else `matched_on`.")
    working_days: int | None = Field(
        default=None,
        description="Working days (statutory calendar) from `started_on` to `on`; "
        "None when the calendar of a year is not published.",
    )
    goal_working_days: int = Field(ge=1, description="The credit process goal (10).")
    within_goal: bool | None = Field(
        default=None,
        description="`working_days` within `goal_working_days`; None when not computable.",
    )
    amount_wan: Decimal | None = Field(default=None, description="Credit or loan amount, 万元.")
    outcome_ref: str | None = Field(
        default=None,
        description="The outcome's own reference (the credit's or loan's id; for a decline, "
        "its event id). A later MatchOutcomeRecorded with the same institution, outcome and "
        "reference moves it to another pairing: a pairing dated later, still on or before "
        "the outcome, became known.",
    )


class MatchOutcomeReversed(EventData):
    """A loan already announced as a pairing's outcome (`MatchOutcomeRecorded`) was reversed
    by its bank (冲正): it no longer counts as that pairing's outcome, nor in the figures.
    Announced once per loan. A loan reversed before it was credited to a pairing is never
    announced at all."""

    match_id: str = Field(description="The pairing the loan had been credited to.")
    uscc: Uscc = Field(description="The enterprise's unified social credit code.")
    institution_id: InstitutionId = Field(description="The bank that issued and reversed it.")
    loan_id: str = Field(description="The bank's id of the withdrawn loan (`LoanIssued`).")
    issued_on: date = Field(description="The withdrawn loan's `issued_on`.")
    amount_wan: Decimal | None = Field(
        default=None, description="The withdrawn loan's amount, 万元."
    )
    reversed_on: date = Field(
        description="The bank's `reversed_on` (the earliest, if it sent several)."
    )
    reason: str = Field(description="The bank's reason for the reversal.")
