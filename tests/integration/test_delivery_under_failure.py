"""Between the services under real failures: a service down, answers lost after the receiver
committed, a process killed with SIGKILL, two dispatchers on one PostgreSQL outbox.

Both services run as real uvicorn processes on loopback ports; where the network must misbehave,
a `LossyProxy` sits between them (it forwards, then loses the answer, or holds the call).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from apicore.auth import Role
from tests.conftest import BACKENDS
from tests.docs_service.walk import cert_steps
from tests.integration.conftest import Deployment, bearer, child, eventually, outbox, pages
from tests.support.families import seed_operations_sync
from tests.support.proxy import LossyProxy, path_is
from tests.support.services import start_dispatcher

NEED_DELIVERY = path_is("POST", "/v1/requests")
STATUS_DELIVERY = path_is("POST", "/v1/document-updates")


def register_children(client: httpx.Client, d: Deployment, count: int) -> list[str]:
    """Post `count` children to intake, one request each; returns their ids."""
    field_worker = bearer(d.intake_keys[Role.field_worker])
    ids = []
    for _ in range(count):
        body = child()
        r = client.post(f"{d.intake.url}/v1/persons", json=body, headers=field_worker)
        assert r.status_code == 201, r.text
        ids.append(body["id"])
    return ids


def requests_in_docs(client: httpx.Client, d: Deployment) -> list[dict[str, Any]]:
    return pages(client, f"{d.docs.url}/v1/requests", bearer(d.docs_keys[Role.registrar]))


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=15) as c:
        yield c


def test_docs_down_while_50_persons_are_posted_then_exactly_50_requests_arrive(
    deployment: Deployment, client: httpx.Client
) -> None:
    d = deployment
    d.intake.start()  # the documents service is down
    seed_operations_sync(client, d.intake.url, d.intake_keys[Role.admin])
    posted = register_children(client, d, 50)
    time.sleep(1.0)  # a few failed attempts each
    pending = outbox(client, d.intake.url, d.intake_keys[Role.admin])
    assert len(pending) == 50
    assert {e["state"] for e in pending} == {"pending"}
    assert all(e["last_error"] for e in pending), "the dispatcher tried and failed while docs was down"

    d.docs.start()

    def all_delivered() -> list[dict[str, Any]] | None:
        events = outbox(client, d.intake.url, d.intake_keys[Role.admin])
        return events if {e["state"] for e in events} == {"delivered"} else None

    # Backoff is capped at 1 s in these tests (FAST_OUTBOX); in production at 5 minutes.
    eventually(all_delivered, "every need delivered", seconds=30)
    time.sleep(1.0)  # room for a duplicate to show, if there were one
    requests = requests_in_docs(client, d)
    assert len(requests) == 50
    assert sorted(r["person_id"] for r in requests) == sorted(posted)
    assert {r["kind"] for r in requests} == {"birth_certificate"}


def test_answers_lost_after_the_receiver_committed_create_nothing_twice(
    deployment: Deployment, client: httpx.Client
) -> None:
    d = deployment
    with LossyProxy(d.docs.port) as to_docs, LossyProxy(d.intake.port) as to_intake:
        d.intake.env["INTAKE_DOCS_SERVICE_URL"] = to_docs.url
        d.docs.env["DOCS_INTAKE_SERVICE_URL"] = to_intake.url
        to_docs.drop_replies(NEED_DELIVERY)
        d.docs.start()
        d.intake.start()
        seed_operations_sync(client, d.intake.url, d.intake_keys[Role.admin])

        # Intake → documents: the documents service opens the request, its answer is lost.
        body = child()
        field_request_id = "phone-kk-07-" + uuid.uuid4().hex[:12]
        r = client.post(
            f"{d.intake.url}/v1/persons",
            json=body,
            headers={"X-Request-ID": field_request_id, **bearer(d.intake_keys[Role.field_worker])},
        )
        assert r.status_code == 201, r.text
        eventually(lambda: len(to_docs.seen(NEED_DELIVERY)) >= 2 or None, "the need delivered again")
        deliveries = to_docs.seen(NEED_DELIVERY)
        assert deliveries[0].dropped
        assert deliveries[0].status == 201
        assert len({e.idempotency_key for e in deliveries}) == 1, "one event, one key"
        assert not deliveries[1].dropped
        requests = requests_in_docs(client, d)
        assert [r["person_id"] for r in requests] == [body["id"]]
        # The field phone's request id crossed to the documents service and is in its log.
        assert {e.request_id for e in deliveries} == {field_request_id}
        docs_lines = [rec for rec in d.docs.log_records() if rec.get("request_id") == field_request_id]
        assert any(rec.get("route") == "/v1/requests" for rec in docs_lines), docs_lines

        # Documents → intake: intake applies the status change, its answer is lost.
        case_worker = bearer(d.intake_keys[Role.case_worker])

        def status_in_intake(wanted: str) -> list[dict[str, Any]] | None:
            items = client.get(
                f"{d.intake.url}/v1/persons/{body['id']}/documents", headers=case_worker
            ).json()
            return items["items"] if items["items"][0]["status"] == wanted else None

        eventually(lambda: status_in_intake("requested"), "the opening told to intake")
        to_intake.drop_replies(STATUS_DELIVERY)
        to, data = cert_steps()[0]
        registrar_request_id = "registrar-desk-" + uuid.uuid4().hex[:12]
        moved = client.post(
            f"{d.docs.url}/v1/requests/{requests[0]['id']}/transitions",
            json={"to": to, "data": data},
            headers={
                "If-Match": f'"{requests[0]["version"]}"',
                "X-Request-ID": registrar_request_id,
                **bearer(d.docs_keys[Role.registrar]),
            },
        )
        assert moved.status_code == 200, moved.text

        def move_updates() -> list[Any]:
            return [e for e in to_intake.seen(STATUS_DELIVERY) if e.request_id == registrar_request_id]

        eventually(lambda: len(move_updates()) >= 2 or None, "the update delivered again")
        updates = move_updates()
        assert updates[0].dropped
        assert updates[0].status == 200
        assert len({e.idempotency_key for e in updates}) == 1
        documents = client.get(
            f"{d.intake.url}/v1/persons/{body['id']}/documents",
            headers=bearer(d.intake_keys[Role.case_worker]),
        ).json()["items"]
        assert [(doc["request_id"], doc["status"]) for doc in documents] == [(requests[0]["id"], to)]
        # The registrar's request id crossed back to intake and is in its log.
        intake_lines = [
            rec for rec in d.intake.log_records() if rec.get("request_id") == registrar_request_id
        ]
        assert any(rec.get("route") == "/v1/document-updates" for rec in intake_lines), intake_lines


def test_events_pending_when_intake_is_killed_are_delivered_after_the_restart(
    deployment: Deployment, client: httpx.Client
) -> None:
    d = deployment
    with LossyProxy(d.docs.port) as to_docs:
        d.intake.env["INTAKE_DOCS_SERVICE_URL"] = to_docs.url
        # An attempt lasts at most 2 × 3 s, its lease 16 s: what a restarted PostgreSQL dispatcher
        # may wait for the events the dead one held. On SQLite the dead one's lock is gone at
        # once, and with it its leases.
        d.intake.env["INTAKE_HTTP_TIMEOUT_SECONDS"] = "3"
        to_docs.black_hole(NEED_DELIVERY)  # the documents service takes the call and never answers
        d.docs.start()
        d.intake.start()
        seed_operations_sync(client, d.intake.url, d.intake_keys[Role.admin])
        posted = register_children(client, d, 3)
        eventually(lambda: to_docs.held or None, "a delivery in flight")
        d.intake.kill()
        to_docs.black_hole(None)

        d.intake.start()

        def arrived() -> list[dict[str, Any]] | None:
            found = requests_in_docs(client, d)
            return found if len(found) >= len(posted) else None

        eventually(arrived, "the needs delivered after the restart", seconds=40)
        time.sleep(1.0)
        assert sorted(r["person_id"] for r in requests_in_docs(client, d)) == sorted(posted)
        events = outbox(client, d.intake.url, d.intake_keys[Role.admin])
        assert [e["state"] for e in events] == ["delivered"] * 3


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs TEST_POSTGRES_URL (always set in CI)")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_dispatchers_on_postgresql_deliver_every_event_exactly_once(
    deployment: Deployment, client: httpx.Client, tmp_path: Path
) -> None:
    d = deployment
    count = 120
    with LossyProxy(d.docs.port) as to_docs:
        env = {**d.intake.env, "INTAKE_DOCS_SERVICE_URL": to_docs.url, "INTAKE_OUTBOX_ENABLED": "true"}
        d.intake.env["INTAKE_OUTBOX_ENABLED"] = "false"  # the server stores; the two dispatchers deliver
        d.docs.start()
        d.intake.start()
        seed_operations_sync(client, d.intake.url, d.intake_keys[Role.admin])
        logs = [tmp_path / "dispatch-1.log", tmp_path / "dispatch-2.log"]
        dispatchers = [start_dispatcher("intake-api", env, log) for log in logs]
        try:
            # Both dispatchers run and poll before the events exist, so both compete for them.
            for log in logs:
                eventually(
                    lambda log=log: '"service.started"' in log.read_text() or None,  # type: ignore[misc]
                    "a dispatcher running",
                )
            batch = [child() for _ in range(count)]
            r = client.post(
                f"{d.intake.url}/v1/persons/batch",
                json={"items": [{"person": p} for p in batch]},
                headers=bearer(d.intake_keys[Role.field_worker]),
            )
            assert r.status_code == 200, r.text
            assert [x["status"] for x in r.json()["results"]] == [201] * count

            def all_delivered() -> bool | None:
                events = outbox(client, d.intake.url, d.intake_keys[Role.admin])
                return True if [e["state"] for e in events] == ["delivered"] * count else None

            eventually(all_delivered, "every event delivered", seconds=60)
        finally:
            for p in dispatchers:
                p.terminate()
            assert [p.wait(timeout=15) for p in dispatchers] == [0, 0]
        deliveries = to_docs.seen(NEED_DELIVERY)
        keys = [e.idempotency_key for e in deliveries]
        assert len(keys) == count
        assert len(set(keys)) == count, "an event was delivered twice"
        assert {e.status for e in deliveries} == {201}
        events = outbox(client, d.intake.url, d.intake_keys[Role.admin])
        assert {e["attempts"] for e in events} == {1}
        assert len(requests_in_docs(client, d)) == count
        # Both dispatchers did part of the work.
        delivered_by = [log.read_text().count('"outbox.delivered"') for log in logs]
        assert sum(delivered_by) == count
        assert all(n > 0 for n in delivered_by), delivered_by


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_refuses_a_second_dispatcher(deployment: Deployment, tmp_path: Path) -> None:
    d = deployment
    d.intake.start()  # its own dispatcher holds the database's dispatcher lock
    log = tmp_path / "dispatch.log"
    second = start_dispatcher("intake-api", d.intake.env, log)
    assert second.wait(timeout=20) == 1
    assert "another dispatcher" in log.read_text()
    d.intake.stop()
    # With the service's own dispatcher gone, a separate one runs.
    third = start_dispatcher("intake-api", d.intake.env, log)
    try:
        eventually(lambda: '"service.started"' in log.read_text() or None, "the dispatcher running")
        time.sleep(0.5)
        assert third.poll() is None, log.read_text()
    finally:
        third.terminate()
        assert third.wait(timeout=10) == 0
