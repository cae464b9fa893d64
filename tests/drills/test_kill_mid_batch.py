"""Drill: the intake process is killed with SIGKILL in the middle of a batch of 500 persons.

After a restart each person of the batch is either stored whole (names, search tokens, status
event, document need with its outbox event, audit row, the item's idempotency record) or not at
all, and the phone's retry with the same `Idempotency-Key` completes the batch exactly once.
"""

from __future__ import annotations

import asyncio
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

BATCH_SIZE = 500
EARLIER_SIZE = 100
LEASE_SECONDS = 3
"""How long a claimed `Idempotency-Key` stays locked; the killed process never releases its own."""


@dataclass
class Intake:
    """The intake service on a database of the private cluster."""

    process: ServiceProcess
    database: str
    keys: dict[Role, str]
    log: Path


@pytest.fixture
def intake(private_postgres: PrivateCluster, tmp_path: Path) -> Iterator[Intake]:
    """Intake on the private cluster; the outbox is not delivered (no documents service here)."""
    url = migrated_database(private_postgres, "intake")
    log = tmp_path / "intake.log"
    process = ServiceProcess(
        "intake-api",
        free_port(),
        {
            "INTAKE_DATABASE_URL": url,
            "INTAKE_OUTBOX_ENABLED": "false",
            "INTAKE_IDEMPOTENCY_LEASE_SECONDS": str(LEASE_SECONDS),
        },
        log,
    )
    try:
        process.start(timeout=STARTUP_SECONDS)
        yield Intake(process, url.rsplit("/", 1)[1], keys_for(url, "intake"), log)
    finally:
        process.stop()


def _batch(ids: list[str]) -> dict[str, Any]:
    return {"items": [{"idempotency_key": f"item-{i}", "person": child_body(i)} for i in ids]}


def _post_batch(client: httpx.Client, intake: Intake, body: dict[str, Any], key: str) -> httpx.Response:
    return client.post(
        f"{intake.process.url}/v1/persons/batch",
        json=body,
        headers={**bearer(intake.keys[Role.field_worker]), "Idempotency-Key": key},
    )


async def _stored_parts(cluster: PrivateCluster, database: str, ids: list[str]) -> dict[str, dict[str, int]]:
    """For each person id, how many rows of each part of a registration exist."""
    queries = {
        "person": "SELECT id, count(*) FROM person WHERE id = ANY($1::uuid[]) GROUP BY 1",
        "names": "SELECT person_id, count(*) FROM person_name WHERE person_id = ANY($1::uuid[]) GROUP BY 1",
        "tokens": (
            "SELECT person_id, count(*) FROM person_name_token WHERE person_id = ANY($1::uuid[]) GROUP BY 1"
        ),
        "status_events": (
            "SELECT person_id, count(*) FROM status_event WHERE person_id = ANY($1::uuid[]) GROUP BY 1"
        ),
        "needs": "SELECT person_id, count(*) FROM document_need WHERE person_id = ANY($1::uuid[]) GROUP BY 1",
        # The need's outbox event, written in the same transaction as the person.
        "outbox": (
            "SELECT person_id, count(*) FROM document_need n JOIN outbox_event o"
            " ON o.id = n.outbox_event_id WHERE person_id = ANY($1::uuid[]) GROUP BY 1"
        ),
        "audit": (
            "SELECT subject_id, count(*) FROM audit_event WHERE action = 'person.created'"
            " AND subject_id = ANY($1::uuid[]) GROUP BY 1"
        ),
    }
    conn = await cluster.connect(database)
    try:
        parts: dict[str, dict[str, int]] = {i: dict.fromkeys([*queries, "item_key"], 0) for i in ids}
        for part, sql in queries.items():
            for pid, count in await conn.fetch(sql, ids):
                parts[str(pid)][part] = count
        item_keys = await conn.fetch(
            "SELECT key FROM idempotency_record WHERE state = 'completed' AND key = ANY($1::text[])",
            [f"item-{i}" for i in ids],
        )
        for row in item_keys:
            parts[row["key"].removeprefix("item-")]["item_key"] = 1
        return parts
    finally:
        await conn.close()


WHOLE = {"person": 1, "names": 2, "status_events": 1, "needs": 1, "outbox": 1, "audit": 1, "item_key": 1}


