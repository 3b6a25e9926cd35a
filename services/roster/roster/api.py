"""Roster's HTTP API (thin): a request becomes a command for the handlers or a view's query.

Nominations: a JSON object is always screened, and a nomination that breaks a rule, or has
missing, malformed or unknown fields, is answered 422 `{status: "rejected", reasons: [...]}`
with every reason (and `NominationRejected` is published). A body that is not a JSON object
at all (not JSON, an array, a string) is answered with the platform's generic 422
`{"detail": [{"field", "message"}]}`.

USCCs in paths and bodies are normalised (surrounding blanks removed, lower-case letters
upper-cased) before they are checked.

Campaigns: a nomination names its campaign or the county and day say which (422 naming
`campaign` when none can be told); assignments and delistings take an optional `campaign`
(409 naming the candidates when the enterprise is listed in several running ones); the
whitelist, publishing it and a county's list at the deadline take `?campaign=` (left out:
the one running in the caller's region, or the county's, today; shared.dependencies).

Access (roster.access): the middleware admits a caller by role; a county sub-branch or a bank
admitted on a body binding is checked here, before anything changes: each nomination's
`county_code` or `institution_id`, a file's or an assignment's enterprise's county (and,
for a file, the banks assigned to it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, cast

from fastapi import APIRouter, Body, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from roster import spreadsheets
from roster.commands import Assign, Delist, Nominate, NominationInput, PublishWhitelist
from roster.domain.enterprise import DelistingBeforeListingError, NotListedError
from roster.domain.nomination import NominationDraft
from roster.domain.size_standard import SizeStandard
from roster.handlers import Handlers, UnknownEnterpriseError, UnknownInstitutionError
from roster.schemas import (
    AssignmentRequest,
    DelistRequest,
    NominationRequest,
    county_at_deadline_view,
    file_view,
    inline_schema,
    outcome_view,
    published_view,
    read_nomination,
    standard_view,
    whitelist_view,
)
from roster.settings import RosterSettings
from roster.views import EnterpriseFile, UnknownCountyError, Views
from shared.access import Access, AccessDenied, AccessDep
from shared.auth import Role
from shared.campaigns import AmbiguousCampaignError, CampaignBook, UnknownCampaignError
from shared.dependencies import (
    BookDep,
    CampaignDep,
    CampaignParam,
    RuntimeDep,
    handlers_of,
    resolve_campaign,
    service_of,
)
from shared.reference import CAMPAIGN_ID_PATTERN
from shared.service import Runtime
from shared.validators import describe_problem, normalize_uscc, uscc_problem
from shared.workbooks import RefusedWorkbookError

if TYPE_CHECKING:
    from roster.app import RosterService

router = APIRouter()
MAX_BATCH = 5000


def views_of(request: Request) -> Views:
    return cast("RosterService", service_of(request)).views


def size_standard_of(request: Request) -> SizeStandard:
    return cast("RosterService", service_of(request)).size_standard


HandlersDep = Annotated[Handlers, Depends(handlers_of)]
ViewsDep = Annotated[Views, Depends(views_of)]
StandardDep = Annotated[SizeStandard, Depends(size_standard_of)]


def valid_uscc(uscc: str) -> str:
    code = normalize_uscc(uscc)
    problem = uscc_problem(code)
    if problem is not None:
        raise HTTPException(
            422, [{"field": "uscc", "message": f"{problem.value}: {describe_problem(problem)}"}]
        )
    return code


UsccPath = Annotated[str, Depends(valid_uscc)]
RowsCampaign = Annotated[
    str | None,
    Query(
        pattern=CAMPAIGN_ID_PATTERN,
        description="The campaign of every row that names none (a row's `campaign` wins); "
        "left out, each row's county and day say which.",
    ),
]


def not_on_file(uscc: str) -> HTTPException:
    return HTTPException(404, f"no enterprise {uscc} on file")


def campaign_refused(error: LookupError) -> HTTPException:
    """422 for a campaign that does not exist, 409 naming the candidates when the call
    could mean several."""
    if isinstance(error, AmbiguousCampaignError):
        detail = {"field": "campaign", "message": str(error), "candidates": error.candidates}
        return HTTPException(409, [detail])
    return HTTPException(422, [{"field": "campaign", "message": str(error)}])


@router.post(
    "/nominations",
    tags=["nominations"],
    summary="Nominate an enterprise for the cultivation list (培植名单)",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": inline_schema(NominationRequest)}},
        }
    },
    responses={422: {"description": "Rejected, with every reason; or a body not a JSON object"}},
)
async def nominate(
    body: Annotated[dict[str, Any], Body()],
    runtime: RuntimeDep,
    handlers: HandlersDep,
    access: AccessDep,
) -> JSONResponse:
    draft, problems = read_nomination(body)
    may_nominate(access, draft, runtime.campaigns())
    command = Nominate([NominationInput(draft, problems, body)], channel="api")
    async with runtime.transaction() as uow:
        (outcome,) = await handlers.nominate(uow, command)
    status_code = 422 if outcome.status == "rejected" else 201
    return JSONResponse(outcome_view(outcome), status_code=status_code)


@router.post(
    "/nominations/batch",
    tags=["nominations"],
    summary="Nominate many enterprises; each row gets its own result",
)
async def nominate_batch(
    request: Request,
    rows: Annotated[list[dict[str, Any]], Body(max_length=MAX_BATCH)],
    runtime: RuntimeDep,
    handlers: HandlersDep,
    access: AccessDep,
    format: Annotated[str | None, Query(pattern="^(json|xlsx)$")] = None,
    campaign: RowsCampaign = None,
) -> Response:
    numbered = list(enumerate(rows, start=1))
    return await _nominate_rows(
        request, runtime, handlers, access, numbered, "batch", format, campaign
    )


@router.post(
    "/nominations/upload",
    tags=["nominations"],
    summary="Upload an xlsx list of nominations (see the template); a per-row report",
)
async def nominate_upload(
    request: Request,
    file: Annotated[UploadFile, File(description="xlsx in the template's columns")],
    runtime: RuntimeDep,
    handlers: HandlersDep,
    access: AccessDep,
    format: Annotated[str | None, Query(pattern="^(json|xlsx)$")] = None,
    campaign: RowsCampaign = None,
) -> Response:
    settings: RosterSettings = runtime.settings  # type: ignore[assignment]
    limits = settings.workbook_limits
    content = await file.read(limits.bytes_to_read)
    try:
        # Off the event loop: a large file takes seconds to parse, and others are served.
        numbered = await asyncio.to_thread(lambda: list(spreadsheets.read_rows(content, limits)))
    except RefusedWorkbookError as error:
        raise HTTPException(error.status, [{"field": "file", "message": str(error)}]) from error
    if len(numbered) > MAX_BATCH:
        raise HTTPException(422, [{"field": "file", "message": f"over {MAX_BATCH} rows"}])
    return await _nominate_rows(
        request, runtime, handlers, access, numbered, "upload", format, campaign
    )


async def _nominate_rows(
    request: Request,
    runtime: Runtime,
    handlers: Handlers,
    access: Access,
    numbered: Sequence[tuple[int, dict[str, Any]]],
    channel: str,
    format: str | None,
    campaign: str | None,
) -> Response:
    inputs = [_input_of(raw, campaign) for _, raw in numbered]
    book = runtime.campaigns()
    for (number, _), item in zip(numbered, inputs, strict=True):
        may_nominate(access, item.draft, book, row=number)
    async with runtime.transaction() as uow:
        outcomes = await handlers.nominate(uow, Nominate(inputs, channel))
    results = [
        {"row": number} | outcome_view(outcome, with_enterprise=False)
        for (number, _), outcome in zip(numbered, outcomes, strict=True)
    ]
    if _wants_xlsx(request, format):
        content = spreadsheets.report([raw for _, raw in numbered], results)
        return Response(content, media_type=spreadsheets.XLSX, headers=_attachment("report"))
    totals = {s: sum(r["status"] == s for r in results) for s in ("listed", "merged", "rejected")}
    return JSONResponse({"total": len(results), **totals, "rows": results})


def _input_of(raw: dict[str, Any], campaign: str | None) -> NominationInput:
    """A row as read, in the request's campaign unless it names its own."""
    draft, problems = read_nomination(raw)
    if campaign is not None and "campaign" not in raw:
        draft = replace(draft, campaign=campaign)
    return NominationInput(draft, problems, raw)


