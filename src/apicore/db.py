"""Database engine, sessions and the column types both services use.

SQLite is the embedded default (WAL, foreign keys on, busy timeout, one writer connection per
process); PostgreSQL is production. The same code and migrations run on both.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import functools
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
import structlog
from sqlalchemy import JSON, DateTime, MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.types import TypeDecorator

from apicore.logs import Throttle
from apicore.pool import FairQueuePool
from apicore.writer_turn import WriterTurn

_log = structlog.get_logger("apicore.db")
_checkpoint_failures = Throttle(seconds=10.0)
"""A checkpoint that keeps failing (a read-only file, a full disk) fails at every tick while
writes go on: its line at most every 10 s, with a count, as the outages' lines."""

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


_BUSY_WAIT_SECONDS = 5.0
"""How long a statement waits for another process's write lock before `database is locked`."""


BEGIN = "BEGIN IMMEDIATE"
"""How our SQLite transactions begin: with the write lock, so that no read is upgraded to a
write mid-transaction (and then refused with SQLITE_BUSY_SNAPSHOT)."""

_BUSY_SNAPSHOT = 517
"""SQLITE_BUSY_SNAPSHOT: the transaction read a snapshot that is gone; waiting cannot help."""


def lock_held_elsewhere(error: BaseException | None) -> bool:
    """Whether `error` is SQLite's answer that another connection holds a lock it will let go
    (SQLITE_BUSY or SQLITE_LOCKED, with their extended codes; not SQLITE_BUSY_SNAPSHOT, which
    waiting cannot cure). Any other error, SQLite's or not, or None: False."""
    code = getattr(error, "sqlite_errorcode", None)
    if not isinstance(code, int) or code == _BUSY_SNAPSHOT:
        return False
    return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


async def _on_loop(work: Callable[[], Any], deadline: float | None = None) -> Any:
    """Run `work` (one SQLite call) on the event loop; while another process holds the write
    lock, wait for it without blocking the loop (backing off from 1 to 50 ms, until `deadline`
    on the `time.monotonic` clock: 5 s from now by default).

    Why on the loop: the process has one SQLite connection, so its statements run one at a
    time whichever thread runs them. Through aiosqlite's thread, every statement was a trip out
    and back, and each return waited for the loop to finish whatever else was ready: under 32
    clients a registration's dozen statements held the one connection several times longer than
    SQLite worked on them (bench/README.md). A statement takes tens of microseconds; SQLite's
    own busy timeout would block the loop, so it is 0 and the waiting happens here.

    Raises:
        sqlite3.OperationalError: `database is locked` after 5 s, or any other error.
    """
    # Running `work` again is safe: SQLite answers BUSY before it changes anything, and inside
    # our transactions (BEGIN IMMEDIATE holds the write lock) only the BEGIN itself can meet it.
    if deadline is None:
        deadline = time.monotonic() + _BUSY_WAIT_SECONDS
    delay = 0.001
    while True:
        try:
            return work()
        except sqlite3.OperationalError as error:
            if not lock_held_elsewhere(error) or time.monotonic() + delay > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


class _LoopCursor:
    """A cursor for SQLAlchemy's aiosqlite dialect that runs each statement, and fetches its
    rows, on the event loop (`_on_loop`). The rows of one statement are small (a page at most).
    """

    arraysize = 1

    def __init__(self, connection: _LoopConnection) -> None:
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: collections.deque[Any] = collections.deque()

    async def __aenter__(self) -> _LoopCursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self._rows.clear()

    def _run(self, many: bool, sql: str, parameters: Any) -> None:
        cursor = self._connection._conn.cursor()  # aiosqlite's sqlite3 connection
        try:
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
            rows = cursor.fetchall() if cursor.description else []
            self.description, self.rowcount, self.lastrowid = (
                cursor.description,
                cursor.rowcount,
                cursor.lastrowid,
            )
            self._rows = collections.deque(rows)
        finally:
            cursor.close()

    async def execute(self, sql: str, parameters: Any = None) -> _LoopCursor:
        turn = self._connection.writer_turn if sql == BEGIN else None
        deadline = None
        if turn is not None:
            # One 5 s for both waits: our processes' turn, then a foreign writer's lock.
            deadline = time.monotonic() + _BUSY_WAIT_SECONDS
            await turn.take(_BUSY_WAIT_SECONDS)
            if self._connection.database in _restart_due:
                _restart_wal(self._connection._conn, self._connection.database)
        try:
            if self._connection.database in _moved:
                raise moved_error()
            work = partial(self._run, False, sql, () if parameters is None else parameters)
            await _on_loop(work, deadline)
        except BaseException:
            if turn is not None:
                turn.give_back()  # no transaction began
            raise
        return self

    async def executemany(self, sql: str, parameters: Any) -> _LoopCursor:
        await _on_loop(partial(self._run, True, sql, list(parameters)))
        return self

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


