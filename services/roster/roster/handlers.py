"""Roster's handlers: one method per command and per group of events. Each runs in the
caller's unit of work: it loads in bulk through the store, decides in the domain, saves in
bulk and emits what it caused through the outbox.

The campaigns are the book's (re-read when their files change): each nomination is screened
in its campaign, each assignment, delisting and whitelist belongs to one, and every event
says which (`campaign_id`). Loans and pairings are facts of no campaign."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from roster.commands import Assign, Delist, Nominate, NominationInput, PublishWhitelist
from roster.domain.assignments import Assignment, AssignmentChange, Pairing
from roster.domain.campaigns import (
    NominationScreen,
    listed_campaign,
    pairing_campaign,
    terms_of,
)
from roster.domain.enterprise import Enterprise, NotListedError, admit, delist
from roster.domain.loans import LoanIssuance, LoanReversal
from roster.domain.nomination import Nomination, NominationDraft
from roster.domain.reasons import Reason
from roster.domain.size_standard import SizeStandard
from roster.domain.whitelist import WhitelistCounts, count
from roster.storage import Store
from roster.storage.enterprises import NewListing, NewProfile, NominationRecord
from shared.campaigns import CampaignBook
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
    campaign_id: str | None
    """The nomination's campaign; None for a rejection whose campaign could not be told."""
    enterprise: Enterprise | None = None
    reasons: Sequence[Reason] = field(default_factory=tuple)


@dataclass(frozen=True)
class AssignOutcome:
    campaign_id: str
    created: bool
    """A new assignment in the campaign; False if the enterprise already was assigned to
    the institution there (an earlier `assigned_on` still moves its day)."""


@dataclass(frozen=True)
class DelistOutcome:
    campaign_id: str


@dataclass(frozen=True)
class PublishedWhitelist:
    campaign_id: str
    version: int
    as_of: date
    counts: WhitelistCounts


class Handlers:
    def __init__(
        self, campaigns: Callable[[], CampaignBook], size_standard: SizeStandard, clock: Clock
    ) -> None:
        self._campaigns = campaigns
        self._size_standard = size_standard
        self._clock = clock

    def today(self) -> date:
        return self._clock().date()

    def screen(self, book: CampaignBook) -> NominationScreen:
        """Today's screening against every campaign of the book."""
        return NominationScreen(terms_of(book), self._size_standard, self.today())

    # --- commands ----------------------------------------------------------------------

    async def nominate(self, uow: UnitOfWork[Store], command: Nominate) -> list[NominationOutcome]:
        """Each nomination gets its own outcome; later ones see the effect of earlier ones
        (a repeated USCC merges)."""
        usccs = [u for u in (_uscc_of(i.draft) for i in command.inputs) if u]
        await uow.store.enterprises.lock(usccs)
        known = await uow.store.enterprises.load(usccs)
        loans = await uow.store.loans.prior_loans(usccs)
        book = self._campaigns()  # one book for the whole request, however files change
        screen = self.screen(book)
        batch = _NominationBatch(known, command.channel)
        for item in command.inputs:
            screened = screen.screen(item.draft, loans, item.problems)
            if isinstance(screened.result, list):
                batch.reject(item, screened.result, screened.campaign_id)
            else:
                batch.admit(item, screened.result)
        await batch.save(uow, book)
        return batch.outcomes

    async def assign(self, uow: UnitOfWork[Store], command: Assign) -> AssignOutcome:
        """Raises UnknownInstitutionError, UnknownEnterpriseError, UnknownCampaignError,
        AmbiguousCampaignError (naming the candidates) or NotListedError."""
        book = self._campaigns()
        if command.institution_id not in book.institution_ids:
            raise UnknownInstitutionError(command.institution_id)
        enterprise = await _locked_enterprise(uow, command.uscc)
        day = command.assigned_on or self.today()
        campaign = _campaign_of(book, enterprise, command.campaign, day)
        if command.institution_id not in book.get(campaign).institution_ids:
            raise UnknownInstitutionError(command.institution_id)
        if enterprise.current_in(campaign) is None:
            raise NotListedError(f"{command.uscc} is not on the list of {campaign}")
        assignment = Assignment(command.uscc, command.institution_id, day, AssignmentWay.EXPLICIT)
        changes = await uow.store.assignments.record(campaign, [assignment], on_file={command.uscc})
        _emit_changes(uow, changes, {command.uscc: enterprise})
        return AssignOutcome(campaign, created=any(c.created for c in changes))

    async def delist(self, uow: UnitOfWork[Store], command: Delist) -> DelistOutcome:
        """Raises UnknownEnterpriseError, UnknownCampaignError, AmbiguousCampaignError,
        NotListedError or DelistingBeforeListingError."""
        enterprise = await _locked_enterprise(uow, command.uscc)
        campaign = _campaign_of(self._campaigns(), enterprise, command.campaign, command.on)
        closed = delist(enterprise, command.on, command.reason, command.note, campaign)
        await uow.store.enterprises.close_listing(command.uscc, closed)
        event = EnterpriseDelisted(
            campaign_id=campaign,
            uscc=command.uscc,
            county_code=closed.county_code,
            on=command.on,
            reason=command.reason,
        )
        uow.emit(ROSTER_EVENTS, command.uscc, event, subject=command.uscc)
        return DelistOutcome(campaign)

    async def publish_whitelist(
        self, uow: UnitOfWork[Store], command: PublishWhitelist
    ) -> PublishedWhitelist:
        published_at = self._clock()
        as_of = published_at.date()
        # Named by the API (shared.dependencies.CampaignDep); else today's, or the only one.
        campaign = command.campaign_id or self._campaigns().resolve(None, as_of).campaign.id
        whitelist = uow.store.whitelist
        version = await whitelist.next_version(campaign)
        entries = await whitelist.entries_on(campaign, as_of)
        counts = count(entries)
        await whitelist.save_version(campaign, version, published_at, as_of, counts, entries)
        event = WhitelistPublished(
            campaign_id=campaign,
            version=version,
            published_at=published_at,
            total=counts.total,
            by_county=counts.by_county,
            by_institution=counts.by_institution,
        )
        uow.emit(ROSTER_EVENTS, WHITELIST_KEY, event)
        return PublishedWhitelist(campaign, version, as_of, counts)

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
        pairing counts) in the campaign of its county and day that lists the enterprise,
        else in the enterprise's latest listing's. One not yet on file waits with the
        pairings on file: the nomination that lists it assigns it."""
        matched = [m.payload for m in messages]
        await uow.store.matchmaking.save_matches(matched)
        if not matched:
            return
        on_file = await uow.store.enterprises.load({m.uscc for m in matched})
        pairings = [
            Pairing(m.uscc, m.institution_id, m.matched_on, m.county_code)
            for m in matched
            if m.uscc in on_file
        ]
        arriving = _grouped(_pairing_campaigns(self._campaigns(), pairings, on_file))
        for campaign, assignments in arriving.items():
            changes = await uow.store.assignments.record(
                campaign, assignments, on_file=set(on_file)
            )
            _emit_changes(uow, changes, on_file)

    async def apply_attendance(
        self, uow: UnitOfWork[Store], messages: Sequence[Message[AttendanceRegistered]]
    ) -> None:
        """Fairs attended go into the enterprise's file."""
        await uow.store.matchmaking.save_attendances([m.payload for m in messages])


