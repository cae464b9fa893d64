"""A database that is away or full answers a localised 503 problem, never a 500; a bug still 500s.

The errors are built as the drivers raise them: asyncpg's reach SQLAlchemy as a plain
`DBAPIError` carrying the SQLSTATE (not an `OperationalError`), sqlite3's carry their result code.
The drills in `tests/drills/` meet the same errors from real servers and disks.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from structlog.testing import capture_logs

from apicore import problems
from apicore.logs import Throttle
from apicore.problems import PROBLEM_JSON, DatabaseBusy, DatabaseUnavailable, StorageFull, database_problem
from apicore.service import create_service_app
from intake_api.models import platform
from intake_api.settings import IntakeSettings

_ASYNCPG: Any = AsyncAdapt_asyncpg_dbapi(asyncpg)  # type: ignore[no-untyped-call]


def _from_asyncpg(error: asyncpg.PostgresError, adapted: type[Exception] = _ASYNCPG.Error) -> DBAPIError:
    """What SQLAlchemy raises for `error` on the asyncpg dialect."""
    wrapped = DBAPIError.instance("SELECT 1", None, adapted(str(error), error), _ASYNCPG.Error)
    assert isinstance(wrapped, DBAPIError)
    return wrapped


def _sqlite_error(statements: list[tuple[sqlite3.Connection, str]], expected: str) -> DBAPIError:
    """The error SQLite itself raises running `statements` in turn, as SQLAlchemy wraps it."""
    try:
        for conn, statement in statements:
            conn.execute(statement)
    except sqlite3.OperationalError as exc:
        wrapped = DBAPIError.instance(statement, None, exc, sqlite3.Error)
        assert isinstance(wrapped, DBAPIError)
        return wrapped
    finally:
        for conn in {conn for conn, _ in statements}:
            conn.close()
    raise AssertionError(f"SQLite raised nothing: {expected}")


def _sqlite_locked() -> DBAPIError:
    """A real SQLITE_BUSY: another connection holds the write lock, and no wait is allowed."""
    path = Path(tempfile.mkdtemp()) / "locked.db"
    holder = sqlite3.connect(path, isolation_level=None)
    waiter = sqlite3.connect(path, isolation_level=None, timeout=0)
    return _sqlite_error([(holder, "BEGIN IMMEDIATE"), (waiter, "BEGIN IMMEDIATE")], "the lock")


def _sqlite_disk_full() -> DBAPIError:
    """A real SQLITE_FULL: a database allowed two pages, asked to hold more."""
    conn = sqlite3.connect(":memory:")
    statements = [
        "PRAGMA max_page_count=2",
        "CREATE TABLE t (x BLOB)",
        "INSERT INTO t VALUES (zeroblob(100000))",
    ]
    return _sqlite_error([(conn, s) for s in statements], "the page limit")


def _sqlite_not_a_database() -> DBAPIError:
    """A real SQLITE_NOTADB: a file whose header is not SQLite's (overwritten, or another file)."""
    path = Path(tempfile.mkdtemp()) / "damaged.db"
    path.write_bytes(b"GARBAGE!" * 512)
    conn = sqlite3.connect(path)
    try:
        conn.execute("SELECT * FROM sqlite_master")
    except sqlite3.DatabaseError as exc:
        wrapped = DBAPIError.instance("SELECT", None, exc, sqlite3.Error)
        assert isinstance(wrapped, DBAPIError)
        return wrapped
    finally:
        conn.close()
    raise AssertionError("SQLite read a file of garbage")


ERRORS: dict[str, Callable[[], DBAPIError]] = {
    "sqlite_not_a_database": _sqlite_not_a_database,
    "admin_shutdown": lambda: _from_asyncpg(asyncpg.AdminShutdownError("terminating connection")),
    "starting_up": lambda: _from_asyncpg(asyncpg.CannotConnectNowError("the database system is starting up")),
    "too_many_connections": lambda: _from_asyncpg(asyncpg.TooManyConnectionsError("too many clients")),
    "postgres_disk_full": lambda: _from_asyncpg(asyncpg.DiskFullError("could not extend file")),
    "sqlite_disk_full": _sqlite_disk_full,
    "sqlite_locked": _sqlite_locked,
    "undefined_table": lambda: _from_asyncpg(
        asyncpg.UndefinedTableError('relation "x" does not exist'), _ASYNCPG.ProgrammingError
    ),
}


