"""Drill: the PostgreSQL server stops under both running services and comes back.

While it is down every request that needs it gets a localised 503 problem with `Retry-After`
(never a 500, never a hang), `/readyz` says not ready and `/healthz` stays up; once it is back
both services serve again without a restart, and nothing acknowledged before is lost.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from apicore.auth import Role
from apicore.problems import PROBLEM_JSON, DatabaseUnavailable
from tests.drills.cluster import PrivateCluster
from tests.drills.conftest import (
    STARTUP_SECONDS,
    MidBatchLock,
    bearer,
    child_body,
    keys_for,
    migrated_database,
    read_log,
    seed_operations,
)
from tests.support.services import ServiceProcess, free_port

FAST_OUTBOX = {
    "OUTBOX_POLL_SECONDS": "0.2",
    "OUTBOX_BACKOFF_BASE_SECONDS": "0.2",
    "OUTBOX_BACKOFF_CAP_SECONDS": "1",
    # A request cut off by the outage after it claimed its Idempotency-Key cannot release the key
    # (the database is gone): retries get 409 until the lease runs out (60 s by default).
    "IDEMPOTENCY_LEASE_SECONDS": "5",
    # Likewise an outbox event claimed when the database went waits out its claim's lease
    # (2 × this + 10 s) before it is delivered again.
    "HTTP_TIMEOUT_SECONDS": "2",
}
LANGS = ("kk", "ru", "ar")


@dataclass
class Pair:
    """Both services, running on databases of the private cluster."""

    intake: ServiceProcess
    docs: ServiceProcess
    intake_keys: dict[Role, str]
    docs_keys: dict[Role, str]
    logs: tuple[Path, Path]
    database: str
    """The name of intake's database."""


@pytest.fixture
def pair(private_postgres: PrivateCluster, tmp_path: Path) -> Iterator[Pair]:
    """Intake and documents services wired to each other, both on the private cluster."""
    intake_url = migrated_database(private_postgres, "intake")
    docs_url = migrated_database(private_postgres, "docs")
    intake_keys, docs_keys = keys_for(intake_url, "intake"), keys_for(docs_url, "docs")
    intake_port, docs_port = free_port(), free_port()
    logs = (tmp_path / "intake.log", tmp_path / "docs.log")
    intake = ServiceProcess(
        "intake-api",
        intake_port,
        {
            "INTAKE_DATABASE_URL": intake_url,
            "INTAKE_DOCS_SERVICE_URL": f"http://127.0.0.1:{docs_port}",
            "INTAKE_DOCS_SERVICE_KEY": docs_keys[Role.service],
            **{f"INTAKE_{k}": v for k, v in FAST_OUTBOX.items()},
        },
        logs[0],
    )
    docs = ServiceProcess(
        "docs-service",
        docs_port,
        {
            "DOCS_DATABASE_URL": docs_url,
            "DOCS_INTAKE_SERVICE_URL": f"http://127.0.0.1:{intake_port}",
            "DOCS_INTAKE_SERVICE_KEY": intake_keys[Role.service],
            **{f"DOCS_{k}": v for k, v in FAST_OUTBOX.items()},
        },
        logs[1],
    )
    try:
        docs.start(timeout=STARTUP_SECONDS)
        intake.start(timeout=STARTUP_SECONDS)
        yield Pair(intake, docs, intake_keys, docs_keys, logs, intake_url.rsplit("/", 1)[1])
    finally:
        intake.stop()
        docs.stop()


def _register(client: httpx.Client, pair: Pair, person_id: str, key: str, lang: str = "en") -> httpx.Response:
    return client.post(
        f"{pair.intake.url}/v1/persons",
        json=child_body(person_id),
        headers={**bearer(pair.intake_keys[Role.field_worker], lang), "Idempotency-Key": key},
    )


def _post_batch(client: httpx.Client, pair: Pair, body: dict[str, Any], lang: str) -> httpx.Response:
    return client.post(
        f"{pair.intake.url}/v1/persons/batch",
        json=body,
        headers={
            **bearer(pair.intake_keys[Role.field_worker], lang),
            "Idempotency-Key": "drill-outage-batch",
        },
    )


def _all(client: httpx.Client, url: str, key: str, field: str) -> set[str]:
    """`field` of every item of a cursor-paginated list."""
    found: set[str] = set()
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = client.get(url, params=params, headers=bearer(key))
        assert page.status_code == 200, page.text
        found.update(str(item[field]) for item in page.json()["items"])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found


def _assert_unavailable_problem(response: httpx.Response, lang: str) -> None:
    where = f"{response.request.method} {response.request.url.path} [{lang}]"
    assert response.status_code == 503, f"{where}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == PROBLEM_JSON, where
    assert response.headers["content-language"] == lang, where
    assert int(response.headers["retry-after"]) > 0, where
    problem = response.json()
    assert problem["type"].endswith(DatabaseUnavailable.slug), where
    assert problem["status"] == 503, where
    assert problem["title"] == DatabaseUnavailable.title.render(lang), where
    assert DatabaseUnavailable.detail is not None
    assert problem["detail"] == DatabaseUnavailable.detail.render(lang), where


