"""Matchmaking's HTTP API (thin): fairs, attendance, pairings, plans, products, figures."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking import handlers, storage
from matchmaking.domain.errors import MatchmakingError, TooManyProductsError
from matchmaking.domain.fairs import Fair, Match, new_fair_id
from matchmaking.domain.outcomes import Correlated, Timing, figures
from matchmaking.domain.plans import Plan, Product
from matchmaking.schemas import (
    AttendanceOut,
    AttendanceRequest,
    FairDetail,
    FairOut,
    FairRequest,
    FiguresOut,
    MatchOut,
    MatchRequest,
    OutcomeOut,
    PlanOut,
    PlanRequest,
    ProblemOut,
    ProductOut,
    ProductRequest,
    VisitOut,
    VisitRequest,
)
from shared.contracts.matchmaking import EnterpriseVisited
from shared.reference import ReferenceData
from shared.service import Runtime
from shared.validators import Uscc

router = APIRouter()


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]


async def reading(runtime: RuntimeDep) -> AsyncIterator[AsyncConnection]:
    async with runtime.engine.connect() as connection:
        yield connection


Reader = Annotated[AsyncConnection, Depends(reading)]


def invalid(field: str, message: str) -> HTTPException:
    """A 422 in the platform's shape: every wrong field named."""
    return HTTPException(422, detail=[{"field": field, "message": message}])


def check_known(reference: ReferenceData, **values: str | None) -> None:
    problems = []
    for field, value in values.items():
        if value is None:
            continue
        known = reference.county_codes if field == "county_code" else reference.institution_ids
        if value not in known:
            problems.append({"field": field, "message": f"unknown {field} {value!r}"})
    if problems:
        raise HTTPException(422, detail=problems)


def domain_error(error: MatchmakingError) -> HTTPException:
    return invalid(error.field, str(error))


# --- fairs ----------------------------------------------------------------------------


@router.post("/fairs", status_code=201, tags=["fairs"], summary="Schedule a fair (对接会)")
async def schedule_fair(body: FairRequest, runtime: RuntimeDep) -> FairOut:
    check_known(runtime.reference(), county_code=body.county_code)
    fair = Fair(new_fair_id(), **body.model_dump())
    async with runtime.transaction() as unit:
        await handlers.schedule_fair(unit, fair)
    return FairOut(**asdict(fair))


@router.get("/fairs", tags=["fairs"], summary="Fairs, by date")
async def list_fairs(connection: Reader, county_code: str | None = None) -> list[FairOut]:
    return [FairOut(**asdict(f)) for f in await storage.list_fairs(connection, county_code)]


@router.get("/fairs/{fair_id}", tags=["fairs"], summary="A fair, its attendance and pairings")
async def fair_detail(fair_id: str, connection: Reader) -> FairDetail:
    fair = await _fair_or_404(connection, fair_id)
    present = await storage.attendance_of(connection, fair_id)
    matches = await storage.find_matches(connection, fair_id=fair_id)
    return FairDetail(
        **asdict(fair),
        enterprises=[
            _attendance_out(fair_id, r.attendee, r.listed)
            for r in present
            if r.kind == "enterprise"
        ],
        institutions=[r.attendee for r in present if r.kind == "institution"],
        matches=[await _match_out(connection, m) for m in matches],
    )


async def _fair_or_404(connection: AsyncConnection, fair_id: str) -> Fair:
    fair = await storage.get_fair(connection, fair_id)
    if fair is None:
        raise HTTPException(404, detail=[{"field": "fair_id", "message": f"no fair {fair_id!r}"}])
    return fair


def _attendance_out(fair_id: str, uscc: str, listed: bool | None) -> AttendanceOut:
    return AttendanceOut(fair_id=fair_id, uscc=uscc, listed=listed, flagged=not listed)


