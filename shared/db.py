"""Database plumbing every service uses: metadata conventions, engine, sessions."""

from __future__ import annotations

import os

from sqlalchemy import MetaData
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
