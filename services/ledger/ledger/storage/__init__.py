"""Ledger's tables and repositories: facts from events; filings, reports and activities.

Handlers and views see only `Store`; `SqlStore` is it over one transaction's connection."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.storage.facts import FactsRepository, Pair, SqlFacts
from ledger.storage.filings import FiledVersion, FilingsRepository, SqlFilings
from ledger.storage.tables import metadata


class Store(Protocol):
    @property
    def facts(self) -> FactsRepository: ...

    @property
    def filings(self) -> FilingsRepository: ...


class SqlStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.facts = SqlFacts(connection)
        self.filings = SqlFilings(connection)


__all__ = [
    "FactsRepository",
    "FiledVersion",
    "FilingsRepository",
    "Pair",
    "SqlStore",
    "Store",
    "metadata",
]
