"""Core statements run through the database driver on a session's own connection.

The hottest writes of a request (a registration's rows, its audit event, its idempotency
record) spent more time in SQLAlchemy's execution path than in the database: about 60 µs a
statement on SQLite and 90 µs on PostgreSQL of CPU, against 13 µs on SQLite through the driver
(bench/README.md). Here a Core statement is compiled once per dialect and key set, its values
go through the same bind processors SQLAlchemy would apply (UUIDs, UTC datetimes, JSON), and
it runs on the connection, and in the transaction and savepoint, of the session: what it writes
commits or rolls back with everything else the session did.

What SQLAlchemy would still do for these statements:
- Errors: a driver error becomes the same `sqlalchemy.exc.DBAPIError` subclass
  (`IntegrityError`, `OperationalError`, ...), with parameters hidden, and a lost connection is
  invalidated; timeouts stay the built-in `TimeoutError`.
- Listeners: while anything listens to `before_cursor_execute` on the engine (tests counting
  statements, the benchmark's EXPLAIN capture), statements go through `session.execute`, so
  that the listener sees every statement.

Only plain statements: INSERT of whole rows (optionally `ON CONFLICT DO NOTHING`), UPDATE or
DELETE with bound parameters, and SELECT or RETURNING through `fetch_all`; no expanding `IN`.
`insert_tables` writes rows into several tables at once: on PostgreSQL in one statement (one
round trip instead of one per table), elsewhere one INSERT per table.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import JSON, Float, Numeric, String, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler

from apicore.db import insert_unless_taken

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A statement in one dialect: its SQL with positional placeholders, and for each
    placeholder the parameter name or fixed value and the bind processor."""

    sql: str
    names: tuple[str, ...]
    fixed: dict[str, Any]
    processors: tuple[Callable[[Any], Any] | None, ...]
    results: tuple[Callable[[Any], Any] | None, ...] = ()
    """Result processors of a SELECT's columns (or of a RETURNING clause), in order."""

    def values(self, params: Row) -> list[Any]:
        """The positional values for `params` (dict by parameter name).

        Raises:
            KeyError: a parameter the statement needs is missing (a programming error, as
                SQLAlchemy raises for it).
        """
        fixed = self.fixed
        out = []
        for name, process in zip(self.names, self.processors, strict=True):
            value = params[name] if name in params or name not in fixed else fixed[name]
            out.append(value if process is None or value is None else process(value))
        return out


def _processor(dialect: Dialect, type_: Any) -> Callable[[Any], Any] | None:
    """SQLAlchemy's bind processor for `type_` in `dialect` (variants and decorators applied)."""
    return type_.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1024)  # a handful of statements per dialect; tests make many engines
def _compile(statement: Executable, dialect: Dialect, keys: tuple[str, ...]) -> _Compiled:
    compiled = cast(
        SQLCompiler, cast(ClauseElement, statement).compile(dialect=dialect, column_keys=list(keys))
    )
    names = tuple(compiled.positiontup or ())
    if compiled.positiontup is None and compiled.binds:
        raise TypeError("driver statements need a positional paramstyle")
    binds = compiled.binds
    if any(bind.expanding for bind in binds.values()):
        # SQLAlchemy renders an expanding IN per execution; the driver would get its placeholder.
        raise TypeError("driver statements take no expanding IN; use session.execute")
    # Values fixed in the statement itself (`state = 'in_flight'` becomes a parameter).
    fixed = {name: binds[name].effective_value for name in names if name not in keys}
    processors = tuple(_processor(dialect, binds[name].type) for name in names)
    # A SELECT's columns, or the RETURNING columns of an INSERT, UPDATE or DELETE.
    selected = getattr(statement, "exported_columns", ())
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in selected)
    return _Compiled(compiled.string, names, fixed, processors, results)


@functools.cache
def _defaults(table: Table, keys: tuple[str, ...]) -> dict[str, Any]:
    """Python-side column defaults (`default=`) of columns missing from `keys`: scalars and
    zero-argument callables, as SQLAlchemy applies them to an INSERT."""
    out: dict[str, Any] = {}
    for column in table.columns:
        default: Any = column.default
        if column.key in keys or default is None:
            continue
        if getattr(default, "is_scalar", False):
            out[column.key] = default.arg
        elif getattr(default, "is_callable", False):
            out[column.key] = default.arg  # called per row below
    return out


