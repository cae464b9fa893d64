"""Document statuses: received from the documents service, read per person."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body

from apicore.audit import Audit
from apicore.idempotency import IdempotencyKeyReused
from apicore.problems import ValidationFailed, problem_responses
from apicore.transactions import Session, TransactionalRoute
from intake_api.documents import service
from intake_api.documents.access import DocumentReader, DocumentsService
from intake_api.documents.examples import (
    DOCUMENT_UPDATE_ANSWER_EXAMPLES,
    DOCUMENT_UPDATE_EXAMPLES,
    PERSON_DOCUMENTS_EXAMPLES,
)
from intake_api.documents.schemas import DocumentUpdate, DocumentUpdateAnswer, PersonDocuments
from intake_api.persons import service as person_service

_JSON = "application/json"

updates_router = APIRouter(prefix="/v1/document-updates", tags=["documents"], route_class=TransactionalRoute)
router = APIRouter(prefix="/v1/persons", tags=["documents"], route_class=TransactionalRoute)


@updates_router.post(
    "",
    response_model=DocumentUpdateAnswer,
    responses={
        **problem_responses(ValidationFailed, person_service.PersonNotFound, IdempotencyKeyReused),
        200: {"content": {_JSON: {"examples": DOCUMENT_UPDATE_ANSWER_EXAMPLES}}},
    },
)
async def receive_document_update(
    body: Annotated[DocumentUpdate, Body(openapi_examples=DOCUMENT_UPDATE_EXAMPLES)],
    principal: DocumentsService,
    session: Session,
    audit: Audit,
) -> DocumentUpdateAnswer:
    """A status change of a document request, sent by the documents service's outbox.

    Applied once: a replay with the same `Idempotency-Key` gets the first answer, and an event of
    a request version intake already holds (or older) is answered `ignored`.
    """
    row, outcome = await service.apply_update(session, body, audit=audit)
    return DocumentUpdateAnswer(
        outcome=outcome,
        person_id=row.person_id,
        kind=row.kind,
        status=row.status,
        request_version=row.request_version,
    )


@router.get(
    "/{person_id}/documents",
    response_model=PersonDocuments,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(person_service.PersonNotFound),
        200: {"content": {_JSON: {"examples": PERSON_DOCUMENTS_EXAMPLES}}},
    },
)
async def list_person_documents(
    person_id: uuid.UUID, principal: DocumentReader, session: Session, audit: Audit
) -> PersonDocuments:
    """Each document kind the returnee needs or has, with its status in the documents service.

    Partners see the kind and status only; numbers and dates are for case workers, registrars
    and admins.
    """
    items = await service.person_documents(session, person_id, principal)
    await audit.record(session, "person.documents_read", subject_type="person", subject_id=person_id)
    return PersonDocuments(person_id=person_id, items=items)