def _campaign_of(
    book: CampaignBook, enterprise: Enterprise, requested: str | None, day: date
) -> str:
    """The campaign an assignment or a delisting means: the one named (it must exist),
    else the one the enterprise is listed in that runs on `day`, else its latest listing's."""
    if requested is not None:
        return book.get(requested).campaign.id
    running = {reference.campaign.id for reference in book.running(day)}
    found = listed_campaign(enterprise, running)
    if found is None:
        raise NotListedError(f"{enterprise.uscc} was never listed")
    return found


@dataclass(frozen=True)
class _Placed:
    """A pairing, the campaign counting its county and day (if any), and the campaign it
    assigns in (roster.domain.campaigns.pairing_campaign)."""

    pairing: Pairing
    counting: str | None
    campaign: str


def _pairing_campaigns(
    book: CampaignBook, pairings: Sequence[Pairing], enterprises: Mapping[str, Enterprise]
) -> list[_Placed]:
    placed = []
    for pairing in pairings:
        enterprise = enterprises[pairing.uscc]
        county = pairing.county_code or enterprise.profile.county_code
        found = book.on(county, pairing.matched_on)
        counting = found.campaign.id if found is not None else None
        campaign = pairing_campaign(enterprise, counting)
        if campaign is not None:
            placed.append(_Placed(pairing, counting, campaign))
    return placed


