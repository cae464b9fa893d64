"""Databases of the benchmark's own: SQLite files in a temporary folder, PostgreSQL databases
created and dropped on the server of `BENCH_POSTGRES_URL`; migrated, keyed and loaded.

Migrations, operations and keys go through the services' own command lines (`intake-api
migrate`, `seed-operations`, `mint-dev-keys`), as an operator would run them. Rows are loaded in
bulk straight into the tables (COPY on PostgreSQL, `executemany` on SQLite): the service would
take hours to register a million persons one by one, and the loaded rows are the ones it writes
(`bench/rows.py`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bench import rows as r

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVICE_SCRIPTS = {"intake": "intake-api", "docs": "docs-service"}
ENV_PREFIX = {"intake": "INTAKE_", "docs": "DOCS_"}


def asyncpg_dsn(url: str, database: str | None = None) -> str:
    """A `postgresql://` DSN for asyncpg from a SQLAlchemy URL, optionally for another database."""
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def postgres_reachable(admin_url: str) -> str | None:
    """None when the server answers and the role may create databases, else why not."""
    try:
        conn = await asyncio.wait_for(asyncpg.connect(asyncpg_dsn(admin_url)), timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"{type(exc).__name__}: {exc}"
    try:
        allowed = await conn.fetchval(
            "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        return None if allowed else "the role may not create databases"
    finally:
        await conn.close()


def run_cli(service: str, url: str, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run `intake-api ARGS` / `docs-service ARGS` against `url`; returns its standard output.

    Raises:
        RuntimeError: the command failed (its output is in the message).
    """
    command = [str(BIN / SERVICE_SCRIPTS[service]), *args]
    environment = {**os.environ, **(env or {}), f"{ENV_PREFIX[service]}DATABASE_URL": url}
    done = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


@dataclass
class ServiceDatabase:
    """One migrated database of one service, with the keys minted in it."""

    backend: r.Backend
    service: str
    url: str
    keys: dict[str, str] = field(default_factory=dict)
    """Role → API key (`bench-<role>`)."""


