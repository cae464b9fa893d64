"""GET /v1/outbox and POST /v1/outbox/{id}/retry on the intake app (the router is shared)."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from tests.conftest import ServiceClient

from apicore.auth import Role
from apicore.outbox import enqueue
from intake_api.models import platform


async def events(intake: ServiceClient, *states: str) -> list[uuid.UUID]:
    """One event per state given, written straight to the outbox; returns their ids."""
    ids: list[uuid.UUID] = []
    async with intake.db.transaction() as session:
        for state in states:
            event_id = await enqueue(session, platform, "test.topic", {"n": len(ids)})
            await session.execute(
                update(platform.outbox_event)
                .where(platform.outbox_event.c.id == event_id)
                .values(state=state, attempts=7 if state == "dead" else 0, last_error="HTTP 503")
            )
            ids.append(event_id)
    return ids


class TestListOutboxEvents:
    async def test_dead_events_are_listed_without_payload(self, intake: ServiceClient) -> None:
        dead, _pending, _delivered = await events(intake, "dead", "pending", "delivered")
        r = await intake.http.get("/v1/outbox", params={"state": "dead"}, headers=intake.auth(Role.admin))
        assert r.status_code == 200, r.text
        [event] = r.json()["items"]
        assert event["id"] == str(dead)
        assert (event["state"], event["attempts"], event["last_error"]) == ("dead", 7, "HTTP 503")
        assert "payload" not in event

    async def test_pages_follow_the_cursor(self, intake: ServiceClient) -> None:
        ids = await events(intake, "pending", "pending", "pending")
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (
                await intake.http.get("/v1/outbox", params=params, headers=intake.auth(Role.admin))
            ).json()
            seen += [e["id"] for e in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(str(i) for i in ids)

    async def test_non_admins_get_403(self, intake: ServiceClient) -> None:
        for role in Role:
            if role is not Role.admin:
                r = await intake.http.get("/v1/outbox", headers=intake.auth(role))
                assert r.status_code == 403, role


class TestRetryOutboxEvent:
    async def test_a_dead_event_is_pending_again_with_fresh_attempts(self, intake: ServiceClient) -> None:
        [dead] = await events(intake, "dead")
        r = await intake.http.post(f"/v1/outbox/{dead}/retry", headers=intake.auth(Role.admin))
        assert r.status_code == 200, r.text
        assert (r.json()["state"], r.json()["attempts"]) == ("pending", 0)
        listed = await intake.http.get(
            "/v1/outbox", params={"state": "pending"}, headers=intake.auth(Role.admin)
        )
        assert [e["id"] for e in listed.json()["items"]] == [str(dead)]

    async def test_an_event_that_is_not_dead_is_409(self, intake: ServiceClient) -> None:
        [pending] = await events(intake, "pending")
        r = await intake.http.post(f"/v1/outbox/{pending}/retry", headers=intake.auth(Role.admin))
        assert r.status_code == 409
        assert r.json()["type"].endswith("outbox-event-not-dead")

    async def test_an_unknown_event_is_404(self, intake: ServiceClient) -> None:
        r = await intake.http.post(f"/v1/outbox/{uuid.uuid4()}/retry", headers=intake.auth(Role.admin))
        assert r.status_code == 404

    async def test_non_admins_get_403(self, intake: ServiceClient) -> None:
        [dead] = await events(intake, "dead")
        for role in Role:
            if role is not Role.admin:
                r = await intake.http.post(f"/v1/outbox/{dead}/retry", headers=intake.auth(role))
                assert r.status_code == 403, role
