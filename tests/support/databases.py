"""Fresh migrated databases for tests, on SQLite always and PostgreSQL when
`TEST_POSTGRES_URL` names a server (an admin URL such as
`postgresql+asyncpg://user:pass@127.0.0.1:5432/postgres`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from apicore import migrations

POSTGRES_ENV = "TEST_POSTGRES_URL"


def postgres_admin_url() -> str | None:
    """The PostgreSQL admin URL of this run, or None (then only SQLite runs)."""
    return os.environ.get(POSTGRES_ENV) or None


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_admin(url: str, sql: str) -> None:
    # DROP ... WITH (FORCE) can meet a backend it may not end (an autovacuum worker on the
    # database a moment after a test): that passes, so try again briefly.
    for attempt in range(20):
        conn = await asyncpg.connect(_asyncpg_dsn(url))
        try:
            await conn.execute(sql)
            return
        except (asyncpg.InsufficientPrivilegeError, asyncpg.ObjectInUseError):
            if attempt == 19 or not sql.startswith("DROP"):
                raise
        finally:
            await conn.close()
        await asyncio.sleep(0.25)


@dataclass
class TemplateDatabase:
    """A migrated database of one service from which each test gets a fresh copy."""

    backend: str
    section: str
    url: str
    workdir: Path

    @classmethod
    def create(cls, backend: str, section: str, workdir: Path) -> TemplateDatabase:
        """Migrate a template database to head (a file on SQLite, a database on PostgreSQL)."""
        if backend == "sqlite":
            path = workdir / f"template_{section}.db"
            url = f"sqlite+aiosqlite:///{path}"
        else:
            admin = postgres_admin_url()
            assert admin is not None
            name = f"rt_tpl_{section}_{uuid.uuid4().hex[:10]}"
            asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
            url = make_url(admin).set(database=name).render_as_string(hide_password=False)
        migrations.upgrade(section, url)
        return cls(backend, section, url, workdir)

    def fresh_copy(self) -> str:
        """A new database with the migrated schema and no rows; returns its URL."""
        if self.backend == "sqlite":
            source = Path(make_url(self.url).database or "")
            target = self.workdir / f"{self.section}_{uuid.uuid4().hex[:10]}.db"
            shutil.copyfile(source, target)
            return f"sqlite+aiosqlite:///{target}"
        admin = postgres_admin_url()
        assert admin is not None
        template = make_url(self.url).database
        name = f"rt_{self.section}_{uuid.uuid4().hex[:12]}"
        asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        return make_url(admin).set(database=name).render_as_string(hide_password=False)

    def drop_copy(self, url: str) -> None:
        """Remove a copy made by `fresh_copy`."""
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path((make_url(url).database or "") + suffix).unlink(missing_ok=True)
            return
        admin = postgres_admin_url()
        assert admin is not None
        name = make_url(url).database
        asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop(self) -> None:
        """Remove the template itself."""
        self.drop_copy(self.url)


def new_empty_database(backend: str, workdir: Path, label: str) -> str:
    """An empty database (no schema) for migration tests; returns its URL."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / f'{label}_{uuid.uuid4().hex[:8]}.db'}"
    admin = postgres_admin_url()
    assert admin is not None
    name = f"rt_{label}_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_database(backend: str, url: str) -> None:
    """Drop a database made by `new_empty_database`."""
    if backend == "sqlite":
        Path(make_url(url).database or "").unlink(missing_ok=True)
        return
    admin = postgres_admin_url()
    assert admin is not None
    asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
