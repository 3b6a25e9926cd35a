"""The adapter's tables and repositories. Handlers and views see only `Store`; `SqlStore` is
it over one transaction's connection."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from fineract.storage.tables import metadata
from fineract.storage.tallies import InstanceProgress, SqlTallyRepository, Tally, TallyRepository


class Store(Protocol):
    @property
    def tallies(self) -> TallyRepository: ...


class SqlStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.tallies = SqlTallyRepository(connection)


__all__ = ["InstanceProgress", "SqlStore", "Store", "Tally", "TallyRepository", "metadata"]
