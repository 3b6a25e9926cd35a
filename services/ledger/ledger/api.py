"""Ledger's HTTP API (thin): the monthly ledger in JSON or xlsx, filing, uploads of
hand-kept ledgers, special information reports, publicity activities, the status grid."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import Response

from ledger import commands, schemas, spreadsheet, views
from ledger.domain.periods import InvalidPeriodError, Month
from ledger.domain.workflow import MonthNotOverError, ReasonRequiredError
from ledger.handlers import Handlers
from ledger.reporting_units import (
    Level,
    NotACampaignMonthError,
    ReportingUnit,
    UnknownReportingUnitError,
    campaign_month,
    reporting_unit_of,
)
from ledger.settings import LedgerSettings
from ledger.storage import Store
from shared.access import AccessDep
from shared.dependencies import CampaignDep, NowDep, RuntimeDep, handlers_of, reading
from shared.reference import ReferenceData
from shared.workbooks import RefusedWorkbookError

router = APIRouter()


HandlersDep = Annotated[Handlers, Depends(handlers_of)]
StoreDep = Annotated[Store, Depends(reading)]


def problem(status: int, field: str, message: str) -> HTTPException:
    return HTTPException(status, detail=[{"field": field, "message": message}])


def resolve_reporting_unit(reference: ReferenceData, unit_id: str) -> ReportingUnit:
    try:
        return reporting_unit_of(reference, unit_id)
    except UnknownReportingUnitError as error:
        raise problem(404, "unit_id", str(error)) from error


def resolve_month(reference: ReferenceData, period: str, field: str = "period") -> Month:
    try:
        return campaign_month(reference, period)
    except InvalidPeriodError as error:
        raise problem(422, field, str(error)) from error
    except NotACampaignMonthError as error:
        raise problem(404, field, str(error)) from error


@router.get("/ledgers/status", tags=["ledger"], summary="Status grid: reporting unit x month")
async def status_grid(reference: CampaignDep, store: StoreDep, now: NowDep) -> dict[str, Any]:
    """For every reporting unit and campaign month: the ledger filed on time, late, overdue
    or not yet due (judged by the first version), and the special information report filed,
    missing or not yet due."""
    cells = await views.status_grid(store, reference, now)
    return schemas.status_grid_document(cells, now)


@router.get(
    "/ledgers/{unit_id}/{period}",
    tags=["ledger"],
    summary="A reporting unit's monthly ledger (JSON, or xlsx by the Accept header)",
    responses={200: {"content": {spreadsheet.MEDIA_TYPE: {}}}},
)
async def get_ledger(
    unit_id: str,
    period: str,
    request: Request,
    reference: CampaignDep,
    store: StoreDep,
    now: NowDep,
) -> Any:
    reporting_unit = resolve_reporting_unit(reference, unit_id)
    month = resolve_month(reference, period)
    view = await views.ledger_view(store, reference, reporting_unit, month, now)
    if spreadsheet.MEDIA_TYPE in request.headers.get("accept", ""):
        filename = f"ledger-{reporting_unit.id}-{month}.xlsx"
        return Response(
            spreadsheet.workbook_bytes(view),
            media_type=spreadsheet.MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return schemas.ledger_document(view)


@router.post("/ledgers/{unit_id}/{period}/submit", tags=["ledger"], status_code=201)
async def submit(
    unit_id: str,
    period: str,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    reference: CampaignDep,
    body: schemas.SubmitLedgerBody | None = None,
) -> dict[str, Any]:
    """Freeze the ledger as built now (an immutable, versioned snapshot) and announce
    `LedgerSubmitted`. A submission after the due time is marked late."""
    command = commands.SubmitLedger(
        resolve_reporting_unit(reference, unit_id),
        resolve_month(reference, period),
        body.reason if body else None,
    )
    try:
        async with runtime.transaction() as uow:
            submission = await handlers.submit_ledger(uow, command)
    except ReasonRequiredError as error:
        raise problem(422, "reason", str(error)) from error
    except MonthNotOverError as error:
        raise problem(409, "period", str(error)) from error
    identity = {"unit_id": command.reporting_unit.id, "period": str(command.month)}
    return identity | schemas.submission_document(submission)


@router.get("/ledgers/{unit_id}/{period}/versions", tags=["ledger"])
async def versions(
    unit_id: str, period: str, reference: CampaignDep, store: StoreDep
) -> list[dict[str, Any]]:
    reporting_unit = resolve_reporting_unit(reference, unit_id)
    month = resolve_month(reference, period)
    filed = await store.filings.versions_of(reporting_unit.id, month)
    return [schemas.version_document(version) for version in filed]


@router.get("/ledgers/{unit_id}/{period}/versions/{version}", tags=["ledger"])
async def version_snapshot(
    unit_id: str, period: str, version: int, reference: CampaignDep, store: StoreDep
) -> dict[str, Any]:
    """The ledger exactly as submitted in that version."""
    reporting_unit = resolve_reporting_unit(reference, unit_id)
    month = resolve_month(reference, period)
    for filed in await store.filings.versions_of(reporting_unit.id, month):
        if filed.submission.version == version:
            return filed.snapshot
    raise problem(404, "version", f"no version {version} of {reporting_unit.id} {month}")


@router.post("/ledgers/{unit_id}/{period}/upload", tags=["ledger"])
async def upload_ledger(
    unit_id: str,
    period: str,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    reference: CampaignDep,
    file: Annotated[UploadFile, File(description="The hand-kept ledger, xlsx")],
) -> dict[str, Any]:
    """Check a hand-kept ledger row by row and list its differences from the ledger built
    from events: rows missing from the upload, extra rows, differing dates, outcomes and
    amounts. Nothing is stored; filing is still `submit`."""
    settings: LedgerSettings = runtime.settings  # type: ignore[assignment]
    reporting_unit = resolve_reporting_unit(reference, unit_id)
    month = resolve_month(reference, period)
    limits = settings.workbook_limits
    content = await file.read(limits.bytes_to_read)
    try:
        # Off the event loop: a large file takes seconds to parse, and others are served.
        rows = await asyncio.to_thread(lambda: list(spreadsheet.read_rows(content, limits)))
    except RefusedWorkbookError as error:
        raise problem(error.status, "file", str(error)) from error
    async with runtime.transaction() as uow:
        check = await handlers.check_upload(uow, commands.CheckUpload(reporting_unit, month, rows))
    identity = {"unit_id": reporting_unit.id, "period": str(month)}
    return identity | schemas.upload_check_document(check)


@router.post("/reports", tags=["special reports"], status_code=201)
async def post_report(
    body: schemas.NewReport,
    access: AccessDep,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    reference: CampaignDep,
) -> dict[str, Any]:
    """A special information report (专题信息); at least one per reporting unit and month is
    due with the month's ledger, else `SpecialReportMissing`."""
    access.require(county=body.unit_id, institution=body.unit_id)
    command = commands.RecordReport(
        resolve_reporting_unit(reference, body.unit_id),
        resolve_month(reference, body.period),
        body.category,
        body.title,
        body.body,
    )
    async with runtime.transaction() as uow:
        report = await handlers.record_report(uow, command)
    identity = {"unit_id": report.unit_id, "period": str(report.month)}
    return identity | schemas.report_document(report)


