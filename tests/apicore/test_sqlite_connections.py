"""The SQLite connection under SQLAlchemy (`apicore.db`): one trip to aiosqlite's thread per
statement, rows and counts as the driver gives them, and no thread that outlives the process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text

from apicore.db import Database

METADATA = MetaData()
ITEMS = Table(
    "item",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(20), nullable=False, unique=True),
)


async def test_rows_counts_and_generated_keys_come_back(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite+aiosqlite:///{tmp_path / 'items.db'}")
    try:
        async with db.engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
        async with db.transaction() as session:
            first = await session.execute(insert(ITEMS).values(name="a"))
            assert first.inserted_primary_key == (1,)
            many = await session.execute(insert(ITEMS), [{"name": n} for n in ("b", "c", "d")])
            assert many.rowcount == 3
            changed = await session.execute(text("UPDATE item SET name = name || '!' WHERE id > 2"))
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
