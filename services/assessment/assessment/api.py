"""Assessment's HTTP API: attainment for any day, checkpoints, escalations, anomalies, and
what supervisors are told about each institution's service and data quality."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from assessment import views
from assessment.commands import EndSubscription, Mute, RunCheckpoint, Subscribe
from assessment.documents import DOCX, XLSX, circular_docx, ranking_xlsx
from assessment.domain.notices import DeliveryStatus
from assessment.handlers import Handlers
from assessment.schemas import (
    AttainmentOut,
    CheckpointIn,
    CheckpointRunOut,
    Citywide,
    DeliveryOut,
    InstitutionDataQualityOut,
    SilenceIn,
    SilenceOut,
    SubscriptionIn,
    SubscriptionOut,
    escalation_found_out,
    silence_out,
    subscription_out,
    unit_out,
)
from assessment.storage import SqlStore, Store
from shared.access import Access, AccessDep
from shared.reference import ReferenceData
from shared.service import Runtime

router = APIRouter()


def runtime(request: Request) -> Runtime:
    found: Runtime = request.app.state.runtime
    return found


def handlers(request: Request) -> Handlers:
    found: Handlers = request.app.state.handlers
    return found


def today(request: Request) -> date:
    """The platform's today (its clock, `app.state.now`)."""
    return request.app.state.now().date()  # type: ignore[no-any-return]


def reference(request: Request) -> ReferenceData:
    return runtime(request).reference()


async def read_store(request: Request) -> AsyncIterator[Store]:
    """The store over a connection of its own, for reads."""
    async with runtime(request).engine.connect() as connection:
        yield SqlStore(connection)


RuntimeDep = Annotated[Runtime, Depends(runtime)]
HandlersDep = Annotated[Handlers, Depends(handlers)]
TodayDep = Annotated[date, Depends(today)]
ReferenceDep = Annotated[ReferenceData, Depends(reference)]
StoreDep = Annotated[Store, Depends(read_store)]


@router.get(
    "/attainment",
    response_model=AttainmentOut,
    tags=["attainment"],
    summary="Attainment per county or institution on a day",
)
async def get_attainment(
    store: StoreDep,
    known: ReferenceDep,
    live_day: TodayDep,
    level: Annotated[Literal["county", "institution"], Query()] = "county",
    as_of: Annotated[date | None, Query(description="Defaults to today.")] = None,
) -> AttainmentOut:
    day = as_of or live_day
    result = await views.attainment_on(store, known, day, live_day)
    campaign = known.campaign
    return AttainmentOut(
        as_of=day,
        citywide=Citywide(
            cultivated=result.cultivated,
            first_loans=result.first_loans,
            first_loan_rate=result.first_loan_rate,
            first_loan_rate_floor=campaign.first_loan_rate_floor,
            first_loan_rate_goal=campaign.first_loan_rate_goal,
        ),
        units=[
            unit_out(u) for u in (result.counties if level == "county" else result.institutions)
        ],
    )


@router.post(
    "/assessments",
    tags=["escalations"],
    summary="Run an assessment checkpoint now; returns the escalations raised",
)
async def post_assessment(
    body: CheckpointIn, rt: RuntimeDep, handle: HandlersDep
) -> CheckpointRunOut:
    async with rt.transaction() as uow:
        raised = await handle.run_checkpoint(uow, RunCheckpoint(body.as_of))
    return CheckpointRunOut(as_of=body.as_of, escalations=[escalation_found_out(f) for f in raised])


@router.get("/escalations", tags=["escalations"], summary="Escalations, open or all")
async def get_escalations(
    store: StoreDep, status: Literal["open", "all"] = "open"
) -> list[dict[str, Any]]:
    return await store.escalations.listed(only_open=status == "open")


@router.get(
    "/anomalies",
    tags=["attainment"],
    summary="First-loan claims contradicted by an earlier loan, with the evidence",
)
async def get_anomalies(store: StoreDep) -> list[dict[str, Any]]:
    return await views.anomalies(store)


async def ranking_of(store: Store, as_of: date) -> dict[str, Any]:
    ranking = await store.escalations.checkpoint_ranking(as_of)
    if ranking is None:
        raise HTTPException(
            404, detail=[{"field": "as_of", "message": f"no checkpoint was run on {as_of}"}]
        )
    return ranking


@router.get(
    "/checkpoints/{as_of}/ranking",
    tags=["escalations"],
    summary="The checkpoint's ranking of counties and institutions (JSON, or xlsx when the "
    "Accept header asks for it)",
)
async def get_ranking(as_of: date, store: StoreDep, request: Request) -> Any:
    ranking = await ranking_of(store, as_of)
    if XLSX in request.headers.get("accept", ""):
        disposition = f'attachment; filename="ranking-{as_of}.xlsx"'
        return Response(
            ranking_xlsx(ranking), media_type=XLSX, headers={"content-disposition": disposition}
        )
    return ranking


