"""Matchmaking's storage: the tables (`metadata`), the `Store` handlers and views see (one
repository per kind of fact) and `SqlStore`, those repositories over one connection."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from matchmaking.storage.fairs import (
    AttendanceRepository,
    FairRepository,
    SqlAttendanceRepository,
    SqlFairRepository,
)
from matchmaking.storage.listings import ListingRepository, SqlListingRepository
from matchmaking.storage.matches import MatchRepository, SqlMatchRepository
from matchmaking.storage.outcomes import BankOutcomeRepository, SqlBankOutcomeRepository
from matchmaking.storage.plans import (
    PlanRepository,
    SqlPlanRepository,
    SqlVisitRepository,
    VisitRepository,
)
from matchmaking.storage.products import ProductRepository, SqlProductRepository
from matchmaking.storage.tables import metadata

__all__ = ["SqlStore", "Store", "metadata"]


class Store(Protocol):
    @property
    def fairs(self) -> FairRepository: ...
    @property
    def attendance(self) -> AttendanceRepository: ...
    @property
    def listings(self) -> ListingRepository: ...
    @property
    def products(self) -> ProductRepository: ...
    @property
    def matches(self) -> MatchRepository: ...
    @property
    def outcomes(self) -> BankOutcomeRepository: ...
    @property
    def plans(self) -> PlanRepository: ...
    @property
    def visits(self) -> VisitRepository: ...


class SqlStore:
    """Every repository over one transaction's (or one read's) connection."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.fairs = SqlFairRepository(connection)
        self.attendance = SqlAttendanceRepository(connection)
        self.listings = SqlListingRepository(connection)
        self.products = SqlProductRepository(connection)
        self.matches = SqlMatchRepository(connection)
        self.outcomes = SqlBankOutcomeRepository(connection)
        self.plans = SqlPlanRepository(connection)
        self.visits = SqlVisitRepository(connection)
