"""What the ledger does with each event it consumes and each command it is given."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import documents, views
from ledger.domain.periods import Month
from ledger.domain.workflow import Notice, NoticeKind, Submission, next_submission, notices_due
from ledger.storage import facts, filings
from ledger.units import Unit, all_units, deadline_of, deadlines
from shared.consumer import Message
from shared.contracts import EventData
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.contracts.ledger import LedgerOverdue, LedgerSubmitted, SpecialReportMissing
from shared.contracts.matchmaking import EnterpriseMatched
from shared.contracts.roster import EnterpriseListed
from shared.reference import ReferenceData
from shared.service import Runtime
from shared.topics import LEDGER_EVENTS
from shared.unit_of_work import UnitOfWork

MATCHMAKING_EVENTS_HANDLED = (EnterpriseMatched,)
ROSTER_EVENTS_HANDLED = (EnterpriseListed,)


async def apply_matchmaking_events(
    unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
) -> None:
    matched = [e.payload for e in events if isinstance(e.payload, EnterpriseMatched)]
    await facts.save_pairings(
        unit.store,
        [
            {
                "match_id": m.match_id,
                "uscc": m.uscc,
                "institution_id": m.institution_id,
                "matched_on": m.matched_on,
                "channel": m.channel.value,
                "county_code": m.county_code,
                "enterprise_name": m.enterprise_name,
            }
            for m in matched
        ],
    )


async def apply_roster_events(
    unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
) -> None:
    listed = [e.payload for e in events if isinstance(e.payload, EnterpriseListed)]
    await facts.save_enterprises(
        unit.store,
        [
            {"uscc": e.uscc, "name": e.name, "county_code": e.county_code, "listed_on": e.listed_on}
            for e in listed
        ],
    )


async def apply_bank_events(
    unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
) -> None:
    decisions: list[dict[str, Any]] = []
    loans: list[dict[str, Any]] = []
    reversals: list[dict[str, Any]] = []
    for event in events:
        payload = event.payload
        if isinstance(payload, CreditGranted | CreditDeclined):
            decisions.append(_decision(payload, event.envelope.id))
        elif isinstance(payload, LoanIssued):
            loans.append(_loan(payload))
        elif isinstance(payload, LoanReversed):
            reversals.append(
                {
                    "institution_id": payload.institution_id,
                    "loan_id": payload.loan_id,
                    "reversed_on": payload.reversed_on,
                    "reason": payload.reason,
                }
            )
    await facts.save_decisions(unit.store, decisions)
    await facts.save_loans(unit.store, loans)
    await facts.save_reversals(unit.store, reversals)


def _decision(payload: CreditGranted | CreditDeclined, event_id: str) -> dict[str, Any]:
    common = {
        "institution_id": payload.institution_id,
        "uscc": payload.uscc,
        "enterprise_name": payload.enterprise_name,
    }
    if isinstance(payload, CreditGranted):
        return common | {
            "decision_id": payload.credit_id,
            "decided_on": payload.granted_on,
            "granted": True,
            "amount_wan": payload.amount_wan,
            "guarantee": payload.guarantee.value,
            "guarantor": payload.guarantor,
            "problems": [],
            "note": None,
        }
    # A decline has no id of its own: the event's id (unique per bank source) stands in.
    # Every row of one bulk insert has the same keys (the first row's keys pick the columns).
    return common | {
        "decision_id": f"declined:{event_id}",
        "decided_on": payload.declined_on,
        "granted": False,
        "amount_wan": 0,
        "guarantee": None,
        "guarantor": None,
        "problems": [p.value for p in payload.problems],
        "note": payload.note,
    }


def _loan(payload: LoanIssued) -> dict[str, Any]:
    return {
        "institution_id": payload.institution_id,
        "loan_id": payload.loan_id,
        "uscc": payload.uscc,
        "issued_on": payload.issued_on,
        "amount_wan": payload.amount_wan,
        "enterprise_name": payload.enterprise_name,
    }


async def submit_ledger(
    runtime: Runtime, ledger_unit: Unit, month: Month, now: datetime, reason: str | None
) -> Submission:
    """Freeze the unit's month as the next version and announce it (`LedgerSubmitted`)."""
    reference = runtime.reference()
    async with runtime.transaction() as unit:
        versions = await filings.submission_versions(unit.store, ledger_unit.id, month, lock=True)
        deadline = deadline_of(reference, month)
        submission = next_submission(filings.latest_of(versions), month, deadline, now, reason)
        view = await views.ledger_view(unit.store, reference, ledger_unit, month, now)
        snapshot = documents.ledger_document(view) | {
            "status": "submitted",
            "submission": documents.submission_document(submission),
        }
        await filings.save_submission(
            unit.store,
            {
                "unit_id": ledger_unit.id,
                "period": str(month),
                "version": submission.version,
                "submitted_at": submission.submitted_at,
                "late": submission.late,
                "reason": submission.reason,
                "row_count": view.totals.row_count,
                "credit_amount_wan": view.totals.credit_amount_wan,
                "loan_amount_wan": view.totals.loan_amount_wan,
                "snapshot": snapshot,
            },
        )
        event = LedgerSubmitted(
            unit_id=ledger_unit.id,
            period=str(month),
            version=submission.version,
            row_count=view.totals.row_count,
            credit_amount_wan=view.totals.credit_amount_wan,
            loan_amount_wan=view.totals.loan_amount_wan,
            submitted_at=submission.submitted_at,
            late=submission.late,
            reason=submission.reason,
        )
        unit.emit(LEDGER_EVENTS, ledger_unit.id, event)
    return submission


