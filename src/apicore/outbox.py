"""Transactional outbox: an event is written in the same transaction as the change it tells of,
then a dispatcher delivers it over HTTP until the receiver has it.

Delivery is at-least-once with the event id as `Idempotency-Key`, so the receiver applies it
once. Each attempt is leased (`leased_until`): on PostgreSQL several dispatchers may run and never
hold one event at the same time (`FOR UPDATE SKIP LOCKED`); on SQLite one dispatcher per database
file is enforced with an OS file lock (`DispatcherLock`), and the others stand by. Failures back
off exponentially with jitter; after `outbox_max_attempts` an event is kept as `dead`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import filelock
import httpx
import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession

from apicore import driver
from apicore.db import Database, utcnow
from apicore.logs import Throttle
from apicore.problems import DatabaseBusy, database_problem
from apicore.requestids import current_request_id, set_request_id
from apicore.settings import ServiceSettings
from apicore.tables import PlatformTables

log = structlog.get_logger("apicore.outbox")
_retries = Throttle(seconds=10.0)
"""`outbox.retry` lines: at most one in 10 s per process."""

_deferrals = Throttle(seconds=10.0)
"""`outbox.cycle_deferred` lines: at most one in 10 s per process (a pass a second while the
database is away was a line a second, a newcomer trial)."""


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
OnStateChange = Callable[[AsyncSession, OutboxEvent], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class OutboxTopic:
    """How to deliver one topic, and what to record locally when its events change state.

    Each hook runs in the transaction that records the change: `on_delivered` once the receiver
    has the event, `on_dead` when it is given up, `on_requeued` when an admin sends a dead one
    again (`POST /v1/outbox/{id}/retry`).
    """

    name: str
    deliver: Deliver
    on_delivered: OnDelivered | None = None
    on_dead: OnStateChange | None = None
    on_requeued: OnStateChange | None = None


def event_row(
    topic: str,
    payload: dict[str, Any],
    *,
    aggregate_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A pending event as an `outbox_event` row, for `enqueue_rows` (its `id` is the delivery's
    idempotency key)."""
    now = utcnow()
    return {
        "id": event_id or uuid.uuid4(),
        "topic": topic,
        "aggregate_id": aggregate_id,
        "payload": payload,
        "request_id": current_request_id(),
        "state": "pending",
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


async def enqueue_rows(session: AsyncSession, tables: PlatformTables, rows: list[dict[str, Any]]) -> None:
    """Write events made by `event_row` in the caller's transaction, in one statement."""
    if rows:
        await driver.insert_rows(session, tables.outbox_event, rows)
        written(session)


def written(session: AsyncSession) -> None:
    """Note that the session's transaction wrote outbox events (the dispatcher is woken once it
    commits); for a caller that writes `event_row`s itself (`driver.insert_tables`)."""
    session.info["outbox_written"] = True


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
    row = event_row(topic, payload, aggregate_id=aggregate_id, event_id=event_id)
    await enqueue_rows(session, tables, [row])
    return uuid.UUID(str(row["id"]))


def _reason(exc: Exception) -> str:
    """Why an attempt failed, for the log: the status or error class before any `:` (a refusal's
    body may quote personal data, so it stays in `last_error`, which only admins read)."""
    return str(exc).split(":", 1)[0][:100]


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Delay before attempt `attempts + 1`: exponential, capped, with "equal jitter" (AWS)."""
    ceiling = float(min(cap, base * (2 ** max(attempts - 1, 0))))
    return float(ceiling / 2 + random.uniform(0, ceiling / 2))  # noqa: S311 - jitter, not secrecy


class DispatcherLock:
    """The one-dispatcher rule of a SQLite database: an exclusive OS lock on a file beside it.

    SQLite has no `SKIP LOCKED`, and its database lives on one machine, so a file lock
    (`flock`, through the `filelock` library) is the honest tool: the kernel releases it when
    the holder dies, even by SIGKILL, so a restarted dispatcher takes over at once. PostgreSQL
    needs no such lock (`required` is False): several dispatchers share its outbox.
    """

    def __init__(self, database_url: str | URL) -> None:
        url = make_url(database_url)
        database = url.database if url.get_backend_name() == "sqlite" else None
        # Resolved, as SQLite resolves the database's own files: a dispatcher given a symlink
        # and one given its target deliver the same outbox (a newcomer trial ran both).
        usable = bool(database) and database != ":memory:"
        self.path = f"{os.path.realpath(str(database))}.dispatcher.lock" if usable else None
        self._lock = filelock.FileLock(self.path, timeout=0) if self.path else None

    @property
    def required(self) -> bool:
        """True when this database allows one dispatcher only (a SQLite file)."""
        return self._lock is not None

    @property
    def held(self) -> bool:
        """True while this instance holds the lock."""
        return self._lock is not None and self._lock.is_locked

    def try_acquire(self) -> bool:
        """Take the lock if no other dispatcher holds it; True when held (or not required)."""
        if self._lock is None:
            return True
        try:
            self._lock.acquire()
        except filelock.Timeout:
            return False
        return True

    def release(self) -> None:
        """Give the lock back (a no-op when not held)."""
        if self._lock is not None and self.held:
            self._lock.release()


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
        self.lock = DispatcherLock(db.engine.url)
        self._wake = asyncio.Event()
        self.idle = asyncio.Event()
        """Set while the dispatcher waits for due events (between passes)."""
        self._leased: set[uuid.UUID] = set()
        # httpx's timeout bounds each phase (connect, write, read), not the whole call: one
        # deadline for the whole attempt, so that the lease below surely outlasts it (with time
        # to record the outcome) and a dead dispatcher's events wait no longer than that.
        self.attempt_timeout = settings.http_timeout_seconds * 2
        self.lease = dt.timedelta(seconds=self.attempt_timeout + 10)

    def wake(self) -> None:
        """Look for due events now rather than at the next poll."""
        self._wake.set()

    async def run_forever(self) -> None:
        """Deliver due events until cancelled; errors are logged and the loop goes on.

        On SQLite it first waits (standing by) until it holds the database's dispatcher lock.
        When cancelled it gives back the leases it holds, so that the next dispatcher need not
        wait for them to expire.
        """
        try:
            await self._wait_for_lock()
            # The only dispatcher of this SQLite database: any lease left is a dead process's.
            leases_to_clear = self.lock.required
            while True:
                try:
                    if leases_to_clear:
                        await self._release_leases(None)
                        leases_to_clear = False
                    while await self.process_due() > 0:
                        pass
                except asyncio.CancelledError:
                    raise
                except DBAPIError as error:
                    outage = database_problem(error)
                    if outage is None:
                        log.exception("outbox.cycle_failed")
                    else:
                        # Busy, away or full: the events wait in the table for the next pass.
                        _deferrals(
                            log.warning,
                            "outbox.cycle_deferred",
                            reason=outage.slug,
                            error=type(error.orig).__name__,
                        )
                except PoolTimeout:  # requests held the process's connections meanwhile
                    _deferrals(
                        log.warning, "outbox.cycle_deferred", reason=DatabaseBusy.slug, error="PoolTimeout"
                    )
                except Exception:
                    log.exception("outbox.cycle_failed")
                self.idle.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.outbox_poll_seconds)
                self.idle.clear()
                self._wake.clear()
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._release_leases(self._leased))
            self.lock.release()

    async def _wait_for_lock(self) -> None:
        standing_by = False
        while not self.lock.try_acquire():
            if not standing_by:
                log.info("outbox.standby", reason="another dispatcher holds this SQLite database")
                standing_by = True
            await asyncio.sleep(max(self.settings.outbox_poll_seconds, 1.0))
        if standing_by:
            log.info("outbox.active")

    async def _release_leases(self, ids: set[uuid.UUID] | None) -> None:
        """Clear `leased_until` of `ids` (of every pending event when None)."""
        if ids is not None and not ids:
            return
        t = self.table
        statement = update(t).where(t.c.state == "pending", t.c.leased_until.is_not(None))
        if ids is not None:
            statement = statement.where(t.c.id.in_(list(ids)))
        async with self.db.transaction() as session:
            await session.execute(statement.values(leased_until=None))
        if ids is not None:
            ids.clear()

    async def _claim(self, limit: int) -> list[OutboxEvent]:
        t = self.table
        now = utcnow()
        async with self.db.transaction() as session:
            rows = (
                await session.execute(
                    select(t.c.id, t.c.topic, t.c.aggregate_id, t.c.payload, t.c.request_id, t.c.attempts)
                    .where(
                        t.c.state == "pending",
                        t.c.next_attempt_at <= now,
                        or_(t.c.leased_until.is_(None), t.c.leased_until <= now),
                    )
                    .order_by(t.c.next_attempt_at, t.c.created_at)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if rows:
                await session.execute(
                    update(t).where(t.c.id.in_([r.id for r in rows])).values(leased_until=now + self.lease)
                )
        self._leased.update(r.id for r in rows)
        return [
            OutboxEvent(r.id, r.topic, r.aggregate_id, dict(r.payload), r.request_id, r.attempts)
            for r in rows
        ]

    async def process_due(self, limit: int = 50) -> int:
        """Deliver up to `limit` due events; returns how many were attempted."""
        events = await self._claim(limit)
        for event in events:
            await self._attempt(event)
            self._leased.discard(event.id)
        return len(events)

    async def _attempt(self, event: OutboxEvent) -> None:
        t = self.table
        topic = self.topics.get(event.topic)
        set_request_id(event.request_id)
        attempts = event.attempts + 1
        try:
            if topic is None:
                raise Undeliverable(f"no delivery for topic {event.topic}")
            try:
                async with asyncio.timeout(self.attempt_timeout):
                    result = await topic.deliver(self.client, event)
            except TimeoutError as exc:
                raise RetryLater("attempt timed out") from exc
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
                        leased_until=None,
                    )
                )
                if dead and topic is not None and topic.on_dead is not None:
                    await topic.on_dead(session, event)
            if dead:
                log.error("outbox.dead", event_id=str(event.id), topic=event.topic, reason=_reason(exc))
            else:
                # One line in 10 s (`repeated` counts the rest): with the receiver down, every
                # waiting event's retry was a line, 19,157 in 75 s in a newcomer trial. Each
                # event's attempts and last error stay in its row (`GET /v1/outbox`).
                _retries(
                    log.warning,
                    "outbox.retry",
                    event_id=str(event.id),
                    topic=event.topic,
                    attempts=attempts,
                    reason=_reason(exc),
                )
        except Undeliverable as exc:
            async with self.db.transaction() as session:
                await session.execute(
                    update(t)
                    .where(t.c.id == event.id)
                    .values(attempts=attempts, last_error=str(exc)[:500], state="dead", leased_until=None)
                )
                if topic is not None and topic.on_dead is not None:
                    await topic.on_dead(session, event)
            log.error("outbox.dead", event_id=str(event.id), topic=event.topic, reason=_reason(exc))
        else:
            async with self.db.transaction() as session:
                await session.execute(
                    update(t)
                    .where(t.c.id == event.id)
                    .values(
                        attempts=attempts,
                        state="delivered",
                        delivered_at=utcnow(),
                        last_error=None,
                        leased_until=None,
                    )
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


def problem_type(response: httpx.Response) -> str | None:
    """The `type` of an RFC 9457 problem answer, or None when the body is not a problem."""
    body = _json_or_none(response)
    value = body.get("type") if body else None
    return value if isinstance(value, str) else None
