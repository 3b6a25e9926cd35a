"""Roster's tables and repositories (SQLAlchemy Core over the service's own database).

`Store` names the repositories handlers use; `SqlStore` gives them over one transaction's
connection (and, to the views, the read-only queries besides).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.storage.assignments import AssignmentRepository, SqlAssignmentRepository
from roster.storage.enterprises import EnterpriseRepository, SqlEnterpriseRepository
from roster.storage.loans import LoanRepository, SqlLoanRepository
from roster.storage.matchmaking import MatchmakingRepository, SqlMatchmakingRepository
from roster.storage.tables import metadata
from roster.storage.whitelist import SqlWhitelistRepository, WhitelistRepository

__all__ = ["SqlStore", "Store", "metadata"]


class Store(Protocol):
    @property
    def enterprises(self) -> EnterpriseRepository: ...
    @property
    def assignments(self) -> AssignmentRepository: ...
    @property
    def loans(self) -> LoanRepository: ...
    @property
    def matchmaking(self) -> MatchmakingRepository: ...
    @property
    def whitelist(self) -> WhitelistRepository: ...


class SqlStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.enterprises = SqlEnterpriseRepository(connection)
        self.assignments = SqlAssignmentRepository(connection)
        self.loans = SqlLoanRepository(connection)
        self.matchmaking = SqlMatchmakingRepository(connection)
        self.whitelist = SqlWhitelistRepository(connection)
