"""Roster's handlers: one method per command and per group of events. Each runs in the
caller's unit of work: it loads in bulk through the store, decides in the domain, saves in
bulk and emits what it caused through the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from roster.commands import Assign, Delist, Nominate, NominationInput, PublishWhitelist
from roster.domain.assignments import Assignment, AssignmentChange
from roster.domain.enterprise import Enterprise, NotListedError, admit, delist
from roster.domain.loans import LoanIssuance, LoanReversal
from roster.domain.nomination import Nomination, NominationDraft, Rules, screen
from roster.domain.reasons import Reason
from roster.domain.size_standard import SizeStandard
from roster.domain.whitelist import WhitelistCounts, count
from roster.storage import Store
from roster.storage.enterprises import NewListing, NewProfile, NominationRecord
from shared.clock import Clock
from shared.consumer import Message
from shared.contracts.bank import LoanIssued, LoanReversed
from shared.contracts.matchmaking import AttendanceRegistered, EnterpriseMatched
from shared.contracts.roster import (
    AssignmentWay,
    EnterpriseAssigned,
    EnterpriseDelisted,
    EnterpriseListed,
    EnterpriseNominated,
    NominationRejected,
    RejectionReason,
    WhitelistPublished,
)
from shared.reference import ReferenceData
from shared.topics import ROSTER_EVENTS
from shared.unit_of_work import UnitOfWork
from shared.validators import is_valid_uscc, normalize_uscc

WHITELIST_KEY = "whitelist"


class UnknownEnterpriseError(LookupError):
    """No nomination of this enterprise was ever accepted."""


class UnknownInstitutionError(LookupError):
    """An institution that is not in the campaign's reference data."""


@dataclass(frozen=True)
class NominationOutcome:
    nomination_id: str
    status: str  # listed | merged | rejected
    uscc: str | None
    enterprise: Enterprise | None = None
    reasons: Sequence[Reason] = field(default_factory=tuple)


@dataclass(frozen=True)
class AssignOutcome:
    created: bool
    """A new assignment; False if the enterprise already was assigned to the institution
    (an earlier `assigned_on` still moves its day)."""


@dataclass(frozen=True)
class PublishedWhitelist:
    version: int
    as_of: date
    counts: WhitelistCounts


