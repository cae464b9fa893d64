"""API keys and roles through the real apps: real keys, nothing overridden."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import FIXTURES_DIR, ServiceClient

from apicore.auth import Forbidden, KeyCache, Principal, Role, Unauthorized, create_key, revoke_keys
from intake_api.models import platform


def operation_body(index: int = 0) -> dict[str, Any]:
    ops = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]
    return dict(ops[index])


class TestMissingKey:
    @pytest.mark.parametrize("lang", ["kk", "ru", "ar"])
    async def test_is_localised_401_with_bearer_challenge(self, intake: ServiceClient, lang: str) -> None:
        r = await intake.http.get("/v1/persons", headers={"Accept-Language": lang})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["content-language"] == lang
        assert r.json()["title"] == Unauthorized.title.render(lang)
        assert r.json()["title"] != Unauthorized.title.render("en")

    @pytest.mark.parametrize(
        "header",
        ["", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token rk_abc"],
        ids=["empty", "no-token", "blank-token", "basic", "other-scheme"],
    )
    async def test_malformed_authorization_is_401(self, intake: ServiceClient, header: str) -> None:
        r = await intake.http.get("/v1/persons", headers={"Authorization": header})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"

    async def test_two_authorization_headers_are_401_whichever_is_valid(self, intake: ServiceClient) -> None:
        # Authorization is a singleton field (RFC 9110, 11.6.2): a proxy checking one and the
        # service the other must not disagree about who is asking.
        valid = f"Bearer {intake.keys[Role.admin]}"
        for pair in ([valid, "Bearer rk_junk"], ["Bearer rk_junk", valid], [valid, valid]):
            r = await intake.http.post(
                "/v1/operations",
                json=operation_body(),
                headers=[("Authorization", value) for value in pair],
            )
            assert r.status_code == 401, pair
        listed = await intake.http.get("/v1/operations", headers=intake.auth(Role.admin))
        assert listed.json()["items"] == []

    async def test_write_without_key_changes_nothing(self, intake: ServiceClient) -> None:
        r = await intake.http.post("/v1/operations", json=operation_body())
        assert r.status_code == 401
        listed = await intake.http.get("/v1/operations", headers=intake.auth(Role.admin))
        assert listed.json()["items"] == []


class TestUnknownKey:
    async def test_is_401(self, intake: ServiceClient) -> None:
        r = await intake.http.get("/v1/persons", headers={"Authorization": "Bearer rk_not-a-key-we-issued"})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"

    async def test_hash_of_a_real_key_is_not_a_key(self, intake: ServiceClient) -> None:
        digest = hashlib.sha256(intake.keys[Role.admin].encode()).hexdigest()
        r = await intake.http.get("/v1/persons", headers={"Authorization": f"Bearer {digest}"})
        assert r.status_code == 401


class TestRevokedKey:
    async def test_is_401(self, intake: ServiceClient) -> None:
        assert (
            await intake.http.get("/v1/persons", headers=intake.auth(Role.case_worker))
        ).status_code == 200
        async with intake.db.transaction() as session:
            assert await revoke_keys(session, platform, name="test-case_worker") == 1
        r = await intake.http.get("/v1/persons", headers=intake.auth(Role.case_worker))
        assert r.status_code == 401

    async def test_other_keys_keep_working(self, intake: ServiceClient) -> None:
        async with intake.db.transaction() as session:
            await revoke_keys(session, platform, name="test-case_worker")
        r = await intake.http.get("/v1/persons", headers=intake.auth(Role.registrar))
        assert r.status_code == 200

    async def test_cannot_replay_a_stored_answer(self, intake: ServiceClient) -> None:
        headers = {"Idempotency-Key": "op-revoked-1", **intake.auth(Role.admin)}
        first = await intake.http.post("/v1/operations", json=operation_body(), headers=headers)
        assert first.status_code == 201
        async with intake.db.transaction() as session:
            await revoke_keys(session, platform, name="test-admin")
        again = await intake.http.post("/v1/operations", json=operation_body(), headers=headers)
        assert again.status_code == 401
        assert "zhusan" not in again.text

    async def test_revoking_twice_revokes_nothing_more(self, intake: ServiceClient) -> None:
        async with intake.db.transaction() as session:
            assert await revoke_keys(session, platform, name="test-partner") == 1
        async with intake.db.transaction() as session:
            assert await revoke_keys(session, platform, name="test-partner") == 0


class TestWrongRole:
    async def test_auditor_may_not_register_a_person_403_naming_roles(self, intake: ServiceClient) -> None:
        r = await intake.http.post(
            "/v1/persons",
            json={"any": "body"},
            headers={"Accept-Language": "ru", **intake.auth(Role.auditor)},
        )
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["content-language"] == "ru"
        problem = r.json()
        assert problem["title"] == Forbidden.title.render("ru")
        assert problem["title"] != Forbidden.title.render("en")
        for allowed in ("field_worker", "case_worker", "admin"):
            assert allowed in problem["detail"]
        assert "auditor" not in problem["detail"]
        roles = "field_worker, case_worker, admin"
        assert problem["detail"] == Forbidden.detail.render("ru", roles=roles)
        assert problem["detail"] != Forbidden.detail.render("en", roles=roles)

    async def test_partner_may_not_create_an_operation(self, intake: ServiceClient) -> None:
        r = await intake.http.post("/v1/operations", json=operation_body(), headers=intake.auth(Role.partner))
        assert r.status_code == 403
        assert "admin" in r.json()["detail"]
        listed = await intake.http.get("/v1/operations", headers=intake.auth(Role.partner))
        assert listed.status_code == 200
        assert listed.json()["items"] == []

    async def test_auditor_may_not_read_persons(self, intake: ServiceClient) -> None:
        r = await intake.http.get("/v1/persons", headers=intake.auth(Role.auditor))
        assert r.status_code == 403

    async def test_forbidden_answer_has_no_bearer_challenge(self, intake: ServiceClient) -> None:
        r = await intake.http.post("/v1/operations", json=operation_body(), headers=intake.auth(Role.partner))
        assert "www-authenticate" not in r.headers

    async def test_allowed_role_passes(self, intake: ServiceClient) -> None:
        r = await intake.http.post("/v1/operations", json=operation_body(), headers=intake.auth(Role.admin))
        assert r.status_code == 201


class TestKeyStorage:
    async def test_only_sha256_hashes_are_stored(self, intake: ServiceClient) -> None:
        async with intake.db.transaction() as session:
            rows = [dict(r._mapping) for r in (await session.execute(select(platform.api_key))).all()]
        assert len(rows) == len(Role)
        stored = json.dumps(rows, default=str)
        for role, key in intake.keys.items():
            assert key not in stored, role
            assert key.removeprefix("rk_") not in stored, role
        hashes = {r["key_hash"] for r in rows}
        assert hashes == {hashlib.sha256(k.encode()).hexdigest() for k in intake.keys.values()}

    async def test_idempotency_scope_holds_no_raw_key(self, intake: ServiceClient) -> None:
        headers = {"Idempotency-Key": "op-storage-1", **intake.auth(Role.admin)}
        assert (
            await intake.http.post("/v1/operations", json=operation_body(), headers=headers)
        ).status_code == 201
        async with intake.db.transaction() as session:
            rows = [
                dict(r._mapping) for r in (await session.execute(select(platform.idempotency_record))).all()
            ]
        assert len(rows) == 1
        assert intake.keys[Role.admin] not in json.dumps(rows, default=str)

    async def test_new_key_is_shown_once_and_works(self, intake: ServiceClient) -> None:
        async with intake.db.transaction() as session:
            key_id, token = await create_key(session, platform, role=Role.registrar, name="registry-office")
            stored = (
                await session.execute(
                    select(platform.api_key.c.key_hash).where(platform.api_key.c.id == key_id)
                )
            ).scalar_one()
        assert stored == hashlib.sha256(token.encode()).hexdigest()
        r = await intake.http.get("/v1/persons", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200


class FakeClock:
    """Monotonic seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestKeyCache:
    def principal(self, name: str = "clerk") -> Principal:
        return Principal(key_id=uuid.uuid4(), name=name, role=Role.case_worker)

    def test_a_key_is_trusted_for_ttl_seconds_then_looked_up_again(self) -> None:
        clock = FakeClock()
        cache = KeyCache(5, clock=clock)
        clerk = self.principal()
        cache.put("d1", clerk)
        clock.now += 4.9
        assert cache.get("d1") is clerk
        clock.now += 0.1
        assert cache.get("d1") is None

    def test_ttl_zero_keeps_nothing(self) -> None:
        cache = KeyCache(0)
        cache.put("d1", self.principal())
        assert cache.get("d1") is None

    def test_the_oldest_key_goes_when_full(self) -> None:
        cache = KeyCache(60, max_keys=2)
        first, second, third = self.principal("a"), self.principal("b"), self.principal("c")
        cache.put("a", first)
        cache.put("b", second)
        cache.put("c", third)
        assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, second, third)

    async def test_a_revoked_key_is_refused_once_its_ttl_is_over(self, intake: ServiceClient) -> None:
        clock = FakeClock()
        assert intake.app is not None
        intake.app.state.ctx.keys = KeyCache(5, clock=clock)
        headers = intake.auth(Role.case_worker)
        assert (await intake.http.get("/v1/persons", headers=headers)).status_code == 200
        async with intake.db.transaction() as session:
            assert await revoke_keys(session, platform, name="test-case_worker") == 1
        # Within the cache's time the process still trusts the key it checked (the documented
        # bound: revocation takes effect everywhere within `auth_cache_seconds`).
        clock.now += 4
        assert (await intake.http.get("/v1/persons", headers=headers)).status_code == 200
        clock.now += 1
        assert (await intake.http.get("/v1/persons", headers=headers)).status_code == 401

    async def test_unknown_keys_never_push_a_known_one_out(self, intake: ServiceClient) -> None:
        # Only keys found active are kept: a flood of made-up keys cannot fill the cache (and
        # so cannot evict the keys of real users or grow memory).
        clock = FakeClock()
        assert intake.app is not None
        intake.app.state.ctx.keys = KeyCache(5, max_keys=2, clock=clock)
        headers = intake.auth(Role.case_worker)
        assert (await intake.http.get("/v1/persons", headers=headers)).status_code == 200
        for index in range(10):
            made_up = {"Authorization": f"Bearer rk_made-up-{index}"}
            assert (await intake.http.get("/v1/persons", headers=made_up)).status_code == 401
        async with intake.db.transaction() as session:
            await revoke_keys(session, platform, name="test-case_worker")
        assert (await intake.http.get("/v1/persons", headers=headers)).status_code == 200
