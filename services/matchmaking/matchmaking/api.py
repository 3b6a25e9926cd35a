"""Matchmaking's HTTP API (thin): fairs, attendance, pairings, plans, products, figures.

Fairs, attendance, pairings and outcomes are facts of no campaign: a county or an institution
is checked against every campaign's (the book), and listings of facts show them all unless
`?campaign=` narrows them to a campaign's counties and window."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from matchmaking import views
from matchmaking.commands import (
    RecordMatch,
    RecordPlan,
    RecordVisit,
    RegisterEnterprise,
    RegisterInstitution,
    RegisterProduct,
    ScheduleFair,
)
from matchmaking.domain.campaigns import is_known_county, is_known_institution
from matchmaking.domain.errors import MatchmakingError, TooManyProductsError, UnknownFairError
from matchmaking.handlers import Handlers
from matchmaking.schemas import (
    AttendanceOut,
    AttendanceRequest,
    FairDetail,
    FairOut,
    FairRequest,
    FiguresOut,
    MatchOut,
    MatchRequest,
    PlanOut,
    PlanRequest,
    ProductOut,
    ProductRequest,
    VisitOut,
    VisitRequest,
    enterprise_attendance_out,
    fair_out,
    institution_attendance_out,
    product_out,
    visit_out,
)
from matchmaking.storage import Store
from shared.access import AccessDep
from shared.campaigns import CampaignBook
from shared.dependencies import (
    BookDep,
    CampaignParam,
    RuntimeDep,
    handlers_of,
    reading,
    resolve_campaign,
)
from shared.reference import ReferenceData
from shared.validators import Uscc

router = APIRouter()


HandlersDep = Annotated[Handlers, Depends(handlers_of)]
StoreDep = Annotated[Store, Depends(reading)]


def check_known(book: CampaignBook, **values: str | None) -> None:
    """A 422 in the platform's shape naming every county or institution that no campaign
    has."""
    problems = []
    for field, value in values.items():
        if value is None:
            continue
        known = is_known_county if field == "county_code" else is_known_institution
        if not known(book, value):
            problems.append({"field": field, "message": f"unknown {field} {value!r}"})
    if problems:
        raise HTTPException(422, detail=problems)


def refused(error: MatchmakingError) -> HTTPException:
    if isinstance(error, UnknownFairError):
        code = 404
    elif isinstance(error, TooManyProductsError):
        code = 409
    else:
        code = 422
    return HTTPException(code, detail=[{"field": error.field, "message": str(error)}])


def not_found(field: str, message: str) -> HTTPException:
    return HTTPException(404, detail=[{"field": field, "message": message}])


def lens(request: Request, campaign: str | None) -> ReferenceData | None:
    """The campaign that narrows a listing of facts, if one is asked for."""
    return resolve_campaign(request, campaign) if campaign else None


# --- fairs ----------------------------------------------------------------------------


@router.post("/fairs", status_code=201, tags=["fairs"], summary="Schedule a fair (对接会)")
async def schedule_fair(
    body: FairRequest, runtime: RuntimeDep, handlers: HandlersDep, access: AccessDep
) -> FairOut:
    access.require_county(body.county_code)
    check_known(runtime.campaigns(), county_code=body.county_code)
    async with runtime.transaction() as uow:
        fair = await handlers.schedule_fair(uow, ScheduleFair(**body.model_dump()))
    return fair_out(fair)


@router.get("/fairs", tags=["fairs"], summary="Fairs, by date")
async def list_fairs(
    store: StoreDep,
    request: Request,
    county_code: str | None = None,
    campaign: CampaignParam = None,
) -> list[FairOut]:
    """Every fair (of the county), or a campaign's: held in its counties within its window
    (`campaign`; a county's fairs of the campaign are what `fairs_per_county` counts)."""
    return await views.fairs(store, county_code, lens(request, campaign))


@router.get("/fairs/{fair_id}", tags=["fairs"], summary="A fair, its attendance and pairings")
async def fair_detail(
    fair_id: str, store: StoreDep, runtime: RuntimeDep, access: AccessDep
) -> FairDetail:
    detail = await views.fair_detail(store, fair_id, views.goals_of(runtime.campaigns()))
    if detail is None:
        raise not_found("fair_id", f"no fair {fair_id!r}")
    access.require_county(detail.county_code)
    return detail


@router.post(
    "/fairs/{fair_id}/attendance",
    status_code=201,
    tags=["fairs"],
    summary="Register an enterprise or an institution at a fair (idempotent)",
    responses={200: {"description": "Already registered; nothing changed."}},
)
async def register_attendance(
    fair_id: str,
    body: AttendanceRequest,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    response: Response,
    store: StoreDep,
    access: AccessDep,
) -> AttendanceOut:
    fair = await views.fair(store, fair_id)
    if fair is None:
        raise not_found("fair_id", f"no fair {fair_id!r}")
    access.require_county(fair.county_code)
    check_known(runtime.campaigns(), institution_id=body.institution_id)
    command = (
        RegisterEnterprise(fair_id, body.uscc)
        if body.uscc is not None
        else RegisterInstitution(fair_id, body.institution_id or "")
    )
    try:
        async with runtime.transaction() as uow:
            done = await handlers.register_attendance(uow, command)
    except MatchmakingError as error:
        raise refused(error) from error
    if not done.fresh:
        response.status_code = status.HTTP_200_OK
    if isinstance(command, RegisterInstitution):
        return institution_attendance_out(done.attendee)
    return enterprise_attendance_out(done.attendee)


# --- pairings -------------------------------------------------------------------------


@router.post(
    "/matches",
    status_code=201,
    tags=["matches"],
    summary="Record a pairing (银企对接); assigns the enterprise to the institution",
    responses={200: {"description": "The same pairing was already recorded."}},
)
async def record_match(
    body: MatchRequest,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    response: Response,
    access: AccessDep,
) -> MatchOut:
    access.require_institution(body.institution_id)
    book = runtime.campaigns()
    check_known(book, institution_id=body.institution_id)
    try:
        async with runtime.transaction() as uow:
            match, created = await handlers.record_match(uow, RecordMatch(**body.model_dump()))
            out = await views.pairing(uow.store, match, views.goals_of(book)(match))
    except MatchmakingError as error:
        raise refused(error) from error
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.get("/matches", tags=["matches"], summary="Pairings with their outcomes")
async def list_matches(
    store: StoreDep,
    book: BookDep,
    request: Request,
    institution_id: str | None = None,
    uscc: str | None = None,
    campaign: CampaignParam = None,
) -> list[MatchOut]:
    """Every pairing (of the institution, of the enterprise), or a campaign's: of
    enterprises of its counties within its window (`campaign`)."""
    return await views.matches(
        store,
        views.goals_of(book),
        institution_id=institution_id,
        uscc=uscc,
        campaign=lens(request, campaign),
    )


@router.get("/matches/{match_id}", tags=["matches"], summary="A pairing and its outcomes")
async def match_detail(
    match_id: str, store: StoreDep, book: BookDep, access: AccessDep
) -> MatchOut:
    found = await views.match(store, match_id, views.goals_of(book))
    if found is None:
        raise not_found("match_id", "no such pairing")
    access.require_institution(found.institution_id)
    return found


# --- cultivation plans (一企一策) and visits (入户走访) ---------------------------------


@router.put(
    "/enterprises/{uscc}/plan",
    tags=["plans"],
    summary="Record or revise the enterprise's cultivation plan (一企一策)",
)
async def record_plan(
    uscc: Uscc,
    body: PlanRequest,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    store: StoreDep,
    access: AccessDep,
) -> PlanOut:
    access.require_institution(body.institution_id)
    current = await views.plan(store, uscc)
    if current is not None and current.institution_id is not None:
        # a bank revises only a plan it is responsible for; handing a plan over to
        # another bank is a supervisor's call
        access.require_institution(current.institution_id)
    check_known(runtime.campaigns(), institution_id=body.institution_id)
    command = RecordPlan(
        uscc=uscc,
        institution_id=body.institution_id,
        responsible_person=body.responsible_person,
        problems=tuple(body.problems),
        measures=tuple(body.measures),
        follow_up_dates=tuple(body.follow_up_dates),
    )
    async with runtime.transaction() as uow:
        await handlers.record_plan(uow, command)
        shown = await views.plan(uow.store, uscc)
    assert shown is not None  # the plan was just recorded
    return shown


@router.get("/enterprises/{uscc}/plan", tags=["plans"], summary="Plan and visits")
async def plan_detail(uscc: Uscc, store: StoreDep, access: AccessDep) -> PlanOut:
    shown = await views.plan(store, uscc)
    if shown is None:
        raise not_found("uscc", "no plan or visit")
    access.require_institution(shown.institution_id)
    return shown


@router.post(
    "/enterprises/{uscc}/visits", status_code=201, tags=["plans"], summary="Record a visit"
)
async def record_visit(
    uscc: Uscc, body: VisitRequest, runtime: RuntimeDep, handlers: HandlersDep, access: AccessDep
) -> VisitOut:
    access.require_institution(body.institution_id)
    check_known(runtime.campaigns(), institution_id=body.institution_id)
    async with runtime.transaction() as uow:
        visit = await handlers.record_visit(uow, RecordVisit(uscc=uscc, **body.model_dump()))
    return visit_out(visit)


# --- first-loan products (首贷拳头产品) -------------------------------------------------


@router.post(
    "/institutions/{institution_id}/products",
    status_code=201,
    tags=["products"],
    summary="Register one of the institution's 1-2 flagship first-loan products",
)
async def register_product(
    institution_id: str, body: ProductRequest, runtime: RuntimeDep, handlers: HandlersDep
) -> ProductOut:
    check_known(runtime.campaigns(), institution_id=institution_id)
    fields = body.model_dump()
    fields["guarantees"] = tuple(body.guarantees)
    try:
        async with runtime.transaction() as uow:
            product = await handlers.register_product(
                uow, RegisterProduct(institution_id=institution_id, **fields)
            )
    except MatchmakingError as error:
        raise refused(error) from error
    return product_out(product)


@router.get("/institutions/{institution_id}/products", tags=["products"])
async def institution_products(institution_id: str, store: StoreDep) -> list[ProductOut]:
    return await views.products(store, institution_id)


@router.get("/products", tags=["products"], summary="Every institution's first-loan products")
async def all_products(store: StoreDep) -> list[ProductOut]:
    return await views.products(store)


# --- per-institution figures ----------------------------------------------------------


@router.get("/figures", tags=["figures"], summary="Pairings and outcomes of every institution")
async def all_figures(
    book: BookDep, store: StoreDep, request: Request, campaign: CampaignParam = None
) -> list[FiguresOut]:
    """Every institution of any campaign with all its pairings, or a campaign's institutions
    with their pairings in it (`campaign`)."""
    chosen = lens(request, campaign)
    institutions = chosen.institutions if chosen else book.institutions
    return [await views.institution_figures(store, book, i.id, chosen) for i in institutions]


@router.get(
    "/institutions/{institution_id}/figures",
    tags=["figures"],
    summary="An institution's pairings, outcomes and processing time in working days "
    "(a reversed loan is not counted)",
)
async def institution_figures(
    institution_id: str,
    book: BookDep,
    store: StoreDep,
    request: Request,
    campaign: CampaignParam = None,
) -> FiguresOut:
    """All the institution's pairings, or those in a campaign (`campaign`: of enterprises
    of its counties within its window)."""
    check_known(book, institution_id=institution_id)
    chosen = lens(request, campaign)
    if chosen is not None and institution_id not in chosen.institution_ids:
        message = f"{institution_id!r} takes no part in {chosen.campaign.id}"
        raise HTTPException(422, detail=[{"field": "institution_id", "message": message}])
    return await views.institution_figures(store, book, institution_id, chosen)
