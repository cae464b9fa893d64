"""Pooled PostgreSQL connections (`apicore.db`): one that sat idle is pinged before it is lent
and replaced when dead; one used a moment ago is lent without a ping; a server that stops
answering without closing the connection fails a statement within the timeout."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
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


class _StallingProxy:
    """A TCP relay to PostgreSQL that can stop passing bytes, as a network or a frozen server
    does, without closing anything."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.server: asyncio.Server | None = None
        self.port = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def __aenter__(self) -> _StallingProxy:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_exc: object) -> None:
        # Close both sides of every relayed connection (asyncpg's cancel request included), so
        # that no socket outlives the test's event loop.
        self.flowing.set()
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for w in self.writers), return_exceptions=True)
        await asyncio.sleep(0.2)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.writers += [writer, up_writer]
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))


async def test_a_server_that_stops_answering_fails_the_statement_within_the_timeout(
    intake_db_url: str,
) -> None:
    url = make_url(intake_db_url)
    async with _StallingProxy(url.port or 5432) as proxy:
        through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        db = Database.connect(through, pool_size=1, timeout=1.0)
        try:
            await _backend_pid(db)
            proxy.flowing.clear()
            started = time.monotonic()
            with pytest.raises(TimeoutError):
                # The outer bound only keeps a regression from hanging the suite.
                await asyncio.wait_for(_backend_pid(db), 10)
            assert time.monotonic() - started < 5, "the statement waited for the outer bound"
        finally:
            proxy.flowing.set()
            await db.dispose()


async def _burst_of_backend_pids(db: Database, requests: int) -> set[int]:
    """Backend pids seen by `requests` sessions that all hold their connection at once, as
    concurrent requests do, until every one has been lent."""
    lent = asyncio.Event()
    pids: list[int] = []

    async def request() -> None:
        async with db.sessions() as session:
            pids.append(int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()))
            if len(pids) == requests:
                lent.set()
            # Hold the connection for a moment, as a request does while it works.
            await asyncio.sleep(0.05)

    await asyncio.wait_for(asyncio.gather(*(request() for _ in range(requests))), timeout=30)
    assert lent.is_set()
    return set(pids)


async def test_a_burst_larger_than_the_pool_waits_for_the_kept_connections(intake_db_url: str) -> None:
    db = Database.connect(intake_db_url, pool_size=2)
    try:
        first = await _burst_of_backend_pids(db, 6)
        second = await _burst_of_backend_pids(db, 6)
    finally:
        await db.dispose()
    # Never more than the pool's connections, and the same ones again: none was closed as the
    # burst ended and reopened for the next (an opening costs more than most requests).
    assert len(first) == 2
    assert second == first