@router.get(
    "/nominations/template.xlsx",
    tags=["nominations"],
    summary="The spreadsheet template for uploads",
    response_class=Response,
)
async def nomination_template() -> Response:
    return Response(
        spreadsheets.template(), media_type=spreadsheets.XLSX, headers=_attachment("template")
    )


@router.get(
    "/enterprises/{uscc}",
    tags=["enterprises"],
    summary="The enterprise's file (一企一档)",
    description="A county sub-branch reads the files of its county's enterprises, a bank those "
    "of the enterprises assigned to it (the county and the assignments on file, not a body).",
)
async def enterprise_file(
    uscc: UsccPath, views: ViewsDep, standard: StandardDep, access: AccessDep
) -> dict[str, Any]:
    found = await views.enterprise_file(uscc)
    if found is None:
        raise not_on_file(uscc)
    may_read_file(access, found)
    return file_view(found, standard)


@router.post(
    "/enterprises/{uscc}/assignments",
    tags=["enterprises"],
    summary="Assign a listed enterprise to an institution (201 new, 200 already assigned); "
    "an earlier `assigned_on` than the one on file moves the assignment's day",
    description="A county sub-branch assigns its county's enterprises (the county on file, "
    "not a body field); a bank assigns enterprises to itself only. The assignment is the "
    "campaign's: `campaign`, else the one the enterprise is listed in that runs on "
    "`assigned_on`, else its latest listing's (409 naming the candidates when several run; "
    "422 naming `campaign` for an unknown one; 409 when not listed in it).",
    status_code=201,
)
async def assign(
    uscc: UsccPath,
    body: AssignmentRequest,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    views: ViewsDep,
    access: AccessDep,
    book: BookDep,
    response: Response,
) -> dict[str, Any]:
    if not access.unbound or supervises_a_region(access):
        county = await views.county_of(uscc)
        if county is None:
            raise not_on_file(uscc)
        may_supervise(access, book, county)
        if not access.unbound:
            access.require(county=county, institution=body.institution_id)
    command = Assign(uscc, body.institution_id, body.assigned_on, body.campaign)
    try:
        async with runtime.transaction() as uow:
            outcome = await handlers.assign(uow, command)
    except UnknownInstitutionError as error:
        raise HTTPException(
            422, [{"field": "institution_id", "message": f"unknown {body.institution_id!r}"}]
        ) from error
    except UnknownEnterpriseError as error:
        raise not_on_file(uscc) from error
    except NotListedError as error:
        raise HTTPException(409, str(error)) from error
    except (UnknownCampaignError, AmbiguousCampaignError) as error:
        raise campaign_refused(error) from error
    if not outcome.created:
        response.status_code = 200
    return {
        "uscc": uscc,
        "institution_id": body.institution_id,
        "campaign_id": outcome.campaign_id,
        "created": outcome.created,
    }


