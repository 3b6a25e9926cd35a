"""Roster's HTTP API (thin): reads the input, runs a handler in a unit of work, answers.

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
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from roster import handlers, spreadsheets
from roster.domain.enterprise import DelistingBeforeListingError, DelistReason, NotListedError
from roster.domain.nomination import Rules
from roster.domain.size_standard import SizeStandard
from roster.nomination_input import NominationRequest, read_nomination
from roster.storage import reads, whitelist
from roster.views import enterprise_summary, file_view, inline_schema, outcome_view, standard_view
from shared.clock import platform_clock
from shared.reference import ReferenceData
from shared.service import Runtime
from shared.validators import describe_problem, normalize_uscc, uscc_problem

router = APIRouter()
MAX_BATCH = 5000


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(runtime_of)]


def rules_of(request: Request) -> Rules:
    reference: ReferenceData = runtime_of(request).reference()
    standard: SizeStandard = request.app.state.size_standard
    return Rules(
        county_codes=reference.county_codes,
        institution_ids=reference.institution_ids,
        look_back_years=reference.campaign.look_back_years,
        list_deadline=reference.campaign.list_deadline,
        standard=standard,
        today=platform_clock(runtime_of(request).settings, reference.campaign.zone)().date(),
    )


RulesDep = Annotated[Rules, Depends(rules_of)]


def today(runtime: Runtime) -> date:
    return datetime.now(runtime.reference().campaign.zone).date()


def valid_uscc(uscc: str) -> str:
    code = normalize_uscc(uscc)
    problem = uscc_problem(code)
    if problem is not None:
        raise HTTPException(
            422, [{"field": "uscc", "message": f"{problem.value}: {describe_problem(problem)}"}]
        )
    return code


UsccPath = Annotated[str, Depends(valid_uscc)]


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
    body: Annotated[dict[str, Any], Body()], runtime: RuntimeDep, rules: RulesDep
) -> JSONResponse:
    draft, problems = read_nomination(body)
    item = handlers.NominationInput(draft, problems, body)
    async with runtime.transaction() as unit:
        (outcome,) = await handlers.nominate(unit, [item], rules, "api")
    if outcome.status == "rejected":
        return JSONResponse(outcome_view(outcome), status_code=422)
    return JSONResponse(outcome_view(outcome), status_code=201)


@router.post(
    "/nominations/batch",
    tags=["nominations"],
    summary="Nominate many enterprises; each row gets its own result",
)
async def nominate_batch(
    request: Request,
    rows: Annotated[list[dict[str, Any]], Body(max_length=MAX_BATCH)],
    runtime: RuntimeDep,
    rules: RulesDep,
    format: Annotated[str | None, Query(pattern="^(json|xlsx)$")] = None,
) -> Response:
    numbered = list(enumerate(rows, start=1))
    return await _nominate_rows(request, runtime, rules, numbered, "batch", format)


@router.post(
    "/nominations/upload",
    tags=["nominations"],
    summary="Upload an xlsx list of nominations (see the template); a per-row report",
)
async def nominate_upload(
    request: Request,
    file: Annotated[UploadFile, File(description="xlsx in the template's columns")],
    runtime: RuntimeDep,
    rules: RulesDep,
    format: Annotated[str | None, Query(pattern="^(json|xlsx)$")] = None,
) -> Response:
    try:
        numbered = list(spreadsheets.read_rows(await file.read()))
    except spreadsheets.NotASpreadsheetError as error:
        raise HTTPException(422, [{"field": "file", "message": str(error)}]) from error
    if len(numbered) > MAX_BATCH:
        raise HTTPException(422, [{"field": "file", "message": f"over {MAX_BATCH} rows"}])
    return await _nominate_rows(request, runtime, rules, numbered, "upload", format)


async def _nominate_rows(
    request: Request,
    runtime: Runtime,
    rules: Rules,
    numbered: Sequence[tuple[int, dict[str, Any]]],
    channel: str,
    format: str | None,
) -> Response:
    items = []
    for _, raw in numbered:
        draft, problems = read_nomination(raw)
        items.append(handlers.NominationInput(draft, problems, raw | {"_channel": channel}))
    async with runtime.transaction() as unit:
        outcomes = await handlers.nominate(unit, items, rules, channel)
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
async def enterprise_file(uscc: UsccPath, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    async with runtime.engine.connect() as connection:
        found = await reads.enterprise_file(connection, uscc)
    if found is None:
        raise HTTPException(404, f"no enterprise {uscc} on file")
    return file_view(uscc, found, request.app.state.size_standard)


class AssignmentRequest(BaseModel):
    institution_id: str = Field(examples=["icbc"])
    assigned_on: date | None = Field(default=None, description="Defaults to today.")


@router.post(
    "/enterprises/{uscc}/assignments",
    tags=["enterprises"],
    summary="Assign a listed enterprise to an institution (201 new, 200 already assigned)",
    status_code=201,
)
async def assign(
    uscc: UsccPath, body: AssignmentRequest, runtime: RuntimeDep, response: Response
) -> dict[str, Any]:
    if body.institution_id not in runtime.reference().institution_ids:
        raise HTTPException(
            422, [{"field": "institution_id", "message": f"unknown {body.institution_id!r}"}]
        )
    on = body.assigned_on or today(runtime)
    try:
        async with runtime.transaction() as unit:
            created = await handlers.assign(unit, uscc, body.institution_id, on)
    except handlers.UnknownEnterpriseError as error:
        raise HTTPException(404, f"no enterprise {uscc} on file") from error
    except NotListedError as error:
        raise HTTPException(409, str(error)) from error
    if not created:
        response.status_code = 200
    return {"uscc": uscc, "institution_id": body.institution_id, "created": created}


class DelistRequest(BaseModel):
    reason: DelistReason
    on: date = Field(description="First day off the list.")
    note: str | None = Field(default=None, max_length=500)


@router.post(
    "/enterprises/{uscc}/delist",
    tags=["enterprises"],
    summary="Delist an enterprise: listed up to the day before `on`",
)
async def delist(uscc: UsccPath, body: DelistRequest, runtime: RuntimeDep) -> dict[str, Any]:
    try:
        async with runtime.transaction() as unit:
            await handlers.delist_enterprise(unit, uscc, body.on, body.reason.value, body.note)
    except handlers.UnknownEnterpriseError as error:
        raise HTTPException(404, f"no enterprise {uscc} on file") from error
    except NotListedError as error:
        raise HTTPException(409, str(error)) from error
    except DelistingBeforeListingError as error:
        raise HTTPException(422, [{"field": "on", "message": str(error)}]) from error
    return {"uscc": uscc, "delisted_on": body.on.isoformat(), "reason": body.reason.value}


@router.get("/whitelist", tags=["whitelist"], summary="The list (白名单), JSON or xlsx")
async def get_whitelist(
    request: Request,
    runtime: RuntimeDep,
    county_code: str | None = None,
    institution_id: str | None = None,
    version: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="A published version")
    ] = None,
    as_of: Annotated[date | None, Query(description="Default: today")] = None,
    format: Annotated[str | None, Query(pattern="^(json|xlsx)$")] = None,
) -> Response:
    async with runtime.engine.connect() as connection:
        if version is None:
            day = as_of or today(runtime)
            entries = await reads.list_on(connection, day, county_code, institution_id)
            header: dict[str, Any] = {"version": None, "as_of": day.isoformat()}
        else:
            found = await whitelist.load_version(connection, version, county_code, institution_id)
            if found is None:
                raise HTTPException(404, f"no whitelist version {version}")
            meta, entries = found
            header = {
                "version": version,
                "as_of": meta["as_of"].isoformat(),
                "published_at": meta["published_at"].isoformat(),
            }
    if _wants_xlsx(request, format):
        title = f"白名单v{version}" if version else "培植名单"
        content = spreadsheets.whitelist_sheet(entries, title)
        return Response(content, media_type=spreadsheets.XLSX, headers=_attachment("whitelist"))
    filters = {"county_code": county_code, "institution_id": institution_id}
    body = (
        header
        | filters
        | {"total": len(entries), "entries": [enterprise_summary(e) for e in entries]}
    )
    return JSONResponse(body)


@router.post(
    "/whitelist/publish",
    tags=["whitelist"],
    summary="Publish the current list as the next whitelist version",
    status_code=201,
)
async def publish(runtime: RuntimeDep) -> dict[str, Any]:
    as_of = today(runtime)
    async with runtime.transaction() as unit:
        version, counts = await handlers.publish_whitelist(unit, as_of)
    return {
        "version": version,
        "as_of": as_of.isoformat(),
        "total": counts.total,
        "by_county": counts.by_county,
        "by_institution": counts.by_institution,
    }


@router.get(
    "/counties/{county_code}/list-at-deadline",
    tags=["whitelist"],
    summary="A county's list size at the list deadline, and now",
)
async def list_at_deadline(county_code: str, runtime: RuntimeDep) -> dict[str, Any]:
    reference = runtime.reference()
    if county_code not in reference.county_codes:
        raise HTTPException(404, f"no county {county_code} in {reference.campaign.id}")
    county = reference.county(county_code)
    deadline = reference.campaign.list_deadline
    now = today(runtime)
    async with runtime.engine.connect() as connection:
        at_deadline = await reads.county_count_on(connection, county_code, deadline)
        current = await reads.county_count_on(connection, county_code, now)
    return {
        "county_code": county_code,
        "county_name": county.name,
        "deadline": deadline.isoformat(),
        "listed_at_deadline": at_deadline,
        "listed_today": current,
        "today": now.isoformat(),
        "target_cultivated": county.targets.cultivated,
    }


@router.get("/size-standard", tags=["nominations"], summary="The size standard in force")
async def size_standard(request: Request) -> dict[str, Any]:
    return standard_view(request.app.state.size_standard)


def _wants_xlsx(request: Request, format: str | None) -> bool:
    if format is not None:
        return format == "xlsx"
    return spreadsheets.XLSX in request.headers.get("accept", "")


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}.xlsx"'}
