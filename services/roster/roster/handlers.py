"""One function per command or event: open nothing themselves (the caller's unit of work),
load in bulk, decide in the domain, save in bulk, emit through the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.domain.enterprise import Enterprise, NotListedError, admit, delist
from roster.domain.loans import LoanIssuance, LoanReversal
from roster.domain.nomination import Nomination, NominationDraft, Rules, screen
from roster.domain.reasons import Reason
from roster.domain.whitelist import WhitelistCounts, count
from roster.storage import enterprises as store
from roster.storage import facts, reads, whitelist
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
from shared.topics import ROSTER_EVENTS
from shared.unit_of_work import UnitOfWork
from shared.validators import is_valid_uscc, normalize_uscc

MATCHMAKING_EVENTS_HANDLED = (EnterpriseMatched, AttendanceRegistered)
WHITELIST_KEY = "whitelist"


class UnknownEnterpriseError(LookupError):
    """No nomination of this enterprise was ever accepted."""


@dataclass(frozen=True)
class NominationInput:
    draft: NominationDraft
    problems: Sequence[Reason]
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class NominationOutcome:
    nomination_id: str
    status: str  # listed | merged | rejected
    uscc: str | None
    enterprise: Enterprise | None = None
    reasons: Sequence[Reason] = field(default_factory=tuple)


async def nominate(
    unit: UnitOfWork[AsyncConnection], inputs: Sequence[NominationInput], rules: Rules, channel: str
) -> list[NominationOutcome]:
    """Screen and admit a batch of nominations in one transaction; each gets its own outcome.
    Later rows see the effect of earlier ones (a repeated USCC merges)."""
    usccs = [u for u in (_usccs_of(i.draft) for i in inputs) if u]
    await store.lock_usccs(unit.store, usccs)
    known = await store.load_enterprises(unit.store, usccs)
    loans = await store.load_prior_loans(unit.store, usccs)
    batch = _Batch(known)
    for item in inputs:
        decided = screen(item.draft, rules, loans, item.problems)
        if isinstance(decided, list):
            batch.reject(item, decided)
        else:
            batch.admit(item, decided)
    await batch.save(unit)
    return batch.outcomes


def _usccs_of(draft: NominationDraft) -> str | None:
    code = normalize_uscc(draft.uscc) if draft.uscc else None
    return code if code and is_valid_uscc(code) else None


class _Batch:
    """The in-memory state of one batch of nominations and what it will write."""

    def __init__(self, known: dict[str, Enterprise]) -> None:
        self.state = dict(known)
        self.first_listed = {u for u, e in known.items() if e.listings}
        self.outcomes: list[NominationOutcome] = []
        self.rows: list[dict[str, Any]] = []
        self.profiles: list[store.NewProfile] = []
        self.listings: list[store.NewListing] = []
        self.assignments: list[dict[str, Any]] = []
        self.events: list[tuple[str, Any]] = []

    def reject(self, item: NominationInput, reasons: Sequence[Reason]) -> None:
        nomination_id = str(uuid.uuid4())
        uscc = normalize_uscc(item.draft.uscc) if item.draft.uscc else None
        self.outcomes.append(NominationOutcome(nomination_id, "rejected", uscc, reasons=reasons))
        self.rows.append(
            _nomination_row(nomination_id, item, "rejected", uscc) | {"reasons": _json(reasons)}
        )
        event = NominationRejected(
            nomination_id=nomination_id,
            uscc=uscc or "",
            name=item.draft.name,
            county_code=item.draft.county_code,
            nominated_by=item.draft.nominated_by,
            reasons=[RejectionReason(**_reason_dict(r)) for r in reasons],
        )
        self.events.append((uscc or nomination_id, event))

    def admit(self, item: NominationInput, nomination: Nomination) -> None:
        nomination_id = str(uuid.uuid4())
        admitted = admit(self.state.get(nomination.uscc), nomination)
        enterprise = admitted.enterprise
        self.state[nomination.uscc] = enterprise
        status = admitted.admission.value
        self.outcomes.append(NominationOutcome(nomination_id, status, nomination.uscc, enterprise))
        self.rows.append(
            _nomination_row(nomination_id, item, status, nomination.uscc)
            | {"late": nomination.late}
        )
        county = enterprise.profile.county_code
        if admitted.new_profile:
            self.profiles.append(
                store.NewProfile(
                    nomination.uscc, nomination_id, nomination.nominated_on, enterprise.profile
                )
            )
        self.events.append((nomination.uscc, _nominated(nomination_id, nomination, county)))
        if admitted.new_listing is not None:
            listing = admitted.new_listing
            self.listings.append(store.NewListing(nomination.uscc, nomination_id, listing))
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
        if admitted.new_assignment is not None:
            self.assignments.append(
                {
                    "uscc": nomination.uscc,
                    "institution_id": admitted.new_assignment,
                    "way": AssignmentWay.NOMINATION.value,
                    "assigned_on": nomination.nominated_on,
                    "announced": True,
                }
            )

    async def save(self, unit: UnitOfWork[AsyncConnection]) -> None:
        connection = unit.store
        await store.save_nominations(connection, self.rows)
        await store.save_profiles(connection, self.profiles)
        await store.save_listings(connection, self.listings)
        inserted = await store.add_assignments(connection, self.assignments)
        for key, event in self.events:
            unit.emit(ROSTER_EVENTS, key, event, subject=key if len(key) == 18 else None)
        for row in self.assignments:
            if (row["uscc"], row["institution_id"]) in inserted:
                _emit_assigned(unit, row, self.state[row["uscc"]].profile.county_code)
        newly_on_file = {n.uscc for n in self.listings} - self.first_listed
        for row in await store.unannounced_assignments(connection, newly_on_file):
            _emit_assigned(unit, row, self.state[row["uscc"]].profile.county_code)


def _emit_assigned(
    unit: UnitOfWork[AsyncConnection], row: Mapping[str, Any], county_code: str
) -> None:
    event = EnterpriseAssigned(
        uscc=row["uscc"],
        institution_id=row["institution_id"],
        county_code=county_code,
        assigned_on=row["assigned_on"],
        way=AssignmentWay(row["way"]),
    )
    unit.emit(ROSTER_EVENTS, row["uscc"], event, subject=row["uscc"])


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


def _nomination_row(
    nomination_id: str, item: NominationInput, status: str, uscc: str | None
) -> dict[str, Any]:
    draft = item.draft
    return {
        "nomination_id": nomination_id,
        "uscc": uscc,
        "status": status,
        "source": draft.source.value if draft.source else None,
        "nominated_by": draft.nominated_by,
        "nominated_on": draft.nominated_on,
        "institution_id": draft.institution_id,
        "late": None,
        "channel": item.raw.get("_channel", "api"),
        "input": {k: _jsonable(v) for k, v in item.raw.items() if k != "_channel"},
        "reasons": None,
    }


def _jsonable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | None) else str(value)


def _reason_dict(reason: Reason) -> dict[str, Any]:
    return {
        "code": reason.code.value,
        "field": reason.field,
        "message_zh": reason.message_zh,
        "message_en": reason.message_en,
    }


def _json(reasons: Sequence[Reason]) -> list[dict[str, Any]]:
    return [_reason_dict(r) for r in reasons]


async def assign(
    unit: UnitOfWork[AsyncConnection], uscc: str, institution_id: str, on: date
) -> bool:
    """Assign a listed enterprise to an institution; False if it already was."""
    await store.lock_usccs(unit.store, [uscc])
    enterprise = (await store.load_enterprises(unit.store, [uscc])).get(uscc)
    if enterprise is None:
        raise UnknownEnterpriseError(uscc)
    row = {
        "uscc": uscc,
        "institution_id": institution_id,
        "way": AssignmentWay.EXPLICIT.value,
        "assigned_on": on,
        "announced": True,
    }
    if enterprise.current is None:
        raise NotListedError(f"{uscc} is not on the list")
    inserted = await store.add_assignments(unit.store, [row])
    if inserted:
        _emit_assigned(unit, row, enterprise.profile.county_code)
    return bool(inserted)


async def delist_enterprise(
    unit: UnitOfWork[AsyncConnection], uscc: str, on: date, reason: str, note: str | None
) -> None:
    await store.lock_usccs(unit.store, [uscc])
    enterprise = (await store.load_enterprises(unit.store, [uscc])).get(uscc)
    if enterprise is None:
        raise UnknownEnterpriseError(uscc)
    closed = delist(enterprise, on, reason, note)
    await store.close_listing(unit.store, uscc, closed)
    event = EnterpriseDelisted(uscc=uscc, county_code=closed.county_code, on=on, reason=reason)
    unit.emit(ROSTER_EVENTS, uscc, event, subject=uscc)


async def publish_whitelist(
    unit: UnitOfWork[AsyncConnection], as_of: date
) -> tuple[int, WhitelistCounts]:
    version = await whitelist.next_version(unit.store)
    entries = await reads.list_on(unit.store, as_of)
    counts = count(entries)
    published_at = datetime.now(UTC)
    await whitelist.save_version(unit.store, version, published_at, as_of, counts, entries)
    event = WhitelistPublished(
        version=version,
        published_at=published_at,
        total=counts.total,
        by_county=counts.by_county,
        by_institution=counts.by_institution,
    )
    unit.emit(ROSTER_EVENTS, WHITELIST_KEY, event)
    return version, counts


async def apply_bank_events(
    unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
) -> None:
    """Each enterprise's loan history, for rule 1; a reversal may come before its loan."""
    issued = [_issuance(e.payload) for e in events if isinstance(e.payload, LoanIssued)]
    reversed_ = [
        LoanReversal(p.institution_id, p.loan_id, p.reversed_on, p.reason)
        for p in (e.payload for e in events)
        if isinstance(p, LoanReversed)
    ]
    await facts.save_issuances(unit.store, issued)
    await facts.save_reversals(unit.store, reversed_)


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