def _wait_ready(client: httpx.Client, *services: ServiceProcess, timeout: float = 30.0) -> float:
    """Seconds until every service's `/readyz` answers 200."""
    started = time.monotonic()
    pending = list(services)
    while pending:
        if time.monotonic() - started > timeout:
            raise AssertionError(f"not ready {timeout} s after the database came back: {pending}")
        pending = [s for s in pending if client.get(f"{s.url}/readyz").status_code != 200]
        if pending:
            time.sleep(0.1)
    return time.monotonic() - started


def test_database_stops_and_comes_back(private_postgres: PrivateCluster, pair: Pair) -> None:
    # `timeout` bounds every request: a request that hangs while the database is down fails here.
    with httpx.Client(timeout=15) as client:
        seed_operations(pair.intake.url, pair.intake_keys[Role.admin])
        acknowledged = [str(uuid.uuid4()) for _ in range(5)]
        for person_id in acknowledged:
            assert _register(client, pair, person_id, f"before-{person_id}").status_code == 201

        # A batch in flight when the server goes: its transaction is cut off, and it says so.
        in_flight = [str(uuid.uuid4()) for _ in range(40)]
        batch = {"items": [{"person": child_body(i)} for i in in_flight]}
        outcome: dict[str, httpx.Response | httpx.HTTPError] = {}

        def send() -> None:
            try:
                outcome["answer"] = _post_batch(client, pair, batch, "ar")
            except httpx.HTTPError as exc:  # a hang or a dropped connection: the drill fails
                outcome["answer"] = exc

        with MidBatchLock(private_postgres, pair.database) as lock:
            sender = threading.Thread(target=send)
            sender.start()
            lock.wait_until_blocked()
            private_postgres.stop("fast")
            sender.join(timeout=30)
        answer = outcome.get("answer")
        assert isinstance(answer, httpx.Response), f"the cut-off batch got no answer: {answer!r}"
        _assert_unavailable_problem(answer, "ar")

        refused_id = str(uuid.uuid4())
        field_worker = pair.intake_keys[Role.field_worker]
        docs_case_worker = pair.docs_keys[Role.case_worker]
        # Several rounds: the first meets pooled connections the server has just closed, the
        # later ones a server that refuses new connections.
        for _ in range(3):
            for lang in LANGS:
                _assert_unavailable_problem(_register(client, pair, refused_id, "while-down", lang), lang)
                read = client.get(
                    f"{pair.intake.url}/v1/persons/{acknowledged[0]}", headers=bearer(field_worker, lang)
                )
                _assert_unavailable_problem(read, lang)
                listed = client.get(f"{pair.docs.url}/v1/requests", headers=bearer(docs_case_worker, lang))
                _assert_unavailable_problem(listed, lang)
                for service in (pair.intake, pair.docs):
                    _assert_unavailable_problem(
                        client.get(f"{service.url}/readyz", headers={"Accept-Language": lang}), lang
                    )
                    assert client.get(f"{service.url}/healthz").status_code == 200

        private_postgres.start()
        recovery = _wait_ready(client, pair.intake, pair.docs)
        print(f"drill.database_outage: ready {recovery:.2f} s after the server accepted connections")  # noqa: T201

        # The cut-off batch, retried under its key once its lease is over, goes through whole;
        # every item is new (201, not 200): the cut-off transaction left nothing behind.
        deadline = time.monotonic() + 30
        retried_batch = _post_batch(client, pair, batch, "ar")
        while retried_batch.status_code == 409 and time.monotonic() < deadline:
            time.sleep(float(retried_batch.headers.get("retry-after", "1")))
            retried_batch = _post_batch(client, pair, batch, "ar")
        assert retried_batch.status_code == 200, retried_batch.text
        assert [(r["id"], r["status"]) for r in retried_batch.json()["results"]] == [
            (i, 201) for i in in_flight
        ]

        # The refused registration, retried under its key, goes through: a 503 is never kept.
        retried = _register(client, pair, refused_id, "while-down")
        assert retried.status_code == 201, retried.text
        for person_id in acknowledged:
            r = client.get(f"{pair.intake.url}/v1/persons/{person_id}", headers=bearer(field_worker))
            assert r.status_code == 200, r.text
        everyone = {*acknowledged, *in_flight, refused_id}
        assert _all(client, f"{pair.intake.url}/v1/persons", field_worker, "id") == everyone

        # The dispatchers lived through the outage: every need reaches the documents service.
        deadline = time.monotonic() + 30
        while (
            delivered := _all(client, f"{pair.docs.url}/v1/requests", docs_case_worker, "person_id")
        ) != everyone:
            assert time.monotonic() < deadline, f"{len(everyone - delivered)} needs not delivered"
            time.sleep(0.5)
    for log in pair.logs:
        assert "request.failed" not in log.read_text(errors="replace"), read_log(log)