@functools.cache
def _insert(table: Table) -> Any:
    return insert(table)


def _observed(connection: AsyncConnection) -> bool:
    """Whether a listener watches statements on the connection's engine."""
    return bool(connection.sync_engine.dispatch.before_cursor_execute)


_HELD = "apicore.driver.connection"


async def _connection(session: AsyncSession) -> tuple[AsyncConnection, Any]:
    """The connection of the session's transaction and its pooled DBAPI connection.

    Asked of SQLAlchemy once per transaction and kept in `session.info`: asking for every
    statement cost about 0.5 % of a registration's time each (py-spy). A new transaction or
    savepoint, an ended or failed one, or an invalidated connection asks again: SQLAlchemy
    emits the SAVEPOINT, or raises what it raises for them.
    """
    # The innermost transaction: a savepoint is emitted when its connection is first asked for.
    current = session.sync_session.get_nested_transaction() or session.sync_session.get_transaction()
    held = session.info.get(_HELD)
    if (
        held is not None
        and held[0] is current
        and current is not None
        and current.is_active
        and not held[1].invalidated
    ):
        return held[1], held[2]
    return await session.run_sync(_hold)


def _hold(sync_session: Session) -> tuple[AsyncConnection, Any]:
    """`_connection`'s work in one pass through SQLAlchemy's greenlet: the session's connection
    and its DBAPI connection, both kept in `session.info`. Each `await` of an AsyncSession
    method is a greenlet of its own, about 15 µs of CPU (bench/README.md, finding 13)."""
    sync_connection = sync_session.connection()
    # What `AsyncSession.connection()` returns for the same connection.
    connection = AsyncConnection._retrieve_proxy_for_target(sync_connection)
    fairy = sync_connection.connection
    current = sync_session.get_nested_transaction() or sync_session.get_transaction()
    sync_session.info[_HELD] = (current, connection, fairy)
    return connection, fairy


def _end(sync_session: Session, commit: bool) -> None:
    try:
        if commit:
            sync_session.commit()
        else:
            sync_session.rollback()
    finally:
        sync_session.close()


async def end(session: AsyncSession, *, commit: bool) -> None:
    """Commit (or roll back) the session's transaction and close the session, in one pass
    through SQLAlchemy's greenlet. The session is closed even when the commit fails, and can
    be used again (it begins a new transaction), as after `AsyncSession.close()`.

    Raises:
        DBAPIError: the COMMIT failed (nothing of the transaction is kept).
    """
    await session.run_sync(_end, commit)


async def _run(
    connection: AsyncConnection,
    fairy: Any,
    compiled: _Compiled,
    rows: list[list[Any]],
    *,
    many: bool,
    fetch: bool = False,
) -> Any:
    """Run `compiled` with the positional `rows` on the driver under `connection`: the rows
    affected (-1 when the driver does not say), or with `fetch` the rows selected, as tuples
    of driver values.

    Raises:
        DBAPIError: the driver's error, as SQLAlchemy wraps it.
        TimeoutError: PostgreSQL did not answer within the command timeout.
    """
    dialect = connection.dialect
    adapted = fairy.dbapi_connection
    try:
        if dialect.name == "postgresql":
            return await _run_asyncpg(adapted, compiled.sql, rows, many=many, fetch=fetch)
        return await _run_sqlite(fairy.driver_connection, compiled.sql, rows, many=many, fetch=fetch)
    except dialect.loaded_dbapi.Error as error:
        invalidated = dialect.is_disconnect(error, adapted, None)
        if invalidated:
            await connection.invalidate(error)
        raise DBAPIError.instance(
            compiled.sql,
            None,
            error,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=invalidated,
            dialect=dialect,
            ismulti=many,
        ) from error


async def _run_asyncpg(adapted: Any, sql: str, rows: list[list[Any]], *, many: bool, fetch: bool) -> Any:
    # SQLAlchemy's asyncpg adapter begins the driver's transaction with the first statement it
    # runs; a statement of ours may come first.
    if adapted._transaction is None and not adapted.autocommit:
        await adapted._start_transaction()
    driver = adapted._connection
    try:
        if many:
            await driver.executemany(sql, rows)
            return len(rows)
        if fetch:
            return await driver.fetch(sql, *rows[0])
        status = await driver.execute(sql, *rows[0])
    except Exception as error:
        adapted._handle_exception(error)
        raise  # pragma: no cover - _handle_exception always raises
    count = str(status).rsplit(" ", 1)[-1]
    return int(count) if count.isdigit() else -1


