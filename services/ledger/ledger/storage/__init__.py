"""Ledger's tables and repositories: facts from events; filings, reports and activities.

Handlers and views see only `Store`; `SqlStore` is it over one transaction's connection."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.storage.facts import FactRepository, Pair, SqlFactRepository
from ledger.storage.filings import FiledVersion, FilingRepository, SqlFilingRepository
from ledger.storage.tables import metadata


class Store(Protocol):
    @property
    def facts(self) -> FactRepository: ...

    @property
    def filings(self) -> FilingRepository: ...


class SqlStore:
    def __init__(self, connection: AsyncConnection) -> None:
        self.facts = SqlFactRepository(connection)
        self.filings = SqlFilingRepository(connection)


__all__ = [
    "FactRepository",
    "FiledVersion",
    "FilingRepository",
    "Pair",
    "SqlStore",
    "Store",
    "metadata",
]