class Handlers:
    def __init__(
        self, reference: Callable[[], ReferenceData], size_standard: SizeStandard, clock: Clock
    ) -> None:
        self._reference = reference
        self._size_standard = size_standard
        self._clock = clock

    def today(self) -> date:
        return self._clock().date()

    def rules(self) -> Rules:
        reference = self._reference()
        return Rules(
            county_codes=reference.county_codes,
            institution_ids=reference.institution_ids,
            look_back_years=reference.campaign.look_back_years,
            list_deadline=reference.campaign.list_deadline,
            standard=self._size_standard,
            today=self.today(),
        )

    # --- commands ----------------------------------------------------------------------

    async def nominate(self, uow: UnitOfWork[Store], command: Nominate) -> list[NominationOutcome]:
        """Each nomination gets its own outcome; later ones see the effect of earlier ones
        (a repeated USCC merges)."""
        usccs = [u for u in (_uscc_of(i.draft) for i in command.inputs) if u]
        await uow.store.enterprises.lock(usccs)
        known = await uow.store.enterprises.load(usccs)
        loans = await uow.store.loans.prior_loans(usccs)
        rules = self.rules()
        batch = _NominationBatch(known, command.channel)
        for item in command.inputs:
            decided = screen(item.draft, rules, loans, item.problems)
            if isinstance(decided, list):
                batch.reject(item, decided)
            else:
                batch.admit(item, decided)
        await batch.save(uow)
        return batch.outcomes

    async def assign(self, uow: UnitOfWork[Store], command: Assign) -> AssignOutcome:
        if command.institution_id not in self._reference().institution_ids:
            raise UnknownInstitutionError(command.institution_id)
        enterprise = await _locked_enterprise(uow, command.uscc)
        if enterprise.current is None:
            raise NotListedError(f"{command.uscc} is not on the list")
        assignment = Assignment(
            command.uscc,
            command.institution_id,
            command.assigned_on or self.today(),
            AssignmentWay.EXPLICIT,
        )
        changes = await uow.store.assignments.record([assignment], on_file={command.uscc})
        _emit_changes(uow, changes, {command.uscc: enterprise})
        return AssignOutcome(created=any(c.created for c in changes))

    async def delist(self, uow: UnitOfWork[Store], command: Delist) -> None:
        enterprise = await _locked_enterprise(uow, command.uscc)
        closed = delist(enterprise, command.on, command.reason, command.note)
        await uow.store.enterprises.close_listing(command.uscc, closed)
        event = EnterpriseDelisted(
            uscc=command.uscc, county_code=closed.county_code, on=command.on, reason=command.reason
        )
        uow.emit(ROSTER_EVENTS, command.uscc, event, subject=command.uscc)

    async def publish_whitelist(
        self, uow: UnitOfWork[Store], command: PublishWhitelist
    ) -> PublishedWhitelist:
        published_at = self._clock()
        as_of = published_at.date()
        version = await uow.store.whitelist.next_version()
        entries = await uow.store.whitelist.entries_on(as_of)
        counts = count(entries)
        await uow.store.whitelist.save_version(version, published_at, as_of, counts, entries)
        event = WhitelistPublished(
            version=version,
            published_at=published_at,
            total=counts.total,
            by_county=counts.by_county,
            by_institution=counts.by_institution,
        )
        uow.emit(ROSTER_EVENTS, WHITELIST_KEY, event)
        return PublishedWhitelist(version, as_of, counts)

    # --- events ------------------------------------------------------------------------

    async def apply_loans(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[LoanIssued]]
    ) -> None:
        """Each enterprise's loan history, for rule 1."""
        await uow.store.loans.save_issuances([_issuance(m.payload) for m in messages])

    async def apply_reversals(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[LoanReversed]]
    ) -> None:
        """A reversed loan no longer counts for rule 1; the reversal may come before it."""
        await uow.store.loans.save_reversals(
            [
                LoanReversal(p.institution_id, p.loan_id, p.reversed_on, p.reason)
                for p in (m.payload for m in messages)
            ]
        )

    async def apply_pairings(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[EnterpriseMatched]]
    ) -> None:
        """A pairing assigns the enterprise to the bank from `matched_on` (the earliest
        pairing counts); one not yet on file is announced when a nomination lists it."""
        matched = [m.payload for m in messages]
        await uow.store.matchmaking.save_matches(matched)
        if not matched:
            return
        on_file = await uow.store.enterprises.load({m.uscc for m in matched})
        arriving = [
            Assignment(m.uscc, m.institution_id, m.matched_on, AssignmentWay.MATCH) for m in matched
        ]
        changes = await uow.store.assignments.record(arriving, on_file=set(on_file))
        _emit_changes(uow, changes, on_file)

    async def apply_attendance(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[AttendanceRegistered]]
    ) -> None:
        """Fairs attended go into the enterprise's file."""
        await uow.store.matchmaking.save_attendances([m.payload for m in messages])


async def _locked_enterprise(uow: UnitOfWork[Store], uscc: str) -> Enterprise:
    await uow.store.enterprises.lock([uscc])
    enterprise = (await uow.store.enterprises.load([uscc])).get(uscc)
    if enterprise is None:
        raise UnknownEnterpriseError(uscc)
    return enterprise


def _uscc_of(draft: NominationDraft) -> str | None:
    code = normalize_uscc(draft.uscc) if draft.uscc else None
    return code if code and is_valid_uscc(code) else None


