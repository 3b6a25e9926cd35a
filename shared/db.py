"""Database plumbing every service uses: metadata conventions, engine, sessions."""

from __future__ import annotations

import os
from collections.abc import Sequence

from sqlalchemy import MetaData, Table, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY, Insert, insert
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


def insert_unnested(table: Table, columns: Sequence[str]) -> Insert:
    """INSERT INTO table (columns) of the rows given as one array per column, each bound
    under its column's name: one statement and one parameter per column, whatever the number
    of rows. A multi-row VALUES has a parameter per value, each built and sent apart: in bulk
    it costs more than the database's own work."""
    arrays = [cast(bindparam(name), ARRAY(table.c[name].type)) for name in columns]
    rows = func.unnest(*arrays).table_valued(*columns).render_derived(name="unnested")
    return insert(table).from_select(list(columns), select(*(rows.c[n] for n in columns)))
