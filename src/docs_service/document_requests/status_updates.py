"""Telling the intake service of each status change of a request, through the outbox.

`transitions.apply` writes a `document_request.changed` event with the move, in one
transaction; the dispatcher posts it to intake's `POST /v1/document-updates` with the intake
`service` key (`DOCS_INTAKE_SERVICE_KEY`) and the event id as `Idempotency-Key`. Intake ignores
a replayed or older event, so delivery at least once is enough.
"""

from __future__ import annotations

from typing import Any

import httpx

from apicore.outbox import OutboxEvent, OutboxTopic, RetryLater, post_event
from docs_service.document_requests.transitions import CHANGED_TOPIC
from docs_service.settings import DocsSettings


def changed_topic(settings: DocsSettings) -> OutboxTopic:
    """The outbox topic delivering `document_request.changed` events to the intake service."""
    url = str(settings.intake_service_url).rstrip("/") + "/v1/document-updates"

    async def deliver(client: httpx.AsyncClient, event: OutboxEvent) -> dict[str, Any] | None:
        if not settings.intake_service_key:
            # Kept pending, not lost: the events go out once an operator sets the key.
            raise RetryLater("DOCS_INTAKE_SERVICE_KEY is not set")
        return await post_event(
            client,
            event,
            url,
            api_key=settings.intake_service_key,
            json_body={"event_id": str(event.id), **event.payload},
        )

    return OutboxTopic(CHANGED_TOPIC, deliver)