class _LoopConnection(aiosqlite.Connection):
    """aiosqlite's connection whose statements, commits and rollbacks run on the event loop
    (`_LoopCursor`); aiosqlite's thread only opens and closes it. With a database file, each
    transaction waits for its turn among our processes first (`writer_turn`)."""

    writer_turn: WriterTurn | None = None
    database: str = ""
    """The database file's resolved path (empty for an in-memory database)."""

    def cursor(self) -> Any:
        return _LoopCursor(self)

    async def commit(self) -> None:
        if self.database in _moved:
            # Found moved while this transaction ran: its statements went to the file no
            # longer at the path; not committed, so never answered as stored.
            await self._end(self._conn.rollback)
            raise moved_error()
        await self._end(self._conn.commit)

    async def rollback(self) -> None:
        await self._end(self._conn.rollback)

    async def _end(self, work: Callable[[], Any]) -> None:
        """End the transaction with `work` (COMMIT or ROLLBACK), then let the next writer go."""
        try:
            await _on_loop(work)
        finally:
            if self.writer_turn is not None:
                self.writer_turn.give_back()

    async def close(self) -> None:
        try:
            await super().close()
        finally:
            if self.writer_turn is not None:
                self.writer_turn.close()


def _loop_creator(database: str) -> Callable[[], Coroutine[Any, Any, _LoopConnection]]:
    """`async_creator` for `create_async_engine`: a `_LoopConnection` to `database`."""

    async def connect() -> _LoopConnection:
        # Opened in aiosqlite's thread, used on the loop: one user at a time (the pool holds one).
        connection = _LoopConnection(partial(sqlite3.connect, database, check_same_thread=False), 64)
        # As SQLAlchemy does for the connections it opens itself: a connection never closed
        # must not keep the process alive at exit.
        connection._thread.daemon = True
        await connection
        if database != ":memory:" and not database.startswith("file:"):
            # Resolved, as SQLite resolves it for its WAL: a symlink to the file and its target
            # are one database, with one writer turn.
            connection.database = str(Path(database).resolve())
            connection.writer_turn = WriterTurn(connection.database)
        return connection

    return connect


@functools.cache
def _insert_unless_taken(dialect_name: str, table: Any) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def insert_unless_taken(session: AsyncSession, table: Any) -> Any:
    """`INSERT INTO table ... ON CONFLICT DO NOTHING` in the session's dialect (PostgreSQL and
    SQLite ≥ 3.24 both have it): a row whose key or unique value is taken is not inserted, and
    the result's `rowcount` is 0 instead of an error that would end the transaction.

    Use as `await session.execute(insert_unless_taken(session, table), row)` with `row` a dict
    of column values. The statement is built once per dialect and table: building it with
    `.values(**row)` on every request cost more than running it (bench/README.md).
    """
    return _insert_unless_taken(session.get_bind().dialect.name, table)


SQLITE_QUEUE_SECONDS = 5.0
"""How long a request waits for the process's one SQLite connection before 503 `database-busy`.
With the 5 s a transaction may wait for a lock (`_BUSY_WAIT_SECONDS`), no request waits more
than about 10 s: behind another program's lock held for a minute, requests queued for the
connection answered 503 only after 15 to 30 s (a newcomer trial). Under 32 clients a request
waits about 0.1 s for it; one that waits 5 s finds its process overloaded, and `Retry-After`
is the better answer."""