@router.post(
    "/enterprises/{uscc}/delist",
    tags=["enterprises"],
    summary="Delist an enterprise: listed up to the day before `on`",
    description="From the campaign's list: `campaign`, else the one the enterprise is listed "
    "in that runs on `on`, else its latest listing's (409 naming the candidates when several "
    "run; 422 naming `campaign` for an unknown one).",
)
async def delist(
    uscc: UsccPath,
    body: DelistRequest,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    views: ViewsDep,
    access: AccessDep,
    book: BookDep,
) -> dict[str, Any]:
    if supervises_a_region(access):
        county = await views.county_of(uscc)
        if county is None:
            raise not_on_file(uscc)
        may_supervise(access, book, county)
    command = Delist(uscc, body.on, body.reason.value, body.note, body.campaign)
    try:
        async with runtime.transaction() as uow:
            outcome = await handlers.delist(uow, command)
    except UnknownEnterpriseError as error:
        raise not_on_file(uscc) from error
    except NotListedError as error:
        raise HTTPException(409, str(error)) from error
    except DelistingBeforeListingError as error:
        raise HTTPException(422, [{"field": "on", "message": str(error)}]) from error
    except (UnknownCampaignError, AmbiguousCampaignError) as error:
        raise campaign_refused(error) from error
    return {
        "uscc": uscc,
        "campaign_id": outcome.campaign_id,
        "delisted_on": body.on.isoformat(),
        "reason": body.reason.value,
    }


@router.get(
    "/whitelist",
    tags=["whitelist"],
    summary="The list (白名单), JSON or xlsx",
    description="The campaign's live list on `as_of`, or its published `version`. Guarantee "
    "companies read published versions only: without `version`, the latest one (404 before "
    "the first). `campaign` left out: the one running today in `county_code`'s region, else "
    "in the caller's, else the only one (409 naming the candidates).",
)
async def get_whitelist(
    request: Request,
    views: ViewsDep,
    access: AccessDep,
    book: BookDep,
    county_code: str | None = None,
    institution_id: str | None = None,
    version: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="A published version")
    ] = None,
    as_of: Annotated[date | None, Query(description="Default: today")] = None,
    format: Annotated[str | None, Query(pattern="^(json|xlsx)$")] = None,
    campaign: CampaignParam = None,
) -> Response:
    region = book.region_of_county(county_code) if county_code else None
    reference = resolve_campaign(
        request, campaign, region_code=region.code if region is not None else None
    )
    campaign_id = reference.campaign.id
    if version is None and not reads_live_list(access, county_code, institution_id):
        version = await views.latest_whitelist_version(campaign_id)
        if version is None:
            raise HTTPException(404, f"no whitelist of {campaign_id} has been published yet")
    if version is None:
        found = await views.live_whitelist(campaign_id, as_of, county_code, institution_id)
    else:
        published = await views.published_whitelist(
            campaign_id, version, county_code, institution_id
        )
        if published is None:
            raise HTTPException(404, f"no whitelist version {version} of {campaign_id}")
        found = published
    if _wants_xlsx(request, format):
        title = f"白名单v{version}" if version else "培植名单"
        content = spreadsheets.whitelist_sheet(found.entries, title)
        return Response(content, media_type=spreadsheets.XLSX, headers=_attachment("whitelist"))
    return JSONResponse(whitelist_view(found))


