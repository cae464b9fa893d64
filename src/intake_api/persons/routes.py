"""`/v1/persons`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from apicore.audit import Audit
from apicore.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor
from apicore.problems import ValidationFailed, problem_responses
from apicore.schemas import Page
from apicore.transactions import Session, TransactionalRoute
from intake_api.operations.schemas import OperationCode
from intake_api.persons import service
from intake_api.persons.access import FieldStaff, PersonReader
from intake_api.persons.examples import PERSON_CREATE_EXAMPLES, PERSON_PAGE_EXAMPLES, PERSON_READ_EXAMPLES
from intake_api.persons.schemas import Category, PersonCreate, PersonRead

router = APIRouter(prefix="/v1/persons", tags=["persons"], route_class=TransactionalRoute)


def _etag(version: int) -> str:
    return f'"{version}"'


@router.post(
    "",
    status_code=201,
    response_model=PersonRead,
    responses={
        **problem_responses(ValidationFailed, service.PersonExists, service.IINTaken),
        201: {"content": {"application/json": {"examples": PERSON_READ_EXAMPLES}}},
    },
)
async def register_returnee(
    body: Annotated[PersonCreate, Body(openapi_examples=PERSON_CREATE_EXAMPLES)],
    principal: FieldStaff,
    session: Session,
    audit: Audit,
    request: Request,
    response: Response,
) -> PersonRead:
    """Register a returnee at the arrival point.

    A child gets a birth-certificate need and a woman a passport need, delivered to the
    documents service through the outbox. Safe to retry with the same `Idempotency-Key`: the
    first answer is replayed. Warnings (`mixed_script`, `iin_mismatch`) do not refuse.
    """
    person, operation = await service.register(session, request.app.state.ctx.tables, body, audit=audit)
    response.headers["Location"] = f"/v1/persons/{person.id}"
    response.headers["ETag"] = _etag(person.version)
    return service.read(person, operation.code)


@router.get(
    "/{person_id}",
    response_model=PersonRead,
    responses={
        **problem_responses(service.PersonNotFound),
        200: {"content": {"application/json": {"examples": PERSON_READ_EXAMPLES}}},
    },
)
async def get_returnee(
    person_id: uuid.UUID, principal: PersonReader, session: Session, audit: Audit, response: Response
) -> PersonRead:
    """A returnee with names, document needs and whether each reached the documents service."""
    person, operation_code = await service.get(session, person_id)
    await audit.record(session, "person.read", subject_type="person", subject_id=person.id)
    response.headers["ETag"] = _etag(person.version)
    return service.read(person, operation_code)


@router.get(
    "",
    response_model=Page[PersonRead],
    responses={
        **problem_responses(InvalidCursor),
        200: {"content": {"application/json": {"examples": PERSON_PAGE_EXAMPLES}}},
    },
)
async def list_returnees(
    principal: PersonReader,
    session: Session,
    audit: Audit,
    operation: Annotated[OperationCode | None, Query(description="Operation code.")] = None,
    category: Annotated[Category | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
) -> Page[PersonRead]:
    """Returnees, oldest registration first; every person listed is audited as read."""
    rows, next_cursor = await service.page(
        session, service.PersonFilters(operation=operation, category=category), limit=limit, cursor=cursor
    )
    await audit.record_many(
        session, "person.listed", subject_type="person", subject_ids=[p.id for p, _ in rows]
    )
    return Page[PersonRead](items=[service.read(p, code) for p, code in rows], next_cursor=next_cursor)
