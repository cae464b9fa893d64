"""Writers of one SQLite database take turns (`apicore.writer_turn`): a writer waits for the
turn in the kernel instead of asking SQLite again and again, the turn is never kept by a writer
that gave up or died, and without a lock file writes go on as SQLite allows."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession
from structlog.testing import capture_logs
from tests.support.items import ITEMS, METADATA, foreign_write_lock

from apicore import db as db_module
from apicore.db import Database
from apicore.writer_turn import LOCK_SUFFIX, WriterTurn


@asynccontextmanager
async def _database(path: Path) -> AsyncIterator[Database]:
    db = Database.connect(f"sqlite+aiosqlite:///{path}")
    try:
        yield db
    finally:
        await db.dispose()


async def _created(path: Path) -> None:
    async with _database(path) as db, db.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)


async def _traced_begins(session: AsyncSession) -> list[str]:
    """The statements SQLite starts on the session's connection from now on (its trace)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    started: list[str] = []
    assert raw.driver_connection is not None
    raw.driver_connection._conn.set_trace_callback(started.append)
    return started


async def _write(db: Database, name: str) -> None:
    async with db.transaction() as session:
        await session.execute(insert(ITEMS).values(name=name))


async def _names(path: Path) -> list[str]:
    async with _database(path) as db, db.sessions() as session:
        return list((await session.execute(select(ITEMS.c.name).order_by(ITEMS.c.id))).scalars())


async def test_a_writer_waits_for_its_turn_without_asking_sqlite_again(tmp_path: Path) -> None:
    path = tmp_path / "items.db"
    await _created(path)
    async with _database(path) as holder, _database(path) as waiter:
        async with waiter.sessions() as probe:
            started = await _traced_begins(probe)  # the waiter's one pooled connection
        async with holder.transaction() as session:
            await session.execute(insert(ITEMS).values(name="first"))
            assert (tmp_path / f"items.db{LOCK_SUFFIX}").exists()
            second = asyncio.create_task(_write(waiter, "second"))
            ticks = 0
            while ticks < 40:  # 0.2 s: with SQLite's answer alone, several BEGINs by now
                await asyncio.sleep(0.005)
                ticks += 1
            assert not second.done()
        await asyncio.wait_for(second, 5)
        # One BEGIN, once the turn came: no SQLITE_BUSY and no back-off (the loop ran on).
        assert [s for s in started if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert await _names(path) == ["first", "second"]


async def test_a_writer_that_gives_up_does_not_keep_the_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "_BUSY_WAIT_SECONDS", 0.2)
    path = tmp_path / "items.db"
    await _created(path)
    async with _database(path) as holder, _database(path) as late, _database(path) as cancelled:
        async with holder.transaction() as session:
            await session.execute(insert(ITEMS).values(name="held"))
            with pytest.raises(OperationalError, match="database is locked"):
                await _write(late, "late")
            waiting = asyncio.create_task(_write(cancelled, "cancelled"))
            await asyncio.sleep(0.05)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        # Both waits were still asleep when the holder let go; neither kept the turn.
        await asyncio.sleep(0.1)
        async with _database(path) as third:
            await asyncio.wait_for(_write(third, "third"), 1)
        await asyncio.wait_for(_write(late, "late again"), 1)
        await asyncio.wait_for(_write(cancelled, "cancelled again"), 1)
    assert await _names(path) == ["held", "third", "late again", "cancelled again"]


