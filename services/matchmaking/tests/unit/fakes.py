"""`InMemoryStore`: matchmaking's `Store` in memory, for handler tests without PostgreSQL.
It keeps what the SQL repositories keep, with the same replacing and ordering."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from matchmaking.domain.fairs import Attendee, AttendeeKind, Fair, Match
from matchmaking.domain.listing import Delisting, Listing, ListingHistory
from matchmaking.domain.outcomes import Attribution, BankOutcome, LoanKey, OutcomeKey, Reversal
from matchmaking.domain.plans import Plan, Product, Visit
from shared.contracts.matchmaking import Outcome


class InMemoryFairs:
    def __init__(self) -> None:
        self.fairs: dict[str, Fair] = {}

    async def add(self, fair: Fair) -> None:
        assert fair.fair_id not in self.fairs
        self.fairs[fair.fair_id] = fair

    async def get(self, fair_id: str) -> Fair | None:
        return self.fairs.get(fair_id)

    async def find(self, county_code: str | None = None) -> list[Fair]:
        found = [f for f in self.fairs.values() if not county_code or f.county_code == county_code]
        return sorted(found, key=lambda f: (f.held_on, f.fair_id))


class InMemoryAttendance:
    def __init__(self) -> None:
        self.entries: dict[tuple[str, AttendeeKind, str], Attendee] = {}

    async def add(self, attendee: Attendee) -> bool:
        key = (attendee.fair_id, attendee.kind, attendee.attendee)
        if key in self.entries:
            return False
        self.entries[key] = attendee
        return True

    async def get(self, fair_id: str, kind: AttendeeKind, attendee: str) -> Attendee | None:
        return self.entries.get((fair_id, kind, attendee))

    async def of_fair(self, fair_id: str) -> list[Attendee]:
        return [a for key, a in sorted(self.entries.items()) if key[0] == fair_id]


class InMemoryListings:
    def __init__(self) -> None:
        self.listings: dict[tuple[str, date], Listing] = {}
        self.delistings: dict[tuple[str, date], Delisting] = {}

    async def get(self, keys: Iterable[tuple[str, date]]) -> dict[tuple[str, date], Listing]:
        return {k: self.listings[k] for k in keys if k in self.listings}

    async def put(self, entries: Sequence[Listing]) -> None:
        for entry in entries:
            self.listings[(entry.uscc, entry.listed_on)] = entry

    async def add_delistings(self, entries: Sequence[Delisting]) -> None:
        for entry in entries:
            key = (entry.uscc, entry.delisted_on)
            kept = self.delistings.get(key)
            campaigns = [c for c in (entry.campaign_id, kept and kept.campaign_id) if c]
            self.delistings[key] = Delisting(*key, min(campaigns, default=None))

    async def history(self, uscc: str) -> ListingHistory:
        return ListingHistory(
            tuple(entry for (who, _), entry in self.listings.items() if who == uscc),
            tuple(entry for (who, _), entry in self.delistings.items() if who == uscc),
        )


class InMemoryProducts:
    def __init__(self) -> None:
        self.products: dict[str, Product] = {}

    async def add(self, product: Product) -> None:
        self.products[product.product_id] = product

    async def get(self, product_id: str) -> Product | None:
        return self.products.get(product_id)

    async def find(self, institution_id: str | None = None) -> list[Product]:
        return [
            p
            for p in self.products.values()
            if not institution_id or p.institution_id == institution_id
        ]

    async def lock_institution(self, institution_id: str) -> list[Product]:
        return await self.find(institution_id)


class InMemoryMatches:
    def __init__(self) -> None:
        self.matches: dict[str, Match] = {}

    async def add(self, match: Match) -> bool:
        if match.match_id in self.matches:
            return False
        self.matches[match.match_id] = match
        return True

    async def find(
        self,
        *,
        match_id: str | None = None,
        institution_id: str | None = None,
        uscc: str | None = None,
        fair_id: str | None = None,
    ) -> list[Match]:
        found = [
            m
            for m in self.matches.values()
            if match_id in (None, m.match_id)
            and institution_id in (None, m.institution_id)
            and uscc in (None, m.uscc)
            and fair_id in (None, m.fair_id)
        ]
        return sorted(found, key=lambda m: (m.matched_on, m.match_id))

    async def of_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[Match]:
        wanted = set(pairs)
        return [m for m in self.matches.values() if (m.uscc, m.institution_id) in wanted]


class InMemoryBankOutcomes:
    def __init__(self) -> None:
        self.outcomes: dict[OutcomeKey, BankOutcome] = {}
        self.credited: dict[OutcomeKey, str] = {}
        self.reversed: dict[LoanKey, Reversal] = {}

    async def get(self, keys: Iterable[OutcomeKey]) -> dict[OutcomeKey, BankOutcome]:
        return {k: self.outcomes[k] for k in keys if k in self.outcomes}

    async def put(self, outcomes: Sequence[BankOutcome]) -> None:
        for outcome in outcomes:
            self.outcomes[outcome.key] = outcome

    async def of_pairs(self, pairs: Iterable[tuple[str, str]]) -> list[BankOutcome]:
        wanted = set(pairs)
        return [o for o in self.outcomes.values() if (o.uscc, o.institution_id) in wanted]

    async def attribute(self, attributions: Sequence[Attribution]) -> set[OutcomeKey]:
        changed = set()
        for a in attributions:
            if self.credited.get(a.outcome.key) != a.match_id:
                self.credited[a.outcome.key] = a.match_id
                changed.add(a.outcome.key)
        return changed

    async def attributed(
        self,
        *,
        institution_id: str | None = None,
        match_id: str | None = None,
        keys: Iterable[OutcomeKey] | None = None,
    ) -> list[Attribution]:
        wanted = None if keys is None else set(keys)
        found = [
            Attribution(self.outcomes[key], credited_to, self._reversal_of(key))
            for key, credited_to in self.credited.items()
            if institution_id in (None, key[0])
            and match_id in (None, credited_to)
            and (wanted is None or key in wanted)
        ]
        return sorted(found, key=lambda a: (a.outcome.on, a.outcome.outcome, a.outcome.ref))

    def _reversal_of(self, key: OutcomeKey) -> Reversal | None:
        if key[1] != Outcome.LOAN_ISSUED.value:
            return None
        return self.reversed.get((key[0], key[2]))

    async def reversals(self, keys: Iterable[LoanKey]) -> dict[LoanKey, Reversal]:
        return {k: self.reversed[k] for k in keys if k in self.reversed}

    async def put_reversals(self, reversals: Sequence[Reversal]) -> None:
        for reversal in reversals:
            self.reversed[reversal.key] = reversal


class InMemoryPlans:
    def __init__(self) -> None:
        self.plans: dict[str, Plan] = {}

    async def get(self, uscc: str) -> Plan | None:
        return self.plans.get(uscc)

    async def lock(self, uscc: str) -> Plan | None:
        return self.plans.get(uscc)

    async def save(self, plan: Plan) -> None:
        self.plans[plan.uscc] = plan


class InMemoryVisits:
    def __init__(self) -> None:
        self.visits: list[Visit] = []

    async def add(self, visit: Visit) -> None:
        self.visits.append(visit)

    async def of(self, uscc: str) -> list[Visit]:
        return sorted((v for v in self.visits if v.uscc == uscc), key=lambda v: v.visited_on)


class InMemoryStore:
    def __init__(self) -> None:
        self.fairs = InMemoryFairs()
        self.attendance = InMemoryAttendance()
        self.listings = InMemoryListings()
        self.products = InMemoryProducts()
        self.matches = InMemoryMatches()
        self.outcomes = InMemoryBankOutcomes()
        self.plans = InMemoryPlans()
        self.visits = InMemoryVisits()