async def _run_sqlite(driver: Any, sql: str, rows: list[list[Any]], *, many: bool, fetch: bool) -> Any:
    # `driver` is apicore.db's `_LoopConnection`: the statement runs on the event loop, waiting
    # for another process's lock as every other statement does.
    cursor = driver.cursor()
    if many:
        await cursor.executemany(sql, rows)
    else:
        await cursor.execute(sql, rows[0])
    return await cursor.fetchall() if fetch else int(cursor.rowcount)


async def insert_rows(
    session: AsyncSession, table: Table, rows: Sequence[Row], *, unless_taken: bool = False
) -> int:
    """INSERT `rows` (dicts of column values, all with the same keys) into
    `table` in the session's transaction: one statement, an executemany for several rows.
    Columns missing from the rows get their Python-side `default=`.

    `unless_taken`: `ON CONFLICT DO NOTHING` (see `apicore.db.insert_unless_taken`); a row whose
    key or unique value is taken is skipped.

    Returns:
        The rows inserted: exact for a single row, `len(rows)` for several without
        `unless_taken`, and -1 when the driver does not tell (several rows, `unless_taken`).

    Raises:
        DBAPIError: e.g. `IntegrityError` for a taken key without `unless_taken`.
        ValueError: the rows differ in their keys (nothing is written).
    """
    if not rows:
        return 0
    connection, fairy = await _connection(session)
    if _observed(connection):
        statement = insert_unless_taken(session, table) if unless_taken else _insert(table)
        result = await session.execute(statement, list(rows) if len(rows) > 1 else rows[0])
        return int(getattr(result, "rowcount", -1))
    dialect = connection.dialect
    keys = tuple(rows[0])
    defaults = _defaults(table, keys)
    statement = insert_unless_taken(session, table) if unless_taken else _insert(table)
    compiled = _compile(statement, dialect, keys + tuple(defaults))
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"rows for {table.name} differ in their keys")
    if defaults:
        rows = [{k: v(None) if callable(v) else v for k, v in defaults.items()} | row for row in rows]
    values = [compiled.values(row) for row in rows]
    count = int(await _run(connection, fairy, compiled, values, many=len(values) > 1))
    if len(values) > 1 and unless_taken and connection.dialect.name == "postgresql":
        return -1
    return count


async def execute(session: AsyncSession, statement: Executable, params: Row) -> int:
    """Run an UPDATE or DELETE built once with `bindparam`s (and, for UPDATE, the columns to
    set taken from `params`) in the session's transaction; returns the rows it affected.

    Raises:
        DBAPIError: the database refused it.
        KeyError: a bound parameter is missing from `params`.
    """
    connection, fairy = await _connection(session)
    if _observed(connection):
        result = await session.execute(statement, params)
        return int(getattr(result, "rowcount", -1))
    compiled = _compile(statement, connection.dialect, tuple(params))
    return int(await _run(connection, fairy, compiled, [compiled.values(params)], many=False))


async def fetch_all(session: AsyncSession, statement: Executable, params: Row) -> list[Sequence[Any]]:
    """Run a SELECT (or a statement with RETURNING) built once with `bindparam`s in the
    session's transaction; its rows, each indexable by the position of the statement's
    selected (or returned) columns, with the values SQLAlchemy would give (UUIDs, dates, UTC
    datetimes, JSON decoded).

    Raises:
        DBAPIError: the database refused it.
        KeyError: a bound parameter is missing from `params`.
    """
    connection, fairy = await _connection(session)
    if _observed(connection):
        return list((await session.execute(statement, params)).all())
    compiled = _compile(statement, connection.dialect, tuple(params))
    rows = await _run(connection, fairy, compiled, [compiled.values(params)], many=False, fetch=True)
    results = compiled.results
    if not any(results):
        return list(rows)
    return [
        tuple(v if f is None or v is None else f(v) for f, v in zip(results, row, strict=True))
        for row in rows
    ]


