"""HTTP request bodies of the ledger's API, and how its objects are shown as JSON: the ledger
document (what GET returns and what a submission freezes), versions, reports, activities,
the status grid and the check of an upload."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from ledger.domain import sheet
from ledger.domain.activities import PublicityActivity, PublicityKind, ReportCategory, SpecialReport
from ledger.domain.rows import Totals
from ledger.domain.upload import UploadCheck
from ledger.domain.workflow import Submission
from ledger.storage import FiledVersion
from ledger.views import LedgerView, StatusCell
from shared.contracts.types import CountyCode, Period, UnitId

# --- requests -----------------------------------------------------------------------------


class SubmitLedgerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(
        default=None, max_length=2000, description="Required for a resubmission: why."
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


# --- responses ----------------------------------------------------------------------------


def totals_document(totals: Totals) -> dict[str, Any]:
    return {
        "row_count": totals.row_count,
        "granted_count": totals.granted_count,
        "credit_amount_wan": sheet.amount_text(totals.credit_amount_wan) or "0.00",
        "loan_amount_wan": sheet.amount_text(totals.loan_amount_wan) or "0.00",
    }


def submission_document(submission: Submission) -> dict[str, Any]:
    return {
        "version": submission.version,
        "submitted_at": submission.submitted_at.isoformat(),
        "late": submission.late,
        "reason": submission.reason,
    }


def ledger_document(view: LedgerView) -> dict[str, Any]:
    reporting_unit = view.reporting_unit
    return {
        "title": sheet.TITLE,
        "campaign_id": reporting_unit.campaign_id,
        "unit_id": reporting_unit.id,
        "unit_name": reporting_unit.name,
        "level": reporting_unit.level.value,
        "period": str(view.month),
        "status": view.status.value,
        "due_date": view.deadline.due_date.isoformat(),
        "due_at": view.deadline.due_at.isoformat(),
        "columns": list(sheet.COLUMNS),
        "rows": [sheet.cells(row, reporting_unit.name) for row in view.rows],
        "totals": totals_document(view.totals),
        "summary": {
            "special_reports": view.reports,
            "publicity": asdict(view.publicity) if view.publicity is not None else None,
        },
        "versions": [submission_document(s) for s in view.versions],
    }


def version_document(version: FiledVersion) -> dict[str, Any]:
    submission = version.submission
    return {
        "version": submission.version,
        "submitted_at": submission.submitted_at.isoformat(),
        "late": submission.late,
        "reason": submission.reason,
        "row_count": version.row_count,
    }


def status_grid_document(
    campaign_id: str, cells: list[StatusCell], now: datetime
) -> dict[str, Any]:
    periods = sorted({cell.month for cell in cells})
    return {
        "campaign_id": campaign_id,
        "as_of": now.isoformat(),
        "periods": [str(month) for month in periods],
        "cells": [
            {
                "unit_id": cell.reporting_unit.id,
                "unit_name": cell.reporting_unit.name,
                "level": cell.reporting_unit.level.value,
                "period": str(cell.month),
                "due_at": cell.deadline.due_at.isoformat(),
                "ledger": cell.ledger.value,
                "submitted_at": cell.first.submitted_at.isoformat() if cell.first else None,
                "special_report": cell.special_report.value,
            }
            for cell in cells
        ],
    }


def report_document(report: SpecialReport) -> dict[str, Any]:
    return {
        "report_id": report.report_id,
        "campaign_id": report.campaign_id,
        "category": report.category.value,
        "title": report.title,
        "body": report.body,
        "reported_at": report.reported_at.isoformat(),
    }


def activity_document(activity: PublicityActivity) -> dict[str, Any]:
    return {
        "activity_id": activity.activity_id,
        "campaign_id": activity.campaign_id,
        "county_code": activity.county_code,
        "period": str(activity.month),
        "held_on": activity.held_on.isoformat(),
        "kind": activity.kind.value,
        "title": activity.title,
        "participants": activity.participants,
        "enterprises": activity.enterprises,
        "institution_ids": list(activity.institution_ids),
        "organizer": activity.organizer,
    }


def upload_check_document(check: UploadCheck) -> dict[str, Any]:
    errors = [asdict(e) for e in check.errors]
    return {
        "rows": check.rows,
        "valid": not errors,
        "errors": errors,
        "discrepancies": [asdict(d) for d in check.discrepancies],
        "matches_events": not errors and not check.discrepancies,
    }