class DatabaseServer:
    """Where the benchmark's databases live: a temporary folder or a PostgreSQL server."""

    def __init__(self, backend: r.Backend, workdir: Path, admin_url: str | None, nonce: str) -> None:
        self.backend: r.Backend = backend
        self.workdir = workdir
        self.admin_url = admin_url
        self.nonce = nonce
        self.created: list[str] = []

    def url_of(self, name: str) -> str:
        """The SQLAlchemy URL of the database `name`."""
        if self.backend == "sqlite":
            return f"sqlite+aiosqlite:///{self.workdir / (name + '.db')}"
        assert self.admin_url is not None
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def name(self, label: str) -> str:
        """A database name unique to this run."""
        return f"bench_{self.nonce}_{label}"

    async def _admin(self, sql: str) -> None:
        assert self.admin_url is not None
        conn = await asyncpg.connect(asyncpg_dsn(self.admin_url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def create(self, label: str, *, template: str | None = None) -> str:
        """Create an empty database (or a copy of `template`); returns its URL."""
        name = self.name(label)
        if self.backend == "sqlite":
            path = self.workdir / f"{name}.db"
            if template is not None:
                source = Path(make_url(template).database or "")
                checkpoint(source)
                shutil.copyfile(source, path)
        else:
            clause = f' TEMPLATE "{make_url(template).database}"' if template else ""
            asyncio.run(self._admin(f'CREATE DATABASE "{name}"{clause}'))
        self.created.append(name)
        return self.url_of(name)

    def drop_all(self) -> None:
        """Drop every database this run created (files go with the temporary folder).

        `WITH (FORCE)` cannot end an autovacuum worker that a large load started (it is not our
        role's), so a refused drop is tried again for up to a minute.
        """
        if self.backend == "postgresql":
            for name in reversed(self.created):
                for _attempt in range(120):
                    try:
                        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                        break
                    except (asyncpg.InsufficientPrivilegeError, asyncpg.ObjectInUseError):
                        time.sleep(0.5)
                    except (OSError, asyncpg.PostgresError) as exc:
                        print(f"bench: could not drop {name}: {exc}", file=sys.stderr)  # noqa: T201
                        break
                else:
                    print(f"bench: could not drop {name}: still in use after a minute", file=sys.stderr)  # noqa: T201
        self.created.clear()

    def prepare(self, service: str, label: str) -> ServiceDatabase:
        """Create, migrate and key a database of `service`; intake also gets the operations."""
        url = self.create(label)
        run_cli(service, url, "migrate")
        if service == "intake":
            run_cli(service, url, "seed-operations")
        minted = run_cli(service, url, "mint-dev-keys", "--prefix", "bench")
        keys = dict(line.split("=", 1) for line in minted.split() if "=" in line)
        return ServiceDatabase(self.backend, service, url, keys)

    def copy(self, source: ServiceDatabase, label: str) -> ServiceDatabase:
        """A copy of a prepared (and loaded) database, keys included."""
        return ServiceDatabase(
            self.backend, source.service, self.create(label, template=source.url), source.keys
        )


def checkpoint(path: Path) -> None:
    """Fold a SQLite write-ahead log into the database file, so that copying the file is whole."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _sqlite_path(url: str) -> str:
    return make_url(url).database or ""


def operation_id(url: str, code: str = "zhusan-2") -> uuid.UUID:
    """The id of an operation in an intake database."""
    return asyncio.run(_operation_id(url, code))


async def _operation_id(url: str, code: str) -> uuid.UUID:
    if make_url(url).get_backend_name() == "sqlite":
        with sqlite3.connect(_sqlite_path(url)) as conn:
            (hex_id,) = conn.execute("SELECT id FROM operation WHERE code = ?", (code,)).fetchone()
        return uuid.UUID(hex_id)
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        value: uuid.UUID = await conn.fetchval("SELECT id FROM operation WHERE code = $1", code)
        return value
    finally:
        await conn.close()


class Loader:
    """Writes `Rows` into one database in bulk (one connection, kept open)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.backend: r.Backend = "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"
        self.codec = r.Codec(self.backend)
        self._sqlite: sqlite3.Connection | None = None
        self._pg: asyncpg.Connection | None = None
        self._loop = asyncio.new_event_loop()

    def __enter__(self) -> Loader:
        if self.backend == "sqlite":
            self._sqlite = sqlite3.connect(_sqlite_path(self.url), isolation_level=None)
            self._sqlite.execute("PRAGMA foreign_keys=ON")
        else:
            self._pg = self._loop.run_until_complete(asyncpg.connect(asyncpg_dsn(self.url)))
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            self._loop.run_until_complete(self._pg.close())
        self._loop.close()

    def write(self, rows: r.Rows) -> None:
        """Insert every row, parents first, in one transaction."""
        order = [t for t in r.COLUMNS if rows.tables[t]]
        if self._sqlite is not None:
            conn = self._sqlite
            conn.execute("BEGIN")
            for table in order:
                conn.executemany(self.codec.insert(table), rows.tables[table])
            conn.execute("COMMIT")
            return
        assert self._pg is not None
        self._loop.run_until_complete(self._copy(self._pg, rows, order))

    @staticmethod
    async def _copy(conn: asyncpg.Connection, rows: r.Rows, order: Iterable[str]) -> None:
        async with conn.transaction():
            for table in order:
                await conn.copy_records_to_table(
                    table, records=rows.tables[table], columns=list(r.COLUMNS[table])
                )

    def execute(self, sql: str) -> Any:
        """Run one statement (PostgreSQL: `execute`, SQLite: `execute` + fetchall)."""
        if self._sqlite is not None:
            return self._sqlite.execute(sql).fetchall()
        assert self._pg is not None
        return self._loop.run_until_complete(self._pg.execute(sql))

    def execute_args(self, sql: str, *args: Any) -> None:
        """Run one PostgreSQL statement with `$n` arguments (asyncpg)."""
        assert self._pg is not None
        self._loop.run_until_complete(self._pg.execute(sql, *args))

    def fetch(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of a query."""
        if self._sqlite is not None:
            return [tuple(row) for row in self._sqlite.execute(sql).fetchall()]
        assert self._pg is not None
        return [tuple(row) for row in self._loop.run_until_complete(self._pg.fetch(sql))]
