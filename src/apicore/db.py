"""Database engine, sessions and the column types both services use.

SQLite is the embedded default (WAL, foreign keys on, busy timeout, one writer connection per
process); PostgreSQL is production. The same code and migrations run on both.
"""

from __future__ import annotations

import collections
import datetime as dt
import sqlite3
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that Alembic migrations can drop and alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A `MetaData` with the shared naming convention; one per service database."""
    return MetaData(naming_convention=NAMING_CONVENTION)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")
"""JSON on SQLite, JSONB on PostgreSQL."""


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on both databases (SQLite keeps no zone: we add it back).

    Raises:
        ValueError: when a naive datetime is bound (a naive time is a bug, not a UTC time).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime bound to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class _OneTripCursor:
    """A cursor for SQLAlchemy's aiosqlite dialect that runs a statement and fetches its rows in
    one trip to aiosqlite's thread.

    aiosqlite's own cursor makes a trip for creating the cursor, executing, fetching and closing:
    four thread hand-offs (about 70 µs each here) for one SELECT, which was most of the time
    SQLite spent per statement (bench/README.md). The rows of one statement are small (a page
    at most), so fetching them at once costs nothing.
    """

    arraysize = 1

    def __init__(self, connection: _OneTripConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: collections.deque[Any] = collections.deque()

    async def __aenter__(self) -> _OneTripCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._rows.clear()

    def _run(self, many: bool, sql: str, parameters: Any) -> tuple[Any, int, int | None, list[Any]]:
        # In aiosqlite's thread: the sqlite3 cursor never leaves it.
        cursor = self._connection._conn.cursor()  # aiosqlite's sqlite3 connection
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            rows = cursor.fetchall() if cursor.description else []
            return cursor.description, cursor.rowcount, cursor.lastrowid, rows
        finally:
            cursor.close()

    async def _trip(self, many: bool, sql: str, parameters: Any) -> _OneTripCursor:
        # aiosqlite's queue to its thread (private, stable since 0.17; pinned in pyproject).
        found = await self._connection._execute(self._run, many, sql, parameters)  # type: ignore[no-untyped-call]
        self.description, self.rowcount, self.lastrowid, rows = found
        self._rows = collections.deque(rows)
        return self

    async def execute(self, sql: str, parameters: Any = None) -> _OneTripCursor:
        return await self._trip(False, sql, () if parameters is None else parameters)

    async def executemany(self, sql: str, parameters: Any) -> _OneTripCursor:
        return await self._trip(True, sql, parameters)

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = min(len(self._rows), size or self.arraysize)
        return [self._rows.popleft() for _ in range(count)]

    async def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def close(self) -> None:
        self._rows.clear()


class _OneTripConnection(aiosqlite.Connection):
    """aiosqlite's connection with `_OneTripCursor` cursors (everything else is aiosqlite's)."""

    def cursor(self) -> Any:
        return _OneTripCursor(self)


def _one_trip_creator(database: str) -> Callable[[], Coroutine[Any, Any, _OneTripConnection]]:
    """`async_creator` for `create_async_engine`: a `_OneTripConnection` to `database`."""

    async def connect() -> _OneTripConnection:
        connection = _OneTripConnection(partial(sqlite3.connect, database), 64)
        # As SQLAlchemy does for the connections it opens itself: a connection never closed
        # must not keep the process alive at exit.
        connection._thread.daemon = True
        await connection
        return connection

    return connect


def insert_unless_taken(session: AsyncSession, table: Any) -> Any:
    """`INSERT INTO table ... ON CONFLICT DO NOTHING` in the session's dialect (PostgreSQL and
    SQLite ≥ 3.24 both have it): a row whose key or unique value is taken is not inserted, and
    the result's `rowcount` is 0 instead of an error that would end the transaction.

    Use as `await session.execute(insert_unless_taken(session, table).values(...))`.
    """
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def is_sqlite(url: str) -> bool:
    """True for a `sqlite+aiosqlite://` URL."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """Create the async engine for `url`.

    SQLite: WAL, `foreign_keys=ON`, a 5 s busy timeout and exactly one connection per process:
    one writer serialises writes without `database is locked` storms (DOMAIN.md measured p99
    ≈ 1 s with the default pool against ≈ 85 ms with one writer). Transactions start with
    `BEGIN IMMEDIATE` so a read never has to be upgraded to a write mid-transaction, and
    SAVEPOINTs work (SQLAlchemy's pysqlite/aiosqlite recipe). Each statement is one trip to
    aiosqlite's thread (`_OneTripCursor`). Statement parameters never appear
    in error messages (`hide_parameters`): they hold names and IINs, and errors reach the logs.

    Args:
        url: `sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`.
        pool_size: PostgreSQL connections in the pool.
    """
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            async_creator=_one_trip_creator(database or ":memory:"),
            poolclass=AsyncAdaptedQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=30,
            hide_parameters=True,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself (the driver's implicit BEGIN breaks SAVEPOINT).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, hide_parameters=True
    )


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (`expire_on_commit=False`)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@dataclass(slots=True)
class Database:
    """The engine and session factory of one service database, created in the lifespan."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10) -> Database:
        """Create the engine (no I/O happens until first use)."""
        engine = create_engine(url, pool_size=pool_size)
        return cls(engine=engine, sessions=create_sessionmaker(engine))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed when the block ends, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
