"""The audit trail: who read or changed which record, when, under which request.

Rows are written in the same transaction as the work they describe; they hold the names of
fields, never their values. The API only ever appends to this table.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from apicore import driver
from apicore.auth import Principal, Role, require
from apicore.db import utcnow
from apicore.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor, decode_cursor, encode_cursor
from apicore.problems import FieldError, ValidationFailed, problem_responses
from apicore.requestids import current_request_id
from apicore.schemas import DateTimeText, Page, PlainText
from apicore.tables import PlatformTables
from apicore.transactions import Session, TransactionalRoute


class AuditTrail:
    """Appends audit events for the principal of the current request."""

    def __init__(self, tables: PlatformTables, request: Request | None = None) -> None:
        self.table = tables.audit_event
        self.request = request

    @property
    def principal(self) -> Principal | None:
        """The caller, read when an event is written (the role dependency may resolve later)."""
        return getattr(self.request.state, "principal", None) if self.request else None

    def _actor(self) -> dict[str, object]:
        p = self.principal
        if p is None:
            return {"actor_key_id": None, "actor_name": "system", "actor_role": "system"}
        return {"actor_key_id": p.key_id, "actor_name": p.name, "actor_role": p.role.value}

    async def record(
        self,
        session: AsyncSession,
        action: str,
        *,
        subject_type: str,
        subject_id: uuid.UUID | None,
        fields: Sequence[str] | None = None,
    ) -> None:
        """Append one event (`action` such as `person.read`, `person.created`)."""
        await self.record_many(
            session, action, subject_type=subject_type, subject_ids=[subject_id], fields=fields
        )

    async def record_many(
        self,
        session: AsyncSession,
        action: str,
        *,
        subject_type: str,
        subject_ids: Iterable[uuid.UUID | None],
        fields: Sequence[str] | None = None,
    ) -> None:
        """Append one event per subject in one statement (a list read audits every row shown)."""
        await self.record_each(
            session, action, subject_type=subject_type, subjects=[(sid, fields) for sid in subject_ids]
        )

    async def record_each(
        self,
        session: AsyncSession,
        action: str,
        *,
        subject_type: str,
        subjects: Iterable[tuple[uuid.UUID | None, Sequence[str] | None]],
    ) -> None:
        """Append one event per `(subject id, fields)` in one statement (a batch registers
        persons posted with different fields)."""
        await driver.insert_rows(session, self.table, self.rows_each(action, subject_type, subjects))

    def rows_each(
        self,
        action: str,
        subject_type: str,
        subjects: Iterable[tuple[uuid.UUID | None, Sequence[str] | None]],
    ) -> list[dict[str, Any]]:
        """The `audit_event` rows `record_each` writes, for a caller that writes them together
        with its own rows (`driver.insert_tables`) into `self.table`."""
        now = utcnow()
        actor = self._actor()
        request_id = current_request_id()
        return [
            {
                "id": uuid.uuid4(),
                "at": now,
                **actor,
                "action": action,
                "subject_type": subject_type,
                "subject_id": sid,
                "request_id": request_id,
                "fields": list(fields) if fields is not None else None,
            }
            for sid, fields in subjects
        ]


async def _audit_trail(request: Request) -> AuditTrail:  # async: no thread hop (see transactions)
    return AuditTrail(request.app.state.ctx.tables, request)


Audit = Annotated[AuditTrail, Depends(_audit_trail)]
"""The audit trail of the current request."""


Auditor = Annotated[Principal, Depends(require(Role.auditor, Role.admin))]
"""Reads the audit trail: auditors (and admins)."""


class AuditEventRead(BaseModel):
    """One audit event: who did what to which record, when, under which request."""

    id: uuid.UUID
    at: dt.datetime
    actor_name: str
    actor_role: str
    action: str
    subject_type: str
    subject_id: uuid.UUID | None
    request_id: str | None
    fields: list[str] | None = Field(description="Names of the fields read or changed, never their values.")


_AUDIT_EXAMPLE = {
    "id": "6f1e2d3c-4b5a-4697-8877-665544332211",
    "at": "2019-05-09T08:00:03Z",
    "actor_name": "dev-case_worker",
    "actor_role": "case_worker",
    "action": "person.read",
    "subject_type": "person",
    "subject_id": "5a110000-0000-4000-8000-000000000002",
    "request_id": "3f2c9a7e5b1d4c8e9f0a1b2c3d4e5f60",
    "fields": None,
}
AUDIT_PAGE_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Баланың жазбасын кім оқыды",
        "value": {"items": [_AUDIT_EXAMPLE], "next_cursor": None},
    },
    "ru": {"summary": "Кто читал запись ребёнка", "value": {"items": [_AUDIT_EXAMPLE], "next_cursor": None}},
    "ar": {"summary": "من اطّلع على سجل الطفل", "value": {"items": [_AUDIT_EXAMPLE], "next_cursor": None}},
}


def audit_router() -> APIRouter:
    """`GET /v1/audit`: the audit trail for auditors (read-only: the API only appends to it)."""
    router = APIRouter(prefix="/v1/audit", tags=["audit"], route_class=TransactionalRoute)

    @router.get(
        "",
        response_model=Page[AuditEventRead],
        responses={
            **problem_responses(InvalidCursor),
            200: {"content": {"application/json": {"examples": AUDIT_PAGE_EXAMPLES}}},
        },
    )
    async def list_audit_events(
        request: Request,
        principal: Auditor,
        session: Session,
        person_id: Annotated[uuid.UUID | None, Query(description="Events about this person.")] = None,
        actor: Annotated[
            PlainText | None, Query(max_length=100, description="Name of the API key that acted.")
        ] = None,
        action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z_.]+$")] = None,
        since: Annotated[DateTimeText | None, Query(description="From this time (ISO 8601).")] = None,
        until: Annotated[DateTimeText | None, Query(description="Before this time (ISO 8601).")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> Page[AuditEventRead]:
        """Who read and who changed which record, oldest first; filter by person, actor, action, time."""
        t = request.app.state.ctx.tables.audit_event
        query = select(t).order_by(t.c.at, t.c.id).limit(limit + 1)
        if person_id is not None:
            query = query.where(t.c.subject_id == person_id)
        if actor is not None:
            query = query.where(t.c.actor_name == actor)
        if action is not None:
            query = query.where(t.c.action == action)
        if since is not None:
            query = query.where(t.c.at >= _aware(since, "since"))
        if until is not None:
            query = query.where(t.c.at < _aware(until, "until"))
        if cursor is not None:
            after_at, after_id = decode_cursor(cursor)
            query = query.where((t.c.at > after_at) | ((t.c.at == after_at) & (t.c.id > after_id)))
        rows = (await session.execute(query)).all()
        next_cursor = encode_cursor(rows[limit - 1].at, rows[limit - 1].id) if len(rows) > limit else None
        items = [AuditEventRead.model_validate(row._mapping) for row in rows[:limit]]
        return Page[AuditEventRead](items=items, next_cursor=next_cursor)

    return router


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    """The time in UTC; one without a zone is read as UTC (the trail is kept in UTC).

    Raises:
        ValidationFailed: a time that has no UTC equivalent (year 1 at +14:00, 9999 at -14:00).
    """
    try:
        return value.astimezone(dt.UTC) if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    except OverflowError:
        raise ValidationFailed(errors=[FieldError(field, "date_out_of_range")]) from None
