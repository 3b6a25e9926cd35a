"""The ledger as a JSON document: what GET returns and what a submission freezes."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ledger.domain import sheet
from ledger.domain.rows import Totals
from ledger.domain.workflow import Submission
from ledger.views import LedgerView


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
    return {
        "title": sheet.TITLE,
        "unit_id": view.unit.id,
        "unit_name": view.unit.name,
        "level": view.unit.level.value,
        "period": str(view.month),
        "status": view.status.value,
        "due_date": view.deadline.due_date.isoformat(),
        "due_at": view.deadline.due_at.isoformat(),
        "columns": list(sheet.COLUMNS),
        "rows": [sheet.cells(row, view.unit.name) for row in view.rows],
        "totals": totals_document(view.totals),
        "summary": {
            "special_reports": view.reports,
            "publicity": asdict(view.publicity) if view.publicity is not None else None,
        },
        "versions": [submission_document(s) for s in view.versions],
    }
