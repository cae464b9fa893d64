"""Recording what the documents service reports, and reading a person's documents."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import structlog
from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.audit import AuditTrail
from apicore.auth import Principal, Role
from apicore.db import utcnow
from intake_api.documents.models import PersonDocument
from intake_api.documents.schemas import DocumentUpdate, PersonDocumentRead
from intake_api.persons import service as person_service
from intake_api.persons.models import DocumentNeed, Person

log = structlog.get_logger("intake_api.documents")

_NUMBERS = ("civil_act_record_number", "certificate_series", "certificate_number", "passport_number")
_DATES = ("registered_on", "issued_on", "expires_on", "handed_over_on")
DOCUMENT_FIELDS = (*_NUMBERS, *_DATES)
"""The numbers and dates of a `DocumentUpdate` that intake keeps for a person's document."""
# What a partner sees of a document: whether it is on its way, not its numbers or dates.
_PARTNER_FIELDS = frozenset({"kind", "needed", "status"})


def _is_newer(row: PersonDocument, body: DocumentUpdate) -> bool:
    if row.request_id == body.request_id:
        return body.version > row.request_version
    # Another request of the kind (a reissue after an issued one): the later change wins.
    return body.status_changed_at >= row.status_changed_at


async def apply_update(
    session: AsyncSession, body: DocumentUpdate, *, audit: AuditTrail, force: bool = False
) -> tuple[PersonDocument, Literal["applied", "ignored"]]:
    """Record a status change unless intake holds this version of the request or a later change.

    With `force` (reconciliation only) it is recorded whatever intake holds: the documents
    service is the record of documents, and after a restored backup its versions run behind.

    Raises:
        PersonNotFound: no such person (the event then stays dead in the documents service).
    """
    if await session.get(Person, body.person_id) is None:
        raise person_service.PersonNotFound(person_id=str(body.person_id))
    row = await session.get(PersonDocument, (body.person_id, body.kind), with_for_update=True)
    if row is not None and not force and not _is_newer(row, body):
        log.info(
            "document_update.ignored", event_id=str(body.event_id), document_request_id=str(body.request_id)
        )
        return row, "ignored"
    values: dict[str, Any] = {
        "status": body.status,
        "request_id": body.request_id,
        "request_version": body.version,
        "status_changed_at": body.status_changed_at,
        "last_event_id": body.event_id,
        "updated_at": utcnow(),
        **{f: getattr(body, f) for f in DOCUMENT_FIELDS},
    }
    if row is None:
        row = PersonDocument(person_id=body.person_id, kind=body.kind, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    if body.need_id is not None:
        # The need's own delivery may not have heard the answer yet (a lost reply): this event
        # proves the request exists.
        await session.execute(
            update(DocumentNeed)
            .where(
                DocumentNeed.id == body.need_id,
                DocumentNeed.person_id == body.person_id,
                DocumentNeed.request_id.is_(None),
            )
            .values(delivery="delivered", request_id=body.request_id, delivered_at=utcnow())
        )
    await session.flush()
    await audit.record(
        session,
        "person.document_updated",
        subject_type="person",
        subject_id=body.person_id,
        fields=["status", *[f for f in DOCUMENT_FIELDS if getattr(body, f) is not None]],
    )
    log.info("document_update.applied", event_id=str(body.event_id), document_request_id=str(body.request_id))
    return row, "applied"


async def person_documents(
    session: AsyncSession, person_id: uuid.UUID, principal: Principal
) -> list[PersonDocumentRead]:
    """Every kind the person needs (active need) or has a reported request of, in kind order.

    Raises:
        PersonNotFound: no such person.
    """
    if await session.get(Person, person_id) is None:
        raise person_service.PersonNotFound(person_id=str(person_id))
    rows = {
        row.kind: row
        for row in (
            await session.scalars(select(PersonDocument).where(PersonDocument.person_id == person_id))
        ).all()
    }
    needed = set(
        (
            await session.scalars(
                select(DocumentNeed.kind).where(
                    DocumentNeed.person_id == person_id, DocumentNeed.state == "active"
                )
            )
        ).all()
    )
    items = []
    for kind in sorted(needed | set(rows)):
        row = rows.get(kind)
        fields: dict[str, Any] = {
            "kind": kind,
            "needed": kind in needed,
            "status": row.status if row else None,
        }
        if row is not None and principal.role is not Role.partner:
            fields |= {
                "request_id": row.request_id,
                "status_changed_at": row.status_changed_at,
                **{f: getattr(row, f) for f in DOCUMENT_FIELDS},
            }
        items.append(PersonDocumentRead(**fields))
    return items


def person_ids_with_document_status(
    kind: str | None, status: str, *, within: Select[Any] | None = None
) -> Select[Any]:
    """Ids of the persons whose document of `kind` (any kind when None) is in `status`.

    For the person list's filter (`PersonFilters.person_ids`); `within` narrows it to another
    select of person ids (a household's members).
    """
    query = select(PersonDocument.person_id).where(PersonDocument.status == status)
    if kind is not None:
        query = query.where(PersonDocument.kind == kind)
    if within is not None:
        query = query.where(PersonDocument.person_id.in_(within))
    return query
