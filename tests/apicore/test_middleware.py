"""What wraps every request: body limit, metrics, access log, readiness."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.types import Message
from tests.conftest import FIXTURES_DIR, ServiceClient, intake_test_app, make_keys, per_request_state
from tests.intake_api.persons.helpers import fixture_body, post_person, seed_operations

from apicore.auth import Role
from apicore.logs import configure_logging
from apicore.problems import PROBLEM_JSON
from intake_api.models import platform

LIMIT = 2048
# Personal data that must never reach a log line.
NAME = "Зарина"
FAMILY = "Тұрсынғалиқызы"
IIN = "900101400003"


def operation_body(index: int = 0) -> dict[str, Any]:
    ops = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]
    return dict(ops[index])


def oversized_operation() -> bytes:
    body = operation_body()
    body["names"]["en"] = "x" * 180
    body["padding"] = "y" * (LIMIT * 2)  # never read: the limit answers first
    return json.dumps(body).encode()


def distinctive_woman() -> dict[str, Any]:
    data = json.loads((FIXTURES_DIR / "family-kk.json").read_text("utf-8"))
    body: dict[str, Any] = copy.deepcopy(data["requests"][0]["body"])
    body.update(id=str(uuid.uuid4()), iin=IIN, birth_date="1990-01-01")
    body["names"] = [{"script": "Cyrl", "lang": "kk", "kind": "kazakh", "given": NAME, "family": FAMILY}]
    return body


@pytest.fixture
async def small_limit(intake_db_url: str) -> AsyncIterator[ServiceClient]:
    """The intake app with a 2 KiB body limit."""
    from intake_api.app import create_app
    from intake_api.settings import IntakeSettings

    keys = await make_keys(intake_db_url, platform)
    app = create_app(IntakeSettings(database_url=intake_db_url, outbox_enabled=False, max_body_bytes=LIMIT))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as http:
            yield ServiceClient(http, keys, app.state.ctx.db)


async def operations_stored(client: ServiceClient) -> list[Any]:
    r = await client.http.get("/v1/operations", headers=client.auth(Role.admin))
    return list(r.json()["items"])


def assert_413_problem(r: httpx.Response, lang: str = "en") -> None:
    assert r.status_code == 413, r.text
    assert r.headers["content-type"].split(";")[0] == PROBLEM_JSON
    assert r.headers["content-language"] == lang
    problem = r.json()
    assert problem["type"].endswith(":body-too-large")
    assert str(LIMIT) in problem["detail"]


class TestBodyLimit:
    async def test_honest_content_length_over_limit_is_413(self, small_limit: ServiceClient) -> None:
        r = await small_limit.http.post(
            "/v1/operations",
            content=oversized_operation(),
            headers={
                "Content-Type": "application/json",
                "Accept-Language": "ru",
                **small_limit.auth(Role.admin),
            },
        )
        assert_413_problem(r, "ru")
        assert await operations_stored(small_limit) == []

    async def test_streamed_body_without_length_is_413(self, small_limit: ServiceClient) -> None:
        payload = oversized_operation()

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(payload), 512):
                yield payload[start : start + 512]

        r = await small_limit.http.post(
            "/v1/operations",
            content=chunks(),
            headers={"Content-Type": "application/json", **small_limit.auth(Role.admin)},
        )
        assert "content-length" not in r.request.headers
        assert_413_problem(r)
        assert await operations_stored(small_limit) == []

    async def test_streamed_body_with_lying_length_is_413(self, small_limit: ServiceClient) -> None:
        payload = oversized_operation()

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(payload), 512):
                yield payload[start : start + 512]

        r = await small_limit.http.post(
            "/v1/operations",
            content=chunks(),
            headers={
                "Content-Type": "application/json",
                "Content-Length": "100",
                **small_limit.auth(Role.admin),
            },
        )
        assert_413_problem(r)
        assert await operations_stored(small_limit) == []

    async def test_oversized_body_with_idempotency_key_is_413_and_leaves_no_record(
        self, small_limit: ServiceClient
    ) -> None:
        payload = oversized_operation()

        async def chunks() -> AsyncIterator[bytes]:
            yield payload

        r = await small_limit.http.post(
            "/v1/operations",
            content=chunks(),
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": "big-1",
                **small_limit.auth(Role.admin),
            },
        )
        assert_413_problem(r)
        async with small_limit.db.transaction() as session:
            rows = (await session.execute(platform.idempotency_record.select())).all()
        assert rows == []

    async def test_body_under_limit_passes_when_streamed(self, small_limit: ServiceClient) -> None:
        payload = json.dumps(operation_body()).encode()
        assert len(payload) < LIMIT

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(payload), 64):
                yield payload[start : start + 64]

        r = await small_limit.http.post(
            "/v1/operations",
            content=chunks(),
            headers={"Content-Type": "application/json", **small_limit.auth(Role.admin)},
        )
        assert r.status_code == 201, r.text


class TestMetrics:
    async def test_counts_requests_by_route_template(self, intake: ServiceClient) -> None:
        person_id = uuid.uuid4()
        r = await intake.http.get(f"/v1/persons/{person_id}", headers=intake.auth(Role.case_worker))
        assert r.status_code == 404
        metrics = await intake.http.get("/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        text = metrics.text
        assert re.search(
            r'^http_requests_total\{method="GET",route="/v1/persons/\{person_id\}",status="404"\} 1\.0$',
            text,
            re.MULTILINE,
        ), text
        assert str(person_id) not in text

    async def test_unmatched_paths_share_one_label(self, intake: ServiceClient) -> None:
        for n in range(3):
            await intake.http.get(f"/no/such/{uuid.uuid4()}/{n}")
        text = (await intake.http.get("/metrics")).text
        assert 'http_requests_total{method="GET",route="unmatched",status="404"} 3.0' in text
        assert "/no/such" not in text

    async def test_latency_histogram_by_route(self, intake: ServiceClient) -> None:
        await intake.http.get("/healthz")
        text = (await intake.http.get("/metrics")).text
        assert 'http_request_duration_seconds_count{method="GET",route="/healthz"} 1.0' in text


def access_lines(output: str) -> list[dict[str, Any]]:
    lines = []
    for line in output.splitlines():
        if line.startswith("{"):
            event = json.loads(line)
            if event.get("event") == "request":
                lines.append(event)
    return lines


def log_to_captured_stderr() -> None:
    """Point the service's JSON log lines at the test's captured stderr (`capsys`).

    The app's logger writes to the `sys.stderr` of the moment it was configured, and pytest
    swaps that object between a fixture's setup and the test: configure again in the test.
    """
    configure_logging("INFO", service="intake_api")


class TestAccessLog:
    async def test_one_json_line_per_request_with_route_and_request_id(
        self, capsys: pytest.CaptureFixture[str], intake: ServiceClient
    ) -> None:
        log_to_captured_stderr()
        person_id = uuid.uuid4()
        r = await intake.http.get(
            f"/v1/persons/{person_id}",
            headers={"X-Request-ID": "req-log-00001", **intake.auth(Role.case_worker)},
        )
        assert r.status_code == 404
        [line] = access_lines(capsys.readouterr().err)
        assert line["method"] == "GET"
        assert line["route"] == "/v1/persons/{person_id}"
        assert line["status"] == 404
        assert isinstance(line["duration_ms"], float | int)
        assert line["duration_ms"] >= 0
        assert line["request_id"] == "req-log-00001"
        assert line["service"] == "intake_api"
        assert str(person_id) not in json.dumps(line)

    async def test_no_personal_data_in_any_log_line(
        self, capsys: pytest.CaptureFixture[str], intake: ServiceClient
    ) -> None:
        log_to_captured_stderr()
        for index in (0, 1):
            await intake.http.post(
                "/v1/operations", json=operation_body(index), headers=intake.auth(Role.admin)
            )
        body = distinctive_woman()
        r = await intake.http.post("/v1/persons", json=body, headers=intake.auth(Role.field_worker))
        assert r.status_code == 201, r.text
        r = await intake.http.get(f"/v1/persons/{body['id']}", headers=intake.auth(Role.case_worker))
        assert r.status_code == 200
        # a refusal echoes nothing either
        refused = {**distinctive_woman(), "category": "child"}
        assert (
            await intake.http.post("/v1/persons", json=refused, headers=intake.auth(Role.field_worker))
        ).status_code == 422
        captured = capsys.readouterr()
        output = captured.err + captured.out
        assert len(access_lines(captured.err)) == 5
        for secret in (NAME, FAMILY, IIN, "1990-01-01"):
            assert secret not in output
            assert json.dumps(secret)[1:-1] not in output  # nor \u-escaped

    async def test_failure_is_logged_without_personal_data(
        self, capsys: pytest.CaptureFixture[str], intake: ServiceClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from intake_api.persons import service as person_service

        async def fail(*_args: Any, **_kwargs: Any) -> None:
            # What SQLAlchemy raises when an insert fails: the statement's parameters and the
            # driver's detail (PostgreSQL: "Key (iin)=(...) already exists") are in its text.
            raise IntegrityError(
                "INSERT INTO person (iin, given) VALUES ($1, $2)",
                (IIN, NAME),
                Exception(f"duplicate key: Key (iin)=({IIN}) already exists"),
            )

        log_to_captured_stderr()
        await intake.http.post("/v1/operations", json=operation_body(), headers=intake.auth(Role.admin))
        monkeypatch.setattr(person_service, "register", fail)
        capsys.readouterr()
        r = await intake.http.post(
            "/v1/persons", json=distinctive_woman(), headers=intake.auth(Role.field_worker)
        )
        assert r.status_code == 500
        captured = capsys.readouterr()
        output = captured.err + captured.out
        failed = [json.loads(x) for x in captured.err.splitlines() if '"request.failed"' in x]
        assert len(failed) == 1
        assert "IntegrityError" in json.dumps(failed[0])
        assert failed[0]["request_id"] == r.headers["x-request-id"]
        for secret in (NAME, IIN):
            assert secret not in output
            assert json.dumps(secret)[1:-1] not in output


@contextlib.contextmanager
def failed_connections_finish() -> Iterator[None]:
    """Wait for the worker threads that failed aiosqlite connections leave behind.

    aiosqlite stops such a thread without awaiting it; the thread then reports to the event
    loop, which pytest may have closed by then ("Event loop is closed" in a thread).
    """
    before = set(threading.enumerate())
    yield
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=5)


class TestReadiness:
    async def test_ready_when_database_answers(self, intake: ServiceClient) -> None:
        r = await intake.http.get("/readyz")
        assert r.status_code == 200
        assert r.json() == {"status": "ready"}

    async def test_healthz_needs_no_key(self, intake: ServiceClient) -> None:
        assert (await intake.http.get("/healthz")).status_code == 200

    @pytest.mark.parametrize("where", ["sqlite-removed-directory", "postgresql-closed-port"])
    async def test_503_problem_when_database_is_gone(
        self, intake: ServiceClient, tmp_path: Path, where: str
    ) -> None:
        gone = {
            "sqlite-removed-directory": f"sqlite+aiosqlite:///{tmp_path / 'removed' / 'intake.db'}",
            # Port 1 on loopback: nothing listens, the connection is refused at once.
            "postgresql-closed-port": "postgresql+asyncpg://nobody:nothing@127.0.0.1:1/intake",
        }[where]
        original = intake.db.engine
        await original.dispose()
        intake.db.engine = create_async_engine(gone)
        try:
            with failed_connections_finish():
                r = await intake.http.get("/readyz", headers={"Accept-Language": "kk"})
        finally:
            await intake.db.engine.dispose()
            intake.db.engine = original
        assert r.status_code == 503
        assert r.headers["content-type"].split(";")[0] == PROBLEM_JSON
        assert r.headers["content-language"] == "kk"
        assert r.headers["retry-after"].isdigit()
        assert r.json()["status"] == 503
        assert "nobody" not in r.text
        assert "removed" not in r.text

    async def test_ready_again_once_the_database_is_back(self, intake: ServiceClient, tmp_path: Path) -> None:
        original = intake.db.engine
        intake.db.engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'removed' / 'x.db'}")
        try:
            with failed_connections_finish():
                assert (await intake.http.get("/readyz")).status_code == 503
        finally:
            await intake.db.engine.dispose()
            intake.db.engine = original
        assert (await intake.http.get("/readyz")).status_code == 200


class TestDatabaseDown:
    async def test_a_normal_endpoint_answers_503_not_500(self, intake: ServiceClient) -> None:
        from apicore.db import create_sessionmaker

        db = intake.db
        original = db.engine, db.sessions, db.autocommit_sessions
        # Port 1 on loopback: nothing listens, the connection is refused at once.
        db.engine = create_async_engine("postgresql+asyncpg://nobody:nothing@127.0.0.1:1/intake")
        # A read takes its session from `autocommit_sessions` on PostgreSQL.
        db.sessions = db.autocommit_sessions = create_sessionmaker(db.engine)
        try:
            r = await intake.http.get(
                "/v1/operations", headers={**intake.auth(Role.case_worker), "Accept-Language": "ru"}
            )
        finally:
            await db.engine.dispose()
            db.engine, db.sessions, db.autocommit_sessions = original
        assert r.status_code == 503
        assert r.headers["retry-after"].isdigit()
        assert r.headers["content-language"] == "ru"
        assert "nobody" not in r.text


class TestClientGone:
    async def test_a_client_gone_before_its_body_arrived_is_499_not_a_failure(
        self, capsys: pytest.CaptureFixture[str], intake_db_url: str
    ) -> None:
        keys = await make_keys(intake_db_url, platform)
        app = intake_test_app(intake_db_url)
        async with LifespanManager(per_request_state(app)) as manager:
            log_to_captured_stderr()
            body = json.dumps(distinctive_woman()).encode()
            # A phone that sent the first bytes of its body and lost its network.
            arriving: list[Message] = [
                {"type": "http.request", "body": body[:40], "more_body": True},
                {"type": "http.disconnect"},
            ]

            async def receive() -> Message:
                return arriving.pop(0) if arriving else {"type": "http.disconnect"}

            sent: list[Message] = []

            async def send(message: Message) -> None:
                sent.append(message)

            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": "/v1/persons",
                "raw_path": b"/v1/persons",
                "query_string": b"",
                "root_path": "",
                "headers": [
                    (b"host", b"intake.test"),
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"authorization", f"Bearer {keys[Role.field_worker]}".encode()),
                    (b"idempotency-key", str(uuid.uuid4()).encode()),
                ],
                "client": ("127.0.0.1", 50000),
                "server": ("intake.test", 80),
            }
            await manager.app(scope, receive, send)
            assert [m for m in sent if m["type"] == "http.response.start"] == []
            err = capsys.readouterr().err
            assert '"request.failed"' not in err
            [line] = access_lines(err)
            assert line["status"] == 499
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as http:
                metrics = (await http.get("/metrics")).text
                assert 'route="/v1/persons",status="499"} 1.0' in metrics
                assert 'status="500"' not in metrics
                reader = {"Authorization": f"Bearer {keys[Role.case_worker]}"}
                listed = await http.get("/v1/persons", headers=reader)
                assert listed.json()["items"] == []


class TestReadinessOfTheSchema:
    """A database the service can reach but that is not migrated to what its code needs (a
    mistyped SQLite path makes a new empty file) is not ready, and the log says why."""

    @pytest.mark.parametrize(
        ("create_app", "settings_cls", "section"),
        [
            ("intake_api.app", "intake_api.settings.IntakeSettings", "intake"),
            ("docs_service.app", "docs_service.settings.DocsSettings", "docs"),
        ],
    )
    async def test_an_unmigrated_database_is_not_ready_until_migrated(
        self,
        tmp_path: Path,
        create_app: str,
        settings_cls: str,
        section: str,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        import importlib

        from structlog.testing import capture_logs

        from apicore import migrations, service

        monkeypatch.setattr(service, "configure_logging", lambda *a, **k: None)  # keep capture_logs'

        module, _, cls = settings_cls.rpartition(".")
        url = f"sqlite+aiosqlite:///{tmp_path / 'typo.db'}"
        settings = getattr(importlib.import_module(module), cls)(database_url=url, outbox_enabled=False)
        app = importlib.import_module(create_app).create_app(settings)
        head = migrations.head_revision(section)
        assert head
        with capture_logs() as logs:
            async with LifespanManager(app) as manager:
                transport = httpx.ASGITransport(app=manager.app)
                async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                    before = await http.get("/readyz", headers={"Accept-Language": "ru"})
                    await asyncio.to_thread(migrations.upgrade, section, url)
                    after = await http.get("/readyz")
        assert before.status_code == 503
        assert before.headers["content-language"] == "ru"
        assert before.json()["type"].endswith(":database-unavailable")
        assert after.status_code == 200, after.text
        seen = [(e["event"], e.get("expected"), e.get("found")) for e in logs if "schema" in e["event"]]
        assert seen == [
            ("database.schema_not_current", head, None),
            ("readyz.schema_not_current", head, None),
        ]


class TestCaching:
    """Answers about children are kept by no cache; each may be in the language asked for."""

    async def test_a_person_and_a_problem_are_no_store_and_vary_by_language(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 1)
        assert (await post_person(intake, body)).status_code == 201
        read = await intake.http.get(f"/v1/persons/{body['id']}", headers=intake.auth(Role.case_worker))
        missing = await intake.http.get(f"/v1/persons/{uuid.uuid4()}", headers=intake.auth(Role.case_worker))
        for r in (read, missing):
            assert r.headers["cache-control"] == "no-store"
            assert r.headers["vary"] == "Accept-Language"

    async def test_a_route_that_sets_its_own_keeps_it(self, intake: ServiceClient) -> None:
        r = await intake.http.get("/v1/vocabularies", headers=intake.auth(Role.field_worker))
        assert r.status_code == 200
        assert r.headers["cache-control"] == "private, no-cache"
        assert r.headers["vary"] == "Accept-Language"