WAL_AUTOCHECKPOINT_PAGES = 1_000_000
"""SQLite's own checkpoint runs within a commit once the WAL holds this many pages (4 GB of
4 KiB pages; SQLite's default is 1,000): a safety net for a process whose `checkpoint_wal` has
stopped, so that its WAL does not fill the disk. Under steady writes the WAL starts again at
`WAL_RESTART_FRAMES`. A reader holding one snapshot stops every checkpoint, and the WAL grows
while it lasts (1.1 GB in 12 s under 32 clients): at 40,000 pages the first commit after the
reader ended copied that backlog on the event loop, no request answered for 1,012 ms; now
`checkpoint_wal` copies it in its thread (bench/README.md, finding 15)."""

WAL_RESTART_FRAMES = 16_000
"""Once the WAL holds this many frames (64 MB) and `checkpoint_wal` has copied nearly all of
them, the process's writer runs the last checkpoint itself before its next transaction, and
that transaction starts the WAL again from its beginning (`_restart_due`)."""

WAL_CAUGHT_UP_FRAMES = 300
"""A checkpoint pass that copies fewer frames than this counts as caught up with the writer:
the pass after it would have fewer still to copy."""

_CATCH_UP_PASSES = 6
"""At most this many checkpoint passes a tick, each copying what was written during the last."""

WAL_CHECKPOINT_SECONDS = 0.1
"""How often `checkpoint_wal` copies the WAL's pages into the database file."""

_moved: set[str] = set()
"""Database files (resolved paths) that were removed or replaced, or whose WAL was removed,
while this process had them open (`checkpoint_wal`): every transaction on them is refused
(`moved_error`) until the process restarts. Added to by the checkpoint task on the loop."""

WAL_SIZE_LIMIT_BYTES = 128 * 1024 * 1024
"""`PRAGMA journal_size_limit` of the service's writer: when the WAL starts again, SQLite cuts
its file back to this size. Under steady writes the WAL starts again at `WAL_RESTART_FRAMES`
(about 66 MB) and the file stays smaller; a reader holding one snapshot for seconds stops the
copying, and the WAL grows past it (919 MB in a newcomer trial) and would stay that size."""


def moved_error() -> sqlite3.OperationalError:
    """The error a transaction on a database in `_moved` raises: SQLite's own code for a
    database file moved while open (SQLITE_READONLY_DBMOVED), answered 503 like a damaged file
    (`apicore.problems`). Why refuse: what this process writes goes to a file no longer at its
    path, or to a removed WAL, and is lost at the next start; the answer must not say stored."""
    error = sqlite3.OperationalError("the database file was moved or removed while open")
    error.sqlite_errorcode = sqlite3.SQLITE_READONLY_DBMOVED
    error.sqlite_errorname = "SQLITE_READONLY_DBMOVED"
    return error