@router.get(
    "/checkpoints/{as_of}/circular.docx",
    tags=["escalations"],
    summary="A draft circular (通报) naming each unit escalated at the checkpoint, dated today",
)
async def get_circular(
    as_of: date, store: StoreDep, known: ReferenceDep, day: TodayDep
) -> Response:
    await ranking_of(store, as_of)
    entries = await views.circular_entries(store, known, as_of)
    campaign = known.campaign
    body = circular_docx(as_of, day, campaign.authority, campaign.name, entries)
    disposition = f'attachment; filename="circular-{as_of}.docx"'
    return Response(body, media_type=DOCX, headers={"content-disposition": disposition})


@router.get(
    "/institutions/service",
    tags=["attainment"],
    summary="Per institution: first loans within the credit process goal, rate, guarantee mix",
)
async def get_service_figures(store: StoreDep, known: ReferenceDep) -> list[dict[str, Any]]:
    return await views.institution_service(store, known)


@router.get(
    "/institutions/data-quality",
    tags=["attainment"],
    summary="Per institution: conflicting duplicates and loans reported in several versions",
)
async def get_data_quality(store: StoreDep, known: ReferenceDep) -> list[InstitutionDataQualityOut]:
    return await views.data_quality(store, known)


# --- notices of escalations ---------------------------------------------------------------


def acting_county(access: Access, known: ReferenceData, unit_id: str | None) -> str | None:
    """The county sub-branch a subscription or silence naming `unit_id` is for (None: a
    supervisor's); 403 unless a county names its own county, 422 for an unknown unit."""
    access.require(county=unit_id)
    if unit_id is not None and unit_id not in known.county_codes | known.institution_ids:
        message = f"no county or institution {unit_id!r}"
        raise HTTPException(422, detail=[{"field": "unit_id", "message": message}])
    return None if access.unbound else unit_id


@router.post(
    "/subscriptions",
    status_code=201,
    tags=["notices"],
    summary="Subscribe to escalations by unit, level, reason and minimum severity, delivered "
    "to a webhook or by e-mail",
)
async def post_subscription(
    body: SubscriptionIn,
    rt: RuntimeDep,
    handle: HandlersDep,
    known: ReferenceDep,
    access: AccessDep,
) -> SubscriptionOut:
    county = acting_county(access, known, body.unit_id)
    command = Subscribe(
        subscriber=access.caller.actor,
        county=county,
        channel=body.channel,
        target=body.target,
        min_severity=body.min_severity,
        unit_id=body.unit_id,
        level=body.level,
        reason=body.reason,
        webhook_format=body.webhook_format,
    )
    async with rt.transaction() as uow:
        subscription = await handle.subscribe(uow, command)
    return subscription_out(subscription)


CountyQuery = Annotated[
    str | None,
    Query(
        description="A county sub-branch's own county (required of it); supervisors may "
        "filter by it."
    ),
]


@router.get("/subscriptions", tags=["notices"], summary="Subscriptions, ended ones too")
async def get_subscriptions(
    store: StoreDep, county_code: CountyQuery = None
) -> list[SubscriptionOut]:
    return [SubscriptionOut(**row) for row in await store.subscriptions.listed(county_code)]


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=204,
    tags=["notices"],
    summary="End a subscription; its notices still pending are not sent",
)
async def delete_subscription(
    subscription_id: str,
    rt: RuntimeDep,
    handle: HandlersDep,
    access: AccessDep,
    county_code: CountyQuery = None,
) -> Response:
    command = EndSubscription(subscription_id, county_code, access.caller.actor)
    async with rt.transaction() as uow:
        ended = await handle.end_subscription(uow, command)
    if not ended:
        message = f"no active subscription {subscription_id!r}"
        raise HTTPException(404, detail=[{"field": "subscription_id", "message": message}])
    return Response(status_code=204)


@router.post(
    "/silences",
    status_code=201,
    tags=["notices"],
    summary="Mute a unit or a reason for a period: its notices are recorded, not sent",
)
async def post_silence(
    body: SilenceIn,
    rt: RuntimeDep,
    handle: HandlersDep,
    known: ReferenceDep,
    access: AccessDep,
) -> SilenceOut:
    county = acting_county(access, known, body.unit_id)
    command = Mute(
        created_by=access.caller.actor,
        county=county,
        ends_at=body.ends_at,
        why=body.why,
        starts_at=body.starts_at,
        unit_id=body.unit_id,
        reason=body.reason,
    )
    try:
        async with rt.transaction() as uow:
            silence = await handle.mute(uow, command)
    except ValueError as error:
        raise HTTPException(422, detail=[{"field": "ends_at", "message": str(error)}]) from error
    return silence_out(silence)


@router.get("/silences", tags=["notices"], summary="Silences, past and present")
async def get_silences(store: StoreDep, county_code: CountyQuery = None) -> list[SilenceOut]:
    return [silence_out(s) for s in await store.subscriptions.silences(county_code)]


@router.get(
    "/deliveries",
    tags=["notices"],
    summary="Notices and how their delivery went (pending, sent, failed, muted), newest first",
)
async def get_deliveries(
    store: StoreDep,
    county_code: CountyQuery = None,
    subscription_id: str | None = None,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[DeliveryOut]:
    rows = await store.deliveries.listed(county_code, subscription_id, status, limit)
    return [DeliveryOut(**row) for row in rows]