def test_the_turn_of_a_killed_process_comes_back(tmp_path: Path) -> None:
    path = tmp_path / "items.db"
    asyncio.run(_created(path))
    holder = textwrap.dedent(
        """
        import asyncio, sys
        from sqlalchemy import text
        from apicore.db import Database

        async def main():
            db = Database.connect("sqlite+aiosqlite:///" + sys.argv[1])
            async with db.transaction() as session:
                await session.execute(text("INSERT INTO item (name) VALUES ('never')"))
                print("holding", flush=True)
                await asyncio.sleep(600)

        asyncio.run(main())
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", holder, str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "holding"

            async def after_the_kill() -> None:
                async with _database(path) as db:
                    write = asyncio.create_task(_write(db, "after"))
                    await asyncio.sleep(0.2)
                    assert not write.done()
                    os.kill(process.pid, signal.SIGKILL)
                    # Well within the 5 s a wait may last: the kernel let go of the dead turn.
                    await asyncio.wait_for(write, 4)

            asyncio.run(after_the_kill())
        finally:
            process.kill()
            process.wait(10)
    assert asyncio.run(_names(path)) == ["after"]


async def test_without_a_lock_file_writes_go_on_as_sqlite_allows(tmp_path: Path) -> None:
    path = tmp_path / "items.db"
    await _created(path)
    lock = tmp_path / f"items.db{LOCK_SUFFIX}"
    lock.unlink()
    lock.mkdir()  # a lock file that cannot be opened
    with capture_logs() as logs:
        async with _database(path) as db:
            await _write(db, "one")
            await _write(db, "two")
    warnings = [e for e in logs if e["event"] == "sqlite.writer_turn_unavailable"]
    assert [w["error"] for w in warnings] == ["IsADirectoryError"]
    assert await _names(path) == ["one", "two"]


async def test_a_turn_taken_as_a_given_up_wait_ends_is_really_held(tmp_path: Path) -> None:
    path = str(tmp_path / "turns.db")
    other, ours = WriterTurn(path), WriterTurn(path)
    try:
        for _ in range(20):
            await other.take(1)
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                await ours.take(0.01)  # given up: its thread still sleeps in flock
            other.give_back()
            await ours.take(1)  # at once, while that thread wakes
            await asyncio.sleep(0.02)  # the given-up wait has ended by now
            assert ours.held
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                await other.take(0.01)  # so nobody else may have it
            ours.give_back()
            await asyncio.sleep(0.02)
    finally:
        other.close()
        ours.close()


async def test_the_turn_and_a_foreign_lock_share_one_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "_BUSY_WAIT_SECONDS", 0.5)
    path = tmp_path / "items.db"
    await _created(path)
    with foreign_write_lock(path):
        async with _database(path) as first, _database(path) as second:

            async def refused(db: Database) -> float:
                started = time.monotonic()
                with pytest.raises(OperationalError, match="database is locked"):
                    await _write(db, "never")
                return time.monotonic() - started

            waits = await asyncio.gather(refused(first), refused(second))
    # The second waited for the first's turn, then must not wait another 0.5 s for the
    # foreign lock: both answer within one wait.
    assert max(waits) < 0.8, waits


async def test_a_lock_file_deleted_while_in_use_is_followed_to_its_new_one(tmp_path: Path) -> None:
    path = str(tmp_path / "turns.db")
    running, started_later = WriterTurn(path), WriterTurn(path)
    try:
        await running.take(1)
        running.give_back()
        Path(path + LOCK_SUFFIX).unlink()  # an operator tidying the folder
        await started_later.take(1)  # a process started since: a new lock file
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await running.take(0.05)  # the running one now waits on that same file
        started_later.give_back()
        await running.take(1)
        assert running.held
    finally:
        running.close()
        started_later.close()


async def test_behind_a_long_foreign_lock_a_queued_request_waits_5_s_at_most(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "_BUSY_WAIT_SECONDS", 1.0)
    monkeypatch.setattr(db_module, "SQLITE_QUEUE_SECONDS", 0.3)
    path = tmp_path / "items.db"
    await _created(path)
    with foreign_write_lock(path):  # held for longer than both waits
        async with _database(path) as db:
            first = asyncio.create_task(_write(db, "first"))
            await asyncio.sleep(0.05)  # the first holds the one connection, waiting for the lock
            started = time.monotonic()
            with pytest.raises(PoolTimeout):  # answered 503 database-busy
                await _write(db, "queued")
            waited = time.monotonic() - started
            assert not first.done()  # not the end of the first's wait: the queue's own limit
            assert waited < 0.9, waited
            with pytest.raises(OperationalError, match="database is locked"):
                await first
