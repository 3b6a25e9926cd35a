"""Assessment's HTTP API: attainment for any day, checkpoints, escalations, anomalies, and
what supervisors are told about each institution's service and data quality; each of one
campaign (`?campaign=`; left out: the one running in the caller's region today), and the
province: every city's campaign side by side."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, HTTPException, Query, Request, Response, UploadFile

from assessment import views
from assessment.commands import (
    Acknowledge,
    Attendance,
    CloseRectification,
    Commit,
    EndSubscription,
    IssueCircular,
    Mute,
    RecordTalk,
    RunCheckpoint,
    Subscribe,
    UploadDocument,
)
from assessment.documents import DOCX, XLSX, circular_docx, circular_draft, ranking_xlsx
from assessment.domain.campaigns import Lenses
from assessment.domain.follow_through import (
    ACCEPTED_MEDIA_TYPES,
    FollowThroughRefusedError,
    NotFoundError,
)
from assessment.domain.notices import DeliveryStatus
from assessment.domain.province import city_campaign, city_targets
from assessment.domain.series import consecutive_days
from assessment.handlers import CheckpointOutsideCampaignError, Handlers
from assessment.schemas import (
    AcknowledgeIn,
    AttainmentOut,
    CheckpointIn,
    CheckpointRunOut,
    CircularIn,
    CityPointOut,
    CitySeriesOut,
    Citywide,
    CloseIn,
    DeliveryOut,
    EscalationStoryOut,
    InCityOut,
    InstitutionDataQualityOut,
    ProvinceCityOut,
    ProvinceInstitutionOut,
    ProvinceOut,
    ProvinceSeriesOut,
    ProvinceTotalsOut,
    SilenceIn,
    SilenceOut,
    SubscriptionIn,
    SubscriptionOut,
    TalkIn,
    campaign_ref,
    escalation_found_out,
    pair,
    province_campaign_out,
    silence_out,
    subscription_out,
    unit_out,
)
from assessment.settings import AssessmentSettings
from assessment.storage import SqlStore, Store
from shared.access import Access, AccessDep
from shared.auth import Caller, Role
from shared.campaigns import CampaignBook, RegionOut
from shared.contracts.assessment import (
    CircularIssued,
    DocumentRef,
    RectificationClosed,
    TalkHeld,
)
from shared.dependencies import (
    CampaignDep,
    CampaignParam,
    NowDep,
    RuntimeDep,
    TodayDep,
    caller_of,
    handlers_of,
    reading,
    resolve_campaign,
    runtime_of,
)
from shared.reference import CAMPAIGN_ID_PATTERN, ReferenceData
from shared.service import Runtime
from shared.webhook_targets import TargetRefusedError

router = APIRouter()


HandlersDep = Annotated[Handlers, Depends(handlers_of)]
StoreDep = Annotated[Store, Depends(reading)]


def lenses_of(request: Request) -> Lenses:
    handlers: Handlers = handlers_of(request)
    return handlers.lenses()


LensesDep = Annotated[Lenses, Depends(lenses_of)]


def sees_every_region(caller: Caller | None) -> bool:
    """Plain `central` and `province`: no region of their own to default to."""
    return caller is None or caller.has(Role.CENTRAL) or caller.has(Role.PROVINCE)


def visible_regions(request: Request, book: CampaignBook) -> list[str]:
    """The regions whose campaigns the caller may read."""
    caller = caller_of(request)
    return [
        region.code
        for region in book.regions
        if caller is None
        or any(caller.sees_region(region.code, c.county_codes) for c in book.in_region(region.code))
    ]


def seen_cities(request: Request, book: CampaignBook, day: date) -> list[ReferenceData]:
    """Each city the caller may read, through its campaign on `day`; 403 when none."""
    cities = [city_campaign(book, code, day) for code in visible_regions(request, book)]
    if not cities:
        message = "needs a scope that reads a region: central, central:<region> or province"
        raise HTTPException(403, [{"field": "Authorization", "message": message}])
    return cities


@router.get(
    "/attainment",
    response_model=AttainmentOut,
    tags=["attainment"],
    summary="Attainment per county, institution or city on a day",
)
async def get_attainment(
    request: Request,
    store: StoreDep,
    lenses: LensesDep,
    live_day: TodayDep,
    campaign: CampaignParam = None,
    level: Annotated[
        Literal["county", "institution", "city"],
        Query(
            description="`city`: one unit per city (its region), each through its campaign on "
            "the day (the one running, else the latest begun); `campaign` is then ignored."
        ),
    ] = "county",
    as_of: Annotated[date | None, Query(description="Defaults to today.")] = None,
) -> AttainmentOut:
    day = as_of or live_day
    if level == "city":
        return await city_attainment(request, store, lenses, day, live_day)
    known = resolve_campaign(request, campaign)
    result, forecasts = await views.attainment_on(store, lenses, known, day, live_day)
    campaign_id = known.campaign.id
    return AttainmentOut(
        as_of=day,
        campaign=campaign_ref(known, live_day),
        citywide=Citywide(
            cultivated=result.cultivated,
            first_loans=result.first_loans,
            first_loan_rate=result.first_loan_rate,
            first_loan_rate_floor=known.campaign.first_loan_rate_floor,
            first_loan_rate_goal=known.campaign.first_loan_rate_goal,
        ),
        units=[
            unit_out(u, forecasts.get(u.unit_id), campaign_id)
            for u in (result.counties if level == "county" else result.institutions)
        ],
    )


async def city_attainment(
    request: Request, store: Store, lenses: Lenses, day: date, live_day: date
) -> AttainmentOut:
    """Each city as a unit, and the province's totals as `citywide` (the floor and the goal
    of the rate: the highest of the cities' campaigns')."""
    cities = seen_cities(request, lenses.book, day)
    seen, _ = await views.province_on(store, lenses, cities, day, live_day)
    totals = seen.totals
    return AttainmentOut(
        as_of=day,
        campaign=None,
        citywide=Citywide(
            cultivated=totals.cultivated,
            first_loans=totals.first_loans,
            first_loan_rate=totals.first_loan_rate,
            first_loan_rate_floor=max(c.campaign.first_loan_rate_floor for c in cities),
            first_loan_rate_goal=max(c.campaign.first_loan_rate_goal for c in cities),
        ),
        units=[unit_out(c.unit, None, c.reference.campaign.id) for c in seen.cities],
    )


@router.post(
    "/assessments",
    tags=["escalations"],
    summary="Run an assessment checkpoint of the campaign now; returns the escalations raised",
)
async def post_assessment(
    body: CheckpointIn, rt: RuntimeDep, handle: HandlersDep, known: CampaignDep
) -> CheckpointRunOut:
    campaign_id = known.campaign.id
    try:
        async with rt.transaction() as uow:
            raised = await handle.run_checkpoint(uow, RunCheckpoint(body.as_of, campaign_id))
    except CheckpointOutsideCampaignError as error:
        raise HTTPException(422, detail=[{"field": "as_of", "message": str(error)}]) from error
    return CheckpointRunOut(
        as_of=body.as_of,
        campaign_id=campaign_id,
        escalations=[escalation_found_out(f, campaign_id) for f in raised],
    )


@router.get("/escalations", tags=["escalations"], summary="Escalations, open or all")
async def get_escalations(
    request: Request,
    store: StoreDep,
    status: Literal["open", "all"] = "open",
    campaign: Annotated[
        str | None,
        Query(
            pattern=CAMPAIGN_ID_PATTERN,
            description="The campaign whose escalations; left out: every campaign's for a "
            "`province` or plain `central` caller, else the one running in the caller's "
            "region today.",
        ),
    ] = None,
) -> list[dict[str, Any]]:
    if campaign is None and sees_every_region(caller_of(request)):
        campaign_ids = None
    else:
        campaign_ids = [resolve_campaign(request, campaign).campaign.id]
    return await store.escalations.listed(status == "open", campaign_ids)


@router.get(
    "/anomalies",
    tags=["attainment"],
    summary="First-loan claims contradicted by an earlier loan, with the evidence",
)
async def get_anomalies(store: StoreDep, known: CampaignDep) -> list[dict[str, Any]]:
    return await views.anomalies(store, known)


async def ranking_of(store: Store, as_of: date, known: ReferenceData) -> dict[str, Any]:
    ranking = await store.escalations.checkpoint_ranking(as_of, known.campaign.id)
    if ranking is None:
        message = f"no checkpoint of {known.campaign.id} was run on {as_of}"
        raise HTTPException(404, detail=[{"field": "as_of", "message": message}])
    return ranking


@router.get(
    "/checkpoints/{as_of}/ranking",
    tags=["escalations"],
    summary="The checkpoint's ranking of counties and institutions (JSON, or xlsx when the "
    "Accept header asks for it)",
)
async def get_ranking(as_of: date, store: StoreDep, request: Request, known: CampaignDep) -> Any:
    ranking = await ranking_of(store, as_of, known)
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
async def get_circular(as_of: date, store: StoreDep, known: CampaignDep, day: TodayDep) -> Response:
    await ranking_of(store, as_of, known)
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
async def get_service_figures(store: StoreDep, known: CampaignDep) -> list[dict[str, Any]]:
    return await views.institution_service(store, known)


@router.get(
    "/institutions/data-quality",
    tags=["attainment"],
    summary="Per institution: conflicting duplicates and loans reported in several versions",
)
async def get_data_quality(store: StoreDep, known: CampaignDep) -> list[InstitutionDataQualityOut]:
    return await views.data_quality(store, known)


# --- notices of escalations ---------------------------------------------------------------


def notice_campaign(request: Request, campaign: str | None, unit_id: str | None) -> ReferenceData:
    """The campaign a subscription or silence is of: the one named, else the one running in
    the unit's county (a county unit), else in the caller's region."""
    county = unit_id if unit_id is not None and unit_id.isdigit() else None
    return resolve_campaign(request, campaign, county_code=county)


def acting_county(access: Access, known: ReferenceData, unit_id: str | None) -> str | None:
    """The county sub-branch a subscription or silence naming `unit_id` is for (None: a
    supervisor's); 403 unless a county names its own county, 422 for a unit not of the
    campaign."""
    access.require(county=unit_id)
    if unit_id is not None and unit_id not in known.county_codes | known.institution_ids:
        message = f"no county or institution {unit_id!r} in {known.campaign.id}"
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
    request: Request,
    body: SubscriptionIn,
    rt: RuntimeDep,
    handle: HandlersDep,
    access: AccessDep,
    campaign: CampaignParam = None,
) -> SubscriptionOut:
    access.require(county=body.unit_id)
    known = notice_campaign(request, campaign, body.unit_id)
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
        campaign_id=known.campaign.id,
    )
    try:
        async with rt.transaction() as uow:
            subscription = await handle.subscribe(uow, command)
    except TargetRefusedError as error:
        raise HTTPException(422, detail=[{"field": "target", "message": str(error)}]) from error
    return subscription_out(subscription)


CountyQuery = Annotated[
    str | None,
    Query(
        description="A county sub-branch's own county (required of it); supervisors may "
        "filter by it."
    ),
]


ListedCampaign = Annotated[
    str | None,
    Query(
        pattern=CAMPAIGN_ID_PATTERN,
        description="Only the campaign's (left out: every campaign's).",
    ),
]


def listed_campaign(request: Request, campaign: str | None) -> str | None:
    """A list's campaign filter, checked (422 unknown, 403 another region's)."""
    return None if campaign is None else resolve_campaign(request, campaign).campaign.id


@router.get("/subscriptions", tags=["notices"], summary="Subscriptions, ended ones too")
async def get_subscriptions(
    request: Request,
    store: StoreDep,
    county_code: CountyQuery = None,
    campaign: ListedCampaign = None,
) -> list[SubscriptionOut]:
    rows = await store.subscriptions.listed(county_code, listed_campaign(request, campaign))
    return [SubscriptionOut(**row) for row in rows]


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
        if not await handle.end_subscription(uow, command):
            # Inside the transaction: a miss commits nothing, and is audited as the 404 it is.
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
    request: Request,
    body: SilenceIn,
    rt: RuntimeDep,
    handle: HandlersDep,
    access: AccessDep,
    campaign: CampaignParam = None,
) -> SilenceOut:
    access.require(county=body.unit_id)
    known = notice_campaign(request, campaign, body.unit_id)
    county = acting_county(access, known, body.unit_id)
    command = Mute(
        created_by=access.caller.actor,
        county=county,
        ends_at=body.ends_at,
        why=body.why,
        starts_at=body.starts_at,
        unit_id=body.unit_id,
        reason=body.reason,
        campaign_id=known.campaign.id,
    )
    try:
        async with rt.transaction() as uow:
            silence = await handle.mute(uow, command)
    except ValueError as error:
        raise HTTPException(422, detail=[{"field": "ends_at", "message": str(error)}]) from error
    return silence_out(silence)


@router.get("/silences", tags=["notices"], summary="Silences, past and present")
async def get_silences(
    request: Request,
    store: StoreDep,
    county_code: CountyQuery = None,
    campaign: ListedCampaign = None,
) -> list[SilenceOut]:
    found = await store.subscriptions.silences(county_code, listed_campaign(request, campaign))
    return [silence_out(s) for s in found]


@router.get(
    "/deliveries",
    tags=["notices"],
    summary="Notices and how their delivery went (pending, sent, failed, muted), newest first",
)
async def get_deliveries(
    request: Request,
    store: StoreDep,
    county_code: CountyQuery = None,
    subscription_id: str | None = None,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    campaign: ListedCampaign = None,
) -> list[DeliveryOut]:
    campaign_id = listed_campaign(request, campaign)
    rows = await store.deliveries.listed(county_code, subscription_id, status, limit, campaign_id)
    return [DeliveryOut(**row) for row in rows]


# --- follow-through: what supervisors do about an escalation ---------------------------


@contextmanager
def refusals() -> Iterator[None]:
    """A command the record does not allow is a 409, a name that matches nothing a 404,
    each naming the field."""
    try:
        yield
    except NotFoundError as error:
        raise HTTPException(404, [{"field": error.field, "message": error.message}]) from error
    except FollowThroughRefusedError as error:
        raise HTTPException(409, [{"field": error.field, "message": error.message}]) from error


async def story_of(rt: Runtime, escalation_id: str) -> EscalationStoryOut:
    async with rt.engine.connect() as connection:
        found = await views.escalation_stories(SqlStore(connection), [escalation_id])
    if not found:
        raise HTTPException(
            404, [{"field": "escalation_id", "message": f"no escalation {escalation_id!r}"}]
        )
    return EscalationStoryOut.model_validate(found[0])


async def campaign_of_escalation(
    request: Request, store: Store, escalation_id: str
) -> ReferenceData | None:
    """The campaign that raised the escalation (None when there is no such escalation, or
    its campaign is no longer known); 403 when the caller may not read its region."""
    found = await store.follow_through.records([escalation_id])
    if escalation_id not in found:
        return None
    book = runtime_of(request).campaigns()
    if found[escalation_id].escalation.campaign_id not in book.ids:
        return None
    reference = book.get(found[escalation_id].escalation.campaign_id)
    caller = caller_of(request)
    if caller is not None and not caller.sees_region(reference.region.code, reference.county_codes):
        needs = f"needs a scope of the region {reference.region.code} ({reference.region.name})"
        raise HTTPException(403, [{"field": "escalation_id", "message": needs}])
    return reference


async def escalation_region(request: Request, escalation_id: str) -> None:
    """A dependency of every route about one escalation: the caller must read its region."""
    async with runtime_of(request).engine.connect() as connection:
        await campaign_of_escalation(request, SqlStore(connection), escalation_id)


async def rectification_region(request: Request, rectification_id: str) -> None:
    async with runtime_of(request).engine.connect() as connection:
        store = SqlStore(connection)
        found = await store.follow_through.rectification(rectification_id)
        if found is not None:
            await campaign_of_escalation(request, store, found.escalation_id)


OfEscalation = [Depends(escalation_region)]


@router.get(
    "/escalations/{escalation_id}",
    tags=["follow-through"],
    dependencies=OfEscalation,
    summary="One escalation's story: raised, upgraded, acknowledged, talks, rectifications, "
    "circular, resolved, in order",
)
async def get_escalation(escalation_id: str, rt: RuntimeDep) -> EscalationStoryOut:
    return await story_of(rt, escalation_id)


@router.post(
    "/escalations/{escalation_id}/acknowledgement",
    status_code=201,
    dependencies=OfEscalation,
    tags=["follow-through"],
    summary="Acknowledge an escalation (once): who and when come from the token and the clock",
)
async def post_acknowledgement(
    escalation_id: str, body: AcknowledgeIn, rt: RuntimeDep, handle: HandlersDep, access: AccessDep
) -> EscalationStoryOut:
    with refusals():
        async with rt.transaction() as uow:
            await handle.acknowledge(
                uow, Acknowledge(escalation_id, access.caller.actor, body.note)
            )
    return await story_of(rt, escalation_id)


def settings_of(request: Request) -> AssessmentSettings:
    found = runtime_of(request).settings
    assert isinstance(found, AssessmentSettings)
    return found


@router.post(
    "/escalations/{escalation_id}/documents",
    status_code=201,
    dependencies=OfEscalation,
    tags=["follow-through"],
    summary="Keep a document with the escalation (talk minutes, the edited circular); its id "
    "goes into a talk or a circular",
)
async def post_document(
    escalation_id: str,
    request: Request,
    file: Annotated[UploadFile, File(description="PDF, Word, OpenDocument, text or an image")],
    rt: RuntimeDep,
    handle: HandlersDep,
    access: AccessDep,
) -> DocumentRef:
    media_type = (file.content_type or "").split(";")[0].strip().lower()
    if media_type not in ACCEPTED_MEDIA_TYPES:
        raise HTTPException(
            415,
            [
                {
                    "field": "file",
                    "message": f"media type {media_type or '(none)'!r} is not one of "
                    + ", ".join(sorted(ACCEPTED_MEDIA_TYPES)),
                }
            ],
        )
    limit = settings_of(request).document_max_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(413, [{"field": "file", "message": f"over {limit} bytes"}])
    if not content:
        raise HTTPException(422, [{"field": "file", "message": "empty"}])
    name = (file.filename or "document").rsplit("/", 1)[-1][:200]
    command = UploadDocument(escalation_id, access.caller.actor, name, media_type, content)
    with refusals():
        async with rt.transaction() as uow:
            return await handle.upload_document(uow, command)


@router.get(
    "/escalations/{escalation_id}/documents/{document_id}",
    dependencies=OfEscalation,
    tags=["follow-through"],
    summary="A document kept with the escalation, as uploaded",
)
async def get_document(escalation_id: str, document_id: str, store: StoreDep) -> Response:
    found = await store.follow_through.document(escalation_id, document_id)
    if found is None:
        raise HTTPException(
            404, [{"field": "document_id", "message": f"no document {document_id!r}"}]
        )
    ref, content = found
    disposition = f"attachment; filename=\"{ref.document_id}\"; filename*=UTF-8''{quote(ref.name)}"
    return Response(
        content, media_type=ref.media_type, headers={"content-disposition": disposition}
    )


@router.post(
    "/escalations/{escalation_id}/talks",
    status_code=201,
    dependencies=OfEscalation,
    tags=["follow-through"],
    summary="Record a talk (约谈): date, attendees, minutes, rectifications (整改) with due dates",
)
async def post_talk(
    escalation_id: str, body: TalkIn, rt: RuntimeDep, handle: HandlersDep, access: AccessDep
) -> TalkHeld:
    command = RecordTalk(
        escalation_id=escalation_id,
        by=access.caller.actor,
        scheduled_on=body.scheduled_on,
        attendees=tuple(Attendance(a.name, a.position) for a in body.attendees),
        minutes=body.minutes,
        minutes_document_id=body.minutes_document_id,
        rectifications=tuple(Commit(c.commitment, c.due_on) for c in body.rectifications),
    )
    with refusals():
        async with rt.transaction() as uow:
            return await handle.record_talk(uow, command)


@router.get(
    "/escalations/{escalation_id}/circular/draft.docx",
    dependencies=OfEscalation,
    tags=["follow-through"],
    summary="The draft circular (通报) about this escalation, dated today, to edit and upload",
)
async def get_circular_draft(
    escalation_id: str, request: Request, store: StoreDep, handle: HandlersDep, now: NowDep
) -> Response:
    with refusals():
        record = await views.escalation_record(store, escalation_id)
    body = circular_draft(record, handle.campaign_of(record), now)
    disposition = f'attachment; filename="circular-{record.escalation.unit_id}-draft.docx"'
    return Response(body, media_type=DOCX, headers={"content-disposition": disposition})


@router.post(
    "/escalations/{escalation_id}/circular",
    status_code=201,
    dependencies=OfEscalation,
    tags=["follow-through"],
    summary="Mark the circular (通报) issued: the uploaded, edited draft, or the draft as is",
)
async def post_circular(
    escalation_id: str, body: CircularIn, rt: RuntimeDep, handle: HandlersDep, access: AccessDep
) -> CircularIssued:
    command = IssueCircular(escalation_id, access.caller.actor, body.document_id, body.note)
    with refusals():
        async with rt.transaction() as uow:
            return await handle.issue_circular(uow, command)


@router.post(
    "/rectifications/{rectification_id}/close",
    dependencies=[Depends(rectification_region)],
    tags=["follow-through"],
    summary="Close a rectification (整改) with a note of what was done",
)
async def post_close_rectification(
    rectification_id: str, body: CloseIn, rt: RuntimeDep, handle: HandlersDep, access: AccessDep
) -> RectificationClosed:
    command = CloseRectification(rectification_id, access.caller.actor, body.closing_note)
    with refusals():
        async with rt.transaction() as uow:
            return await handle.close_rectification(uow, command)


# --- the province: every city's campaign side by side ----------------------------------


@router.get(
    "/province",
    tags=["province"],
    summary="Every city's attainment against its own campaign's targets on one day, the "
    "province's totals, a ranking of the cities, the institutions summed over cities",
)
async def get_province(
    request: Request,
    store: StoreDep,
    lenses: LensesDep,
    live_day: TodayDep,
    as_of: Annotated[date | None, Query(description="Defaults to today.")] = None,
) -> ProvinceOut:
    day = as_of or live_day
    cities = seen_cities(request, lenses.book, day)
    seen, open_escalations = await views.province_on(store, lenses, cities, day, live_day)
    book = lenses.book
    return ProvinceOut(
        as_of=day,
        cities=[
            ProvinceCityOut(
                region=RegionOut(code=c.reference.region.code, name=c.reference.region.name),
                campaign=province_campaign_out(c.reference, live_day),
                cultivated=c.unit.cultivated,
                first_loans=c.unit.first_loans,
                first_loan_rate=c.unit.first_loan_rate,
                targets=pair(c.unit.targets),
                expected=pair(c.unit.expected),
                attainment_ratio=c.unit.attainment_ratio,
                status=c.unit.status.value,
                rank=c.rank,
                open_escalations=open_escalations.get(c.reference.campaign.id, 0),
            )
            for c in seen.cities
        ],
        totals=ProvinceTotalsOut(
            cultivated=seen.totals.cultivated,
            first_loans=seen.totals.first_loans,
            first_loan_rate=seen.totals.first_loan_rate,
            targets=pair(seen.totals.targets),
            expected=pair(seen.totals.expected),
            attainment_ratio=seen.totals.attainment_ratio,
        ),
        ranking=list(seen.ranking),
        institutions=[
            ProvinceInstitutionOut(
                institution_id=i.institution_id,
                name=branch_names(book, i.institution_id, [c.campaign_id for c in i.cities]),
                cultivated=i.cultivated,
                first_loans=i.first_loans,
                cities=[InCityOut(**vars(c)) for c in i.cities],
            )
            for i in seen.institutions
        ],
    )


def branch_names(book: CampaignBook, institution_id: str, campaign_ids: list[str]) -> str:
    """An institution's name across cities: each city's branch, once (工商银行忻州分行 /
    工商银行云州分行); its latest name where it lends in none of those shown."""
    names = [book.get(c).institution(institution_id).name for c in campaign_ids]
    unique = list(dict.fromkeys(names))
    return " / ".join(unique) if unique else book.institution(institution_id).name


SERIES_DAYS_AT_MOST = 732


@router.get(
    "/province/series",
    tags=["province"],
    summary="Each city's first-loan households day by day against its expected line",
)
async def get_province_series(
    request: Request,
    store: StoreDep,
    lenses: LensesDep,
    live_day: TodayDep,
    as_of: Annotated[
        date | None,
        Query(description="The day the cities' campaigns are taken on (defaults to today)."),
    ] = None,
    first: Annotated[
        date | None,
        Query(alias="from", description="The first day (defaults to the city's campaign's start)."),
    ] = None,
    last: Annotated[
        date | None,
        Query(alias="to", description="The last day (defaults to the city's campaign's end)."),
    ] = None,
) -> ProvinceSeriesOut:
    day = as_of or live_day
    if first is not None and last is not None and last < first:
        raise HTTPException(422, [{"field": "to", "message": f"{last} is before from {first}"}])
    cities = seen_cities(request, lenses.book, day)
    ranges = {c.campaign.id: (first or c.campaign.start, last or c.campaign.end) for c in cities}
    for start, end in ranges.values():
        if end < start or (end - start).days >= SERIES_DAYS_AT_MOST:
            message = f"{start} to {end}: give from and to at most {SERIES_DAYS_AT_MOST} days apart"
            raise HTTPException(422, [{"field": "from", "message": message}])
    facts = await store.facts.load()
    counted_until = min(day, live_day)

    def count() -> list[CitySeriesOut]:
        return [
            CitySeriesOut(
                region=RegionOut(code=c.region.code, name=c.region.name),
                campaign=province_campaign_out(c, live_day),
                target_first_loans=city_targets(c).first_loans,
                points=[
                    CityPointOut(**point)
                    for point in views.city_series(
                        facts,
                        lenses,
                        c.region.code,
                        consecutive_days(*ranges[c.campaign.id]),
                        counted_until,
                    )
                ],
            )
            for c in cities
        ]

    # Pure counting over every enterprise: off the event loop.
    return ProvinceSeriesOut(as_of=day, cities=await asyncio.to_thread(count))
