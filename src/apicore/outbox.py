"""Transactional outbox: an event is written in the same transaction as the change it tells of,
then a dispatcher delivers it over HTTP until the receiver has it.

Delivery is at-least-once with the event id as `Idempotency-Key`, so the receiver applies it
once. Each attempt is leased (several dispatchers never hold one event at the same time:
`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers). Failures back off
exponentially with jitter; after `outbox_max_attempts` an event is kept as `dead`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.db import Database, utcnow
from apicore.requestids import current_request_id, set_request_id
from apicore.settings import ServiceSettings
from apicore.tables import PlatformTables

log = structlog.get_logger("apicore.outbox")


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    """An event as the dispatcher hands it to a topic's delivery function."""

    id: uuid.UUID
    topic: str
    aggregate_id: uuid.UUID | None
    payload: dict[str, Any]
    request_id: str | None
    attempts: int


class RetryLater(Exception):
    """The receiver could not take the event now (network, 5xx, 429): try again later."""


class Undeliverable(Exception):
    """The receiver refused the event for good (a 4xx that no retry will change)."""


Deliver = Callable[[httpx.AsyncClient, OutboxEvent], Awaitable[dict[str, Any] | None]]
OnDelivered = Callable[[AsyncSession, OutboxEvent, dict[str, Any] | None], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class OutboxTopic:
    """How to deliver one topic, and what to record locally once delivered."""

    name: str
    deliver: Deliver
    on_delivered: OnDelivered | None = None


async def enqueue(
    session: AsyncSession,
    tables: PlatformTables,
    topic: str,
    payload: dict[str, Any],
    *,
    aggregate_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Write an event in the caller's transaction; returns its id (the delivery's idempotency key)."""
    event_id = event_id or uuid.uuid4()
    now = utcnow()
    await session.execute(
        tables.outbox_event.insert().values(
            id=event_id,
            topic=topic,
            aggregate_id=aggregate_id,
            payload=payload,
            request_id=current_request_id(),
            state="pending",
            attempts=0,
            created_at=now,
            next_attempt_at=now,
        )
    )
    session.info["outbox_written"] = True
    return event_id


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Delay before attempt `attempts + 1`: exponential, capped, with "equal jitter" (AWS)."""
    ceiling = float(min(cap, base * (2 ** max(attempts - 1, 0))))
    return float(ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 - jitter, not secrecy


class Dispatcher:
    """Delivers due outbox events of one service database."""

    def __init__(
        self,
        db: Database,
        tables: PlatformTables,
        topics: dict[str, OutboxTopic],
        client: httpx.AsyncClient,
        settings: ServiceSettings,
    ) -> None:
        self.db = db
        self.table = tables.outbox_event
        self.topics = topics
        self.client = client
        self.settings = settings
        self._wake = asyncio.Event()
        # A leased event is not picked again until the attempt has surely ended.
        self.lease = dt.timedelta(seconds=settings.http_timeout_seconds * 3 + 30)

    def wake(self) -> None:
        """Look for due events now rather than at the next poll."""
        self._wake.set()

    async def run_forever(self) -> None:
        """Deliver due events until cancelled; errors are logged and the loop goes on."""
        while True:
            try:
                while await self.process_due() > 0:
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox.cycle_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.outbox_poll_seconds)
            self._wake.clear()

    async def _claim(self, limit: int) -> list[OutboxEvent]:
        t = self.table
        now = utcnow()
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(t.c.id, t.c.topic, t.c.aggregate_id, t.c.payload, t.c.request_id, t.c.attempts)
                    .where(t.c.state == "pending", t.c.next_attempt_at <= now)
                    .order_by(t.c.next_attempt_at, t.c.created_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if rows:
                await session.execute(
                    update(t).where(t.c.id.in_([r.id for r in rows])).values(next_attempt_at=now + self.lease)
                )
        return [
            OutboxEvent(r.id, r.topic, r.aggregate_id, dict(r.payload), r.request_id, r.attempts)
            for r in rows
        ]

    async def process_due(self, limit: int = 50) -> int:
        """Deliver up to `limit` due events; returns how many were attempted."""
        events = await self._claim(limit)
        for event in events:
            await self._attempt(event)
        return len(events)

    async def _attempt(self, event: OutboxEvent) -> None:
        t = self.table
        topic = self.topics.get(event.topic)
        set_request_id(event.request_id)
        attempts = event.attempts + 1
        try:
            if topic is None:
                raise Undeliverable(f"no delivery for topic {event.topic}")
            result = await topic.deliver(self.client, event)
        except RetryLater as exc:
            dead = attempts >= self.settings.outbox_max_attempts
            delay = backoff_seconds(
                attempts,
                base=self.settings.outbox_backoff_base_seconds,
                cap=self.settings.outbox_backoff_cap_seconds,
            )
            async with self.db.transaction() as session:
                await session.execute(
                    update(t)
                    .where(t.c.id == event.id)
                    .values(
                        attempts=attempts,
                        last_error=str(exc)[:500],
                        state="dead" if dead else "pending",
                        next_attempt_at=utcnow() + dt.timedelta(seconds=delay),
                    )
                )
            log.warning(
                "outbox.retry", event_id=str(event.id), topic=event.topic, attempts=attempts, dead=dead
            )
        except Undeliverable as exc:
            async with self.db.transaction() as session:
                await session.execute(
                    update(t)
                    .where(t.c.id == event.id)
                    .values(attempts=attempts, last_error=str(exc)[:500], state="dead")
                )
            log.error("outbox.dead", event_id=str(event.id), topic=event.topic)
        else:
            async with self.db.transaction() as session:
                await session.execute(
                    update(t)
                    .where(t.c.id == event.id)
                    .values(attempts=attempts, state="delivered", delivered_at=utcnow(), last_error=None)
                )
                if topic.on_delivered is not None:
                    await topic.on_delivered(session, event, result)
            log.info("outbox.delivered", event_id=str(event.id), topic=event.topic, attempts=attempts)
        finally:
            set_request_id(None)


async def post_event(
    client: httpx.AsyncClient,
    event: OutboxEvent,
    url: str,
    *,
    api_key: str,
    json_body: dict[str, Any],
    accept_conflict: Callable[[httpx.Response], bool] | None = None,
    extra_headers: dict[str, str] | None = None,
) -> dict[str, Any] | None:
    """POST an event to another service with the event id as `Idempotency-Key`.

    Returns the JSON answer of a 2xx (or of a 409 that `accept_conflict` says means "already
    there").

    Raises:
        RetryLater: network error, timeout, 5xx, 401/403 (a key to fix), 408, 409 in flight, 429.
        Undeliverable: any other 4xx.
    """
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Idempotency-Key": str(event.id),
        **(extra_headers or {}),
    }
    if event.request_id:
        headers["X-Request-ID"] = event.request_id
    try:
        response = await client.post(url, json=json_body, headers=headers)
    except httpx.HTTPError as exc:
        raise RetryLater(f"{type(exc).__name__}") from exc
    if response.is_success:
        return _json_or_none(response)
    if response.status_code == 409 and accept_conflict is not None and accept_conflict(response):
        return _json_or_none(response)
    # 401/403: a key not yet minted or revoked by mistake is fixed by an operator, not by dropping
    # the event.
    if response.status_code >= 500 or response.status_code in {401, 403, 408, 409, 425, 429}:
        raise RetryLater(f"HTTP {response.status_code}")
    raise Undeliverable(f"HTTP {response.status_code}: {response.text[:300]}")


def _json_or_none(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
