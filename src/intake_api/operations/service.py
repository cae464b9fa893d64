"""Creating and finding operations."""

from __future__ import annotations

import json
import uuid
from importlib import resources
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apicore import driver
from apicore.audit import AuditTrail
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.pagination import decode_cursor, encode_cursor
from apicore.problems import Problem
from intake_api.operations.models import Operation
from intake_api.operations.schemas import OperationCreate, OperationRead


class OperationCodeTaken(Problem):
    status = 409
    slug = "operation-code-taken"
    title = _l("Operation code already used")
    detail = _l("An operation with code {code} already exists.")
    example_params = {"code": "zhusan-2"}


def read(operation: Operation) -> OperationRead:
    """The public form of an operation."""
    return OperationRead(
        id=operation.id,
        code=operation.code,
        names=operation.names,
        origin_country=operation.origin_country,
        start_date=operation.start_on,
        created_at=operation.created_at,
    )


async def create(session: AsyncSession, body: OperationCreate, *, audit: AuditTrail) -> Operation:
    """Store a new operation.

    Raises:
        OperationCodeTaken: the code exists already.
    """
    if await by_code(session, body.code) is not None:
        raise OperationCodeTaken(code=body.code)
    operation = Operation(
        id=uuid.uuid4(),
        code=body.code,
        names=body.names.model_dump(exclude_none=True),
        origin_country=body.origin_country,
        start_on=body.start_date,
        created_at=utcnow(),
    )
    session.add(operation)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise OperationCodeTaken(code=body.code) from exc
    await audit.record(session, "operation.created", subject_type="operation", subject_id=operation.id)
    return operation


_OPERATIONS = cast(Table, Operation.__table__)
_ID_OF = select(_OPERATIONS.c.id).where(_OPERATIONS.c.code == bindparam("code"))
"""Built once and in Core (no ORM entity to load): every registration asks it, and building a
statement cost more than running it (bench/README.md)."""


async def id_of(session: AsyncSession, code: str) -> uuid.UUID | None:
    """The id of the operation with this code, or None.

    Asked of the database every time (through the driver: `apicore.driver`). A per-process
    cache of ids saved this statement of every registration, but an operation deleted and
    created again out of band (by hand, around a restore) left a stale id that failed every
    registration with it until a restart (a newcomer's trial found it).
    """
    rows = await driver.fetch_all(session, _ID_OF, {"code": code})
    return rows[0][0] if rows else None


async def by_code(session: AsyncSession, code: str) -> Operation | None:
    """The operation with this code, or None."""
    return (await session.execute(select(Operation).where(Operation.code == code))).scalar_one_or_none()


async def page(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[Operation], str | None]:
    """Operations oldest first, `limit` at a time."""
    query = select(Operation).order_by(Operation.created_at, Operation.id).limit(limit + 1)
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(
            (Operation.created_at > after_at)
            | ((Operation.created_at == after_at) & (Operation.id > after_id))
        )
    rows = list((await session.execute(query)).scalars())
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def reference_operations() -> list[OperationCreate]:
    """The operations shipped as reference data (`reference_operations.json`)."""
    raw = resources.files("intake_api.operations").joinpath("reference_operations.json").read_text("utf-8")
    return [OperationCreate.model_validate(o) for o in json.loads(raw)["operations"]]


async def ensure_reference_operations(session: AsyncSession, *, audit: AuditTrail) -> list[str]:
    """Create the reference operations that are absent; returns the codes created."""
    created = []
    for body in reference_operations():
        if await by_code(session, body.code) is None:
            await create(session, body, audit=audit)
            created.append(body.code)
    return created