async def insert_tables(session: AsyncSession, batches: Sequence[tuple[Table, Sequence[Row]]]) -> None:
    """INSERT each `(table, rows)` of `batches` (rows as for `insert_rows`; a table's rows all
    with the same keys) in the session's transaction, in the order given; empty ones are
    skipped.

    On PostgreSQL this is one statement, whatever the tables and rows: each table's INSERT reads
    its rows from `unnest` of one array per column, and all but the last are data-modifying
    `WITH` queries of the last (PostgreSQL's documentation, "Data-Modifying Statements in
    WITH"). Foreign keys between the rows of one call hold: PostgreSQL checks them when the
    statement ends. Why: every statement is a round trip through asyncpg and the event loop,
    about 60 µs of the service's CPU and as much of the server's; a registration wrote six
    tables in six of them. On SQLite (in the process, no round trip) each table is one
    `insert_rows`.

    Raises:
        DBAPIError: e.g. `IntegrityError` for a taken key. On PostgreSQL nothing of the call
            is written; on SQLite the tables before the failing one are, until the caller's
            transaction or savepoint rolls back, as after a failed `insert_rows`.
        ValueError: a table's rows differ in their keys (nothing of the call is written).
    """
    batches = _checked(batches)
    if not batches:
        return
    connection, fairy = await _connection(session)
    dialect = connection.dialect
    if dialect.name != "postgresql" or len(batches) == 1:
        for table, rows in batches:
            await insert_rows(session, table, rows)
        return
    shapes, tables_rows = _shapes(batches)
    compiled = _unnest_inserts(dialect, shapes)
    values = _arrays(compiled, shapes, tables_rows)
    if _observed(connection):
        await connection.exec_driver_sql(compiled.sql, tuple(values))
        return
    await _run(connection, fairy, compiled.statement, [values], many=False)


async def insert_after(
    session: AsyncSession,
    statement: Executable,
    params: Row,
    batches: Sequence[tuple[Table, Sequence[Row]]],
) -> list[Sequence[Any]]:
    """Run `statement` (a SELECT, or an INSERT ... RETURNING, built once with `bindparam`s, as
    `fetch_all` takes it) and, only if it returned a row, `insert_tables(batches)`; its rows,
    as `fetch_all` gives them, in no promised order.

    On PostgreSQL this is one statement: `statement` is its first `WITH` query, and each
    table's INSERT writes only `WHERE EXISTS` a row it returned. Why: a registration's person
    row (`ON CONFLICT DO NOTHING`) and the rows that hang on it were two round trips, and so
    were a read and its audit event.

    Raises:
        DBAPIError, ValueError: as `fetch_all` and `insert_tables` raise them.
        KeyError: a bound parameter of `statement` is missing from `params`.
    """
    batches = _checked(batches)
    connection, fairy = await _connection(session)
    dialect = connection.dialect
    if dialect.name != "postgresql" or not batches:
        rows = await fetch_all(session, statement, params)
        if rows:
            await insert_tables(session, batches)
        return rows
    first = _compile(statement, dialect, tuple(params))
    shapes, tables_rows = _shapes(batches)
    compiled = _unnest_inserts(dialect, shapes, first.sql, len(first.names))
    values = [*first.values(params), *_arrays(compiled, shapes, tables_rows)]
    if _observed(connection):
        got: Sequence[Sequence[Any]] = (await connection.exec_driver_sql(compiled.sql, tuple(values))).all()
    else:
        got = await _run(connection, fairy, compiled.statement, [values], many=False, fetch=True)
    return [
        tuple(v if f is None or v is None else f(v) for f, v in zip(first.results, row, strict=True))
        for row in got
    ]


def _checked(batches: Sequence[tuple[Table, Sequence[Row]]]) -> list[tuple[Table, Sequence[Row]]]:
    """The batches that have rows, once each table's rows are known to share their keys.

    Raises:
        ValueError: a table's rows differ in their keys.
    """
    batches = [(table, rows) for table, rows in batches if rows]
    for table, rows in batches:  # all refused before any is written
        if any(row.keys() != rows[0].keys() for row in rows):
            raise ValueError(f"rows for {table.name} differ in their keys")
    return batches


