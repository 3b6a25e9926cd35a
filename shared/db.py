"""Database plumbing every service uses: metadata conventions, engine, sessions."""

from __future__ import annotations

import os
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    MetaData,
    Table,
    any_,
    bindparam,
    cast,
    func,
    literal,
    select,
    tuple_,
)
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


def in_array(column: ColumnElement[Any], values: Collection[Any]) -> ColumnElement[bool]:
    """`column = ANY(:values)`: the list goes as one array parameter. `IN (...)` binds one
    parameter per value, each rendered and sent apart, at every execution."""
    return column == any_(cast(literal(list(values)), ARRAY(column.type)))


def pairs_in(
    first: ColumnElement[Any], second: ColumnElement[Any], pairs: Collection[tuple[Any, Any]]
) -> ColumnElement[bool]:
    """`(first, second) IN (SELECT * FROM unnest(:firsts, :seconds))`, two array parameters
    for any number of pairs (an index on the pair serves it)."""
    arrays = [
        cast(literal([p[i] for p in pairs]), ARRAY(column.type))
        for i, column in enumerate((first, second))
    ]
    rows = func.unnest(*arrays).table_valued("first", "second").render_derived(name="pairs")
    return tuple_(first, second).in_(select(rows.c.first, rows.c.second))
