"""What the ledger does with each command it is given and each event it consumes, and the
notices it gives when a due time passes, in every campaign.

Facts (pairings, credits, loans, listings) are kept as they come, whatever campaign they
fall in; filings and notices are a campaign's: a command's reporting unit names it."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from ledger import schemas, views
from ledger.commands import CheckUpload, RecordActivity, RecordReport, SubmitLedger
from ledger.domain import upload
from ledger.domain.activities import PublicityActivity, SpecialReport
from ledger.domain.facts import CreditDecision, ListedEnterprise, Loan, Pairing, Reversal
from ledger.domain.periods import Month
from ledger.domain.workflow import Notice, NoticeKind, Submission, next_submission, notices_due
from ledger.reporting_units import Level, ReportingUnit, all_reporting_units, deadline_of, deadlines
from ledger.storage import FiledVersion, Store
from shared.campaigns import CampaignBook
from shared.clock import Clock
from shared.consumer import Message
from shared.contracts import EventData
from shared.contracts.bank import CreditDeclined, CreditGranted, LoanIssued, LoanReversed
from shared.contracts.ledger import LedgerOverdue, LedgerSubmitted, SpecialReportMissing
from shared.contracts.matchmaking import EnterpriseMatched
from shared.contracts.roster import EnterpriseListed
from shared.contracts.types import GUARANTEE_ZH, PROBLEM_ZH
from shared.reference import ReferenceData
from shared.topics import LEDGER_EVENTS
from shared.unit_of_work import UnitOfWork


class Handlers:
    def __init__(self, book: Callable[[], CampaignBook], clock: Clock) -> None:
        self._book = book
        self._clock = clock

    def _campaign_of(self, reporting_unit: ReportingUnit) -> tuple[CampaignBook, ReferenceData]:
        book = self._book()
        return book, book.get(reporting_unit.campaign_id)

    # --- commands ---------------------------------------------------------------------

    async def submit_ledger(self, uow: UnitOfWork[Store], command: SubmitLedger) -> Submission:
        """Freeze the reporting unit's month in its campaign as the next version and
        announce it (`LedgerSubmitted`). A submission after the due time is late."""
        (book, reference), now = self._campaign_of(command.reporting_unit), self._clock()
        reporting_unit, month = command.reporting_unit, command.month
        campaign_id = reference.campaign.id
        await uow.store.filings.lock_ledger(campaign_id, reporting_unit.id, month)
        versions = await uow.store.filings.versions_of(campaign_id, reporting_unit.id, month)
        latest = versions[-1].submission if versions else None
        deadline = deadline_of(reference, month)
        submission = next_submission(latest, month, deadline, now, command.reason)
        view = await views.ledger_view(uow.store, reference, reporting_unit, month, now, book)
        snapshot = schemas.ledger_document(view) | {
            "status": "submitted",
            "submission": schemas.submission_document(submission),
        }
        await uow.store.filings.save_version(
            FiledVersion(
                campaign_id=campaign_id,
                unit_id=reporting_unit.id,
                month=month,
                submission=submission,
                row_count=view.totals.row_count,
                credit_amount_wan=view.totals.credit_amount_wan,
                loan_amount_wan=view.totals.loan_amount_wan,
                snapshot=snapshot,
            )
        )
        event = LedgerSubmitted(
            campaign_id=campaign_id,
            unit_id=reporting_unit.id,
            period=str(month),
            version=submission.version,
            row_count=view.totals.row_count,
            credit_amount_wan=view.totals.credit_amount_wan,
            loan_amount_wan=view.totals.loan_amount_wan,
            submitted_at=submission.submitted_at,
            late=submission.late,
            reason=submission.reason,
        )
        uow.emit(LEDGER_EVENTS, reporting_unit.id, event)
        return submission

    async def record_report(self, uow: UnitOfWork[Store], command: RecordReport) -> SpecialReport:
        report = SpecialReport(
            report_id=str(uuid.uuid4()),
            campaign_id=command.reporting_unit.campaign_id,
            unit_id=command.reporting_unit.id,
            month=command.month,
            category=command.category,
            title=command.title,
            body=command.body,
            reported_at=self._clock(),
        )
        await uow.store.filings.save_report(report)
        return report

    async def record_activity(
        self, uow: UnitOfWork[Store], command: RecordActivity
    ) -> PublicityActivity:
        activity = PublicityActivity(
            activity_id=str(uuid.uuid4()),
            campaign_id=command.county.campaign_id,
            county_code=command.county.id,
            month=Month.of(command.held_on),
            held_on=command.held_on,
            kind=command.kind,
            title=command.title,
            participants=command.participants,
            enterprises=command.enterprises,
            institution_ids=command.institution_ids,
            organizer=command.organizer,
            recorded_at=self._clock(),
        )
        await uow.store.filings.save_activity(activity)
        return activity

    async def check_upload(
        self, uow: UnitOfWork[Store], command: CheckUpload
    ) -> upload.UploadCheck:
        """Each uploaded row checked on its own, then the rows without errors compared with
        the ledger built from events (a row with errors counts as not uploaded)."""
        book, reference = self._campaign_of(command.reporting_unit)
        reporting_unit, month = command.reporting_unit, command.month
        context = _upload_context(reference, reporting_unit, month)
        checked = [upload.check_row(number, values, context) for number, values in command.rows]
        good = [r for r in checked if isinstance(r, upload.UploadedRow)]
        errors = [e for r in checked if isinstance(r, list) for e in r]
        built = await views.built_rows(uow.store, reference, reporting_unit, month, book)
        return upload.UploadCheck(len(command.rows), errors, upload.discrepancies(good, built))

    # --- events -----------------------------------------------------------------------

    async def apply_pairings(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[EnterpriseMatched]]
    ) -> None:
        await uow.store.facts.save_pairings(
            [
                Pairing(
                    match_id=m.match_id,
                    uscc=m.uscc,
                    institution_id=m.institution_id,
                    matched_on=m.matched_on,
                    channel=m.channel.value,
                    county_code=m.county_code,
                    enterprise_name=m.enterprise_name,
                )
                for m in (message.payload for message in messages)
            ]
        )

    async def apply_listings(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[EnterpriseListed]]
    ) -> None:
        await uow.store.facts.save_enterprises(
            [
                ListedEnterprise(e.uscc, e.name, e.county_code, e.listed_on)
                for e in (message.payload for message in messages)
            ]
        )

    async def apply_credit_decisions(
        self,
        uow: UnitOfWork[Store],
        messages: Sequence[Message[CreditGranted | CreditDeclined]],
    ) -> None:
        await uow.store.facts.save_decisions([_decision(message) for message in messages])

    async def apply_loans(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[LoanIssued]]
    ) -> None:
        await uow.store.facts.save_loans(
            [
                Loan(
                    institution_id=loan.institution_id,
                    loan_id=loan.loan_id,
                    uscc=loan.uscc,
                    issued_on=loan.issued_on,
                    amount_wan=loan.amount_wan,
                    enterprise_name=loan.enterprise_name,
                )
                for loan in (message.payload for message in messages)
            ]
        )

    async def apply_reversals(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[LoanReversed]]
    ) -> None:
        await uow.store.facts.save_reversals(
            [
                Reversal(r.institution_id, r.loan_id, r.reversed_on, r.reason)
                for r in (message.payload for message in messages)
            ]
        )

    # --- deadlines --------------------------------------------------------------------

    async def give_due_notices(self, uow: UnitOfWork[Store]) -> list[Notice]:
        """`LedgerOverdue` and `SpecialReportMissing` for every campaign's reporting units
        and months whose due time (the campaign's `ledger_due_day`) has passed without a
        filing: each exactly once, the notice's row and its event in one transaction (a
        notice already given is not given again)."""
        book, now = self._book(), self._clock()
        await uow.store.filings.lock_notices()
        given: list[Notice] = []
        for reference in book.campaigns:
            given += await self._give_campaign_notices(uow, reference, now)
        return given

    async def _give_campaign_notices(
        self, uow: UnitOfWork[Store], reference: ReferenceData, now: datetime
    ) -> list[Notice]:
        filings, campaign_id = uow.store.filings, reference.campaign.id
        required = reference.campaign.special_reports_per_month
        counts = await filings.report_counts(campaign_id)
        due = notices_due(
            [reporting_unit.id for reporting_unit in all_reporting_units(reference)],
            deadlines(reference),
            now,
            set(await filings.first_submissions(campaign_id)),
            {key for key, n in counts.items() if n >= required},
            await filings.given_notices(campaign_id),
        )
        given = await filings.claim_notices(campaign_id, due, given_at=now)
        for notice in given:
            uow.emit(LEDGER_EVENTS, notice.unit_id, _notice_event(reference, notice))
        return given


def _decision(message: Message[CreditGranted | CreditDeclined]) -> CreditDecision:
    payload = message.payload
    if isinstance(payload, CreditGranted):
        return CreditDecision(
            decision_id=payload.credit_id,
            institution_id=payload.institution_id,
            uscc=payload.uscc,
            decided_on=payload.granted_on,
            granted=True,
            enterprise_name=payload.enterprise_name,
            amount_wan=payload.amount_wan,
            guarantee=payload.guarantee.value,
            guarantor=payload.guarantor,
        )
    return CreditDecision(
        decision_id=f"declined:{message.envelope.id}",
        institution_id=payload.institution_id,
        uscc=payload.uscc,
        decided_on=payload.declined_on,
        granted=False,
        enterprise_name=payload.enterprise_name,
        problems=tuple(p.value for p in payload.problems),
        note=payload.note,
    )


def _notice_event(reference: ReferenceData, notice: Notice) -> EventData:
    campaign_id, unit_id, period = reference.campaign.id, notice.unit_id, str(notice.month)
    due_at = deadline_of(reference, notice.month).due_at
    if notice.kind is NoticeKind.LEDGER_OVERDUE:
        return LedgerOverdue(campaign_id=campaign_id, unit_id=unit_id, period=period, due_at=due_at)
    return SpecialReportMissing(
        campaign_id=campaign_id, unit_id=unit_id, period=period, due_at=due_at
    )


def _upload_context(
    reference: ReferenceData, reporting_unit: ReportingUnit, month: Month
) -> upload.ReportingUnitContext:
    by_name = {i.name: i.id for i in reference.institutions}
    by_name |= {i.id: i.id for i in reference.institutions}
    return upload.ReportingUnitContext(
        reporting_unit_names=reporting_unit.names,
        month=month,
        institutions_by_name=by_name,
        institution_id=reporting_unit.id if reporting_unit.level is Level.INSTITUTION else None,
        guarantee_names=frozenset(GUARANTEE_ZH.values()),
        problem_names=frozenset(PROBLEM_ZH.values()),
    )