def _is_whole(parts: dict[str, int]) -> bool:
    return all(parts[k] == v for k, v in WHOLE.items()) and parts["tokens"] > 0


async def _count_persons(cluster: PrivateCluster, database: str) -> int:
    conn = await cluster.connect(database)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM person"))
    finally:
        await conn.close()


def test_sigkill_mid_batch_leaves_each_item_whole_or_absent(
    private_postgres: PrivateCluster, intake: Intake
) -> None:
    with httpx.Client(timeout=120) as client:
        seed_operations(intake.process.url, intake.keys[Role.admin])
        # A first, smaller batch, acknowledged: it must survive the kill.
        earlier = [str(uuid.uuid4()) for _ in range(EARLIER_SIZE)]
        first = _post_batch(client, intake, _batch(earlier), "drill-batch-earlier")
        assert first.status_code == 200, first.text
        assert {r["status"] for r in first.json()["results"]} == {201}

        ids = [str(uuid.uuid4()) for _ in range(BATCH_SIZE)]
        body = _batch(ids)
        outcome: dict[str, Any] = {}

        def send() -> None:
            try:
                outcome["response"] = _post_batch(client, intake, body, "drill-batch-killed")
            except httpx.HTTPError as exc:
                outcome["error"] = exc

        with MidBatchLock(private_postgres, intake.database) as lock:
            sender = threading.Thread(target=send)
            sender.start()
            # Kill while the batch waits, amid its writes, for the drill's lock.
            lock.wait_until_blocked()
            assert intake.process.process is not None
            intake.process.process.kill()  # SIGKILL: no shutdown, no rollback by the process
            killed_at = time.monotonic()
            intake.process.process.wait()
        sender.join(timeout=30)
        assert "response" not in outcome, "the killed batch was answered"
        assert isinstance(outcome.get("error"), httpx.HTTPError)

        intake.process.stop()
        intake.process.start(timeout=STARTUP_SECONDS)
        parts = asyncio.run(_stored_parts(private_postgres, intake.database, ids))
        halves = {i: p for i, p in parts.items() if p["person"] and not _is_whole(p)}
        absent = [i for i, p in parts.items() if not p["person"]]
        assert not halves, f"half-stored persons: {list(halves.items())[:3]}"
        # An absent person left nothing behind either.
        leftovers = {i: parts[i] for i in absent if any(parts[i].values())}
        assert not leftovers, f"parts of absent persons: {list(leftovers.items())[:3]}"
        print(f"drill.kill_mid_batch: after the kill {BATCH_SIZE - len(absent)} whole, {len(absent)} absent")  # noqa: T201

        # The phone retries with the same key (409 while a claim the dead request committed early
        # is leased; a batch's claim is part of its transaction, so nothing is left to wait for).
        deadline = time.monotonic() + LEASE_SECONDS + 30
        retried = _post_batch(client, intake, body, "drill-batch-killed")
        while retried.status_code == 409 and time.monotonic() < deadline:
            time.sleep(float(retried.headers.get("retry-after", "1")))
            retried = _post_batch(client, intake, body, "drill-batch-killed")
        assert retried.status_code == 200, retried.text
        print(  # noqa: T201
            f"drill.kill_mid_batch: batch of {BATCH_SIZE} killed amid its writes;"
            f" retried whole {time.monotonic() - killed_at:.1f} s after the kill"
        )
        results = retried.json()["results"]
        assert [r["id"] for r in results] == ids
        # A person the killed batch had stored whole would come back as 200 (replayed).
        assert all(r["status"] == (201 if r["id"] in absent else 200) for r in results)
        parts = asyncio.run(_stored_parts(private_postgres, intake.database, ids + earlier))
        broken = [i for i, p in parts.items() if not _is_whole(p)]
        assert not broken, f"{len(broken)} persons not whole, such as {broken[:3]}"

        replay = _post_batch(client, intake, body, "drill-batch-killed")
        assert replay.status_code == 200
        assert replay.headers.get("idempotent-replayed") == "true"
        assert replay.json() == retried.json()
        assert asyncio.run(_count_persons(private_postgres, intake.database)) == BATCH_SIZE + EARLIER_SIZE
    assert "request.failed" not in intake.log.read_text(errors="replace"), read_log(intake.log)
