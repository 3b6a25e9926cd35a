"""Roster's tables and repositories (SQLAlchemy Core over the service's own database)."""

from roster.storage.tables import metadata

__all__ = ["metadata"]
