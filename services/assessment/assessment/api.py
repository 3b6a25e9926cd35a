"""Assessment's HTTP API: attainment for any day, checkpoints, escalations, anomalies, and
what supervisors are told about each institution's service and data quality."""

from __future__ import annotations

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
from assessment.domain.follow_through import (
    ACCEPTED_MEDIA_TYPES,
    FollowThroughRefusedError,
    NotFoundError,
)
from assessment.domain.notices import DeliveryStatus
from assessment.handlers import CheckpointOutsideCampaignError, Handlers
from assessment.schemas import (
    AcknowledgeIn,
    AttainmentOut,
    CheckpointIn,
    CheckpointRunOut,
    CircularIn,
    Citywide,
    CloseIn,
    DeliveryOut,
    EscalationStoryOut,
    InstitutionDataQualityOut,
    SilenceIn,
    SilenceOut,
    SubscriptionIn,
    SubscriptionOut,
    TalkIn,
    escalation_found_out,
    silence_out,
    subscription_out,
    unit_out,
)
from assessment.settings import AssessmentSettings
from assessment.storage import SqlStore, Store
from shared.access import Access, AccessDep
from shared.contracts.assessment import (
    CircularIssued,
    DocumentRef,
    RectificationClosed,
    TalkHeld,
)
from shared.dependencies import (
    CampaignDep,
    NowDep,
    RuntimeDep,
    TodayDep,
    handlers_of,
    reading,
    runtime_of,
)
from shared.reference import ReferenceData
from shared.service import Runtime
from shared.webhook_targets import TargetRefusedError

router = APIRouter()


HandlersDep = Annotated[Handlers, Depends(handlers_of)]
StoreDep = Annotated[Store, Depends(reading)]


@router.get(
    "/attainment",
    response_model=AttainmentOut,
    tags=["attainment"],
    summary="Attainment per county or institution on a day",
)
async def get_attainment(
    store: StoreDep,
    known: CampaignDep,
    live_day: TodayDep,
    level: Annotated[Literal["county", "institution"], Query()] = "county",
    as_of: Annotated[date | None, Query(description="Defaults to today.")] = None,
) -> AttainmentOut:
    day = as_of or live_day
    result, forecasts = await views.attainment_on(store, known, day, live_day)
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
            unit_out(u, forecasts.get(u.unit_id))
            for u in (result.counties if level == "county" else result.institutions)
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
    try:
        async with rt.transaction() as uow:
            raised = await handle.run_checkpoint(uow, RunCheckpoint(body.as_of))
    except CheckpointOutsideCampaignError as error:
        raise HTTPException(422, detail=[{"field": "as_of", "message": str(error)}]) from error
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
async def get_circular(as_of: date, store: StoreDep, known: CampaignDep, day: TodayDep) -> Response:
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
    known: CampaignDep,
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
    body: SilenceIn,
    rt: RuntimeDep,
    handle: HandlersDep,
    known: CampaignDep,
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


@router.get(
    "/escalations/{escalation_id}",
    tags=["follow-through"],
    summary="One escalation's story: raised, upgraded, acknowledged, talks, rectifications, "
    "circular, resolved, in order",
)
async def get_escalation(escalation_id: str, rt: RuntimeDep) -> EscalationStoryOut:
    return await story_of(rt, escalation_id)


@router.post(
    "/escalations/{escalation_id}/acknowledgement",
    status_code=201,
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
    tags=["follow-through"],
    summary="The draft circular (通报) about this escalation, dated today, to edit and upload",
)
async def get_circular_draft(
    escalation_id: str, store: StoreDep, known: CampaignDep, now: NowDep
) -> Response:
    with refusals():
        record = await views.escalation_record(store, escalation_id)
    body = circular_draft(record, known, now)
    disposition = f'attachment; filename="circular-{record.escalation.unit_id}-draft.docx"'
    return Response(body, media_type=DOCX, headers={"content-disposition": disposition})


@router.post(
    "/escalations/{escalation_id}/circular",
    status_code=201,
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