@router.post(
    "/fairs/{fair_id}/attendance",
    status_code=201,
    tags=["fairs"],
    summary="Register an enterprise or an institution at a fair (idempotent)",
    responses={200: {"description": "Already registered; nothing changed."}},
)
async def register_attendance(
    fair_id: str, body: AttendanceRequest, runtime: RuntimeDep, response: Response
) -> AttendanceOut:
    check_known(runtime.reference(), institution_id=body.institution_id)
    async with runtime.transaction() as unit:
        fair = await _fair_or_404(unit.store, fair_id)
        if body.uscc is not None:
            done = await handlers.register_enterprise(unit, fair, body.uscc)
        else:
            assert body.institution_id is not None
            done = await handlers.register_institution(unit, fair, body.institution_id)
    if not done.registered:
        response.status_code = status.HTTP_200_OK
    if done.kind == "institution":
        return AttendanceOut(fair_id=fair_id, institution_id=done.attendee)
    return _attendance_out(fair_id, done.attendee, done.listed)


# --- pairings -------------------------------------------------------------------------


@router.post(
    "/matches",
    status_code=201,
    tags=["matches"],
    summary="Record a pairing (银企对接); assigns the enterprise to the institution",
    responses={200: {"description": "The same pairing was already recorded."}},
)
async def record_match(body: MatchRequest, runtime: RuntimeDep, response: Response) -> MatchOut:
    reference = runtime.reference()
    check_known(reference, institution_id=body.institution_id)
    goal = reference.campaign.credit_process_goal_workdays
    try:
        async with runtime.transaction() as unit:
            match, created = await handlers.record_match(
                unit, handlers.MatchRequest(**body.model_dump()), goal
            )
            out = await _match_out(unit.store, match)
    except MatchmakingError as error:
        raise domain_error(error) from error
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.get("/matches", tags=["matches"], summary="Pairings with their outcomes")
async def list_matches(
    connection: Reader, institution_id: str | None = None, uscc: str | None = None
) -> list[MatchOut]:
    found = await storage.find_matches(connection, institution_id=institution_id, uscc=uscc)
    return [await _match_out(connection, m) for m in found]


@router.get("/matches/{match_id}", tags=["matches"], summary="A pairing and its outcomes")
async def match_detail(match_id: str, connection: Reader) -> MatchOut:
    found = await storage.find_matches(connection, match_id=match_id)
    if not found:
        raise HTTPException(404, detail=[{"field": "match_id", "message": "no such pairing"}])
    return await _match_out(connection, found[0])


async def _match_out(connection: AsyncConnection, match: Match) -> MatchOut:
    rows = await storage.attributed(connection, match_id=match.match_id)
    outcomes = [
        OutcomeOut(
            outcome=r.outcome,
            ref=r.ref,
            on=r.on,
            started_on=r.started_on,
            working_days=r.working_days,
            within_goal=r.within_goal,
            amount_wan=r.amount_wan,
        )
        for r in rows
    ]
    return MatchOut(**asdict(match), outcomes=outcomes)


# --- cultivation plans (一企一策) and visits (入户走访) ---------------------------------


@router.put(
    "/enterprises/{uscc}/plan",
    tags=["plans"],
    summary="Record or revise the enterprise's cultivation plan (一企一策)",
)
async def record_plan(uscc: Uscc, body: PlanRequest, runtime: RuntimeDep) -> PlanOut:
    check_known(runtime.reference(), institution_id=body.institution_id)
    proposed = Plan(
        uscc=uscc,
        institution_id=body.institution_id,
        responsible_person=body.responsible_person,
        problems=tuple(body.problems),
        measures=tuple(body.measures),
        follow_up_dates=tuple(body.follow_up_dates),
    )
    async with runtime.transaction() as unit:
        await handlers.record_plan(unit, proposed)
        return await _plan_out(unit.store, uscc)


@router.get("/enterprises/{uscc}/plan", tags=["plans"], summary="Plan and visits")
async def plan_detail(uscc: Uscc, connection: Reader) -> PlanOut:
    return await _plan_out(connection, uscc)


@router.post(
    "/enterprises/{uscc}/visits", status_code=201, tags=["plans"], summary="Record a visit"
)
async def record_visit(uscc: Uscc, body: VisitRequest, runtime: RuntimeDep) -> VisitOut:
    check_known(runtime.reference(), institution_id=body.institution_id)
    visit = EnterpriseVisited(visit_id=handlers.new_visit_id(), uscc=uscc, **body.model_dump())
    async with runtime.transaction() as unit:
        await handlers.record_visit(unit, visit)
    return VisitOut(**visit.model_dump(exclude={"uscc"}))