def _grouped(placed: Sequence[_Placed]) -> dict[str, list[Assignment]]:
    by_campaign: dict[str, list[Assignment]] = {}
    for each in placed:
        by_campaign.setdefault(each.campaign, []).append(each.pairing.assignment())
    return by_campaign


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
        self.assignments: dict[str, list[Assignment]] = {}
        self.events: list[tuple[str, Any]] = []

    def reject(
        self, item: NominationInput, reasons: Sequence[Reason], campaign_id: str | None
    ) -> None:
        nomination_id = str(uuid.uuid4())
        uscc = normalize_uscc(item.draft.uscc) if item.draft.uscc else None
        self.outcomes.append(
            NominationOutcome(nomination_id, "rejected", uscc, campaign_id, reasons=reasons)
        )
        self.records.append(
            self._record(
                nomination_id, campaign_id, item, "rejected", uscc, reasons=reasons, late=None
            )
        )
        event = NominationRejected(
            campaign_id=campaign_id,
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
        campaign = nomination.campaign_id
        self.state[nomination.uscc] = enterprise
        status = admitted.admission.value
        self.outcomes.append(
            NominationOutcome(nomination_id, status, nomination.uscc, campaign, enterprise)
        )
        self.records.append(
            self._record(
                nomination_id,
                campaign,
                item,
                status,
                nomination.uscc,
                reasons=None,
                late=nomination.late,
            )
        )
        county = enterprise.county_in(campaign)
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
                        campaign_id=campaign,
                        uscc=nomination.uscc,
                        name=nomination.name,
                        county_code=listing.county_code,
                        size_class=nomination.size_class,
                        listed_on=listing.listed_on,
                    ),
                )
            )
        if admitted.assignment is not None:
            self.assignments.setdefault(campaign, []).append(admitted.assignment)

    def _record(
        self,
        nomination_id: str,
        campaign_id: str | None,
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
            campaign_id=campaign_id,
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

    async def save(self, uow: UnitOfWork[Store], book: CampaignBook) -> None:
        store = uow.store
        await store.enterprises.save_nominations(self.records)
        await store.enterprises.save_profiles(self.profiles)
        await store.enterprises.save_listings(self.listings)
        for key, event in self.events:
            uow.emit(ROSTER_EVENTS, key, event, subject=key if len(key) == 18 else None)
        # Pairings on file assign the enterprises listed now, with the banks' nominations (one
        # record per campaign keeps the earliest of each pair): all of an enterprise's that
        # waited for it to be on file, and those its new listing's campaign counts, which
        # would have gone there had the listing come first.
        new_listings = {(n.listing.campaign_id, n.uscc) for n in self.listings}
        newly_on_file = {uscc for _, uscc in new_listings} - self.first_listed
        paired = await store.matchmaking.pairings_of({uscc for _, uscc in new_listings})
        placed = [
            each
            for each in _pairing_campaigns(book, paired, self.state)
            if each.pairing.uscc in newly_on_file
            or (
                each.campaign == each.counting
                and (each.campaign, each.pairing.uscc) in new_listings
            )
        ]
        arriving = {c: list(a) for c, a in self.assignments.items()}
        for campaign, assignments in _grouped(placed).items():
            arriving.setdefault(campaign, []).extend(assignments)
        # Every enterprise of the batch is on file now (known before, or admitted).
        for campaign, assignments in sorted(arriving.items()):
            changes = await store.assignments.record(campaign, assignments, on_file=set(self.state))
            _emit_changes(uow, changes, self.state)
        # Pairings an older roster kept unannounced until the enterprise was on file.
        for campaign, usccs in _by_campaign(self.listings).items():
            newly = usccs & newly_on_file
            for assignment in await store.assignments.announce_waiting(campaign, newly):
                enterprise = self.state[assignment.uscc]
                _emit_assigned(uow, campaign, assignment, enterprise.county_in(campaign))


def _by_campaign(listings: Sequence[NewListing]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for new in listings:
        found.setdefault(new.listing.campaign_id, set()).add(new.uscc)
    return found


def _emit_changes(
    uow: UnitOfWork[Store],
    changes: Collection[AssignmentChange],
    enterprises: Mapping[str, Enterprise],
) -> None:
    """Publish each announced change: a new assignment, or an earlier day for a known one
    (consumers keep the earliest day they hear of)."""
    for change in changes:
        if change.announced:
            enterprise = enterprises[change.assignment.uscc]
            county = enterprise.county_in(change.campaign_id)
            _emit_assigned(uow, change.campaign_id, change.assignment, county)


def _emit_assigned(
    uow: UnitOfWork[Store], campaign_id: str, assignment: Assignment, county_code: str
) -> None:
    event = EnterpriseAssigned(
        campaign_id=campaign_id,
        uscc=assignment.uscc,
        institution_id=assignment.institution_id,
        county_code=county_code,
        assigned_on=assignment.assigned_on,
        way=assignment.way,
    )
    uow.emit(ROSTER_EVENTS, assignment.uscc, event, subject=assignment.uscc)


def _nominated(nomination_id: str, n: Nomination, county_code: str) -> EnterpriseNominated:
    return EnterpriseNominated(
        campaign_id=n.campaign_id,
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
