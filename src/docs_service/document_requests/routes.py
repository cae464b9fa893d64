"""`/v1/requests`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from apicore.audit import Audit
from apicore.auth import Principal, Role, require
from apicore.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor
from apicore.problems import problem_responses
from apicore.schemas import Page
from apicore.transactions import Session, TransactionalRoute
from docs_service.document_requests import service
from docs_service.document_requests.examples import (
    REQUEST_CREATE_EXAMPLES,
    REQUEST_PAGE_EXAMPLES,
    REQUEST_READ_EXAMPLES,
)
from docs_service.document_requests.schemas import DocumentRequestCreate, DocumentRequestRead
from docs_service.document_requests.workflow import DocumentKind

router = APIRouter(prefix="/v1/requests", tags=["requests"], route_class=TransactionalRoute)

Requester = Annotated[Principal, Depends(require(Role.service, Role.case_worker, Role.admin))]
RequestReader = Annotated[
    Principal, Depends(require(Role.case_worker, Role.registrar, Role.service, Role.partner, Role.admin))
]


@router.post(
    "",
    status_code=201,
    response_model=DocumentRequestRead,
    responses={
        **problem_responses(service.OpenRequestExists),
        201: {"content": {"application/json": {"examples": REQUEST_READ_EXAMPLES}}},
    },
)
async def open_request(
    body: Annotated[DocumentRequestCreate, Body(openapi_examples=REQUEST_CREATE_EXAMPLES)],
    principal: Requester,
    session: Session,
    audit: Audit,
    response: Response,
) -> DocumentRequestRead:
    """Open a request for a document; one open request per person and kind.

    The intake service calls this with its `service` key and the event id as
    `Idempotency-Key`, so a redelivery replays the first answer.
    """
    request = await service.create(session, body, audit=audit)
    response.headers["Location"] = f"/v1/requests/{request.id}"
    response.headers["ETag"] = f'"{request.version}"'
    return service.read(request)


@router.get(
    "/{request_id}",
    response_model=DocumentRequestRead,
    responses={
        **problem_responses(service.RequestNotFound),
        200: {"content": {"application/json": {"examples": REQUEST_READ_EXAMPLES}}},
    },
)
async def get_request(
    request_id: uuid.UUID, principal: RequestReader, session: Session, audit: Audit, response: Response
) -> DocumentRequestRead:
    """A document request."""
    request = await service.get(session, request_id)
    await audit.record(session, "document_request.read", subject_type="person", subject_id=request.person_id)
    response.headers["ETag"] = f'"{request.version}"'
    return service.read(request)


@router.get(
    "",
    response_model=Page[DocumentRequestRead],
    responses={
        **problem_responses(InvalidCursor),
        200: {"content": {"application/json": {"examples": REQUEST_PAGE_EXAMPLES}}},
    },
)
async def list_requests(
    principal: RequestReader,
    session: Session,
    audit: Audit,
    person_id: Annotated[uuid.UUID | None, Query()] = None,
    kind: Annotated[DocumentKind | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[DocumentRequestRead]:
    """Document requests, oldest first, filtered by person, kind and status."""
    rows, next_cursor = await service.page(
        session, person_id=person_id, kind=kind, status=status, limit=limit, cursor=cursor
    )
    await audit.record_many(
        session, "document_request.listed", subject_type="person", subject_ids=[r.person_id for r in rows]
    )
    return Page[DocumentRequestRead](items=[service.read(r) for r in rows], next_cursor=next_cursor)
