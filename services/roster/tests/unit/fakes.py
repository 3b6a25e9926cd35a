"""The roster's store in memory, for handler tests: the same rules as the SQL repositories
(the domain's), none of the database."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from roster.domain.assignments import Assignment, AssignmentChange, Pairing, earliest
from roster.domain.enterprise import Enterprise, Listing, Profile
from roster.domain.loans import (
    LoanIssuance,
    LoanKey,
    LoanReversal,
    issuance_rank,
    kept_issuances,
    kept_reversals,
    reversal_rank,
)
from roster.domain.nomination import PriorLoan
from roster.domain.whitelist import WhitelistCounts, WhitelistEntry
from roster.storage.enterprises import NewListing, NewProfile, NominationRecord
from shared.contracts.matchmaking import AttendanceRegistered, EnterpriseMatched

Key = tuple[str, str, str]
"""(campaign id, USCC, institution id)."""


@dataclass
class InMemoryAssignments:
    held: dict[Key, Assignment] = field(default_factory=dict)
    announced: set[Key] = field(default_factory=set)

    async def record(
        self, campaign_id: str, arriving: Sequence[Assignment], on_file: Collection[str]
    ) -> list[AssignmentChange]:
        changes = []
        for assignment in earliest(arriving).values():
            key = (campaign_id, *assignment.pair)
            known = self.held.get(key)
            if known is not None and not assignment.precedes(known):
                continue
            self.held[key] = assignment
            if assignment.uscc in on_file:
                self.announced.add(key)
            changes.append(
                AssignmentChange(
                    campaign_id,
                    assignment,
                    created=known is None,
                    announced=key in self.announced,
                )
            )
        return changes

    async def announce_waiting(self, campaign_id: str, usccs: Iterable[str]) -> list[Assignment]:
        wanted = set(usccs)
        waiting = {
            key: a
            for key, a in self.held.items()
            if key[0] == campaign_id and a.uscc in wanted and key not in self.announced
        }
        self.announced |= set(waiting)
        return list(waiting.values())

    def assigned_of(self, uscc: str) -> frozenset[tuple[str, str]]:
        return frozenset((c, institution) for c, u, institution in self.held if u == uscc)


@dataclass
class InMemoryEnterprises:
    assignments: InMemoryAssignments
    profiles: dict[str, Profile] = field(default_factory=dict)
    listings: dict[str, list[Listing]] = field(default_factory=dict)
    nominations: list[NominationRecord] = field(default_factory=list)
    profile_history: list[NewProfile] = field(default_factory=list)

    async def lock(self, usccs: Iterable[str]) -> None:
        """One test, one task: nothing to wait for."""

    async def load(self, usccs: Iterable[str]) -> dict[str, Enterprise]:
        return {uscc: self.enterprise(uscc) for uscc in set(usccs) if uscc in self.profiles}

    def enterprise(self, uscc: str) -> Enterprise:
        return Enterprise(
            uscc=uscc,
            profile=self.profiles[uscc],
            listings=tuple(
                sorted(self.listings.get(uscc, []), key=lambda x: (x.listed_on, x.campaign_id))
            ),
            assigned=self.assignments.assigned_of(uscc),
        )

    async def save_nominations(self, records: Sequence[NominationRecord]) -> None:
        self.nominations.extend(records)

    async def save_profiles(self, changes: Sequence[NewProfile]) -> None:
        self.profile_history.extend(changes)
        self.profiles |= {c.uscc: c.profile for c in changes}

    async def save_listings(self, new: Sequence[NewListing]) -> None:
        for n in new:
            self.listings.setdefault(n.uscc, []).append(n.listing)

    async def close_listing(self, uscc: str, closed: Listing) -> None:
        self.listings[uscc] = [
            closed
            if (listing.campaign_id, listing.listed_on) == (closed.campaign_id, closed.listed_on)
            else listing
            for listing in self.listings[uscc]
        ]


@dataclass
class InMemoryLoans:
    issued: dict[LoanKey, LoanIssuance] = field(default_factory=dict)
    reversed: dict[LoanKey, LoanReversal] = field(default_factory=dict)

    async def save_issuances(self, issued: Sequence[LoanIssuance]) -> None:
        for key, loan in kept_issuances(issued).items():
            known = self.issued.get(key)
            if known is None or issuance_rank(loan) < issuance_rank(known):
                self.issued[key] = loan

    async def save_reversals(self, reversed_: Sequence[LoanReversal]) -> None:
        for key, reversal in kept_reversals(reversed_).items():
            known = self.reversed.get(key)
            if known is None or reversal_rank(reversal) < reversal_rank(known):
                self.reversed[key] = reversal

    async def prior_loans(self, usccs: Iterable[str]) -> dict[str, list[PriorLoan]]:
        wanted = set(usccs)
        found: dict[str, list[PriorLoan]] = {}
        for key, loan in self.issued.items():
            if loan.uscc in wanted and key not in self.reversed:
                found.setdefault(loan.uscc, []).append(
                    PriorLoan(loan.institution_id, loan.loan_id, loan.issued_on)
                )
        return found


@dataclass
class InMemoryMatchmaking:
    matches: dict[str, EnterpriseMatched] = field(default_factory=dict)
    attendances: dict[tuple[str, str], AttendanceRegistered] = field(default_factory=dict)

    async def save_matches(self, matched: Sequence[EnterpriseMatched]) -> None:
        for match in matched:
            self.matches.setdefault(match.match_id, match)

    async def pairings_of(self, usccs: Iterable[str]) -> list[Pairing]:
        wanted = set(usccs)
        return [
            Pairing(m.uscc, m.institution_id, m.matched_on, m.county_code)
            for m in sorted(self.matches.values(), key=lambda m: (m.uscc, m.matched_on))
            if m.uscc in wanted
        ]

    async def save_attendances(self, attended: Sequence[AttendanceRegistered]) -> None:
        for attendance in attended:
            if attendance.uscc is not None:
                self.attendances.setdefault((attendance.fair_id, attendance.uscc), attendance)


@dataclass(frozen=True)
class PublishedVersion:
    published_at: datetime
    as_of: date
    counts: WhitelistCounts
    entries: tuple[WhitelistEntry, ...]


@dataclass
class InMemoryWhitelist:
    enterprises: InMemoryEnterprises
    versions: dict[tuple[str, int], PublishedVersion] = field(default_factory=dict)

    async def entries_on(
        self,
        campaign_id: str,
        day: date,
        county_code: str | None = None,
        institution_id: str | None = None,
    ) -> list[WhitelistEntry]:
        entries = []
        for uscc in self.enterprises.profiles:
            enterprise = self.enterprises.enterprise(uscc)
            listing = enterprise.listing_on(day, campaign_id)
            if listing is None:
                continue
            entry = WhitelistEntry(
                uscc=uscc,
                name=enterprise.profile.name,
                county_code=listing.county_code,
                size_class=enterprise.profile.size_class,
                listed_on=listing.listed_on,
                late=listing.late,
                institutions=tuple(sorted(enterprise.institutions_in(campaign_id))),
            )
            if county_code not in (None, entry.county_code):
                continue
            if institution_id is not None and institution_id not in entry.institutions:
                continue
            entries.append(entry)
        return sorted(entries, key=lambda e: (e.county_code, e.uscc))

    async def next_version(self, campaign_id: str) -> int:
        return max((v for c, v in self.versions if c == campaign_id), default=0) + 1

    async def save_version(
        self,
        campaign_id: str,
        version: int,
        published_at: datetime,
        as_of: date,
        counts: WhitelistCounts,
        entries: Sequence[WhitelistEntry],
    ) -> None:
        self.versions[(campaign_id, version)] = PublishedVersion(
            published_at, as_of, counts, tuple(entries)
        )


class InMemoryStore:
    def __init__(self) -> None:
        self.assignments = InMemoryAssignments()
        self.enterprises = InMemoryEnterprises(self.assignments)
        self.loans = InMemoryLoans()
        self.matchmaking = InMemoryMatchmaking()
        self.whitelist = InMemoryWhitelist(self.enterprises)
