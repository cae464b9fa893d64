"""Batch registration: a phone syncing a backlog of up to 500 persons in one request.

Each item is validated and stored on its own (a savepoint each): a bad item does not stop the
good ones, and each is whole or absent. An item's `idempotency_key` behaves exactly as the
`Idempotency-Key` of a single `POST /v1/persons` with the same body (one key space), so a
phone may retry an item singly or in a batch.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.audit import AuditTrail
from apicore.auth import Principal
from apicore.db import utcnow
from apicore.i18n import current_locale
from apicore.idempotency import IdempotencyKeyReused, IdempotencyRequestInFlight, request_fingerprint
from apicore.problems import Problem, validation_problem
from apicore.tables import PlatformTables
from apicore.versioning import etag
from intake_api.persons import service, views
from intake_api.persons.schemas import BatchItem, BatchResult, PersonCreate, PersonRead

SINGLE_PATH = "/v1/persons"


def _problem_body(problem: Problem) -> dict[str, Any]:
    return problem.body(current_locale(), None)


async def register_batch(
    session: AsyncSession,
    tables: PlatformTables,
    items: list[BatchItem],
    principal: Principal,
    *,
    scope: str,
    ttl: dt.timedelta,
    audit: AuditTrail,
    operation_code: Any,
) -> list[BatchResult]:
    """Store each item in its own savepoint; returns one result per item, in order."""
    results = []
    t = tables.idempotency_record
    for index, item in enumerate(items):
        raw = item.person
        fingerprint = request_fingerprint("POST", SINGLE_PATH, json.dumps(raw, ensure_ascii=False).encode())
        try:
            if item.idempotency_key is not None:
                row = (
                    await session.execute(
                        select(t).where(t.c.scope == scope, t.c.key == item.idempotency_key)
                    )
                ).first()
                if row is not None and row.expires_at > utcnow():
                    if row.fingerprint != fingerprint:
                        raise IdempotencyKeyReused
                    if row.state != "completed":
                        raise IdempotencyRequestInFlight
                    stored = PersonRead.model_validate_json(row.response_body)
                    results.append(
                        BatchResult(index=index, status=row.status_code, id=stored.id, person=stored)
                    )
                    continue
            try:
                body = PersonCreate.model_validate(raw)
            except ValidationError as exc:
                raise validation_problem(exc.errors()) from None
            async with session.begin_nested():
                person, created = await service.register(session, tables, body, raw, audit=audit)
                read = views.read(person, await operation_code(person), principal)
                status = 201 if created else 200
                if item.idempotency_key is not None and created:
                    now = utcnow()
                    await session.execute(
                        t.delete().where(t.c.scope == scope, t.c.key == item.idempotency_key)
                    )
                    await session.execute(
                        t.insert().values(
                            scope=scope,
                            key=item.idempotency_key,
                            fingerprint=fingerprint,
                            method="POST",
                            path=SINGLE_PATH,
                            state="completed",
                            status_code=status,
                            response_headers={
                                "content-type": "application/json",
                                "location": f"{SINGLE_PATH}/{person.id}",
                                "etag": etag(person.version),
                                "content-language": current_locale(),
                            },
                            response_body=read.model_dump_json(exclude_unset=True).encode(),
                            created_at=now,
                            locked_until=now,
                            expires_at=now + ttl,
                        )
                    )
            results.append(BatchResult(index=index, status=status, id=person.id, person=read))
        except Problem as problem:
            results.append(BatchResult(index=index, status=problem.status, problem=_problem_body(problem)))
    return results