def _descriptor_of(files: dict[tuple[int, int], str]) -> tuple[int, str] | None:
    """A descriptor this process holds open on one of `files` (device and inode → what it is),
    with what that file is; None if none, or where there is no `/proc/self/fd` to list. Found
    by `fstat`, so a file removed, replaced or in a renamed folder is found as well as one at
    its path. One system call for every open descriptor: called only when needed."""
    try:
        descriptors = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for name in descriptors:
        try:
            found = os.fstat(int(name))
        except (OSError, ValueError):
            continue
        what = files.get((found.st_dev, found.st_ino))
        if what is not None:
            return int(name), what
    return None


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file at `path`; None if there is none."""
    try:
        found = path.stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino


_restart_due: set[str] = set()
"""Database files (resolved paths) whose writer is to run the last checkpoint before its next
transaction. Added to by the checkpoint thread, read and emptied on the event loop (a set's
`add`, `discard` and `in` are each atomic)."""


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL and for an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


_sync_descriptors: dict[Path, int] = {}
"""Database file → the descriptor of SQLite's that `_sync_database_file` last synced it through.
Used by the checkpoint thread only."""


def _sync_database_file(path: Path) -> None:
    """`fdatasync` the database file at `path` through a descriptor this process already holds
    open on it (SQLite's, found in `/proc/self/fd`); nothing where there is no `/proc`.

    Why not a descriptor of our own: closing any descriptor of a file drops every POSIX lock the
    process holds on it, SQLite's included, and another process may then take the database for
    unused and delete its WAL under our writer ("How To Corrupt An SQLite Database File",
    section 2.2). An open and close here lost committed rows in the integration tests. A
    descriptor closed and reused between the lookup and the sync costs a needless sync of
    another file, or EBADF, which is ignored.

    The descriptor found is kept and used again while it still refers to the same file (device
    and inode), which costs two system calls; the search costs one for every descriptor the
    process has open, and each call lets go of the GIL and waits to take it back from a busy
    event loop (bench/README.md, finding 15).
    """
    try:
        wanted = os.stat(path)
    except OSError:
        return
    known = _sync_descriptors.get(path)
    if known is not None:
        try:
            found = os.fstat(known)
            if (found.st_dev, found.st_ino) == (wanted.st_dev, wanted.st_ino):
                os.fdatasync(known)
                return
        except OSError:
            pass
        _sync_descriptors.pop(path, None)
    held = _descriptor_of({(wanted.st_dev, wanted.st_ino): "database"})
    if held is not None:
        with suppress(OSError):  # closed meanwhile: the next pass syncs
            os.fdatasync(held[0])
            _sync_descriptors[path] = held[0]


def _checkpoint_once(path: Path) -> bool:
    """PASSIVE checkpoints on a connection of its own: each copies what it can of the WAL into
    the database file without waiting for, or blocking, the writer or any reader (SQLite,
    "PRAGMA wal_checkpoint"), and `fdatasync` then writes those pages to disk. A pass follows
    another, at most `_CATCH_UP_PASSES`, until one copies fewer than `WAL_CAUGHT_UP_FRAMES`
    frames. Opens the file read-write only if it exists (`mode=rw`).

    Returns:
        Whether the WAL is due to start again: it holds `WAL_RESTART_FRAMES` frames or more,
        all but a few are copied and on disk, and the last pass had little to copy.

    Raises:
        sqlite3.Error: the file is missing, another process is checkpointing, a full disk...
    """
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=0)
    try:
        copied_before = -1
        for _ in range(_CATCH_UP_PASSES):
            _busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames <= 0:
                return False  # an empty WAL, or not in WAL mode (-1)
            if copied != copied_before:
                # A pass that stops short of the WAL's end leaves the copied pages unsynced:
                # the checkpoint that completes would sync them all, with the writer waiting.
                _sync_database_file(path)
            # A pass copies the frames written while the one before it ran: once that is little,
            # the writer's last checkpoint (`_restart_wal`) has little to copy. (Its own result
            # cannot tell: a pass copies every frame there was when it began.) A WAL started
            # again between two passes is shorter than what was copied before: not caught up.
            # A pass that copied little because a reader's snapshot stops it leaves the rest
            # uncopied (`frames - copied`): not caught up either, or the writer would copy it
            # all on the loop once the reader ends.
            if 0 <= copied - copied_before < WAL_CAUGHT_UP_FRAMES and frames - copied < WAL_CAUGHT_UP_FRAMES:
                return bool(frames >= WAL_RESTART_FRAMES)
            copied_before = copied
        return False
    finally:
        connection.close()


async def checkpoint_wal(path: Path, *, every: float = WAL_CHECKPOINT_SECONDS) -> None:
    """Checkpoint the SQLite database at `path` every `every` seconds, in a thread, until
    cancelled, and start its WAL again from the beginning whenever it has grown long.

    Why: SQLite checkpoints within the commit that fills the WAL past `wal_autocheckpoint`, and
    our commits run on the event loop, so every request in flight waited for the copy and its
    fsyncs. Here the copying runs beside the requests: sqlite3 lets go of the GIL while it
    works, and a PASSIVE checkpoint takes no lock a writer needs. But under steady writes such a
    checkpoint never reaches the end of a WAL that keeps growing, and a WAL starts again only
    from a checkpoint that did: until now SQLite's own, in a commit, which held the loop for
    30 to 50 ms every quarter of a second under 32 clients (bench/README.md, finding 11). Now,
    once the WAL holds `WAL_RESTART_FRAMES` frames and this thread has caught up with the
    writer, the process's writer runs that last checkpoint before its next transaction
    (`_restart_due`): little to copy and little to sync, 3 to 6 ms about every second under
    32 clients (finding 15).

    A tick finding the WAL as it was at the last one does nothing. Another process's
    checkpoint in the way is tried again at the next tick; any other failure (the file
    missing, a full disk) is logged by its SQLite error name and tried again once the WAL
    changes. A database file removed or replaced, or a WAL removed, while this process holds it
    open (an operator restoring a copy, tidying or renaming the folder), from the task's first
    tick on, ends the task with an error logged (`sqlite.database_moved`), and every transaction
    after answers 503 (`_moved`) until the process restarts on the file now at the path.
    """
    # SQLite names the WAL after the resolved path: through a symlink, `link.db-wal` never
    # exists, and nothing was ever copied (a newcomer trial: 551 MB of WAL in 25 s).
    path = path.resolve()
    wal = path.with_name(path.name + "-wal")
    key = str(path)
    seen: tuple[int, int] | None = None
    files: tuple[tuple[int, int] | None, tuple[int, int] | None] | None = None
    while True:
        await asyncio.sleep(every)
        if key in _moved:
            return  # never connect: a file of the same name is not the one our writer has open
        now = (_identity(path), _identity(wal))
        if now != files:
            # The file or its WAL is new, gone or another: fine unless this process still holds
            # the one that was there (one `/proc/self/fd` listing, only then).
            gone = {}
            if files is not None:
                pairs = zip(files, now, ("database", "wal"), strict=True)
                gone = {old: what for old, new, what in pairs if old and old != new}
            held = _descriptor_of(gone) if gone else None
            if held is not None:
                _moved.add(key)
                # An open on a new file would map the same `-shm` as a first connection and
                # reset it under our writer's mapping: the process died of SIGBUS.
                _log.error("sqlite.database_moved", removed=held[1])
                return
            files = now
        try:
            stat = wal.stat()
        except OSError:
            stat = None
        if stat is None:
            continue  # no WAL yet (not migrated), or none left (the last connection closed)
        if (stat.st_mtime_ns, stat.st_size) == seen:
            continue  # nothing written since the last checkpoint: no thread, no connection
        seen = (stat.st_mtime_ns, stat.st_size)
        try:
            await asyncio.to_thread(_checkpoint_and_mark, path, key)
        except sqlite3.Error as error:
            if lock_held_elsewhere(error):
                seen = None  # another process is checkpointing: try again at the next tick
                continue
            name = getattr(error, "sqlite_errorname", type(error).__name__)
            _checkpoint_failures(_log.warning, "sqlite.checkpoint_failed", error=name)


def _checkpoint_and_mark(path: Path, key: str) -> None:
    """`_checkpoint_once`, and when the WAL is due to start again, `key` added to
    `_restart_due` by this thread at once. Why not on the loop once the thread returns: under
    32 clients that hand-over waited for a busy loop while the writer added some 1,800 frames
    (about 85 ms of its output) for its last checkpoint to copy, 20 ms with the loop held
    (bench/README.md, finding 15).

    Raises:
        sqlite3.Error: as `_checkpoint_once`.
    """
    if _checkpoint_once(path):
        _restart_due.add(key)


def _restart_wal(connection: sqlite3.Connection, database: str) -> None:
    """Run the last checkpoint of a WAL that `checkpoint_wal` found due (`_restart_due`), on
    the writer's own connection, between its transactions: with our processes' writers held
    off by the turn, it reaches the end of the WAL, and the transaction that follows starts the
    WAL from its beginning. Another checkpoint in the way, or any other error, is left to the
    next tick: this is housekeeping, and the transaction must not fail for it."""
    _restart_due.discard(database)
    try:
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    except sqlite3.Error as error:
        name = getattr(error, "sqlite_errorname", type(error).__name__)
        _checkpoint_failures(_log.warning, "sqlite.checkpoint_failed", error=name)


def is_sqlite(url: str) -> bool:
    """True for a `sqlite+aiosqlite://` URL."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 10, timeout: float | None = 30.0) -> AsyncEngine:
    """Create the async engine for `url`.

    SQLite: WAL, `foreign_keys=ON`, a 5 s wait for a lock and exactly one connection per process:
    one writer serialises writes without `database is locked` storms (DOMAIN.md measured p99
    ≈ 1 s with the default pool against ≈ 85 ms with one writer). Transactions start with
    `BEGIN IMMEDIATE` so a read never has to be upgraded to a write mid-transaction, and
    SAVEPOINTs work (SQLAlchemy's pysqlite/aiosqlite recipe). Statements run on the event loop
    (`_on_loop`), never waiting there for a lock. Statement parameters never appear
    in error messages (`hide_parameters`): they hold names and IINs, and errors reach the logs.

    PostgreSQL: a statement or a connection attempt unanswered for `timeout` seconds raises
    the built-in `TimeoutError` (asyncpg's `command_timeout` and connect `timeout`), which the
    services answer with 503: a server or network that stops answering without closing the
    connection must not hold requests, and the pool's connections, for ever.

    Both: connections are lent in the order requests asked for them (`apicore.pool`).

    Args:
        url: `sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`.
        pool_size: PostgreSQL connections a process opens as it needs them and keeps; a
            request finding all in use waits up to 30 s for one (then 503). SQLite: one
            connection, waited for up to `SQLITE_QUEUE_SECONDS`.
        timeout: PostgreSQL: seconds a statement or a connection attempt may go unanswered;
            None for no limit (migrations, whose backfills may take minutes).
    """
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url,
            async_creator=_loop_creator(database or ":memory:"),
            poolclass=FairQueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=SQLITE_QUEUE_SECONDS,
            hide_parameters=True,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself (the driver's implicit BEGIN breaks SAVEPOINT).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # `_on_loop` waits for another process's lock without blocking the event loop.
            cursor.execute("PRAGMA busy_timeout=0")
            cursor.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints are `checkpoint_wal`'s work, off the loop; SQLite's own, run by the
            # committing writer on the loop, only if the WAL grows past this many pages.
            cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}")
            cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT_BYTES}")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql(BEGIN)

        return engine
    engine = create_async_engine(
        url,
        poolclass=FairQueuePool,
        pool_size=pool_size,
        # Kept, never closed on return: an overflow connection closed as a burst ends has to be
        # reopened by the next one, and opening costs more than most requests (bench/README.md).
        max_overflow=0,
        hide_parameters=True,
        connect_args={} if timeout is None else {"command_timeout": timeout, "timeout": timeout},
    )
    _ping_when_idle(engine)
    return engine


