"""Ledger's HTTP API (thin): the monthly ledger in JSON or xlsx, filing, uploads of
hand-kept ledgers, special information reports, publicity activities, the status grid.

Every one of them is a campaign's and takes `?campaign=`. Left out, a route about one unit
(a county code or an institution id) means the campaign the unit reports in that has the
month, else the one running today, else its only one (`campaign_of_unit`), among those the
caller may read; 409 naming the candidates when that leaves several (ICBC in two cities'
campaigns running at once)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
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
    campaign_of_unit,
    reporting_unit_of,
    reports_in,
)
from ledger.settings import LedgerSettings
from ledger.storage import Store
from shared.access import AccessDep
from shared.campaigns import AmbiguousCampaignError
from shared.dependencies import (
    BookDep,
    CampaignDep,
    CampaignParam,
    NowDep,
    RuntimeDep,
    book_of,
    caller_of,
    handlers_of,
    reading,
    resolve_campaign,
    today_of,
)
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


def unit_campaign(
    request: Request, requested: str | None, unit_id: str, period: str | None
) -> ReferenceData:
    """The campaign of a call about the unit's month (`period`, if it names one): the one
    requested, else `campaign_of_unit` among the campaigns the caller may read (all of the
    unit's when it may read none: then refused with 403). 404 for a unit no campaign has,
    409 naming the candidates."""
    if requested:
        return resolve_campaign(request, requested)
    caller = caller_of(request)
    having = [c for c in book_of(request).campaigns if reports_in(c, unit_id)]
    if not having:
        message = f"{unit_id!r} is neither a county code nor an institution id of any campaign"
        raise problem(404, "unit_id", message)
    readable = [
        c for c in having if caller is None or caller.sees_region(c.region.code, c.county_codes)
    ]
    try:
        chosen = campaign_of_unit(
            readable or having, unit_id, _month_or_none(period), today_of(request)
        )
    except AmbiguousCampaignError as error:
        detail = {"field": "campaign", "message": str(error), "candidates": error.candidates}
        raise HTTPException(409, [detail]) from error
    return resolve_campaign(request, chosen.campaign.id)  # refused if not the caller's


def _month_or_none(period: str | None) -> Month | None:
    try:
        return Month.parse(period) if period else None
    except InvalidPeriodError:
        return None  # refused once the campaign is known, naming the period


@dataclass(frozen=True)
class UnitMonth:
    """A reporting unit's month in a campaign, as a route's path and `?campaign=` name it."""

    reference: ReferenceData
    reporting_unit: ReportingUnit
    month: Month


def unit_month_of(
    request: Request, unit_id: str, period: str, campaign: CampaignParam = None
) -> UnitMonth:
    reference = unit_campaign(request, campaign, unit_id, period)
    return UnitMonth(
        reference, resolve_reporting_unit(reference, unit_id), resolve_month(reference, period)
    )


UnitMonthDep = Annotated[UnitMonth, Depends(unit_month_of)]


@router.get("/ledgers/status", tags=["ledger"], summary="Status grid: reporting unit x month")
async def status_grid(reference: CampaignDep, store: StoreDep, now: NowDep) -> dict[str, Any]:
    """For every reporting unit and month of the campaign: the ledger filed on time, late,
    overdue or not yet due (judged by the first version), and the special information
    report filed, missing or not yet due."""
    cells = await views.status_grid(store, reference, now)
    return schemas.status_grid_document(reference.campaign.id, cells, now)


@router.get(
    "/ledgers/{unit_id}/{period}",
    tags=["ledger"],
    summary="A reporting unit's monthly ledger in a campaign (JSON, or xlsx by the Accept header)",
    responses={200: {"content": {spreadsheet.MEDIA_TYPE: {}}}},
)
async def get_ledger(
    ledger: UnitMonthDep, request: Request, store: StoreDep, book: BookDep, now: NowDep
) -> Any:
    """The rows of the campaign's region only: a county's of its enterprises, an
    institution's of the enterprises of the campaign's counties."""
    reporting_unit, month = ledger.reporting_unit, ledger.month
    view = await views.ledger_view(store, ledger.reference, reporting_unit, month, now, book)
    if spreadsheet.MEDIA_TYPE in request.headers.get("accept", ""):
        filename = f"ledger-{reporting_unit.campaign_id}-{reporting_unit.id}-{month}.xlsx"
        return Response(
            spreadsheet.workbook_bytes(view),
            media_type=spreadsheet.MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return schemas.ledger_document(view)


@router.post("/ledgers/{unit_id}/{period}/submit", tags=["ledger"], status_code=201)
async def submit(
    ledger: UnitMonthDep,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    body: schemas.SubmitLedgerBody | None = None,
) -> dict[str, Any]:
    """Freeze the ledger as built now (an immutable, versioned snapshot) and announce
    `LedgerSubmitted`. A submission after the due time is marked late."""
    command = commands.SubmitLedger(
        ledger.reporting_unit, ledger.month, body.reason if body else None
    )
    try:
        async with runtime.transaction() as uow:
            submission = await handlers.submit_ledger(uow, command)
    except ReasonRequiredError as error:
        raise problem(422, "reason", str(error)) from error
    except MonthNotOverError as error:
        raise problem(409, "period", str(error)) from error
    return _identity(ledger.reporting_unit, ledger.month) | schemas.submission_document(submission)


def _identity(reporting_unit: ReportingUnit, month: Month) -> dict[str, Any]:
    return {
        "campaign_id": reporting_unit.campaign_id,
        "unit_id": reporting_unit.id,
        "period": str(month),
    }


@router.get("/ledgers/{unit_id}/{period}/versions", tags=["ledger"])
async def versions(ledger: UnitMonthDep, store: StoreDep) -> list[dict[str, Any]]:
    filed = await store.filings.versions_of(
        ledger.reference.campaign.id, ledger.reporting_unit.id, ledger.month
    )
    return [schemas.version_document(version) for version in filed]


@router.get("/ledgers/{unit_id}/{period}/versions/{version}", tags=["ledger"])
async def version_snapshot(ledger: UnitMonthDep, version: int, store: StoreDep) -> dict[str, Any]:
    """The ledger exactly as submitted in that version."""
    reporting_unit, month = ledger.reporting_unit, ledger.month
    for filed in await store.filings.versions_of(
        ledger.reference.campaign.id, reporting_unit.id, month
    ):
        if filed.submission.version == version:
            return filed.snapshot
    raise problem(
        404,
        "version",
        f"no version {version} of {reporting_unit.id} {month} in {reporting_unit.campaign_id}",
    )


@router.post("/ledgers/{unit_id}/{period}/upload", tags=["ledger"])
async def upload_ledger(
    ledger: UnitMonthDep,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    file: Annotated[UploadFile, File(description="The hand-kept ledger, xlsx")],
) -> dict[str, Any]:
    """Check a hand-kept ledger row by row and list its differences from the ledger built
    from events: rows missing from the upload, extra rows, differing dates, outcomes and
    amounts. Nothing is stored; filing is still `submit`."""
    settings: LedgerSettings = runtime.settings  # type: ignore[assignment]
    reporting_unit, month = ledger.reporting_unit, ledger.month
    limits = settings.workbook_limits
    content = await file.read(limits.bytes_to_read)
    try:
        # Off the event loop: a large file takes seconds to parse, and others are served.
        rows = await asyncio.to_thread(lambda: list(spreadsheet.read_rows(content, limits)))
    except RefusedWorkbookError as error:
        raise problem(error.status, "file", str(error)) from error
    async with runtime.transaction() as uow:
        check = await handlers.check_upload(uow, commands.CheckUpload(reporting_unit, month, rows))
    return _identity(reporting_unit, month) | schemas.upload_check_document(check)


@router.post("/reports", tags=["special reports"], status_code=201)
async def post_report(
    body: schemas.NewReport,
    request: Request,
    access: AccessDep,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    campaign: CampaignParam = None,
) -> dict[str, Any]:
    """A special information report (专题信息) of the unit's month in a campaign; at least
    one per reporting unit and month is due with the month's ledger, else
    `SpecialReportMissing`."""
    access.require(county=body.unit_id, institution=body.unit_id)
    reference = unit_campaign(request, campaign, body.unit_id, body.period)
    command = commands.RecordReport(
        resolve_reporting_unit(reference, body.unit_id),
        resolve_month(reference, body.period),
        body.category,
        body.title,
        body.body,
    )
    async with runtime.transaction() as uow:
        report = await handlers.record_report(uow, command)
    return _identity(command.reporting_unit, report.month) | schemas.report_document(report)


@router.get("/reports", tags=["special reports"])
async def list_reports(
    unit_id: str,
    period: str,
    request: Request,
    store: StoreDep,
    campaign: CampaignParam = None,
) -> list[dict[str, Any]]:
    ledger = unit_month_of(request, unit_id, period, campaign)
    reports = await store.filings.reports_of(
        ledger.reference.campaign.id, ledger.reporting_unit.id, ledger.month
    )
    return [schemas.report_document(report) for report in reports]


@router.post("/publicity", tags=["publicity"], status_code=201)
async def post_activity(
    body: schemas.NewActivity,
    request: Request,
    access: AccessDep,
    runtime: RuntimeDep,
    handlers: HandlersDep,
    campaign: CampaignParam = None,
) -> dict[str, Any]:
    """A publicity activity (宣讲会、培训、宣传月活动), summed in the county's ledger summary
    of the campaign whose month holds `held_on`."""
    access.require_county(body.county_code)
    held_in = str(Month.of(body.held_on))
    reference = unit_campaign(request, campaign, body.county_code, held_in)
    county = resolve_reporting_unit(reference, body.county_code)
    if county.level is not Level.COUNTY:
        raise problem(422, "county_code", f"{county.id} is not a county")
    resolve_month(reference, held_in, field="held_on")
    unknown = set(body.institution_ids) - reference.institution_ids
    if unknown:
        raise problem(
            422,
            "institution_ids",
            f"not institutions of {reference.campaign.id}: {sorted(unknown)}",
        )
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
    request: Request,
    store: StoreDep,
    county_code: str | None = None,
    period: str | None = None,
    campaign: CampaignParam = None,
) -> list[dict[str, Any]]:
    """A campaign's publicity activities, of one county (whose campaign it then means when
    `campaign` is left out) or of all."""
    if county_code is not None:
        reference = unit_campaign(request, campaign, county_code, period)
    else:
        reference = resolve_campaign(request, campaign)
    month = resolve_month(reference, period) if period else None
    activities = await store.filings.activities_of(reference.campaign.id, county_code, month)
    return [schemas.activity_document(activity) for activity in activities]