class TestDatabaseProblem:
    @pytest.mark.parametrize("name", ["admin_shutdown", "starting_up", "too_many_connections"])
    def test_a_server_going_or_not_there_yet_is_unavailable(self, name: str) -> None:
        assert isinstance(database_problem(ERRORS[name]()), DatabaseUnavailable)

    @pytest.mark.parametrize("name", ["postgres_disk_full", "sqlite_disk_full"])
    def test_no_room_is_storage_full(self, name: str) -> None:
        assert isinstance(database_problem(ERRORS[name]()), StorageFull)

    def test_a_damaged_sqlite_file_is_unavailable_not_a_bug(self) -> None:
        assert isinstance(database_problem(ERRORS["sqlite_not_a_database"]()), DatabaseUnavailable)

    def test_a_lock_kept_by_another_process_is_busy_not_unreachable(self) -> None:
        assert isinstance(database_problem(ERRORS["sqlite_locked"]()), DatabaseBusy)

    def test_a_bug_is_no_outage(self) -> None:
        assert database_problem(ERRORS["undefined_table"]()) is None


def _raising_router() -> APIRouter:
    router = APIRouter()

    @router.get("/fail/{name}")
    async def fail(name: str) -> None:
        raise ERRORS[name]()

    @router.get("/pool-timeout")
    async def pool_timeout() -> None:
        # What SQLAlchemy raises when no connection came free within the pool timeout.
        raise PoolTimeout("QueuePool limit of size 1 overflow 0 reached, connection timed out, timeout 30.00")

    @router.get("/unresolvable")
    async def unresolvable() -> None:
        # What asyncpg raises, unwrapped, when the database's host name does not resolve.
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    @router.get("/refused")
    async def refused() -> None:
        raise ConnectionRefusedError(111, "Connect call failed")

    @router.get("/out-of-descriptors")
    async def out_of_descriptors() -> None:
        # What asyncpg's connect raises when the process has no descriptor left (`ulimit -n`).
        raise OSError(errno.EMFILE, "Too many open files")

    @router.get("/other-os-error")
    async def other_os_error() -> None:
        raise OSError(errno.EIO, "Input/output error")

    @router.get("/statement-timeout")
    async def statement_timeout() -> None:
        # What asyncpg raises when a statement went unanswered for its `command_timeout`.
        raise TimeoutError

    return router


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    # The database is never used: the route fails before it would be.
    settings = IntakeSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}", outbox_enabled=False
    )
    application = create_service_app(
        service="test",
        title="test",
        description="test",
        version="0",
        tables=platform,
        settings=settings,
        routers=[_raising_router()],
    )
    async with LifespanManager(application) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


class TestAnswers:
    @pytest.mark.parametrize("lang", ["kk", "ru", "ar"])
    async def test_server_shutting_down_is_503_with_retry_after(
        self, app: httpx.AsyncClient, lang: str
    ) -> None:
        r = await app.get("/fail/admin_shutdown", headers={"Accept-Language": lang})
        assert r.status_code == 503
        assert r.headers["content-type"] == PROBLEM_JSON
        assert int(r.headers["retry-after"]) > 0
        assert r.json()["type"].endswith(":database-unavailable")
        assert r.json()["title"] == DatabaseUnavailable.title.render(lang)

    @pytest.mark.parametrize("path", ["/unresolvable", "/refused"])
    async def test_a_host_that_does_not_resolve_or_refuses_is_503_unavailable(
        self, app: httpx.AsyncClient, path: str
    ) -> None:
        r = await app.get(path, headers={"Accept-Language": "kk"})
        assert r.status_code == 503
        assert r.headers["content-type"] == PROBLEM_JSON
        assert int(r.headers["retry-after"]) > 0
        assert r.json()["type"].endswith(":database-unavailable")
        assert r.json()["title"] == DatabaseUnavailable.title.render("kk")

    @pytest.mark.parametrize("lang", ["kk", "ru", "ar"])
    async def test_no_connection_or_answer_in_time_is_503_busy(
        self, app: httpx.AsyncClient, lang: str
    ) -> None:
        # SQLite's one connection held while another process keeps the write lock: the requests
        # queued behind it give up after the pool timeout.
        # Out of file descriptors for a new connection (`ulimit -n`): busy too, not a 500.
        for path in ("/pool-timeout", "/statement-timeout", "/fail/sqlite_locked", "/out-of-descriptors"):
            r = await app.get(path, headers={"Accept-Language": lang})
            assert r.status_code == 503
            assert r.headers["content-type"] == PROBLEM_JSON
            assert int(r.headers["retry-after"]) > 0
            # Busy, not "cannot be reached": the database is there, its connections or lock are not.
            assert r.json()["type"].endswith(":database-busy"), path
            assert DatabaseBusy.detail is not None
            assert r.json()["detail"] == DatabaseBusy.detail.render(lang)
            assert r.json()["detail"] != DatabaseBusy.detail.render("en")

    @pytest.mark.parametrize("lang", ["kk", "ru", "ar"])
    @pytest.mark.parametrize("name", ["postgres_disk_full", "sqlite_disk_full"])
    async def test_disk_full_is_localised_503_storage_full(
        self, app: httpx.AsyncClient, name: str, lang: str
    ) -> None:
        r = await app.get(f"/fail/{name}", headers={"Accept-Language": lang})
        assert r.status_code == 503
        assert r.headers["content-type"] == PROBLEM_JSON
        assert r.headers["content-language"] == lang
        assert int(r.headers["retry-after"]) >= 60
        body = r.json()
        assert body["type"].endswith(":storage-full")
        assert StorageFull.detail is not None
        assert (body["title"], body["detail"]) == (
            StorageFull.title.render(lang),
            StorageFull.detail.render(lang),
        )
        assert body["title"] != StorageFull.title.render("en")

    async def test_an_os_error_other_than_out_of_descriptors_stays_a_500(
        self, app: httpx.AsyncClient
    ) -> None:
        r = await app.get("/other-os-error")
        assert r.status_code == 500
        assert r.json()["type"].endswith(":internal-error")

    async def test_a_bug_in_a_query_stays_a_500(self, app: httpx.AsyncClient) -> None:
        r = await app.get("/fail/undefined_table")
        assert r.status_code == 500
        assert r.json()["type"].endswith(":internal-error")