def _shapes(
    batches: Sequence[tuple[Table, Sequence[Row]]],
) -> tuple[tuple[tuple[Table, tuple[str, ...]], ...], list[Sequence[Row]]]:
    """Each table with the keys of its rows, and its rows, Python-side defaults added."""
    shapes, tables_rows = [], []
    for table, rows in batches:
        defaults = _defaults(table, tuple(rows[0]))
        if defaults:
            rows = [{k: v(None) if callable(v) else v for k, v in defaults.items()} | row for row in rows]
        shapes.append((table, tuple(rows[0])))
        tables_rows.append(rows)
    return tuple(shapes), tables_rows


def _arrays(compiled: _UnnestInserts, shapes: Any, tables_rows: list[Sequence[Row]]) -> list[Any]:
    """One list of processed values per column of every table, in the statement's order."""
    values: list[Any] = []
    for (_table, keys), rows, processors in zip(shapes, tables_rows, compiled.table_processors, strict=True):
        for key, process in zip(keys, processors, strict=True):
            column = [row[key] for row in rows]
            values.append(column if process is None else [None if v is None else process(v) for v in column])
    return values


@dataclass(frozen=True, slots=True)
class _UnnestInserts:
    """`insert_tables`' statement for one sequence of tables and keys on PostgreSQL."""

    sql: str
    table_processors: tuple[tuple[Callable[[Any], Any] | None, ...], ...]

    @property
    def statement(self) -> _Compiled:
        """The statement as `_run` takes it (its values are already positional)."""
        return _Compiled(self.sql, (), {}, ())


@functools.lru_cache(maxsize=256)
def _unnest_inserts(
    dialect: Dialect,
    shapes: tuple[tuple[Table, tuple[str, ...]], ...],
    first: str | None = None,
    numbered: int = 0,
) -> _UnnestInserts:
    """`WITH w0 AS (INSERT INTO a (...) SELECT ... FROM unnest($1::T[], ...) AS u(...)), ...
    INSERT INTO z (...) SELECT ...`: one array parameter per column. JSON travels as text and
    is cast back (asyncpg's array codec does not apply SQLAlchemy's JSON codec to elements).

    `first`: a SELECT or a statement with RETURNING, with `numbered` parameters of its own
    ($1...): it comes first as `WITH f AS (...)`, every INSERT writes only if it returned a
    row, and the statement returns its rows (`SELECT * FROM f`)."""
    quote = dialect.identifier_preparer
    inserts, processors = [], []
    number = numbered
    guard = "" if first is None else " WHERE EXISTS (SELECT 1 FROM f)"
    for table, keys in shapes:
        arguments, selected, names = [], [], []
        for index, key in enumerate(keys):
            column = table.c[key]
            sql_type = column.type.compile(dialect=dialect)
            impl = column.type.dialect_impl(dialect)
            json = isinstance(impl, JSON)
            # The array's type without a length or precision: an explicit cast to VARCHAR(n)
            # or NUMERIC(p, s) would cut or round a value silently; the INSERT's own
            # conversion to the column's type refuses it instead.
            given = "TEXT" if json or isinstance(impl, String) else sql_type
            given = "NUMERIC" if isinstance(impl, Numeric) and not isinstance(impl, Float) else given
            number += 1
            arguments.append(f"${number}::{given}[]")
            names.append(f"c{index}")
            selected.append(f"c{index}::{sql_type}" if json else f"c{index}")
        processors.append(tuple(_processor(dialect, table.c[key].type) for key in keys))
        columns = ", ".join(quote.quote(table.c[key].name) for key in keys)
        # Only quoted names of our own tables and columns and $n placeholders go into the text.
        inserts.append(
            f"INSERT INTO {quote.format_table(table)} ({columns}) SELECT {', '.join(selected)} "  # noqa: S608
            f"FROM unnest({', '.join(arguments)}) AS u({', '.join(names)}){guard}"
        )
    if first is not None:
        queries = ", ".join(f"w{index} AS ({sql})" for index, sql in enumerate(inserts))
        sql = f"WITH f AS ({first}), {queries} SELECT * FROM f"  # noqa: S608 - compiled statements only
        return _UnnestInserts(sql, tuple(processors))
    *head, last = inserts
    queries = ", ".join(f"w{index} AS ({sql})" for index, sql in enumerate(head))
    return _UnnestInserts(f"WITH {queries} {last}" if head else last, tuple(processors))
