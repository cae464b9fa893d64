"""Delivering document needs to the documents service through the outbox.

The need is written with the person, in one transaction; the dispatcher posts it to
`POST {docs}/v1/requests` with the `service` key and the event id as `Idempotency-Key`, until
the documents service has it (or says that an open request of that kind already exists).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.db import utcnow
from apicore.outbox import OutboxEvent, OutboxTopic, post_event
from apicore.problems import PROBLEM_TYPE_PREFIX
from intake_api.persons.models import DocumentNeed
from intake_api.persons.service import NEED_TOPIC
from intake_api.settings import IntakeSettings

OPEN_REQUEST_EXISTS = PROBLEM_TYPE_PREFIX + "open-request-exists"


def _already_open(response: httpx.Response) -> bool:
    try:
        return bool(response.json().get("type") == OPEN_REQUEST_EXISTS)
    except ValueError:
        return False


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

    return OutboxTopic(NEED_TOPIC, deliver, on_delivered)
