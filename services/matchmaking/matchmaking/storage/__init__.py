"""Matchmaking's storage: the tables (`metadata`), the `Store` handlers and views see (one
repository per kind of fact) and `SqlStore`, those repositories over one connection."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking.storage.fairs import Attendance, Fairs, SqlAttendance, SqlFairs
from matchmaking.storage.listings import Listings, SqlListings
from matchmaking.storage.matches import Matches, SqlMatches
from matchmaking.storage.outcomes import BankOutcomes, SqlBankOutcomes
from matchmaking.storage.plans import Plans, SqlPlans, SqlVisits, Visits
from matchmaking.storage.products import Products, SqlProducts
from matchmaking.storage.tables import metadata

__all__ = ["SqlStore", "Store", "metadata"]


class Store(Protocol):
    @property
    def fairs(self) -> Fairs: ...
    @property
    def attendance(self) -> Attendance: ...
    @property
    def listings(self) -> Listings: ...
    @property
    def products(self) -> Products: ...
    @property
    def matches(self) -> Matches: ...
    @property
    def outcomes(self) -> BankOutcomes: ...
    @property
    def plans(self) -> Plans: ...
    @property
    def visits(self) -> Visits: ...


class SqlStore:
    """Every repository over one transaction's (or one read's) connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.fairs = SqlFairs(connection)
        self.attendance = SqlAttendance(connection)
        self.listings = SqlListings(connection)
        self.products = SqlProducts(connection)
        self.matches = SqlMatches(connection)
        self.outcomes = SqlBankOutcomes(connection)
        self.plans = SqlPlans(connection)
        self.visits = SqlVisits(connection)
