"""The SQLite connection under SQLAlchemy (`apicore.db`): statements on the event loop, rows and
counts as the driver gives them, another process's write lock awaited without blocking the
loop, and no thread that outlives the process."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import OperationalError
from tests.support.items import ITEMS, METADATA

from apicore import db as db_module
from apicore.db import Database


async def test_rows_counts_and_generated_keys_come_back(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite+aiosqlite:///{tmp_path / 'items.db'}")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
        async with db.transaction() as session:
            first = cast(CursorResult[Any], await session.execute(insert(ITEMS).values(name="a")))
            assert first.inserted_primary_key == (1,)
            many = cast(
                CursorResult[Any],
                await session.execute(insert(ITEMS), [{"name": n} for n in ("b", "c", "d")]),
            )
            assert many.rowcount == 3
            changed = cast(
                CursorResult[Any],
                await session.execute(text("UPDATE item SET name = name || '!' WHERE id > 2")),
            )
            assert changed.rowcount == 2
        async with db.sessions() as session:
            rows = (await session.execute(select(ITEMS.c.id, ITEMS.c.name).order_by(ITEMS.c.id))).all()
            assert [tuple(r) for r in rows] == [(1, "a"), (2, "b"), (3, "c!"), (4, "d!")]
            result = await session.execute(select(ITEMS.c.name).order_by(ITEMS.c.id))
            assert result.fetchmany(3) == [("a",), ("b",), ("c!",)]
            assert result.fetchone() == ("d!",)
            assert result.fetchone() is None
    finally:
        await db.dispose()


def test_a_connection_left_open_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    # aiosqlite runs each connection in a thread; one never closed (a crashed command, a leaked
    # session) must not hang the process at exit.
    script = textwrap.dedent(
        f"""
        import asyncio
        from sqlalchemy import text
        from apicore.db import Database

        async def main():
            db = Database.connect("sqlite+aiosqlite:///{tmp_path / "left.db"}")
            conn = await db.engine.connect()
            await conn.execute(text("SELECT 1"))
            print("done", flush=True)

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert "done" in done.stdout, done.stderr


class _OtherWriter:
    """Another process's writer, as SQLite sees it: a connection of its own holding the write
    lock (`BEGIN IMMEDIATE`) until `release`."""

    def __init__(self, path: Path) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.connection.execute("BEGIN IMMEDIATE")
        self.connection.execute("INSERT INTO item (name) VALUES ('other')")

    def release(self) -> None:
        self.connection.execute("COMMIT")
        self.connection.close()


async def _ticks_while(work: asyncio.Task[None]) -> int:
    """How many 5 ms sleeps the loop completed while `work` ran (0: the loop was blocked)."""
    ticks = 0
    while not work.done():
        await asyncio.sleep(0.005)
        ticks += 1
    await work
    return ticks


async def test_a_write_waits_for_another_writer_without_blocking_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "items.db"
    db = Database.connect(f"sqlite+aiosqlite:///{path}")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
        other = _OtherWriter(path)
        threading.Timer(0.4, other.release).start()

        async def write() -> None:
            async with db.transaction() as session:
                await session.execute(insert(ITEMS).values(name="ours"))

        started = time.monotonic()
        ticks = await _ticks_while(asyncio.create_task(write()))
        waited = time.monotonic() - started
        assert waited >= 0.35, "the write did not wait for the other writer's commit"
        # SQLite's own busy timeout would have held the loop for the whole wait.
        assert ticks >= 20, f"the loop ran only {ticks} times in {waited:.2f} s"
        async with db.sessions() as session:
            names = (await session.execute(select(ITEMS.c.name).order_by(ITEMS.c.id))).scalars().all()
        assert names == ["other", "ours"]
    finally:
        await db.dispose()


async def test_a_lock_held_too_long_is_database_is_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "_BUSY_WAIT_SECONDS", 0.3)
    path = tmp_path / "items.db"
    db = Database.connect(f"sqlite+aiosqlite:///{path}")
    other: _OtherWriter | None = None
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
        other = _OtherWriter(path)
        with pytest.raises(OperationalError, match="database is locked"):
            async with db.transaction() as session:
                await session.execute(insert(ITEMS).values(name="ours"))
    finally:
        if other is not None:
            other.release()
        await db.dispose()
    again = Database.connect(f"sqlite+aiosqlite:///{path}")
    try:
        async with again.sessions() as session:
            names = (await session.execute(select(ITEMS.c.name))).scalars().all()
        assert names == ["other"]
    finally:
        await again.dispose()