IDLE_PING_SECONDS = 1.0
"""A pooled PostgreSQL connection unused for longer than this is pinged before it is lent."""


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before lending it only when it sat idle for over
    `IDLE_PING_SECONDS`; a dead one is replaced, and the request never sees it.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: three more round trips on asyncpg
    (BEGIN, `;`, ROLLBACK) on every request, for connections a busy service used a moment ago.
    A server restart is found on the connections that sat through it; one quicker than a
    second can still fail the first request on a connection, which answers 503 (the client
    retries) and makes SQLAlchemy recycle the whole pool. Raising `DisconnectionError` from the
    `checkout` event is SQLAlchemy's documented way to replace a connection (PoolEvents).
    """
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is not None and time.monotonic() - returned <= IDLE_PING_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:  # as SQLAlchemy's own pre-ping
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError from error
            raise


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (`expire_on_commit=False`)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@dataclass(slots=True)
class Database:
    """The engine and session factory of one service database, created in the lifespan."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    autocommit_sessions: async_sessionmaker[AsyncSession]
    """Sessions whose connections run each statement in a transaction of its own (PostgreSQL's
    AUTOCOMMIT; on SQLite the same as `sessions`), taken from the same pool when the first
    statement needs one: the reads' (`apicore.transactions`)."""

    @classmethod
    def connect(cls, url: str, *, pool_size: int = 10, timeout: float | None = 30.0) -> Database:
        """Create the engine (no I/O happens until first use); see `create_engine`."""
        engine = create_engine(url, pool_size=pool_size, timeout=timeout)
        sessions = create_sessionmaker(engine)
        if engine.dialect.name != "postgresql":
            return cls(engine=engine, sessions=sessions, autocommit_sessions=sessions)
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")  # shares the pool
        return cls(engine=engine, sessions=sessions, autocommit_sessions=create_sessionmaker(autocommit))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed when the block ends, rolled back on error."""
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
