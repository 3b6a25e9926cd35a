"""Ledger's tables and repositories: facts from events, filings, reports and activities."""

from ledger.storage.tables import metadata

__all__ = ["metadata"]
