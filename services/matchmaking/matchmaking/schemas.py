"""The request and response bodies of matchmaking's HTTP API, and how domain objects are
shown in them."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from matchmaking.domain.fairs import Attendee, Fair, Match
from matchmaking.domain.outcomes import Correlated, InstitutionFigures
from matchmaking.domain.plans import Plan, Product, Visit
from shared.contracts.matchmaking import Channel
from shared.contracts.types import PROBLEM_ZH, CountyCode, Guarantee, InstitutionId, Problem
from shared.validators import Uscc


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FairRequest(_Request):
    county_code: CountyCode
    title: str = Field(min_length=1, max_length=200, examples=["忻府区首贷专场融资对接会"])
    held_on: date
    venue: str | None = Field(default=None, max_length=200)
    organizer: str | None = Field(default=None, max_length=200, examples=["人民银行忻府区支行"])


class FairOut(BaseModel):
    fair_id: str
    county_code: str
    title: str
    held_on: date
    venue: str | None
    organizer: str | None


class AttendanceRequest(_Request):
    """Exactly one of `uscc` (an enterprise) and `institution_id` (a bank)."""

    uscc: Uscc | None = None
    institution_id: InstitutionId | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> AttendanceRequest:
        if (self.uscc is None) == (self.institution_id is None):
            raise ValueError("give exactly one of uscc and institution_id")
        return self


class AttendanceOut(BaseModel):
    fair_id: str
    uscc: str | None = None
    institution_id: str | None = None
    listed: bool | None = Field(
        default=None, description="Enterprise on the cultivation list on the fair's day."
    )
    flagged: bool = Field(default=False, description="An enterprise that is not on the list.")


class MatchRequest(_Request):
    uscc: Uscc
    institution_id: InstitutionId
    matched_on: date | None = Field(
        default=None, description="The pairing's day; the platform's today when left out."
    )
    channel: Channel = Field(
        description="fair 对接会, one_on_one 一对一, online 微信群, service_center 首贷服务中心"
    )
    fair_id: str | None = Field(default=None, min_length=1, max_length=64)
    product_id: str | None = Field(
        default=None, min_length=1, max_length=64, description="The first-loan product proposed."
    )


class OutcomeOut(BaseModel):
    """A bank outcome credited to the pairing (a reversed loan is not one)."""

    outcome: str
    ref: str
    on: date
    started_on: date
    working_days: int | None
    within_goal: bool | None
    amount_wan: Decimal | None


class MatchOut(BaseModel):
    match_id: str
    uscc: str
    institution_id: str
    matched_on: date
    channel: Channel
    fair_id: str | None
    product_id: str | None
    listed: bool | None
    county_code: str | None
    enterprise_name: str | None
    outcomes: list[OutcomeOut] = []


class FairDetail(FairOut):
    enterprises: list[AttendanceOut]
    institutions: list[str]
    matches: list[MatchOut]


class PlanRequest(_Request):
    institution_id: InstitutionId = Field(description="The responsible institution.")
    responsible_person: str = Field(min_length=1, max_length=100)
    problems: list[Problem] = Field(
        min_length=1, description="缺信息、缺抵押、缺担保、财务不规范, ... as codes."
    )
    measures: list[str] = Field(min_length=1, examples=[["规范财务报表", "引入政府性融资担保"]])
    follow_up_dates: list[date] = []


class ProblemOut(BaseModel):
    code: Problem
    name_zh: str

    @classmethod
    def of(cls, problem: Problem) -> ProblemOut:
        return cls(code=problem, name_zh=PROBLEM_ZH[problem])


class VisitRequest(_Request):
    institution_id: InstitutionId
    visited_on: date
    visitor: str = Field(min_length=1, max_length=100)
    notes: str = Field(min_length=1, max_length=4000)


class VisitOut(BaseModel):
    visit_id: str
    institution_id: str
    visited_on: date
    visitor: str
    notes: str


class PlanOut(BaseModel):
    uscc: str
    plan_id: str | None
    version: int
    institution_id: str | None
    responsible_person: str | None
    problems: list[ProblemOut]
    measures: list[str]
    follow_up_dates: list[date]
    visits: list[VisitOut]


class ProductRequest(_Request):
    name: str = Field(min_length=1, max_length=100, examples=["首贷快易贷"])
    min_amount_wan: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    max_amount_wan: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    min_rate_pct: Decimal = Field(gt=0, lt=100, max_digits=6, decimal_places=3)
    max_rate_pct: Decimal = Field(gt=0, lt=100, max_digits=6, decimal_places=3)
    guarantees: list[Guarantee] = Field(min_length=1, description="Guarantee accepted.")
    max_term_months: int = Field(ge=1, le=360)
    description: str = Field(default="", max_length=2000)


class ProductOut(ProductRequest):
    product_id: str
    institution_id: str


class DurationOut(BaseModel):
    count: int
    mean_working_days: float | None
    max_working_days: int | None
    within_goal: int


class FiguresOut(BaseModel):
    institution_id: str
    name: str
    matches: int
    enterprises: int
    by_channel: dict[str, int]
    credit_granted: int
    credit_amount_wan: Decimal
    credit_declined: int
    loans_issued: int
    loan_amount_wan: Decimal
    to_decision: DurationOut = Field(description="Application (or pairing) to credit decision.")
    to_loan: DurationOut = Field(description="Application (or pairing) to loan.")
    goal_working_days: int


# --- domain objects as JSON -----------------------------------------------------------


def fair_out(fair: Fair) -> FairOut:
    return FairOut(**asdict(fair))


def enterprise_attendance_out(attendee: Attendee) -> AttendanceOut:
    return AttendanceOut(
        fair_id=attendee.fair_id,
        uscc=attendee.attendee,
        listed=attendee.listed,
        flagged=not attendee.listed,
    )


def institution_attendance_out(attendee: Attendee) -> AttendanceOut:
    return AttendanceOut(fair_id=attendee.fair_id, institution_id=attendee.attendee)


def match_out(match: Match, outcomes: list[Correlated]) -> MatchOut:
    return MatchOut(
        **asdict(match),
        outcomes=[
            OutcomeOut(
                outcome=c.outcome.outcome.value,
                ref=c.outcome.ref,
                on=c.outcome.on,
                started_on=c.timing.started_on,
                working_days=c.timing.working_days,
                within_goal=c.timing.within_goal,
                amount_wan=c.outcome.amount_wan,
            )
            for c in outcomes
        ],
    )


def visit_out(visit: Visit) -> VisitOut:
    return VisitOut(
        visit_id=visit.visit_id,
        institution_id=visit.institution_id,
        visited_on=visit.visited_on,
        visitor=visit.visitor,
        notes=visit.notes,
    )


def plan_out(uscc: str, plan: Plan | None, visits: list[Visit]) -> PlanOut:
    return PlanOut(
        uscc=uscc,
        plan_id=plan.plan_id if plan else None,
        version=plan.version if plan else 0,
        institution_id=plan.institution_id if plan else None,
        responsible_person=plan.responsible_person if plan else None,
        problems=[ProblemOut.of(p) for p in plan.problems] if plan else [],
        measures=list(plan.measures) if plan else [],
        follow_up_dates=list(plan.follow_up_dates) if plan else [],
        visits=[visit_out(v) for v in visits],
    )


def product_out(product: Product) -> ProductOut:
    fields: dict[str, Any] = asdict(product)
    fields["guarantees"] = list(product.guarantees)
    return ProductOut(**fields)


def figures_out(result: InstitutionFigures, name: str) -> FiguresOut:
    return FiguresOut(name=name, **asdict(result))
