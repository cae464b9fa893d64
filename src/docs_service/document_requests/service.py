"""Creating and reading document requests."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.audit import AuditTrail
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.pagination import decode_cursor, encode_cursor
from apicore.problems import Problem
from docs_service.document_requests.models import DocumentRequest
from docs_service.document_requests.schemas import DocumentRequestCreate, DocumentRequestRead
from docs_service.document_requests.workflow import CLOSED_STATUSES, INITIAL_STATUS


class OpenRequestExists(Problem):
    status = 409
    slug = "open-request-exists"
    title = _l("An open document request already exists")
    detail = _l("This person already has an open request for this document type: {open_request_id}.")
    example_params = {"open_request_id": "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6"}

    def __init__(self, open_request_id: uuid.UUID) -> None:
        super().__init__(
            open_request_id=str(open_request_id), extensions={"open_request_id": str(open_request_id)}
        )


class RequestNotFound(Problem):
    status = 404
    slug = "request-not-found"
    title = _l("Document request not found")
    detail = _l("No document request with id {request_id} exists.")
    example_params = {"request_id": "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6"}


def read(request: DocumentRequest) -> DocumentRequestRead:
    """The public form of a request."""
    return DocumentRequestRead.model_validate(request)


async def _open_request(session: AsyncSession, person_id: uuid.UUID, kind: str) -> DocumentRequest | None:
    return (
        await session.execute(
            select(DocumentRequest).where(
                DocumentRequest.person_id == person_id,
                DocumentRequest.kind == kind,
                DocumentRequest.status.not_in(CLOSED_STATUSES),
            )
        )
    ).scalar_one_or_none()


async def create(session: AsyncSession, body: DocumentRequestCreate, *, audit: AuditTrail) -> DocumentRequest:
    """Open a request in status `requested`.

    Raises:
        OpenRequestExists: the person has an open request of this kind (also when a concurrent
            request wins the race: the partial unique index decides).
    """
    existing = await _open_request(session, body.person_id, body.kind)
    if existing is not None:
        raise OpenRequestExists(existing.id)
    now = utcnow()
    request = DocumentRequest(
        id=uuid.uuid4(),
        person_id=body.person_id,
        kind=body.kind,
        status=INITIAL_STATUS,
        need_id=body.need_id,
        version=1,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(request)
    except IntegrityError:
        winner = await _open_request(session, body.person_id, body.kind)
        if winner is None:
            raise
        raise OpenRequestExists(winner.id) from None
    await audit.record(session, "document_request.created", subject_type="person", subject_id=body.person_id)
    return request


async def get(session: AsyncSession, request_id: uuid.UUID) -> DocumentRequest:
    """A request by id.

    Raises:
        RequestNotFound: no such request.
    """
    request = await session.get(DocumentRequest, request_id)
    if request is None:
        raise RequestNotFound(request_id=str(request_id))
    return request


async def page(
    session: AsyncSession,
    *,
    person_id: uuid.UUID | None,
    kind: str | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[DocumentRequest], str | None]:
    """Requests oldest first, filtered, `limit` at a time."""
    query = select(DocumentRequest).order_by(DocumentRequest.created_at, DocumentRequest.id).limit(limit + 1)
    if person_id is not None:
        query = query.where(DocumentRequest.person_id == person_id)
    if kind is not None:
        query = query.where(DocumentRequest.kind == kind)
    if status is not None:
        query = query.where(DocumentRequest.status == status)
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(
            (DocumentRequest.created_at > after_at)
            | ((DocumentRequest.created_at == after_at) & (DocumentRequest.id > after_id))
        )
    rows = list((await session.execute(query)).scalars())
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor
