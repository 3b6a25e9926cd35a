"""Ledger's HTTP API (thin): the monthly ledger in JSON or xlsx, filing, uploads of
hand-kept ledgers, special information reports, publicity activities, the status grid."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, HTTPException, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from ledger import documents, handlers, spreadsheet, views
from ledger.domain import upload
from ledger.domain.activities import PublicityKind, ReportCategory
from ledger.domain.periods import InvalidPeriodError, Month
from ledger.domain.workflow import MonthNotOverError, ReasonRequiredError, filing, report_state
from ledger.settings import LedgerSettings
from ledger.storage import filings
from ledger.units import (
    Level,
    NotACampaignMonthError,
    Unit,
    UnknownUnitError,
    all_units,
    campaign_month,
    campaign_months,
    deadline_of,
    unit_of,
)
from shared.clock import Clock
from shared.contracts.types import GUARANTEE_ZH, PROBLEM_ZH, CountyCode, Period, UnitId
from shared.service import Runtime

router = APIRouter()


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
NowDep = Annotated[datetime, Depends(get_now)]


def problem(status: int, field: str, message: str) -> HTTPException:
    return HTTPException(status, detail=[{"field": field, "message": message}])


def resolve_unit(runtime: Runtime, unit_id: str) -> Unit:
    try:
        return unit_of(runtime.reference(), unit_id)
    except UnknownUnitError as error:
        raise problem(404, "unit_id", str(error)) from error


def resolve_month(runtime: Runtime, period: str) -> Month:
    try:
        return campaign_month(runtime.reference(), period)
    except InvalidPeriodError as error:
        raise problem(422, "period", str(error)) from error
    except NotACampaignMonthError as error:
        raise problem(404, "period", str(error)) from error


@router.get("/ledgers/status", tags=["ledger"], summary="Status grid: unit x month")
async def status_grid(runtime: RuntimeDep, now: NowDep) -> dict[str, Any]:
    """For every unit and campaign month: the ledger filed on time, late, overdue or not yet
    due (judged by the first version), and the special information report filed, missing or
    not yet due."""
    reference = runtime.reference()
    required = reference.campaign.special_reports_per_month
    async with runtime.engine.connect() as connection:
        firsts = await filings.all_submissions(connection)
        counts = await filings.report_counts(connection)
    months = campaign_months(reference)
    cells = []
    for unit in all_units(reference):
        for month in months:
            deadline = deadline_of(reference, month)
            key = (unit.id, str(month))
            first = firsts.get(key)
            cells.append(
                {
                    "unit_id": unit.id,
                    "unit_name": unit.name,
                    "level": unit.level.value,
                    "period": str(month),
                    "due_at": deadline.due_at.isoformat(),
                    "ledger": filing(first, deadline, now).value,
                    "submitted_at": first.submitted_at.isoformat() if first else None,
                    "special_report": report_state(
                        counts.get(key, 0), required, deadline, now
                    ).value,
                }
            )
    return {"as_of": now.isoformat(), "periods": [str(m) for m in months], "cells": cells}


@router.get(
    "/ledgers/{unit_id}/{period}",
    tags=["ledger"],
    summary="A unit's monthly ledger (JSON, or xlsx by the Accept header)",
    responses={200: {"content": {spreadsheet.MEDIA_TYPE: {}}}},
)
async def get_ledger(
    unit_id: str, period: str, request: Request, runtime: RuntimeDep, now: NowDep
) -> Any:
    unit, month = resolve_unit(runtime, unit_id), resolve_month(runtime, period)
    async with runtime.engine.connect() as connection:
        view = await views.ledger_view(connection, runtime.reference(), unit, month, now)
    if spreadsheet.MEDIA_TYPE in request.headers.get("accept", ""):
        filename = f"ledger-{unit.id}-{month}.xlsx"
        return Response(
            spreadsheet.workbook_bytes(view),
            media_type=spreadsheet.MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return documents.ledger_document(view)


class SubmitLedger(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(
        default=None, max_length=2000, description="Required for a resubmission: why."
    )


@router.post("/ledgers/{unit_id}/{period}/submit", tags=["ledger"], status_code=201)
async def submit(
    unit_id: str,
    period: str,
    runtime: RuntimeDep,
    now: NowDep,
    body: SubmitLedger | None = None,
) -> dict[str, Any]:
    """Freeze the ledger as built now (an immutable, versioned snapshot) and announce
    `LedgerSubmitted`. A submission after the due time is marked late."""
    unit, month = resolve_unit(runtime, unit_id), resolve_month(runtime, period)
    reason = body.reason if body else None
    try:
        submission = await handlers.submit_ledger(runtime, unit, month, now, reason)
    except ReasonRequiredError as error:
        raise problem(422, "reason", str(error)) from error
    except MonthNotOverError as error:
        raise problem(409, "period", str(error)) from error
    return {"unit_id": unit.id, "period": str(month)} | documents.submission_document(submission)


@router.get("/ledgers/{unit_id}/{period}/versions", tags=["ledger"])
async def versions(unit_id: str, period: str, runtime: RuntimeDep) -> list[dict[str, Any]]:
    unit, month = resolve_unit(runtime, unit_id), resolve_month(runtime, period)
    async with runtime.engine.connect() as connection:
        rows = await filings.submission_versions(connection, unit.id, month)
    return [
        {"version": r.version, "submitted_at": r.submitted_at.isoformat(), "late": r.late}
        | {"reason": r.reason, "row_count": r.row_count}
        for r in rows
    ]


@router.get("/ledgers/{unit_id}/{period}/versions/{version}", tags=["ledger"])
async def version_snapshot(
    unit_id: str, period: str, version: int, runtime: RuntimeDep
) -> dict[str, Any]:
    """The ledger exactly as submitted in that version."""
    unit, month = resolve_unit(runtime, unit_id), resolve_month(runtime, period)
    async with runtime.engine.connect() as connection:
        rows = await filings.submission_versions(connection, unit.id, month)
    for row in rows:
        if row.version == version:
            snapshot: dict[str, Any] = row.snapshot
            return snapshot
    raise problem(404, "version", f"no version {version} of {unit.id} {month}")


@router.post("/ledgers/{unit_id}/{period}/upload", tags=["ledger"])
async def upload_ledger(
    unit_id: str,
    period: str,
    request: Request,
    runtime: RuntimeDep,
    now: NowDep,
    file: Annotated[UploadFile, File(description="The hand-kept ledger, xlsx")],
) -> dict[str, Any]:
    """Check a hand-kept ledger row by row and list its differences from the ledger built
    from events: rows missing from the upload, extra rows, differing dates, outcomes and
    amounts. Nothing is stored; filing is still `submit`."""
    settings: LedgerSettings = runtime.settings  # type: ignore[assignment]
    unit, month = resolve_unit(runtime, unit_id), resolve_month(runtime, period)
    content = await file.read(settings.upload_max_bytes + 1)
    if len(content) > settings.upload_max_bytes:
        raise problem(413, "file", f"larger than {settings.upload_max_bytes} bytes")
    try:
        sheet_rows = list(spreadsheet.read_rows(content))
    except spreadsheet.UnreadableWorkbookError as error:
        raise problem(422, "file", str(error)) from error
    context = _upload_context(runtime, unit, month)
    checked = [upload.check_row(number, values, context) for number, values in sheet_rows]
    good = [r for r in checked if isinstance(r, upload.UploadedRow)]
    errors = [asdict(e) for r in checked if isinstance(r, list) for e in r]
    async with runtime.engine.connect() as connection:
        built = await views.built_rows(connection, runtime.reference(), unit, month)
    found = upload.discrepancies(good, built)  # rows with errors count as not uploaded
    return {
        "unit_id": unit.id,
        "period": str(month),
        "rows": len(sheet_rows),
        "valid": not errors,
        "errors": errors,
        "discrepancies": [asdict(d) for d in found],
        "matches_events": not errors and not found,
    }


def _upload_context(runtime: Runtime, unit: Unit, month: Month) -> upload.UnitContext:
    reference = runtime.reference()
    by_name = {i.name: i.id for i in reference.institutions}
    by_name |= {i.id: i.id for i in reference.institutions}
    return upload.UnitContext(
        unit_names=unit.names,
        month=month,
        institutions_by_name=by_name,
        institution_unit=unit.id if unit.level is Level.INSTITUTION else None,
        guarantee_names=frozenset(GUARANTEE_ZH.values()),
        problem_names=frozenset(PROBLEM_ZH.values()),
    )


class NewReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    unit_id: UnitId
    period: Period
    category: ReportCategory = Field(
        description="宣传活动总结 publicity_summary, 帮扶活动总结 assistance_summary, "
        "经验做法 experience, 创新产品 innovative_product, 典型案例 typical_case."
    )
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=50_000)


@router.post("/reports", tags=["special reports"], status_code=201)
async def post_report(report: NewReport, runtime: RuntimeDep, now: NowDep) -> dict[str, Any]:
    """A special information report (专题信息); at least one per unit and month is due with
    the month's ledger, else `SpecialReportMissing`."""
    unit, month = resolve_unit(runtime, report.unit_id), resolve_month(runtime, report.period)
    fields = {"category": report.category.value, "title": report.title, "body": report.body}
    report_id = await handlers.record_report(runtime, unit.id, month, fields, now)
    return {"report_id": report_id, "unit_id": unit.id, "period": str(month)} | fields


@router.get("/reports", tags=["special reports"])
async def list_reports(unit_id: str, period: str, runtime: RuntimeDep) -> list[dict[str, Any]]:
    unit, month = resolve_unit(runtime, unit_id), resolve_month(runtime, period)
    async with runtime.engine.connect() as connection:
        rows = await filings.reports_of(connection, unit.id, month)
    return [
        {"report_id": r.report_id, "category": r.category, "title": r.title, "body": r.body}
        | {"reported_at": r.reported_at.isoformat()}
        for r in rows
    ]


class NewActivity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    county_code: CountyCode
    held_on: date = Field(description="The activity's day; its month is the ledger's.")
    kind: PublicityKind = Field(
        description="宣讲会 briefing, 培训 training, 宣传月活动 publicity_month, other."
    )
    title: str = Field(min_length=1, max_length=200)
    participants: NonNegativeInt = Field(description="People who attended.")
    enterprises: NonNegativeInt = Field(default=0, description="Enterprises reached.")
    institution_ids: list[str] = Field(
        default_factory=list, description="Institutions taking part."
    )
    organizer: str | None = Field(default=None, max_length=200)


@router.post("/publicity", tags=["publicity"], status_code=201)
async def post_activity(activity: NewActivity, runtime: RuntimeDep, now: NowDep) -> dict[str, Any]:
    """A publicity activity (宣讲会、培训、宣传月活动), summed in the county's ledger summary."""
    unit = resolve_unit(runtime, activity.county_code)
    if unit.level is not Level.COUNTY:
        raise problem(422, "county_code", f"{unit.id} is not a county")
    month = resolve_month(runtime, str(Month.of(activity.held_on)))
    unknown = set(activity.institution_ids) - runtime.reference().institution_ids
    if unknown:
        raise problem(422, "institution_ids", f"unknown institutions: {sorted(unknown)}")
    fields = activity.model_dump(mode="json", exclude={"county_code"})
    fields["held_on"] = activity.held_on
    activity_id = await handlers.record_activity(runtime, unit.id, month, fields, now)
    return {"activity_id": activity_id, "period": str(month)} | activity.model_dump(mode="json")


@router.get("/publicity", tags=["publicity"])
async def list_activities(
    runtime: RuntimeDep, county_code: str | None = None, period: str | None = None
) -> list[dict[str, Any]]:
    month = resolve_month(runtime, period) if period else None
    async with runtime.engine.connect() as connection:
        rows = await filings.activities_of(connection, county_code, month)
    return [
        {
            "activity_id": r.activity_id,
            "county_code": r.county_code,
            "period": r.period,
            "held_on": r.held_on.isoformat(),
            "kind": r.kind,
            "title": r.title,
            "participants": r.participants,
            "enterprises": r.enterprises,
            "institution_ids": list(r.institution_ids),
            "organizer": r.organizer,
        }
        for r in rows
    ]
