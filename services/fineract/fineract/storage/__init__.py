"""The adapter's tables and repositories. Handlers and views see only `Store`; `SqlStore` is
it over one transaction's connection."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from fineract.storage.tables import metadata
from fineract.storage.tallies import InstanceProgress, SqlTallies, TalliesRepository, Tally


class Store(Protocol):
    @property
    def tallies(self) -> TalliesRepository: ...


class SqlStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.tallies = SqlTallies(connection)


__all__ = ["InstanceProgress", "SqlStore", "Store", "TalliesRepository", "Tally", "metadata"]
