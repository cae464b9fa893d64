"""Pooled PostgreSQL connections (`apicore.db._ping_when_idle`): one that sat idle is pinged
before it is lent and replaced when dead; one used a moment ago is lent without a ping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests.conftest import BACKENDS
from tests.support.databases import _asyncpg_dsn

from apicore import db as db_module
from apicore.db import Database

pytestmark = [
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs TEST_POSTGRES_URL (always set in CI)"),
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]


async def _backend_pid(db: Database) -> int:
    async with db.sessions() as session:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(url: str, pid: int) -> None:
    """What a server restart does to a pooled connection: its backend goes away."""
    admin = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


@asynccontextmanager
async def _pool_whose_connection_died(url: str) -> AsyncIterator[tuple[Database, int]]:
    """A pool of one whose connection's backend was terminated after its last use:
    `(database, the dead backend's pid)`."""
    db = Database.connect(url, pool_size=1)
    try:
        first = await _backend_pid(db)
        await _terminate(url, first)
        yield db, first
    finally:
        await db.dispose()


async def test_an_idle_connection_found_dead_is_replaced_unseen(
    intake_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.2)
    async with _pool_whose_connection_died(intake_db_url) as (db, dead):
        await asyncio.sleep(0.4)
        assert await _backend_pid(db) != dead


async def test_a_connection_used_a_moment_ago_is_lent_without_a_ping(
    intake_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The other side of the trade: no round trip for a busy pool, so a connection killed within
    # the second fails its next request (a 503 to the client), and the pool is recycled.
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 60.0)
    async with _pool_whose_connection_died(intake_db_url) as (db, dead):
        await asyncio.sleep(0.2)
        with pytest.raises(DBAPIError):
            await _backend_pid(db)
        assert await _backend_pid(db) != dead
