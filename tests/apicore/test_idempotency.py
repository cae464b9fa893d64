"""`Idempotency-Key`: the store on its own, then through POST /v1/operations and /v1/persons."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.responses import JSONResponse
from tests.conftest import FIXTURES_DIR, ServiceClient

from apicore.auth import Role, create_key, hash_key
from apicore.db import Database, utcnow
from apicore.idempotency import (
    IdempotencyKeyReused,
    IdempotencyRequestInFlight,
    IdempotencyStore,
    InvalidIdempotencyKey,
    parse_key,
    request_fingerprint,
)
from intake_api.models import Person, platform

RECORDS = platform.idempotency_record
SCOPE = "a" * 64


def operation_body(index: int = 0) -> dict[str, Any]:
    ops = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]
    return dict(ops[index])


def person_body() -> dict[str, Any]:
    data = json.loads((FIXTURES_DIR / "family-kk.json").read_text("utf-8"))
    return dict(copy.deepcopy(data["requests"][1]["body"]))


async def count(db: Database, table: Any) -> int:
    async with db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def records(db: Database) -> list[dict[str, Any]]:
    async with db.transaction() as session:
        return [dict(r._mapping) for r in (await session.execute(select(RECORDS))).all()]


async def insert_record(db: Database, **values: Any) -> None:
    now = utcnow()
    row: dict[str, Any] = {
        "scope": SCOPE,
        "key": "k",
        "fingerprint": "f" * 64,
        "method": "POST",
        "path": "/v1/operations",
        "state": "in_flight",
        "created_at": now,
        "locked_until": now + dt.timedelta(minutes=5),
        "expires_at": now + dt.timedelta(hours=1),
    }
    row.update(values)
    async with db.transaction() as session:
        await session.execute(RECORDS.insert().values(**row))


# --- the pure parts -------------------------------------------------------------------------


class TestRequestFingerprint:
    def test_key_order_and_whitespace_do_not_matter(self) -> None:
        a = request_fingerprint("POST", "/v1/x", b'{"a": 1, "b": [1, 2]}')
        b = request_fingerprint("POST", "/v1/x", b'{\n  "b": [1,2],\n  "a": 1\n}')
        assert a == b

    def test_escaped_and_literal_unicode_are_the_same_body(self) -> None:
        a = request_fingerprint("POST", "/v1/x", '{"given": "Айша"}'.encode())
        b = request_fingerprint("POST", "/v1/x", b'{"given": "\\u0410\\u0439\\u0448\\u0430"}')
        assert a == b

    @pytest.mark.parametrize(
        ("method", "path", "body"),
        [
            ("POST", "/v1/x", b'{"a": 2}'),
            ("POST", "/v1/y", b'{"a": 1}'),
            ("PUT", "/v1/x", b'{"a": 1}'),
            ("POST", "/v1/x", b'{"a": "1"}'),
            ("POST", "/v1/x", b'[{"a": 1}]'),
        ],
        ids=["value", "path", "method", "type", "shape"],
    )
    def test_any_real_difference_changes_it(self, method: str, path: str, body: bytes) -> None:
        assert request_fingerprint(method, path, body) != request_fingerprint("POST", "/v1/x", b'{"a": 1}')

    def test_non_json_body_is_compared_byte_for_byte(self) -> None:
        assert request_fingerprint("POST", "/x", b"{not json") == request_fingerprint(
            "POST", "/x", b"{not json"
        )
        assert request_fingerprint("POST", "/x", b"{not json") != request_fingerprint(
            "POST", "/x", b"{not json "
        )


class TestParseKey:
    @pytest.mark.parametrize("key", ["k", "kk-0001", "5a110000-0000-4000-8000-000000000001", "~" * 255])
    def test_visible_ascii_up_to_255_is_accepted(self, key: str) -> None:
        assert parse_key(key) == key

    @pytest.mark.parametrize(
        "key",
        ["", "x" * 256, "ключ-1", "has space", "tab\there", "١٢٣"],
        ids=["empty", "256-chars", "cyrillic", "space", "tab", "arabic-indic"],
    )
    def test_anything_else_is_refused(self, key: str) -> None:
        with pytest.raises(InvalidIdempotencyKey):
            parse_key(key)


# --- the store ------------------------------------------------------------------------------


@pytest.fixture
async def db(intake_db_url: str) -> AsyncIterator[Database]:
    database = Database.connect(intake_db_url)
    yield database
    await database.dispose()


def store(db: Database, *, lease_seconds: float = 60, ttl_hours: float = 72) -> IdempotencyStore:
    return IdempotencyStore(
        db, platform, ttl=dt.timedelta(hours=ttl_hours), lease=dt.timedelta(seconds=lease_seconds)
    )


async def claim(s: IdempotencyStore, fingerprint: str = "f" * 64, key: str = "k", scope: str = SCOPE) -> Any:
    """A claim in a transaction of its own, committed (as a handler that calls another service
    commits it early)."""
    async with s.db.transaction() as session:
        return await s.claim(
            session, scope=scope, key=key, fingerprint=fingerprint, method="POST", path="/v1/operations"
        )


async def complete(db: Database, s: IdempotencyStore, held: Any) -> None:
    response = JSONResponse(
        {"code": "zhusan-2"},
        status_code=201,
        headers={"Location": "/v1/operations/zhusan-2", "ETag": '"1"', "X-Request-ID": "req-first-0001"},
    )
    async with db.transaction() as session:
        await s.complete(session, held, response)


class TestIdempotencyStore:
    async def test_first_claim_holds_the_key_in_flight(self, db: Database) -> None:
        held = await claim(store(db))
        assert held.replay is None
        [row] = await records(db)
        assert row["state"] == "in_flight"
        assert row["locked_until"] > utcnow()

    async def test_second_claim_while_in_flight_is_refused(self, db: Database) -> None:
        s = store(db)
        await claim(s)
        with pytest.raises(IdempotencyRequestInFlight) as caught:
            await claim(s)
        assert caught.value.headers["Retry-After"].isdigit()

    async def test_claim_with_another_fingerprint_is_reuse(self, db: Database) -> None:
        s = store(db)
        await complete(db, s, await claim(s))
        with pytest.raises(IdempotencyKeyReused):
            await claim(s, fingerprint="e" * 64)

    async def test_completed_key_replays_status_body_and_kept_headers(self, db: Database) -> None:
        s = store(db)
        await complete(db, s, await claim(s))
        again = await claim(s)
        assert again.replay is not None
        assert again.replay.status_code == 201
        assert json.loads(again.replay.body) == {"code": "zhusan-2"}
        assert again.replay.headers["location"] == "/v1/operations/zhusan-2"
        assert again.replay.headers["etag"] == '"1"'
        assert again.replay.headers["idempotent-replayed"] == "true"
        assert "x-request-id" not in again.replay.headers

    async def test_a_claim_rolled_back_with_its_work_leaves_nothing(self, db: Database) -> None:
        s = store(db)
        async with db.sessions() as session, session.begin():
            held = await s.claim(
                session, scope=SCOPE, key="k", fingerprint="f" * 64, method="POST", path="/v1/operations"
            )
            assert held.replay is None
            await session.rollback()
        assert await records(db) == []
        assert (await claim(s)).replay is None

    async def test_release_frees_the_key(self, db: Database) -> None:
        s = store(db)
        await s.release(await claim(s))
        assert await records(db) == []
        assert (await claim(s)).replay is None

    async def test_release_never_deletes_a_completed_answer(self, db: Database) -> None:
        s = store(db)
        held = await claim(s)
        await complete(db, s, held)
        await s.release(held)
        assert [r["state"] for r in await records(db)] == ["completed"]

    async def test_abandoned_claim_is_taken_over(self, db: Database) -> None:
        await insert_record(db, locked_until=utcnow() - dt.timedelta(seconds=1))
        held = await claim(store(db))
        assert held.replay is None
        [row] = await records(db)
        assert row["locked_until"] > utcnow()

    async def test_expired_answer_is_taken_over_even_with_another_body(self, db: Database) -> None:
        s = store(db)
        await complete(db, s, await claim(s))
        async with db.transaction() as session:
            await session.execute(RECORDS.update().values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        held = await claim(s, fingerprint="e" * 64)
        assert held.replay is None
        [row] = await records(db)
        assert (row["state"], row["fingerprint"], row["response_body"]) == ("in_flight", "e" * 64, None)

    async def test_keys_are_scoped(self, db: Database) -> None:
        s = store(db)
        await claim(s)
        other = await claim(s, scope="b" * 64)
        assert other.replay is None
        assert await count(db, RECORDS) == 2

    async def test_purge_deletes_only_expired(self, db: Database) -> None:
        await insert_record(db, key="old", expires_at=utcnow() - dt.timedelta(seconds=1))
        await insert_record(db, key="new")
        assert await store(db).purge_expired() == 1
        assert [r["key"] for r in await records(db)] == ["new"]


# --- through the apps -----------------------------------------------------------------------


async def seed_operations(intake: ServiceClient) -> None:
    for index in (0, 1):
        r = await intake.http.post(
            "/v1/operations", json=operation_body(index), headers=intake.auth(Role.admin)
        )
        assert r.status_code == 201, r.text


class TestReplayOverHTTP:
    async def test_replay_repeats_status_body_and_location(self, intake: ServiceClient) -> None:
        headers = {"Idempotency-Key": "op-1", **intake.auth(Role.admin)}
        first = await intake.http.post("/v1/operations", json=operation_body(), headers=headers)
        again = await intake.http.post("/v1/operations", json=operation_body(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"] == "/v1/operations/zhusan-2"
        assert again.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers

    async def test_replay_of_a_person_repeats_etag_and_creates_no_second(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        headers = {"Idempotency-Key": "person-1", **intake.auth(Role.field_worker)}
        first = await intake.http.post("/v1/persons", json=person_body(), headers=headers)
        again = await intake.http.post("/v1/persons", json=person_body(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["location"] == first.headers["location"]
        assert await count(intake.db, Person.__table__) == 1

    async def test_key_order_and_whitespace_still_replay(self, intake: ServiceClient) -> None:
        headers = {"Idempotency-Key": "op-2", **intake.auth(Role.admin), "Content-Type": "application/json"}
        body = operation_body()
        first = await intake.http.post("/v1/operations", content=json.dumps(body), headers=headers)
        reordered = json.dumps(dict(reversed(list(body.items()))), indent=4, ensure_ascii=False)
        again = await intake.http.post("/v1/operations", content=reordered.encode(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"

    async def test_replay_states_the_language_its_body_was_written_in(self, intake: ServiceClient) -> None:
        # The replay repeats the first body word for word (its warnings are in Kazakh), so its
        # Content-Language must say Kazakh, whatever the retry asked for.
        headers = {"Idempotency-Key": "op-3", **intake.auth(Role.admin)}
        await intake.http.post(
            "/v1/operations", json=operation_body(), headers={**headers, "Accept-Language": "kk"}
        )
        again = await intake.http.post(
            "/v1/operations", json=operation_body(), headers={**headers, "Accept-Language": "ar"}
        )
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["content-language"] == "kk"

    async def test_same_key_other_body_is_422(self, intake: ServiceClient) -> None:
        headers = {"Idempotency-Key": "op-4", **intake.auth(Role.admin)}
        await intake.http.post("/v1/operations", json=operation_body(0), headers=headers)
        r = await intake.http.post("/v1/operations", json=operation_body(1), headers=headers)
        assert r.status_code == 422
        assert r.json()["type"].endswith(":idempotency-key-reused")
        listed = await intake.http.get("/v1/operations", headers=intake.auth(Role.admin))
        assert [o["code"] for o in listed.json()["items"]] == ["zhusan-2"]

    async def test_same_key_from_another_api_key_is_independent(self, intake: ServiceClient) -> None:
        async with intake.db.transaction() as session:
            _id, second_admin = await create_key(session, platform, role=Role.admin, name="second-admin")
        key = {"Idempotency-Key": "shared-key"}
        first = await intake.http.post(
            "/v1/operations", json=operation_body(0), headers={**key, **intake.auth(Role.admin)}
        )
        other = await intake.http.post(
            "/v1/operations",
            json=operation_body(1),
            headers={**key, "Authorization": f"Bearer {second_admin}"},
        )
        assert first.status_code == other.status_code == 201
        assert "idempotent-replayed" not in other.headers
        assert other.json()["code"] == "rusafa"

    async def test_refused_request_leaves_no_record(self, intake: ServiceClient) -> None:
        headers = {"Idempotency-Key": "op-5", **intake.auth(Role.admin)}
        bad = {**operation_body(), "origin_country": "syria"}
        assert (await intake.http.post("/v1/operations", json=bad, headers=headers)).status_code == 422
        assert await count(intake.db, RECORDS) == 0
        good = await intake.http.post("/v1/operations", json=operation_body(), headers=headers)
        assert good.status_code == 201
        assert "idempotent-replayed" not in good.headers

    async def test_conflict_leaves_no_record(self, intake: ServiceClient) -> None:
        await intake.http.post("/v1/operations", json=operation_body(), headers=intake.auth(Role.admin))
        headers = {"Idempotency-Key": "op-6", **intake.auth(Role.admin)}
        r = await intake.http.post("/v1/operations", json=operation_body(), headers=headers)
        assert r.status_code == 409
        assert await count(intake.db, RECORDS) == 0

    async def test_forbidden_request_leaves_no_record(self, intake: ServiceClient) -> None:
        headers = {"Idempotency-Key": "op-7", **intake.auth(Role.partner)}
        assert (
            await intake.http.post("/v1/operations", json=operation_body(), headers=headers)
        ).status_code == 403
        assert await count(intake.db, RECORDS) == 0

    async def test_server_error_leaves_no_record(
        self, intake: ServiceClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from intake_api.operations import service as operation_service

        real_create = operation_service.create

        async def fail(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("transient")

        headers = {"Idempotency-Key": "op-8", **intake.auth(Role.admin)}
        monkeypatch.setattr(operation_service, "create", fail)
        assert (
            await intake.http.post("/v1/operations", json=operation_body(), headers=headers)
        ).status_code == 500
        assert await count(intake.db, RECORDS) == 0
        monkeypatch.setattr(operation_service, "create", real_create)
        retry = await intake.http.post("/v1/operations", json=operation_body(), headers=headers)
        assert retry.status_code == 201


class TestLocksOverHTTP:
    async def _insert_for(self, intake: ServiceClient, key: str, body: bytes, **values: Any) -> None:
        await insert_record(
            intake.db,
            scope=hash_key(intake.keys[Role.admin]),
            key=key,
            fingerprint=request_fingerprint("POST", "/v1/operations", body),
            **values,
        )

    async def test_in_flight_key_is_409_with_retry_after(self, intake: ServiceClient) -> None:
        body = json.dumps(operation_body()).encode()
        await self._insert_for(intake, "busy", body, locked_until=utcnow() + dt.timedelta(minutes=1))
        r = await intake.http.post(
            "/v1/operations",
            content=body,
            headers={
                "Idempotency-Key": "busy",
                "Content-Type": "application/json",
                **intake.auth(Role.admin),
            },
        )
        assert r.status_code == 409
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["type"].endswith(":idempotency-request-in-flight")
        assert int(r.headers["retry-after"]) >= 1
        assert [row["state"] for row in await records(intake.db)] == ["in_flight"]
        listed = await intake.http.get("/v1/operations", headers=intake.auth(Role.admin))
        assert listed.json()["items"] == []

    async def test_abandoned_in_flight_key_is_taken_over(self, intake: ServiceClient) -> None:
        body = json.dumps(operation_body()).encode()
        await self._insert_for(intake, "stale", body, locked_until=utcnow() - dt.timedelta(seconds=1))
        r = await intake.http.post(
            "/v1/operations",
            content=body,
            headers={
                "Idempotency-Key": "stale",
                "Content-Type": "application/json",
                **intake.auth(Role.admin),
            },
        )
        assert r.status_code == 201
        [row] = await records(intake.db)
        assert (row["state"], row["status_code"]) == ("completed", 201)

    async def test_expired_answer_is_taken_over(self, intake: ServiceClient) -> None:
        headers = {"Idempotency-Key": "op-expired", **intake.auth(Role.admin)}
        assert (
            await intake.http.post("/v1/operations", json=operation_body(0), headers=headers)
        ).status_code == 201
        async with intake.db.transaction() as session:
            await session.execute(RECORDS.update().values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        r = await intake.http.post("/v1/operations", json=operation_body(1), headers=headers)
        assert r.status_code == 201
        assert "idempotent-replayed" not in r.headers
        assert r.json()["code"] == "rusafa"


class TestInvalidKeyHeader:
    @pytest.mark.parametrize(
        "value",
        [b"", b"x" * 256, "ключ".encode(), b"two words"],
        ids=["empty", "256-chars", "non-ascii", "space"],
    )
    async def test_is_400_problem_naming_the_header(self, intake: ServiceClient, value: bytes) -> None:
        r = await intake.http.post(
            "/v1/operations",
            json=operation_body(),
            headers=[
                (b"Idempotency-Key", value),
                (b"Accept-Language", b"kk"),
                (b"Authorization", intake.auth(Role.admin)["Authorization"].encode()),
            ],
        )
        assert r.status_code == 400
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["content-language"] == "kk"
        assert r.json()["type"].endswith(":invalid-idempotency-key")
        assert [e["field"] for e in r.json()["errors"]] == ["Idempotency-Key"]
        listed = await intake.http.get("/v1/operations", headers=intake.auth(Role.admin))
        assert listed.json()["items"] == []


class TestConcurrentRetries:
    async def test_twenty_concurrent_posts_create_one_person(self, intake: ServiceClient) -> None:
        # Twenty requests really in flight at once (asyncio.gather over the ASGI app): on
        # PostgreSQL the claims wait on the first one's row; on SQLite they queue on one writer.
        # Either way the claim is part of the first request's transaction, so the others see
        # its answer once it commits and replay it.
        await seed_operations(intake)
        headers = {"Idempotency-Key": "burst-1", **intake.auth(Role.field_worker)}
        answers = await asyncio.gather(
            *(intake.http.post("/v1/persons", json=person_body(), headers=headers) for _ in range(20))
        )
        assert [r.status_code for r in answers] == [201] * 20
        assert all(r.json() == answers[0].json() for r in answers)
        assert sum("idempotent-replayed" not in r.headers for r in answers) == 1
        assert await count(intake.db, Person.__table__) == 1