class _NominationBatch:
    """The in-memory state of one batch of nominations and what it will write."""

    def __init__(self, known: Mapping[str, Enterprise], channel: str) -> None:
        self.state = dict(known)
        self.channel = channel
        self.first_listed = {u for u, e in known.items() if e.listings}
        self.outcomes: list[NominationOutcome] = []
        self.records: list[NominationRecord] = []
        self.profiles: list[NewProfile] = []
        self.listings: list[NewListing] = []
        self.assignments: list[Assignment] = []
        self.events: list[tuple[str, Any]] = []

    def reject(self, item: NominationInput, reasons: Sequence[Reason]) -> None:
        nomination_id = str(uuid.uuid4())
        uscc = normalize_uscc(item.draft.uscc) if item.draft.uscc else None
        self.outcomes.append(NominationOutcome(nomination_id, "rejected", uscc, reasons=reasons))
        self.records.append(
            self._record(nomination_id, item, "rejected", uscc, reasons=reasons, late=None)
        )
        event = NominationRejected(
            nomination_id=nomination_id,
            uscc=uscc or "",
            name=item.draft.name,
            county_code=item.draft.county_code,
            nominated_by=item.draft.nominated_by,
            reasons=[RejectionReason(**r.as_dict()) for r in reasons],
        )
        self.events.append((uscc or nomination_id, event))

    def admit(self, item: NominationInput, nomination: Nomination) -> None:
        nomination_id = str(uuid.uuid4())
        admitted = admit(self.state.get(nomination.uscc), nomination)
        enterprise = admitted.enterprise
        self.state[nomination.uscc] = enterprise
        status = admitted.admission.value
        self.outcomes.append(NominationOutcome(nomination_id, status, nomination.uscc, enterprise))
        self.records.append(
            self._record(
                nomination_id, item, status, nomination.uscc, reasons=None, late=nomination.late
            )
        )
        county = enterprise.profile.county_code
        if admitted.new_profile:
            self.profiles.append(
                NewProfile(
                    nomination.uscc, nomination_id, nomination.nominated_on, enterprise.profile
                )
            )
        self.events.append((nomination.uscc, _nominated(nomination_id, nomination, county)))
        if admitted.new_listing is not None:
            listing = admitted.new_listing
            self.listings.append(NewListing(nomination.uscc, nomination_id, listing))
            self.events.append(
                (
                    nomination.uscc,
                    EnterpriseListed(
                        uscc=nomination.uscc,
                        name=nomination.name,
                        county_code=listing.county_code,
                        size_class=nomination.size_class,
                        listed_on=listing.listed_on,
                    ),
                )
            )
        if admitted.assignment is not None:
            self.assignments.append(admitted.assignment)

    def _record(
        self,
        nomination_id: str,
        item: NominationInput,
        status: str,
        uscc: str | None,
        *,
        reasons: Sequence[Reason] | None,
        late: bool | None,
    ) -> NominationRecord:
        draft = item.draft
        return NominationRecord(
            nomination_id=nomination_id,
            uscc=uscc,
            status=status,
            source=draft.source.value if draft.source else None,
            nominated_by=draft.nominated_by,
            nominated_on=draft.nominated_on,
            institution_id=draft.institution_id,
            late=late,
            channel=self.channel,
            input={k: _jsonable(v) for k, v in item.raw.items()},
            reasons=[r.as_dict() for r in reasons] if reasons is not None else None,
        )

    async def save(self, uow: UnitOfWork[Store]) -> None:
        store = uow.store
        await store.enterprises.save_nominations(self.records)
        await store.enterprises.save_profiles(self.profiles)
        await store.enterprises.save_listings(self.listings)
        for key, event in self.events:
            uow.emit(ROSTER_EVENTS, key, event, subject=key if len(key) == 18 else None)
        # Every enterprise of the batch is on file now (known before, or admitted).
        changes = await store.assignments.record(self.assignments, on_file=set(self.state))
        _emit_changes(uow, changes, self.state)
        newly_on_file = {n.uscc for n in self.listings} - self.first_listed
        for assignment in await store.assignments.announce_waiting(newly_on_file):
            _emit_assigned(uow, assignment, self.state[assignment.uscc].profile.county_code)


def _emit_changes(
    uow: UnitOfWork[Store],
    changes: Collection[AssignmentChange],
    enterprises: Mapping[str, Enterprise],
) -> None:
    """Publish each announced change: a new assignment, or an earlier day for a known one
    (consumers keep the earliest day they hear of)."""
    for change in changes:
        if change.announced:
            uscc = change.assignment.uscc
            _emit_assigned(uow, change.assignment, enterprises[uscc].profile.county_code)


def _emit_assigned(uow: UnitOfWork[Store], assignment: Assignment, county_code: str) -> None:
    event = EnterpriseAssigned(
        uscc=assignment.uscc,
        institution_id=assignment.institution_id,
        county_code=county_code,
        assigned_on=assignment.assigned_on,
        way=assignment.way,
    )
    uow.emit(ROSTER_EVENTS, assignment.uscc, event, subject=assignment.uscc)


def _nominated(nomination_id: str, n: Nomination, county_code: str) -> EnterpriseNominated:
    return EnterpriseNominated(
        nomination_id=nomination_id,
        uscc=n.uscc,
        name=n.name,
        county_code=county_code,
        size_class=n.size_class,
        source=n.source,
        nominated_by=n.nominated_by,
        nominated_on=n.nominated_on,
        institution_id=n.institution_id,
        late=n.late,
    )


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else str(value)


def _issuance(loan: LoanIssued) -> LoanIssuance:
    return LoanIssuance(
        institution_id=loan.institution_id,
        loan_id=loan.loan_id,
        uscc=loan.uscc,
        enterprise_name=loan.enterprise_name,
        amount_wan=loan.amount_wan,
        issued_on=loan.issued_on,
        first_loan_attested=loan.first_loan_attested,
    )