async def _plan_out(connection: AsyncConnection, uscc: str) -> PlanOut:
    plan = await storage.get_plan(connection, uscc)
    visits = [
        VisitOut(
            visit_id=v.visit_id,
            institution_id=v.institution_id,
            visited_on=v.visited_on,
            visitor=v.visitor,
            notes=v.notes,
        )
        for v in await storage.visits_of(connection, uscc)
    ]
    if plan is None and not visits:
        raise HTTPException(404, detail=[{"field": "uscc", "message": "no plan or visit"}])
    return PlanOut(
        uscc=uscc,
        plan_id=plan.plan_id if plan else None,
        version=plan.version if plan else 0,
        institution_id=plan.institution_id if plan else None,
        responsible_person=plan.responsible_person if plan else None,
        problems=[ProblemOut.of(p) for p in plan.problems] if plan else [],
        measures=list(plan.measures) if plan else [],
        follow_up_dates=list(plan.follow_up_dates) if plan else [],
        visits=visits,
    )


# --- first-loan products (首贷拳头产品) -------------------------------------------------


@router.post(
    "/institutions/{institution_id}/products",
    status_code=201,
    tags=["products"],
    summary="Register one of the institution's 1-2 flagship first-loan products",
)
async def register_product(
    institution_id: str, body: ProductRequest, runtime: RuntimeDep
) -> ProductOut:
    check_known(runtime.reference(), institution_id=institution_id)
    product = Product(
        product_id=f"{institution_id}-{uuid.uuid4().hex[:8]}",
        institution_id=institution_id,
        name=body.name,
        min_amount_wan=body.min_amount_wan,
        max_amount_wan=body.max_amount_wan,
        min_rate_pct=body.min_rate_pct,
        max_rate_pct=body.max_rate_pct,
        guarantees=tuple(body.guarantees),
        max_term_months=body.max_term_months,
        description=body.description,
    )
    try:
        async with runtime.transaction() as unit:
            await handlers.register_product(unit, product)
    except MatchmakingError as error:
        code = 409 if isinstance(error, TooManyProductsError) else 422
        raise HTTPException(code, [{"field": error.field, "message": str(error)}]) from error
    return _product_out(product)


@router.get("/institutions/{institution_id}/products", tags=["products"])
async def institution_products(institution_id: str, connection: Reader) -> list[ProductOut]:
    return [_product_out(p) for p in await storage.list_products(connection, institution_id)]


@router.get("/products", tags=["products"], summary="Every institution's first-loan products")
async def all_products(connection: Reader) -> list[ProductOut]:
    return [_product_out(p) for p in await storage.list_products(connection)]


def _product_out(product: Product) -> ProductOut:
    fields: dict[str, Any] = asdict(product)
    fields["guarantees"] = list(product.guarantees)
    return ProductOut(**fields)


# --- per-institution figures ----------------------------------------------------------


@router.get("/figures", tags=["figures"], summary="Pairings and outcomes of every institution")
async def all_figures(runtime: RuntimeDep, connection: Reader) -> list[FiguresOut]:
    reference = runtime.reference()
    return [await _figures(connection, reference, i.id) for i in reference.institutions]


@router.get(
    "/institutions/{institution_id}/figures",
    tags=["figures"],
    summary="An institution's pairings, outcomes and processing time in working days",
)
async def institution_figures(
    institution_id: str, runtime: RuntimeDep, connection: Reader
) -> FiguresOut:
    reference = runtime.reference()
    check_known(reference, institution_id=institution_id)
    return await _figures(connection, reference, institution_id)


async def _figures(
    connection: AsyncConnection, reference: ReferenceData, institution_id: str
) -> FiguresOut:
    matches = await storage.find_matches(connection, institution_id=institution_id)
    by_id = {m.match_id: m for m in matches}
    correlated = [
        Correlated(
            by_id[r.match_id],
            storage.bank_outcome_of(r),
            Timing(r.started_on, r.working_days, r.within_goal),
        )
        for r in await storage.attributed(connection, institution_id=institution_id)
    ]
    goal = reference.campaign.credit_process_goal_workdays
    result = figures(institution_id, matches, correlated, goal)
    fields = asdict(result)
    return FiguresOut(name=reference.institution(institution_id).name, **fields)
