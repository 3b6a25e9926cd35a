"""Roster's HTTP API (thin): a request becomes a command for the handlers or a view's query.

Nominations: a JSON object is always screened, and a nomination that breaks a rule, or has
missing, malformed or unknown fields, is answered 422 `{status: "rejected", reasons: [...]}`
with every reason (and `NominationRejected` is published). A body that is not a JSON object
at all (not JSON, an array, a string) is answered with the platform's generic 422
`{"detail": [{"field", "message"}]}`.

USCCs in paths and bodies are normalised (surrounding blanks removed, lower-case letters
upper-cased) before they are checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from roster import spreadsheets
from roster.commands import Assign, Delist, Nominate, NominationInput, PublishWhitelist
from roster.domain.enterprise import DelistingBeforeListingError, NotListedError
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
from roster.views import UnknownCountyError, Views
from shared.service import Runtime
from shared.validators import describe_problem, normalize_uscc, uscc_problem

router = APIRouter()
MAX_BATCH = 5000


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def handlers_of(request: Request) -> Handlers:
    handlers: Handlers = request.app.state.handlers
    return handlers


def views_of(request: Request) -> Views:
    views: Views = request.app.state.views
    return views


def size_standard_of(request: Request) -> SizeStandard:
    standard: SizeStandard = request.app.state.size_standard
    return standard


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]
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


def not_on_file(uscc: str) -> HTTPException:
    return HTTPException(404, f"no enterprise {uscc} on file")


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
    body: Annotated[dict[str, Any], Body()], runtime: RuntimeDep, handlers: HandlersDep
) -> JSONResponse:
    draft, problems = read_nomination(body)
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
    format: Annotated[str | None, Query(pattern="^(json|xlsx)$")] = None,
) -> Response:
    numbered = list(enumerate(rows, start=1))
    return await _nominate_rows(request, runtime, handlers, numbered, "batch", format)


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
    format: Annotated[str | None, Query(pattern="^(json|xlsx)$")] = None,
) -> Response:
    try:
        numbered = list(spreadsheets.read_rows(await file.read()))
    except spreadsheets.NotASpreadsheetError as error:
        raise HTTPException(422, [{"field": "file", "message": str(error)}]) from error
    if len(numbered) > MAX_BATCH:
        raise HTTPException(422, [{"field": "file", "message": f"over {MAX_BATCH} rows"}])
    return await _nominate_rows(request, runtime, handlers, numbered, "upload", format)


async def _nominate_rows(
    request: Request,
    runtime: Runtime,
    handlers: Handlers,
    numbered: Sequence[tuple[int, dict[str, Any]]],
    channel: str,
    format: str | None,
) -> Response:
    inputs = [NominationInput(*read_nomination(raw), raw) for _, raw in numbered]
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


@router.get("/enterprises/{uscc}", tags=["enterprises"], summary="The enterprise's file (一企一档)")
async def enterprise_file(uscc: UsccPath, views: ViewsDep, standard: StandardDep) -> dict[str, Any]:
    found = await views.enterprise_file(uscc)
    if found is None:
        raise not_on_file(uscc)
    return file_view(found, standard)


@router.post(
    "/enterprises/{uscc}/assignments",
    tags=["enterprises"],
    summary="Assign a listed enterprise to an institution (201 new, 200 already assigned); "
    "an earlier `assigned_on` than the one on file moves the assignment's day",
    status_code=201,
)
async def assign(
    uscc: UsccPath,
    body: AssignmentRequest,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    response: Response,
) -> dict[str, Any]:
    command = Assign(uscc, body.institution_id, body.assigned_on)
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
    if not outcome.created:
        response.status_code = 200
    return {"uscc": uscc, "institution_id": body.institution_id, "created": outcome.created}


@router.post(
    "/enterprises/{uscc}/delist",
    tags=["enterprises"],
    summary="Delist an enterprise: listed up to the day before `on`",
)
async def delist(
    uscc: UsccPath, body: DelistRequest, runtime: RuntimeDep, handlers: HandlersDep
) -> dict[str, Any]:
    command = Delist(uscc, body.on, body.reason.value, body.note)
    try:
        async with runtime.transaction() as uow:
            await handlers.delist(uow, command)
    except UnknownEnterpriseError as error:
        raise not_on_file(uscc) from error
    except NotListedError as error:
        raise HTTPException(409, str(error)) from error
    except DelistingBeforeListingError as error:
        raise HTTPException(422, [{"field": "on", "message": str(error)}]) from error
    return {"uscc": uscc, "delisted_on": body.on.isoformat(), "reason": body.reason.value}


@router.get("/whitelist", tags=["whitelist"], summary="The list (白名单), JSON or xlsx")
async def get_whitelist(
    request: Request,
    views: ViewsDep,
    county_code: str | None = None,
    institution_id: str | None = None,
    version: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="A published version")
    ] = None,
    as_of: Annotated[date | None, Query(description="Default: today")] = None,
    format: Annotated[str | None, Query(pattern="^(json|xlsx)$")] = None,
) -> Response:
    if version is None:
        found = await views.live_whitelist(as_of, county_code, institution_id)
    else:
        published = await views.published_whitelist(version, county_code, institution_id)
        if published is None:
            raise HTTPException(404, f"no whitelist version {version}")
        found = published
    if _wants_xlsx(request, format):
        title = f"白名单v{version}" if version else "培植名单"
        content = spreadsheets.whitelist_sheet(found.entries, title)
        return Response(content, media_type=spreadsheets.XLSX, headers=_attachment("whitelist"))
    return JSONResponse(whitelist_view(found))


@router.post(
    "/whitelist/publish",
    tags=["whitelist"],
    summary="Publish the current list as the next whitelist version",
    status_code=201,
)
async def publish(runtime: RuntimeDep, handlers: HandlersDep) -> dict[str, Any]:
    async with runtime.transaction() as uow:
        published = await handlers.publish_whitelist(uow, PublishWhitelist())
    return published_view(published)


@router.get(
    "/counties/{county_code}/list-at-deadline",
    tags=["whitelist"],
    summary="A county's list size at the list deadline, and now",
)
async def list_at_deadline(county_code: str, views: ViewsDep) -> dict[str, Any]:
    try:
        found = await views.county_at_deadline(county_code)
    except UnknownCountyError as error:
        raise HTTPException(404, str(error)) from error
    return county_at_deadline_view(found)


@router.get("/size-standard", tags=["nominations"], summary="The size standard in force")
async def size_standard(standard: StandardDep) -> dict[str, Any]:
    return standard_view(standard)


def _wants_xlsx(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "xlsx"
    return spreadsheets.XLSX in request.headers.get("accept", "")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}.xlsx"'}
