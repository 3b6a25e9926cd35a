"""Database plumbing every service uses: metadata conventions, engine, sessions."""

from __future__ import annotations

import os

from sqlalchemy import MetaData
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from shared.settings import ServiceSettings

# Stable constraint names, so that Alembic migrations are the same on every machine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(settings: ServiceSettings, role: str = "service") -> AsyncEngine:
    """`role` names the connections in pg_stat_activity (`<service>-<role>-<pid>`), so an
    operator sees which process holds what."""
    name = f"{settings.service}-{role}-{os.getpid()}"
    return create_async_engine(
        settings.database_url(),
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        connect_args={"server_settings": {"application_name": name}},
    )


# SQLSTATE classes of a server that went away or cannot serve now: connection exceptions (08),
# operator intervention (57: shutdown, restart, "the database system is starting up") and
# insufficient resources (53: too many connections).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "57", "53")


def is_transient(error: BaseException) -> bool:
    """Is `error` the infrastructure's (a database or broker unreachable or restarting), so
    that the same work may succeed when retried whole, rather than the work's own fault?

    A connection that PostgreSQL closes in the middle of a transaction surfaces as a plain
    `DBAPIError` with `connection_invalidated` set, not as an `OperationalError`: both, and
    the server's SQLSTATE, are looked at, also through the error's causes."""
    seen: BaseException | None = error
    for _ in range(8):  # a chain of causes, never a loop
        if seen is None:
            return False
        if isinstance(seen, OperationalError | InterfaceError | OSError | TimeoutError):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        state = getattr(getattr(seen, "orig", seen), "sqlstate", None)
        if isinstance(state, str) and state[:2] in _TRANSIENT_SQLSTATE_CLASSES:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
