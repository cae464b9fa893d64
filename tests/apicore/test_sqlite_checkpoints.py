"""SQLite checkpoints off the request path (`apicore.db.checkpoint_wal`): the service's writer
leaves the WAL to grow past SQLite's default 1,000 pages without copying it back inside a
commit; a background task copies it in a thread; a missing file is never created; a service
on SQLite runs the task from start to shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, MutableMapping
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, insert, select, text
from sqlalchemy.exc import DBAPIError
from structlog.testing import capture_logs
from tests.conftest import ServiceClient, intake_test_app

from apicore import db as db_module
from apicore.auth import Role
from apicore.db import Database, checkpoint_wal, sqlite_file
from apicore.logs import Throttle
from apicore.problems import DatabaseUnavailable, database_problem

METADATA = MetaData()
BLOBS = Table("blob", METADATA, Column("id", Integer, primary_key=True), Column("data", LargeBinary))

PAGES_WRITTEN = 1_500
"""More than SQLite's default `wal_autocheckpoint` (1,000 pages): with it, the writer itself
would have checkpointed within one of these commits."""


def _sizes(path: Path) -> tuple[int, int]:
    """`(bytes of the WAL, bytes of the database file)`."""
    return path.with_name(path.name + "-wal").stat().st_size, path.stat().st_size


async def _database_with_uncopied_pages(path: Path) -> Database:
    """A service database at `path` whose WAL holds about `PAGES_WRITTEN` pages not yet in
    the database file, written in 30 commits as requests would."""
    db = Database.connect(f"sqlite+aiosqlite:///{path}")
    async with db.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    row = 0
    for _ in range(30):
        async with db.transaction() as session:
            rows = []
            for _ in range(PAGES_WRITTEN // 30):
                row += 1
                rows.append({"id": row, "data": bytes([row % 256]) * 4000})
            await session.execute(insert(BLOBS), rows)
    return db


@asynccontextmanager
async def _uncopied_database(path: Path) -> AsyncIterator[Database]:
    """`_database_with_uncopied_pages(path)` for the block, its engine disposed after it."""
    db = await _database_with_uncopied_pages(path)
    try:
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def _checkpointing(path: Path, *, every: float) -> AsyncIterator[asyncio.Task[None]]:
    """`checkpoint_wal(path)` running as a task for the block, cancelled after it."""
    task = asyncio.create_task(checkpoint_wal(path, every=every))
    try:
        yield task
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _within_5_s(probe: Callable[[], bool]) -> None:
    """Wait until `probe()` is true, at most 5 s (the caller asserts what it expects after)."""
    for _ in range(250):
        if probe():
            return
        await asyncio.sleep(0.02)


async def test_the_writer_leaves_checkpoints_to_the_background(tmp_path: Path) -> None:
    path = tmp_path / "service.db"
    async with _uncopied_database(path) as db:
        wal_before, file_before = _sizes(path)
        # SQLite's own checkpoint (default 1,000 pages) would have grown the file by now.
        assert file_before < 200 * 4096
        assert wal_before > PAGES_WRITTEN * 4096

        db_module._checkpoint_once(path)

        _wal_after, file_after = _sizes(path)
        assert file_after > PAGES_WRITTEN * 4000
        async with db.sessions() as session:
            rows = (await session.execute(select(BLOBS.c.id, BLOBS.c.data).order_by(BLOBS.c.id))).all()
        assert len(rows) == PAGES_WRITTEN // 30 * 30
        assert rows[-1].data == bytes([rows[-1].id % 256]) * 4000
        with sqlite3.connect(path) as check:
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_the_background_task_copies_the_wal_while_the_writer_stays_open(tmp_path: Path) -> None:
    path = tmp_path / "service.db"
    # The writer's connection stays open in the pool meanwhile.
    async with _uncopied_database(path), _checkpointing(path, every=0.02) as task:
        await _within_5_s(lambda: path.stat().st_size > PAGES_WRITTEN * 4000)
        assert path.stat().st_size > PAGES_WRITTEN * 4000
        assert not task.done()


async def test_a_missing_database_is_not_created_and_the_task_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A throttle of its own: another test's failure within 10 s would hold this line back.
    monkeypatch.setattr(db_module, "_checkpoint_failures", Throttle(seconds=10.0))
    path = tmp_path / "not-migrated-yet.db"
    with pytest.raises(sqlite3.OperationalError):
        db_module._checkpoint_once(path)
    task = asyncio.create_task(checkpoint_wal(path, every=0.01))
    await asyncio.sleep(0.05)
    # A WAL left without its database: each checkpoint fails, and the task goes on.
    path.with_name(path.name + "-wal").write_bytes(b"")
    with capture_logs() as logs:
        await asyncio.sleep(0.1)
    try:
        assert not task.done()
        assert not path.exists()
        assert [e["event"] for e in logs] == ["sqlite.checkpoint_failed"]
        assert logs[0]["error"] == "SQLITE_CANTOPEN"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_only_a_sqlite_file_has_one() -> None:
    assert sqlite_file("sqlite+aiosqlite:///var/intake.db") == Path("var/intake.db")
    assert sqlite_file("sqlite+aiosqlite:///:memory:") is None
    assert sqlite_file("postgresql+asyncpg://u:p@127.0.0.1/db") is None


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_service_on_sqlite_checkpoints_from_start_to_shutdown(intake_db_url: str) -> None:
    def checkpointers() -> list[asyncio.Task[object]]:
        return [t for t in asyncio.all_tasks() if getattr(t.get_coro(), "__name__", "") == "checkpoint_wal"]

    app = intake_test_app(intake_db_url)
    async with LifespanManager(app):
        running = checkpointers()
        assert len(running) == 1
        async with app.state.ctx.db.sessions() as session:
            pages = (await session.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one()
        assert pages == db_module.WAL_AUTOCHECKPOINT_PAGES
    await asyncio.sleep(0)
    assert running[0].done()
    assert checkpointers() == []


async def test_a_checkpoint_in_the_way_is_tried_again_without_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "service.db"
    db = await _database_with_uncopied_pages(path)
    await db.dispose()  # the last connection closes: SQLite checkpoints and removes the WAL
    # Another process holding the file's lock, as a second worker's checkpoint would.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("INSERT INTO blob (id, data) VALUES (-1, zeroblob(4000000))")
    size_while_held = path.stat().st_size
    task = asyncio.create_task(checkpoint_wal(path, every=0.01))
    try:
        with capture_logs() as logs:
            await asyncio.sleep(0.15)
        assert logs == []
        assert not task.done()
        assert path.stat().st_size == size_while_held  # nothing copied past the lock
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        holder.close()


def _wal_frames(path: Path) -> int:
    """Frames in the WAL now, as a PASSIVE checkpoint on a side connection reports them (it
    copies them too, but starts nothing: the WAL starts again only at a writer's next
    transaction)."""
    with sqlite3.connect(path) as side:
        return int(side.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])


async def test_a_long_wal_is_called_due_to_start_again_once_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "service.db"
    async with _uncopied_database(path):
        monkeypatch.setattr(db_module, "WAL_RESTART_FRAMES", PAGES_WRITTEN * 10)
        assert db_module._checkpoint_once(path) is False  # copied, but not long enough
        monkeypatch.setattr(db_module, "WAL_RESTART_FRAMES", PAGES_WRITTEN)
        assert db_module._checkpoint_once(path) is True


async def test_a_pass_that_copied_much_is_not_yet_caught_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A pass copies every frame there was when it began, so its own result always reads as
    # caught up; only a pass with little to copy shows the writer is not running ahead.
    path = tmp_path / "service.db"
    async with _uncopied_database(path):
        monkeypatch.setattr(db_module, "WAL_RESTART_FRAMES", PAGES_WRITTEN)
        monkeypatch.setattr(db_module, "_CATCH_UP_PASSES", 1)
        assert db_module._checkpoint_once(path) is False  # one pass: 1,500 frames copied
        monkeypatch.setattr(db_module, "_CATCH_UP_PASSES", 2)
        assert db_module._checkpoint_once(path) is True  # the second pass had nothing to copy
        assert _wal_frames(path) >= PAGES_WRITTEN  # copied, and not started again by itself


async def test_the_thread_marks_a_wal_due_without_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "service.db"
    monkeypatch.setattr(db_module, "_restart_due", set())
    async with _uncopied_database(path):
        monkeypatch.setattr(db_module, "WAL_RESTART_FRAMES", PAGES_WRITTEN * 10)
        db_module._checkpoint_and_mark(path, "short")
        assert db_module._restart_due == set()
        monkeypatch.setattr(db_module, "WAL_RESTART_FRAMES", PAGES_WRITTEN)
        # The loop is blocked in this call: the mark is there when the thread has finished.
        await asyncio.wait_for(
            asyncio.get_running_loop().run_in_executor(None, db_module._checkpoint_and_mark, path, "long"),
            timeout=30,
        )
        assert db_module._restart_due == {"long"}


async def test_the_database_file_is_synced_through_the_descriptor_found_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "service.db"
    synced: list[int] = []
    searches: list[str] = []
    real_listdir = os.listdir

    def listdir(where: str) -> list[str]:
        searches.append(where)
        return real_listdir(where)

    monkeypatch.setattr(db_module, "_sync_descriptors", {})
    monkeypatch.setattr(os, "fdatasync", synced.append)
    monkeypatch.setattr(os, "listdir", listdir)
    async with _uncopied_database(path):
        resolved = str(path.resolve())
        db_module._sync_database_file(path)
        db_module._sync_database_file(path)
        assert searches == ["/proc/self/fd"]  # searched once, then the kept descriptor
        assert len(synced) == 2
        assert synced[0] == synced[1]
        assert os.readlink(f"/proc/self/fd/{synced[0]}") == resolved
        # A kept descriptor now open on another file is not trusted: searched for again.
        other = tmp_path / "other"
        with other.open("wb") as elsewhere:
            db_module._sync_descriptors[path] = elsewhere.fileno()
            db_module._sync_database_file(path)
        assert len(searches) == 2
        assert os.readlink(f"/proc/self/fd/{synced[2]}") == resolved
        assert db_module._sync_descriptors[path] == synced[2]


async def test_a_reader_holding_its_snapshot_keeps_the_wal_from_being_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reader's snapshot stops the copying at its frame: the passes after copy nothing, which
    # alone reads as caught up; the writer would then copy the whole rest on the loop.
    path = tmp_path / "service.db"
    async with _uncopied_database(path) as db:
        # All copied: the next write starts the WAL again, and its 600 pages are the WAL.
        db_module._checkpoint_once(path)
        monkeypatch.setattr(db_module, "WAL_RESTART_FRAMES", 500)
        reader = sqlite3.connect(path, isolation_level=None)
        try:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM blob").fetchone()
            async with db.transaction() as session:
                await session.execute(insert(BLOBS), [{"id": -i, "data": b"r" * 4000} for i in range(1, 601)])
            assert db_module._checkpoint_once(path) is False
        finally:
            reader.close()
        assert db_module._checkpoint_once(path) is True  # the reader gone, all copied


async def test_a_wal_grown_long_is_cut_back_when_it_starts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "service.db"
    monkeypatch.setattr(db_module, "WAL_SIZE_LIMIT_BYTES", 1024 * 1024)
    async with _uncopied_database(path) as db:
        assert _sizes(path)[0] > PAGES_WRITTEN * 4000  # about 6 MB of WAL
        db_module._checkpoint_once(path)
        monkeypatch.setattr(db_module, "_restart_due", {str(path.resolve())})
        async with db.transaction() as session:
            await session.execute(insert(BLOBS), [{"id": -1, "data": b"x"}])
        assert _sizes(path)[0] <= 1024 * 1024


@asynccontextmanager
async def _writer_open(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Database, list[Path]]]:
    """A database at `path` whose writer is open, `_moved` empty, and the paths
    `_checkpoint_once` is called with recorded."""
    monkeypatch.setattr(db_module, "_moved", set())
    checkpointed: list[Path] = []
    real = db_module._checkpoint_once

    def recording(where: Path) -> bool:
        checkpointed.append(where)
        return real(where)

    monkeypatch.setattr(db_module, "_checkpoint_once", recording)
    async with _uncopied_database(path) as db:
        async with db.transaction() as session:  # the writer's connection stays in the pool
            await session.execute(insert(BLOBS), [{"id": -1, "data": b"x"}])
        yield db, checkpointed


async def _refused(db: Database) -> DBAPIError:
    """The error a transaction on `db` now raises (the test fails if none)."""
    with pytest.raises(DBAPIError) as caught:
        async with db.transaction() as session:
            await session.execute(insert(BLOBS), [{"id": -2, "data": b"y"}])
    return caught.value


@asynccontextmanager
async def _tampered(
    path: Path, monkeypatch: pytest.MonkeyPatch, tamper: Callable[[], object]
) -> AsyncIterator[tuple[Database, list[MutableMapping[str, Any]], int]]:
    """`_writer_open(path)` with `checkpoint_wal` running: once the task has seen the files as
    they were, `tamper()`; waits up to 5 s for the task to end and yields the database, the log
    lines, and how many checkpoints ran after `tamper()`."""
    async with _writer_open(path, monkeypatch) as (db, checkpointed):
        with capture_logs() as logs:
            async with _checkpointing(path, every=0.01) as task:
                await _within_5_s(lambda: len(checkpointed) > 0)
                tamper()
                before = len(checkpointed)
                await _within_5_s(task.done)
            assert task.done()
        yield db, logs, len(checkpointed) - before


async def test_a_database_file_replaced_under_the_writer_is_left_alone_and_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A restored copy moved over the file: our writer still writes the old one, lost at the
    # next start. Before, the checkpoint thread opened the new file, reset the `-shm` the writer
    # had mapped, and the process died of SIGBUS.
    path = tmp_path / "service.db"

    def restore_a_copy() -> None:
        copy = tmp_path / "restored.db"
        shutil.copyfile(path, copy)
        os.replace(copy, path)

    async with _tampered(path, monkeypatch, restore_a_copy) as (db, logs, checkpoints_after):
        assert checkpoints_after == 0  # the new file never opened
        assert db_module._moved == {str(path.resolve())}
        assert [(e["event"], e["removed"], e["log_level"]) for e in logs] == [
            ("sqlite.database_moved", "database", "error")
        ]
        error = await _refused(db)
        assert getattr(error.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_READONLY_DBMOVED
        assert isinstance(database_problem(error), DatabaseUnavailable)
    with sqlite3.connect(path) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("SELECT count(*) FROM blob WHERE id = -2").fetchone() == (0,)


@pytest.mark.parametrize("recreated", [False, True], ids=["wal-gone", "wal-made-again"])
async def test_a_wal_removed_under_the_writer_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recreated: bool
) -> None:
    path = tmp_path / "service.db"

    def remove_the_wal() -> None:
        path.with_name(path.name + "-wal").unlink()
        if recreated:  # another program opening the database makes a new, empty WAL
            with contextlib.suppress(sqlite3.Error):  # SQLite: "disk I/O error"
                sqlite3.connect(path).execute("SELECT count(*) FROM blob").fetchall()
            assert path.with_name(path.name + "-wal").exists()

    async with _tampered(path, monkeypatch, remove_the_wal) as (db, logs, _checkpoints_after):
        assert [(e["event"], e["removed"]) for e in logs] == [("sqlite.database_moved", "wal")]
        assert db_module._moved == {str(path.resolve())}
        await _refused(db)


async def test_a_database_replaced_by_nobody_is_checkpointed_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "service.db"
    async with _writer_open(path, monkeypatch) as (db, checkpointed):
        with capture_logs() as logs:
            async with _checkpointing(path, every=0.01) as task:
                await _within_5_s(lambda: len(checkpointed) > 0)
                assert not task.done()
        assert logs == []
        assert db_module._moved == set()
        async with db.transaction() as session:
            await session.execute(insert(BLOBS), [{"id": -2, "data": b"y"}])


async def test_a_transaction_running_when_the_file_is_found_moved_is_not_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "service.db"
    async with _writer_open(path, monkeypatch) as (db, _checkpointed):

        async def write_while_found_moved() -> None:
            async with db.transaction() as session:
                await session.execute(insert(BLOBS), [{"id": -2, "data": b"y"}])
                db_module._moved.add(str(path.resolve()))  # as the checkpoint task finds it

        with pytest.raises(DBAPIError) as caught:
            await write_while_found_moved()
        assert getattr(caught.value.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_READONLY_DBMOVED
        db_module._moved.clear()
        async with db.sessions() as session:
            ids = (await session.execute(select(BLOBS.c.id).where(BLOBS.c.id < 0))).scalars().all()
        assert ids == [-1]  # the row of the transaction before; -2 rolled back


async def test_a_renamed_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The files are intact in the renamed folder, but the service's path now leads nowhere (or,
    # at its next start, to a new empty database): it must not go on acknowledging writes.
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "service.db"
    rename = partial(folder.rename, tmp_path / "renamed")
    async with _tampered(path, monkeypatch, rename) as (db, logs, _checkpoints_after):
        assert [(e["event"], e["removed"]) for e in logs] == [("sqlite.database_moved", "database")]
        await _refused(db)


async def test_a_database_named_through_a_symlink_is_checkpointed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite names the WAL after the resolved path: `link.db-wal` never exists.
    real = tmp_path / "real.db"
    link = tmp_path / "link.db"
    link.symlink_to(real)
    monkeypatch.setattr(db_module, "_moved", set())
    async with _uncopied_database(link):
        assert not link.with_name("link.db-wal").exists()
        assert _sizes(real)[1] < PAGES_WRITTEN * 4000  # the pages are in the WAL only
        async with _checkpointing(link, every=0.01):
            await _within_5_s(lambda: _sizes(real)[1] > PAGES_WRITTEN * 4000)
        assert _sizes(real)[1] > PAGES_WRITTEN * 4000
        assert db_module._moved == set()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_service_answers_503_once_its_database_file_was_replaced(
    intake: ServiceClient, intake_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "_moved", set())
    headers = intake.auth(Role.case_worker)
    assert (await intake.http.get("/v1/persons", headers=headers)).status_code == 200
    path = sqlite_file(intake_db_url)
    assert path is not None
    copy = path.with_name("restored.db")
    shutil.copyfile(path, copy)
    os.replace(copy, path)
    await _within_5_s(lambda: bool(db_module._moved))
    with capture_logs() as logs:
        r = await intake.http.get("/v1/persons", headers={**headers, "Accept-Language": "kk"})
    assert [(e["event"], e["log_level"]) for e in logs if e["event"].startswith("database.")] == [
        ("database.moved", "error")
    ]
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith(":database-unavailable")
    assert r.headers["content-language"] == "kk"
    assert r.headers["retry-after"] == "5"


async def test_the_writer_starts_a_wal_due_again_before_its_next_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "service.db"
    key = str(path.resolve())
    async with _uncopied_database(path) as db:
        # Not due: the next transaction only appends to the WAL (SQLite's own net is far off).
        async with db.transaction() as session:
            await session.execute(insert(BLOBS), [{"id": -1, "data": b"x"}])
        assert _sizes(path)[1] < 200 * 4096
        # Due (as `checkpoint_wal` marks it): the writer copies the WAL into the file first,
        # and its transaction starts the WAL again from the beginning.
        monkeypatch.setattr(db_module, "_restart_due", {key})
        async with db.transaction() as session:
            await session.execute(insert(BLOBS), [{"id": -2, "data": b"y"}])
        assert _sizes(path)[1] > PAGES_WRITTEN * 4000
        assert db_module._restart_due == set()
        assert _wal_frames(path) < 20
        async with db.sessions() as session:
            ids = (await session.execute(select(BLOBS.c.id).where(BLOBS.c.id < 0))).scalars().all()
        assert sorted(ids) == [-2, -1]
        with sqlite3.connect(path) as check:
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)


async def test_the_background_task_marks_a_long_wal_due(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "service.db"
    monkeypatch.setattr(db_module, "_restart_due", set())
    monkeypatch.setattr(db_module, "WAL_RESTART_FRAMES", PAGES_WRITTEN)
    async with _uncopied_database(path):
        async with _checkpointing(path, every=0.01):
            await _within_5_s(lambda: bool(db_module._restart_due))
        assert db_module._restart_due == {str(path.resolve())}


async def test_a_checkpoint_pass_leaves_the_writers_locks_alone(tmp_path: Path) -> None:
    # Closing any descriptor of the database file drops the process's POSIX locks on it: another
    # process closing its connection then takes the database for unused, checkpoints and
    # deletes the WAL, and what our writer commits next is lost to every new reader.
    path = tmp_path / "service.db"
    async with _uncopied_database(path) as db:
        async with db.transaction() as session:  # the writer's connection stays open in the pool
            await session.execute(insert(BLOBS), [{"id": -1, "data": b"x"}])
        db_module._checkpoint_once(path)
        opens_and_closes = "import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute('SELECT 1').fetchall()"
        subprocess.run([sys.executable, "-c", opens_and_closes, str(path)], check=True)
        async with db.transaction() as session:
            await session.execute(insert(BLOBS), [{"id": -2, "data": b"y"}])
        counts = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])"
        query = "SELECT count(*) FROM blob WHERE id < 0"
        run = subprocess.run(
            [sys.executable, "-c", counts, str(path), query], check=True, capture_output=True, text=True
        )
        out = run.stdout
        assert out.strip() == "2"
        assert path.with_name(path.name + "-wal").exists()


async def test_a_checkpoint_that_keeps_failing_is_logged_once_per_10_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file made read-only (or a full disk) under steady writes: every tick finds a changed WAL
    # and fails again. One line, then the count of those held back (apicore.logs.Throttle).
    path = tmp_path / "stuck.db"
    wal = path.with_name(path.name + "-wal")
    wal.write_bytes(b"")

    def failing(_path: Path) -> bool:
        wal.write_bytes(wal.read_bytes() + b"x")  # the writer went on meanwhile
        error = sqlite3.OperationalError("attempt to write a readonly database")
        error.sqlite_errorname = "SQLITE_READONLY"
        raise error

    monkeypatch.setattr(db_module, "_checkpoint_once", failing)
    monkeypatch.setattr(db_module, "_checkpoint_failures", Throttle(seconds=10.0))
    with capture_logs() as logs:
        task = asyncio.create_task(checkpoint_wal(path, every=0.01))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    failed = [line for line in logs if line["event"] == "sqlite.checkpoint_failed"]
    assert len(failed) == 1, failed
    assert failed[0]["error"] == "SQLITE_READONLY"