async def give_due_notices(runtime: Runtime, now: datetime) -> list[Notice]:
    """`LedgerOverdue` and `SpecialReportMissing` for every unit and month whose due time has
    passed without a filing: each exactly once, the notice's row and its outbox event in one
    transaction (the notice's primary key turns a second attempt into nothing)."""
    reference = runtime.reference()
    required = reference.campaign.special_reports_per_month
    async with runtime.transaction() as unit:
        connection = unit.store
        submitted = {(u, Month.parse(p)) for u, p in await filings.all_submissions(connection)}
        counts = await filings.report_counts(connection)
        reported = {(u, Month.parse(p)) for (u, p), n in counts.items() if n >= required}
        due = notices_due(
            [u.id for u in all_units(reference)],
            deadlines(reference),
            now,
            submitted,
            reported,
            await filings.given_notices(connection),
        )
        given = await filings.claim_notices(connection, due)
        for notice in given:
            unit.emit(LEDGER_EVENTS, notice.unit_id, _notice_event(reference, notice))
    return given


def _notice_event(reference: ReferenceData, notice: Notice) -> EventData:
    due_at = deadline_of(reference, notice.month).due_at
    if notice.kind is NoticeKind.LEDGER_OVERDUE:
        return LedgerOverdue(unit_id=notice.unit_id, period=str(notice.month), due_at=due_at)
    return SpecialReportMissing(unit_id=notice.unit_id, period=str(notice.month), due_at=due_at)


async def record_report(
    runtime: Runtime, unit_id: str, month: Month, fields: dict[str, Any], now: datetime
) -> str:
    report_id = str(uuid.uuid4())
    async with runtime.transaction() as unit:
        await filings.save_report(
            unit.store,
            {
                "report_id": report_id,
                "unit_id": unit_id,
                "period": str(month),
                "reported_at": now,
                **fields,
            },
        )
    return report_id


async def record_activity(
    runtime: Runtime, county_code: str, month: Month, fields: dict[str, Any], now: datetime
) -> str:
    activity_id = str(uuid.uuid4())
    async with runtime.transaction() as unit:
        await filings.save_activity(
            unit.store,
            {
                "activity_id": activity_id,
                "county_code": county_code,
                "period": str(month),
                "recorded_at": now,
                **fields,
            },
        )
    return activity_id
