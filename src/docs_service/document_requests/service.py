"""Reading, listing and changing document requests, and their history entries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from apicore.audit import AuditTrail
from apicore.auth import Principal
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.pagination import decode_cursor, encode_cursor
from apicore.problems import FieldError, Problem, ValidationFailed
from apicore.requestids import current_request_id
from apicore.versioning import check_if_match
from docs_service.document_requests import deadlines, workflow
from docs_service.document_requests.deadlines import TargetDays
from docs_service.document_requests.models import DocumentRequest, DocumentRequestEvent
from docs_service.document_requests.names import suggest_latin_name
from docs_service.document_requests.numbers import normalise_number
from docs_service.document_requests.schemas import DocumentRequestUpdate


class RequestNotFound(Problem):
    status = 404
    slug = "request-not-found"
    title = _l("Document request not found")
    detail = _l("No document request with id {request_id} exists.")
    example_params = {"request_id": "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6"}


class DocumentDataLocked(Problem):
    status = 409
    slug = "document-data-locked"
    title = _l("The document data can no longer change")
    detail = _l("The request is {status}: its document is made or the request is closed.")
    example_params = {"status": "produced"}


@dataclass(frozen=True, slots=True)
class RequestFilters:
    """Filters of the request list; None means any."""

    person_id: uuid.UUID | None = None
    kind: str | None = None
    status: str | None = None
    office: str | None = None
    overdue: bool | None = None


def new_event(
    request: DocumentRequest,
    principal: Principal | None,
    *,
    action: str,
    from_status: str | None,
    at: dt.datetime,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> DocumentRequestEvent:
    """A history entry for the request's current version."""
    return DocumentRequestEvent(
        id=uuid.uuid4(),
        document_request_id=request.id,
        version=request.version,
        action=action,
        from_status=from_status,
        to_status=request.status,
        at=at,
        actor_key_id=principal.key_id if principal else None,
        actor_name=principal.name if principal else "system",
        actor_role=principal.role.value if principal else "system",
        reason=reason,
        data=data,
        request_id=current_request_id(),
    )


async def get(session: AsyncSession, request_id: uuid.UUID) -> DocumentRequest:
    """A request by id.

    Raises:
        RequestNotFound: no such request.
    """
    request = await session.get(DocumentRequest, request_id)
    if request is None:
        raise RequestNotFound(request_id=str(request_id))
    return request


def overdue_clause(targets: TargetDays, now: dt.datetime) -> ColumnElement[bool]:
    """SQL: the request has been in its open status longer than that status's target."""
    clauses = []
    for kind, days in targets.items():
        for status in days:
            since = deadlines.overdue_since(targets, kind, status, now)
            if since is not None:
                clauses.append(
                    and_(
                        DocumentRequest.kind == kind,
                        DocumentRequest.status == status,
                        DocumentRequest.status_changed_at < since,
                    )
                )
    return or_(*clauses) if clauses else false()


async def page(
    session: AsyncSession,
    filters: RequestFilters,
    *,
    targets: TargetDays,
    now: dt.datetime,
    limit: int,
    cursor: str | None,
) -> tuple[list[DocumentRequest], str | None]:
    """Requests oldest first, filtered, `limit` at a time."""
    query = select(DocumentRequest).order_by(DocumentRequest.created_at, DocumentRequest.id).limit(limit + 1)
    if filters.person_id is not None:
        query = query.where(DocumentRequest.person_id == filters.person_id)
    if filters.kind is not None:
        query = query.where(DocumentRequest.kind == filters.kind)
    if filters.status is not None:
        query = query.where(DocumentRequest.status == filters.status)
    if filters.office is not None:
        query = query.where(DocumentRequest.office == filters.office)
    if filters.overdue is not None:
        clause = overdue_clause(targets, now)
        query = query.where(clause if filters.overdue else ~clause)
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(
            (DocumentRequest.created_at > after_at)
            | ((DocumentRequest.created_at == after_at) & (DocumentRequest.id > after_id))
        )
    rows = list((await session.execute(query)).scalars())
    next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def _editable(request: DocumentRequest) -> bool:
    kind: Any = request.kind
    steps = workflow.path(kind, reissue=request.is_reissue)
    made = workflow.DOCUMENT_STATUS[kind]
    return workflow.is_open(request.status) and steps.index(request.status) < steps.index(made)


async def update(
    session: AsyncSession,
    http_request: Request,
    request: DocumentRequest,
    patch: DocumentRequestUpdate,
    principal: Principal,
    *,
    audit: AuditTrail,
) -> DocumentRequest:
    """Apply a merge patch to the document data, with the `If-Match` of the version read.

    Changing the Cyrillic name drops intake's Latin suggestion (it was derived from the old name).

    Raises:
        PreconditionRequired, PreconditionFailed: no or a stale `If-Match` (428, 412).
        DocumentDataLocked: the document is made or the request is closed.
        ValidationFailed: a passport-only field on a birth certificate request.
    """
    check_if_match(http_request, request.version)
    if not _editable(request):
        raise DocumentDataLocked(status=workflow.STATUS_LABELS.get(request.status, request.status))
    sent = patch.model_fields_set
    errors = [
        FieldError(field, "passport_only")
        for field in ("latin_name", "former_passport_number")
        if field in sent and request.kind != "passport"
    ]
    if errors:
        raise ValidationFailed(errors=errors)
    changed: dict[str, Any] = {}
    if "names" in sent:
        n = patch.names
        new = (n.family, n.given, n.patronymic) if n else (None, None, None)
        if new != (request.family_name, request.given_name, request.patronymic):
            request.family_name, request.given_name, request.patronymic = new
            suggested = suggest_latin_name(n.family, n.given) if n else (None, None)
            request.latin_surname_suggested, request.latin_given_names_suggested = suggested
            changed["names"] = n.model_dump() if n else None
    if "latin_name" in sent:
        latin = patch.latin_name
        request.latin_surname = latin.surname if latin else None
        request.latin_given_names = latin.given_names if latin else None
        changed["latin_name"] = latin.model_dump() if latin else None
    if "assignment" in sent:
        a = patch.assignment
        fields = a.model_fields_set if a else {"office", "officer"}
        if "office" in fields:
            request.office = a.office if a else None
        if "officer" in fields:
            request.officer = a.officer if a else None
        changed["assignment"] = {"office": request.office, "officer": request.officer}
    if "former_passport_number" in sent:
        number = patch.former_passport_number
        request.former_passport_number = normalise_number(number) if number else None
        changed["former_passport_number"] = request.former_passport_number
    if not changed:
        # Nothing changed, so no new version; what the answer shows is still a read.
        await audit.record(
            session, "document_request.read", subject_type="person", subject_id=request.person_id
        )
        return request
    now = utcnow()
    request.updated_at = now
    await session.flush()
    session.add(
        new_event(request, principal, action="updated", from_status=request.status, at=now, data=changed)
    )
    await session.flush()
    await audit.record(
        session,
        "document_request.updated",
        subject_type="person",
        subject_id=request.person_id,
        fields=sorted(changed),
    )
    return request


async def events(session: AsyncSession, request_id: uuid.UUID) -> Sequence[DocumentRequestEvent]:
    """The request's history, oldest first."""
    rows = await session.execute(
        select(DocumentRequestEvent)
        .where(DocumentRequestEvent.document_request_id == request_id)
        .order_by(DocumentRequestEvent.version)
    )
    return list(rows.scalars())


__all__ = [
    "DocumentDataLocked",
    "RequestFilters",
    "RequestNotFound",
    "events",
    "get",
    "new_event",
    "page",
    "update",
]
