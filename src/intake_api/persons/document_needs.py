"""Delivering document needs to the documents service through the outbox.

The need is written with the person, in one transaction; the dispatcher posts it to
`POST {docs}/v1/requests` with the `service` key and the event id as `Idempotency-Key`, until
the documents service has it (or says that an open request of that kind already exists).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.db import Database, utcnow
from apicore.outbox import OutboxEvent, OutboxTopic, RetryLater, Undeliverable, post_event, problem_type
from apicore.problems import PROBLEM_TYPE_PREFIX
from intake_api.persons.models import DocumentNeed
from intake_api.persons.service import NEED_CANCELLED_TOPIC, NEED_TOPIC
from intake_api.settings import IntakeSettings

OPEN_REQUEST_EXISTS = PROBLEM_TYPE_PREFIX + "open-request-exists"
ILLEGAL_TRANSITION = PROBLEM_TYPE_PREFIX + "illegal-transition"


def _already_open(response: httpx.Response) -> bool:
    return problem_type(response) == OPEN_REQUEST_EXISTS


def need_topic(settings: IntakeSettings) -> OutboxTopic:
    """The outbox topic that turns a document need into a request in the documents service."""
    url = str(settings.docs_service_url).rstrip("/") + "/v1/requests"

    async def deliver(client: httpx.AsyncClient, event: OutboxEvent) -> dict[str, Any] | None:
        payload = event.payload
        return await post_event(
            client,
            event,
            url,
            api_key=settings.docs_service_key,
            json_body={
                "person_id": payload["person_id"],
                "kind": payload["kind"],
                "need_id": payload["need_id"],
            },
            accept_conflict=_already_open,
        )

    async def on_delivered(session: AsyncSession, event: OutboxEvent, result: dict[str, Any] | None) -> None:
        request_id = None
        if result:
            raw = result.get("id") or result.get("open_request_id")
            request_id = uuid.UUID(raw) if isinstance(raw, str) else None
        await session.execute(
            update(DocumentNeed)
            .where(DocumentNeed.id == uuid.UUID(event.payload["need_id"]))
            .values(delivery="delivered", request_id=request_id, delivered_at=utcnow())
        )

    async def set_delivery(session: AsyncSession, event: OutboxEvent, old: str, new: str) -> None:
        await session.execute(
            update(DocumentNeed)
            .where(DocumentNeed.id == uuid.UUID(event.payload["need_id"]), DocumentNeed.delivery == old)
            .values(delivery=new)
        )

    async def on_dead(session: AsyncSession, event: OutboxEvent) -> None:
        # A case worker sees "failed", not "pending", for a need no one is delivering any more.
        await set_delivery(session, event, "pending", "failed")

    async def on_requeued(session: AsyncSession, event: OutboxEvent) -> None:
        await set_delivery(session, event, "failed", "pending")

    return OutboxTopic(NEED_TOPIC, deliver, on_delivered, on_dead=on_dead, on_requeued=on_requeued)


def cancel_topic(settings: IntakeSettings, db: Database) -> OutboxTopic:
    """The outbox topic that cancels the open request a cancelled need had opened.

    The request is found by the need's id (so a request a case worker opened by hand is left
    alone) and moved to `cancelled` with `If-Match: *`. While the need's own request has not
    reached the documents service yet, the cancellation waits for it.
    """
    base = str(settings.docs_service_url).rstrip("/") + "/v1/requests"

    async def deliver(client: httpx.AsyncClient, event: OutboxEvent) -> dict[str, Any] | None:
        payload = event.payload
        headers = {"Authorization": f"Bearer {settings.docs_service_key}"}
        if event.request_id:
            headers["X-Request-ID"] = event.request_id
        try:
            found = await client.get(
                base,
                params={"person_id": payload["person_id"], "kind": payload["kind"], "limit": 200},
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise RetryLater(type(exc).__name__) from exc
        if not found.is_success:
            raise RetryLater(f"HTTP {found.status_code}")
        ours = [r for r in found.json().get("items", []) if r.get("need_id") == payload["need_id"]]
        if not ours:
            async with db.transaction() as session:
                delivery = (
                    await session.execute(
                        select(DocumentNeed.delivery).where(DocumentNeed.id == uuid.UUID(payload["need_id"]))
                    )
                ).scalar_one_or_none()
            if delivery == "pending":
                raise RetryLater("the need's request has not reached the documents service yet")
            return None  # nothing of ours to cancel (a need whose delivery failed never got there)
        result: dict[str, Any] | None = None
        for request in ours:
            try:
                await post_event(
                    client,
                    event,
                    f"{base}/{request['id']}/transitions",
                    api_key=settings.docs_service_key,
                    json_body={
                        "to": "cancelled",
                        "reason": payload.get("reason") or "need cancelled in intake",
                    },
                    accept_conflict=lambda r: problem_type(r) == ILLEGAL_TRANSITION,  # already closed
                    extra_headers={"If-Match": "*"},
                )
            except Undeliverable:
                raise
            result = {"cancelled_request_id": request["id"]}
        return result

    return OutboxTopic(NEED_CANCELLED_TOPIC, deliver)