@router.post(
    "/whitelist/publish",
    tags=["whitelist"],
    summary="Publish the campaign's current list as its next whitelist version",
    description="`campaign` left out: the one running today in the caller's region, else the "
    "only one (409 naming the candidates). Versions are numbered within the campaign.",
    status_code=201,
)
async def publish(
    runtime: RuntimeDep, handlers: HandlersDep, reference: CampaignDep
) -> dict[str, Any]:
    command = PublishWhitelist(reference.campaign.id)
    async with runtime.transaction() as uow:
        published = await handlers.publish_whitelist(uow, command)
    return published_view(published)


@router.get(
    "/counties/{county_code}/list-at-deadline",
    tags=["whitelist"],
    summary="A county's list size at the campaign's list deadline, and now",
    description="`campaign` left out: the county's campaign running today, else its only one "
    "(409 naming the candidates).",
)
async def list_at_deadline(
    request: Request, county_code: str, views: ViewsDep, campaign: CampaignParam = None
) -> dict[str, Any]:
    reference = resolve_campaign(request, campaign, county_code=county_code)
    try:
        found = await views.county_at_deadline(reference, county_code)
    except UnknownCountyError as error:
        raise HTTPException(404, str(error)) from error
    return county_at_deadline_view(found)


@router.get("/size-standard", tags=["nominations"], summary="The size standard in force")
async def size_standard(standard: StandardDep) -> dict[str, Any]:
    return standard_view(standard)


def may_nominate(
    access: Access, draft: NominationDraft, book: CampaignBook, row: int | None = None
) -> None:
    """403 unless the caller may nominate for the draft's county or institution (a county
    sub-branch for its county, a bank as itself, a city's supervisors in their region);
    `row` names a batch's or upload's row."""
    try:
        access.require(county=draft.county_code, institution=draft.institution_id)
        may_supervise(access, book, draft.county_code)
    except AccessDenied as denied:
        if row is None:
            raise
        raise AccessDenied(denied.required, f"row {row}: {denied.field}") from None


def supervises_a_region(access: Access) -> bool:
    """A city's supervisors (`central:<region>`) and nothing wider: they act in their
    region's counties only."""
    caller = access.caller
    return caller.roles == {Role.CENTRAL} and not caller.has(Role.CENTRAL)


def may_supervise(access: Access, book: CampaignBook, county_code: str | None) -> None:
    """403 for a city's supervisors acting on a county outside their region."""
    if not supervises_a_region(access):
        return
    regions = access.caller.units(Role.CENTRAL)
    region = book.region_of_county(county_code) if county_code else None
    if region is None or region.code not in regions:
        raise AccessDenied([f"{Role.CENTRAL}:<region of {county_code}>"], "county_code")


def may_read_file(access: Access, found: EnterpriseFile) -> None:
    """403 unless the caller may read the file: the enterprise's county, or a bank it is
    assigned to (roles not tied to a unit were admitted already)."""
    county = found.records["profile"]["county_code"]
    assigned = {a["institution_id"] for a in found.records["assignments"]}
    mine = sorted(access.caller.units(Role.INSTITUTION) & assigned)
    access.require(county=county, institution=mine[0] if mine else None)


def reads_live_list(access: Access, county_code: str | None, institution_id: str | None) -> bool:
    """Whether the caller sees the live list, not only published versions: all but a
    guarantee company (unless its token also names the county or bank asked for)."""
    caller = access.caller
    return (
        caller.has(Role.CENTRAL)
        or bool(caller.units(Role.CENTRAL))  # a city's supervisors (resolve_campaign: theirs)
        or caller.has(Role.PROVINCE)
        or caller.has(Role.DEPARTMENT)
        or (county_code is not None and caller.has(Role.COUNTY, county_code))
        or (institution_id is not None and caller.has(Role.INSTITUTION, institution_id))
    )


def _wants_xlsx(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "xlsx"
    return spreadsheets.XLSX in request.headers.get("accept", "")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}.xlsx"'}