async def apply_matchmaking_events(
    unit: UnitOfWork[AsyncConnection], events: Sequence[Message[Any]]
) -> None:
    """Pairings assign the enterprise to the bank; fairs attended go into its file."""
    matched = [e.payload for e in events if isinstance(e.payload, EnterpriseMatched)]
    attended = [e.payload for e in events if isinstance(e.payload, AttendanceRegistered)]
    await facts.save_matches(unit.store, matched)
    await facts.save_attendances(unit.store, attended)
    earliest: dict[tuple[str, str], date] = {}
    for match in sorted(matched, key=lambda m: m.matched_on, reverse=True):
        earliest[(match.uscc, match.institution_id)] = match.matched_on
    if not earliest:
        return
    on_file = await store.load_enterprises(unit.store, {u for u, _ in earliest})
    rows: list[dict[str, Any]] = [
        {
            "uscc": uscc,
            "institution_id": institution,
            "way": AssignmentWay.MATCH.value,
            "assigned_on": on,
            # Not yet on file: announced when a nomination lists it (the county is unknown).
            "announced": uscc in on_file,
        }
        for (uscc, institution), on in earliest.items()
    ]
    inserted = await store.add_assignments(unit.store, rows)
    for row in rows:
        uscc = str(row["uscc"])
        if row["announced"] and (uscc, row["institution_id"]) in inserted:
            _emit_assigned(unit, row, on_file[uscc].profile.county_code)
