"""Admin view of a service's outbox: which events are pending, delivered or dead, and retrying
a dead one.

Listings never show the payload: events of document moves carry document numbers and IINs,
and an admin needs only the event's id, topic, state and last error to act.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select, update

from apicore.auth import Principal, Role, require
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.outbox import OutboxEvent
from apicore.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor, decode_cursor, encode_cursor
from apicore.problems import Problem, problem_responses
from apicore.schemas import Page
from apicore.transactions import Session, TransactionalRoute

OutboxState = Literal["pending", "delivered", "dead"]

OutboxAdmin = Annotated[Principal, Depends(require(Role.admin))]
"""Only admins see and retry the outbox (auditors read the audit trail, not deliveries)."""


class OutboxEventNotFound(Problem):
    status = 404
    slug = "outbox-event-not-found"
    title = _l("Outbox event not found")
    detail = _l("No outbox event with id {event_id} exists.")
    example_params = {"event_id": "0e7d5c4b-3a29-4817-9605-f4e3d2c1b0a9"}


class OutboxEventNotDead(Problem):
    status = 409
    slug = "outbox-event-not-dead"
    title = _l("Only a dead event can be retried")
    detail = _l("This event is {state}: the dispatcher is still in charge of it.")
    example_params = {"state": "pending"}


class OutboxEventRead(BaseModel):
    """One outbox event, without its payload."""

    id: uuid.UUID = Field(description="Also the `Idempotency-Key` of each delivery attempt.")
    topic: str
    state: OutboxState
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime = Field(description="When the dispatcher tries it next (pending).")
    leased_until: dt.datetime | None = Field(
        description="Set while a dispatcher is attempting it: no other dispatcher takes it before then."
    )
    delivered_at: dt.datetime | None
    last_error: str | None = Field(description="Why the last attempt failed: a status or error class.")


_DEAD_EXAMPLE = {
    "id": "0e7d5c4b-3a29-4817-9605-f4e3d2c1b0a9",
    "topic": "document_request.changed",
    "state": "dead",
    "attempts": 1000,
    "created_at": "2019-05-09T08:00:03Z",
    "next_attempt_at": "2019-05-12T20:14:41Z",
    "leased_until": None,
    "delivered_at": None,
    "last_error": "HTTP 503",
}
_RETRIED_EXAMPLE = {
    **_DEAD_EXAMPLE,
    "state": "pending",
    "attempts": 0,
    "next_attempt_at": "2019-05-13T06:00:00Z",
}
OUTBOX_PAGE_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Жеткізілмеген оқиғалар",
        "value": {"items": [_DEAD_EXAMPLE], "next_cursor": None},
    },
    "ru": {"summary": "Недоставленные события", "value": {"items": [_DEAD_EXAMPLE], "next_cursor": None}},
    "ar": {"summary": "أحداث لم تُسلَّم", "value": {"items": [_DEAD_EXAMPLE], "next_cursor": None}},
}
OUTBOX_RETRY_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Оқиға қайта жіберу кезегінде", "value": _RETRIED_EXAMPLE},
    "ru": {"summary": "Событие снова в очереди", "value": _RETRIED_EXAMPLE},
    "ar": {"summary": "الحدث في قائمة الانتظار من جديد", "value": _RETRIED_EXAMPLE},
}
_COLUMNS = (
    "id",
    "topic",
    "state",
    "attempts",
    "created_at",
    "next_attempt_at",
    "leased_until",
    "delivered_at",
    "last_error",
)


def outbox_router() -> APIRouter:
    """`GET /v1/outbox` and `POST /v1/outbox/{event_id}/retry`: the outbox for admins."""
    router = APIRouter(prefix="/v1/outbox", tags=["outbox"], route_class=TransactionalRoute)

    @router.get(
        "",
        response_model=Page[OutboxEventRead],
        responses={
            **problem_responses(InvalidCursor),
            200: {"content": {"application/json": {"examples": OUTBOX_PAGE_EXAMPLES}}},
        },
    )
    async def list_outbox_events(
        request: Request,
        principal: OutboxAdmin,
        session: Session,
        state: Annotated[
            OutboxState | None, Query(description="Only events in this state (`dead`: given up).")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[
            str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
        ] = None,
    ) -> Page[OutboxEventRead]:
        """Events of this service's outbox, oldest first, without their payloads."""
        t = request.app.state.ctx.tables.outbox_event
        query = select(*(t.c[name] for name in _COLUMNS)).order_by(t.c.created_at, t.c.id).limit(limit + 1)
        if state is not None:
            query = query.where(t.c.state == state)
        if cursor is not None:
            after_at, after_id = decode_cursor(cursor)
            query = query.where(
                (t.c.created_at > after_at) | ((t.c.created_at == after_at) & (t.c.id > after_id))
            )
        rows = (await session.execute(query)).all()
        last = rows[limit - 1] if len(rows) > limit else None
        next_cursor = encode_cursor(last.created_at, last.id) if last is not None else None
        items = [OutboxEventRead.model_validate(row._mapping) for row in rows[:limit]]
        return Page[OutboxEventRead](items=items, next_cursor=next_cursor)

    @router.post(
        "/{event_id}/retry",
        response_model=OutboxEventRead,
        responses={
            **problem_responses(OutboxEventNotFound, OutboxEventNotDead),
            200: {"content": {"application/json": {"examples": OUTBOX_RETRY_EXAMPLES}}},
        },
    )
    async def retry_outbox_event(
        event_id: uuid.UUID, request: Request, principal: OutboxAdmin, session: Session
    ) -> OutboxEventRead:
        """Put a dead event back in the queue now, with a fresh count of attempts; its last error stays."""
        t = request.app.state.ctx.tables.outbox_event
        columns = [t.c[name] for name in _COLUMNS]
        row = (await session.execute(select(*columns).where(t.c.id == event_id))).one_or_none()
        if row is None:
            raise OutboxEventNotFound(event_id=str(event_id))
        # The state in the WHERE clause: a concurrent retry cannot requeue it twice.
        updated = (
            await session.execute(
                update(t)
                .where(t.c.id == event_id, t.c.state == "dead")
                .values(state="pending", attempts=0, next_attempt_at=utcnow())
                .returning(*columns)
            )
        ).one_or_none()
        if updated is None:
            raise OutboxEventNotDead(state=row.state)
        dispatcher = request.app.state.ctx.dispatcher
        topic = dispatcher.topics.get(updated.topic) if dispatcher is not None else None
        if topic is not None and topic.on_requeued is not None:
            event = (
                await session.execute(
                    select(t.c.aggregate_id, t.c.payload, t.c.request_id).where(t.c.id == event_id)
                )
            ).one()
            await topic.on_requeued(
                session,
                OutboxEvent(
                    event_id, updated.topic, event.aggregate_id, dict(event.payload), event.request_id, 0
                ),
            )
        session.info["outbox_written"] = True  # wakes the dispatcher once committed
        return OutboxEventRead.model_validate(updated._mapping)

    return router