class TestOutageLogs:
    """An outage answers every request alike; its log line comes at most every 10 s, with a
    count of the lines held back, so that a full disk under load does not bury the log."""

    def test_a_throttle_lets_one_line_through_per_window_and_counts_the_rest(self) -> None:
        now = [100.0]
        lines: list[tuple[str, dict[str, object]]] = []
        throttle = Throttle(seconds=10.0, clock=lambda: now[0])

        def emit(event: str, **fields: object) -> None:
            lines.append((event, fields))

        passed = [throttle(emit, "database.storage_full", error="E") for _ in range(5)]
        other = throttle(emit, "database.busy", error="B")  # another event has its own window
        now[0] += 9.9
        throttle(emit, "database.storage_full", error="E")
        now[0] += 0.2
        throttle(emit, "database.storage_full", error="E")
        assert passed == [True, False, False, False, False]
        assert other is True
        assert lines == [
            ("database.storage_full", {"error": "E"}),
            ("database.busy", {"error": "B"}),
            ("database.storage_full", {"error": "E", "repeated": 5}),
        ]

    async def test_many_requests_in_an_outage_leave_one_line_each_answered(
        self, app: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(problems, "_outages", Throttle(seconds=10.0))
        with capture_logs() as logs:
            answers = [await app.get("/fail/sqlite_disk_full") for _ in range(50)]
            busy = [await app.get("/pool-timeout") for _ in range(20)]
        assert [r.status_code for r in answers + busy] == [503] * 70
        outages = [e for e in logs if e["event"].startswith("database.")]
        assert [(e["event"], e["log_level"]) for e in outages] == [
            ("database.storage_full", "error"),
            ("database.busy", "warning"),
        ]


class TestDamagedDatabase:
    async def test_a_request_on_a_damaged_sqlite_file_is_503_not_500(self, tmp_path: Path) -> None:
        from tests.conftest import intake_test_app

        damaged = tmp_path / "intake.db"
        damaged.write_bytes(b"GARBAGE!" * 512)  # a file overwritten, or not a database at all
        application = intake_test_app(f"sqlite+aiosqlite:///{damaged}")
        async with LifespanManager(application) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                # After the lifespan configured logging: captured here, not on a stderr that
                # pytest closes after the test (later tests would log to it).
                with capture_logs() as logs:
                    r = await http.get(
                        "/v1/persons/00000000-0000-4000-8000-000000000000",
                        headers={"Authorization": "Bearer rk_not_checked_yet", "Accept-Language": "kk"},
                    )
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == PROBLEM_JSON
        assert r.json()["type"].endswith(":database-unavailable")
        # The operator's line names SQLite's error, at error level (not a transient outage).
        damaged_lines = [line for line in logs if line["event"] == "database.damaged"]
        assert damaged_lines
        assert damaged_lines[0]["error"] == "SQLITE_NOTADB"
        assert damaged_lines[0]["log_level"] == "error"


class TestReadiness:
    async def test_readyz_says_busy_while_sqlites_one_connection_is_held(self, tmp_path: Path) -> None:
        from tests.conftest import intake_test_app

        application = intake_test_app(f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}")
        async with LifespanManager(application) as manager:
            db = application.state.ctx.db
            held = await db.engine.connect()  # as a writer waiting for another process's lock
            try:
                transport = httpx.ASGITransport(app=manager.app)
                async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                    with capture_logs() as logs:
                        r = await http.get("/readyz", headers={"Accept-Language": "ru"})
            finally:
                await held.close()
        assert r.status_code == 503, r.text
        assert r.json()["type"].endswith(":database-busy")
        assert r.headers["content-language"] == "ru"
        assert "readyz.database_busy" in [line["event"] for line in logs]