@router.get("/reports", tags=["special reports"])
async def list_reports(
    unit_id: str, period: str, reference: CampaignDep, store: StoreDep
) -> list[dict[str, Any]]:
    reporting_unit = resolve_reporting_unit(reference, unit_id)
    month = resolve_month(reference, period)
    reports = await store.filings.reports_of(reporting_unit.id, month)
    return [schemas.report_document(report) for report in reports]


@router.post("/publicity", tags=["publicity"], status_code=201)
async def post_activity(
    body: schemas.NewActivity,
    access: AccessDep,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    reference: CampaignDep,
) -> dict[str, Any]:
    """A publicity activity (宣讲会、培训、宣传月活动), summed in the county's ledger summary."""
    access.require_county(body.county_code)
    county = resolve_reporting_unit(reference, body.county_code)
    if county.level is not Level.COUNTY:
        raise problem(422, "county_code", f"{county.id} is not a county")
    resolve_month(reference, str(Month.of(body.held_on)), field="held_on")
    unknown = set(body.institution_ids) - reference.institution_ids
    if unknown:
        raise problem(422, "institution_ids", f"unknown institutions: {sorted(unknown)}")
    command = commands.RecordActivity(
        county=county,
        held_on=body.held_on,
        kind=body.kind,
        title=body.title,
        participants=body.participants,
        enterprises=body.enterprises,
        institution_ids=tuple(body.institution_ids),
        organizer=body.organizer,
    )
    async with runtime.transaction() as uow:
        activity = await handlers.record_activity(uow, command)
    return schemas.activity_document(activity)


@router.get("/publicity", tags=["publicity"])
async def list_activities(
    reference: CampaignDep,
    store: StoreDep,
    county_code: str | None = None,
    period: str | None = None,
) -> list[dict[str, Any]]:
    month = resolve_month(reference, period) if period else None
    activities = await store.filings.activities_of(county_code, month)
    return [schemas.activity_document(activity) for activity in activities]
