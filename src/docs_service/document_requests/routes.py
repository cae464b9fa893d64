"""`/v1/requests`: open, read, list, change, move, and the history of document requests."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from apicore.audit import Audit
from apicore.db import utcnow
from apicore.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor
from apicore.problems import ValidationFailed, problem_responses
from apicore.schemas import Page, ShortText
from apicore.transactions import Session, TransactionalRoute
from apicore.versioning import PreconditionFailed, PreconditionRequired, StaleRecord, etag
from docs_service.access import Mover, Registrar, Requester, RequestReader
from docs_service.document_requests import opening, service, transitions, views
from docs_service.document_requests.examples import (
    HISTORY_EXAMPLES,
    REQUEST_CREATE_EXAMPLES,
    REQUEST_PAGE_EXAMPLES,
    REQUEST_READ_EXAMPLES,
    REQUEST_UPDATE_EXAMPLES,
    TRANSITION_EXAMPLES,
    TRANSITION_READ_EXAMPLES,
)
from docs_service.document_requests.schemas import (
    DocumentRequestCreate,
    DocumentRequestRead,
    DocumentRequestUpdate,
    HistoryRead,
    TransitionCreate,
)
from docs_service.document_requests.workflow import DocumentKind, Status
from docs_service.intake_client import Intake, IntakeUnavailable
from docs_service.settings import DocsSettings

router = APIRouter(prefix="/v1/requests", tags=["requests"], route_class=TransactionalRoute)

_JSON = "application/json"


def _settings(request: Request) -> DocsSettings:
    settings: DocsSettings = request.app.state.ctx.settings
    return settings


@router.post(
    "",
    status_code=201,
    response_model=DocumentRequestRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(ValidationFailed, opening.OpenRequestExists, IntakeUnavailable),
        201: {"content": {_JSON: {"examples": REQUEST_READ_EXAMPLES}}},
    },
)
async def open_request(
    body: Annotated[DocumentRequestCreate, Body(openapi_examples=REQUEST_CREATE_EXAMPLES)],
    principal: Requester,
    session: Session,
    audit: Audit,
    intake: Intake,
    request: Request,
    response: Response,
) -> DocumentRequestRead:
    """Open a request for a document; one open request per person and kind.

    The person is checked in the intake service first (it must exist; a birth certificate is
    for a child, a passport for an adult) and the names, birth date, sex and IIN the document
    needs are copied from it. Intake unreachable: 503 with `Retry-After`, nothing saved. The
    intake service calls this with its `service` key and the event id as `Idempotency-Key`, so
    a redelivery replays the first answer.
    """
    created = await opening.create(session, principal, body, intake=intake, audit=audit)
    response.headers["Location"] = f"/v1/requests/{created.id}"
    response.headers["ETag"] = etag(created.version)
    return views.read(created, principal, targets=_settings(request).target_days, now=utcnow())


@router.get(
    "/{request_id}",
    response_model=DocumentRequestRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(service.RequestNotFound),
        200: {"content": {_JSON: {"examples": REQUEST_READ_EXAMPLES}}},
    },
)
async def get_request(
    request_id: uuid.UUID,
    principal: RequestReader,
    session: Session,
    audit: Audit,
    request: Request,
    response: Response,
) -> DocumentRequestRead:
    """A document request with its deadline; the `ETag` is the version to send in `If-Match`.

    Partners get no personal data: `holder`, `document` and `closed_reason` are absent.
    """
    found = await service.get(session, request_id)
    await audit.record(session, "document_request.read", subject_type="person", subject_id=found.person_id)
    response.headers["ETag"] = etag(found.version)
    return views.read(found, principal, targets=_settings(request).target_days, now=utcnow())


@router.get(
    "",
    response_model=Page[DocumentRequestRead],
    response_model_exclude_unset=True,
    responses={
        **problem_responses(InvalidCursor),
        200: {"content": {_JSON: {"examples": REQUEST_PAGE_EXAMPLES}}},
    },
)
async def list_requests(
    principal: RequestReader,
    session: Session,
    audit: Audit,
    request: Request,
    person_id: Annotated[uuid.UUID | None, Query()] = None,
    kind: Annotated[DocumentKind | None, Query()] = None,
    status: Annotated[Status | None, Query()] = None,
    office: Annotated[ShortText | None, Query(description="Exactly as assigned.")] = None,
    overdue: Annotated[
        bool | None, Query(description="`true`: only requests past their state's target days.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[DocumentRequestRead]:
    """Document requests, oldest first, filtered by person, kind, status, office and deadline."""
    now = utcnow()
    targets = _settings(request).target_days
    rows, next_cursor = await service.page(
        session,
        service.RequestFilters(person_id=person_id, kind=kind, status=status, office=office, overdue=overdue),
        targets=targets,
        now=now,
        limit=limit,
        cursor=cursor,
    )
    await audit.record_many(
        session, "document_request.listed", subject_type="person", subject_ids=[r.person_id for r in rows]
    )
    return Page[DocumentRequestRead](
        items=[views.read(r, principal, targets=targets, now=now) for r in rows], next_cursor=next_cursor
    )


@router.patch(
    "/{request_id}",
    response_model=DocumentRequestRead,
    response_model_exclude_unset=True,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/merge-patch+json": {
                    "schema": {"$ref": "#/components/schemas/DocumentRequestUpdate"},
                    "examples": REQUEST_UPDATE_EXAMPLES,
                }
            }
        }
    },
    responses={
        **problem_responses(
            service.RequestNotFound,
            ValidationFailed,
            PreconditionRequired,
            PreconditionFailed,
            StaleRecord,
            service.DocumentDataLocked,
        ),
        200: {"content": {_JSON: {"examples": REQUEST_READ_EXAMPLES}}},
    },
)
async def update_request(
    request_id: uuid.UUID,
    patch: Annotated[DocumentRequestUpdate, Body(openapi_examples=REQUEST_UPDATE_EXAMPLES)],
    principal: Registrar,
    session: Session,
    audit: Audit,
    request: Request,
    response: Response,
) -> DocumentRequestRead:
    """Change the document data (JSON Merge Patch, RFC 7396) with the `If-Match` you read.

    The Cyrillic name, the Latin name as the registrar confirms it, the assignment (office,
    officer) and a former passport. Names can change until the document is printed or produced.
    Without `If-Match`: 428; after someone else's change: 412 (read again). A patch that
    changes nothing (`{}`, or the values already held) keeps the version.
    """
    found = await service.get(session, request_id)
    changed = await service.update(session, request, found, patch, principal, audit=audit)
    response.headers["ETag"] = etag(changed.version)
    return views.read(changed, principal, targets=_settings(request).target_days, now=utcnow())


@router.post(
    "/{request_id}/transitions",
    response_model=DocumentRequestRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(
            service.RequestNotFound,
            ValidationFailed,
            PreconditionRequired,
            PreconditionFailed,
            StaleRecord,
            transitions.IllegalTransition,
            transitions.PrerequisitesMissing,
            transitions.NumberTaken,
            transitions.IINTaken,
            IntakeUnavailable,
        ),
        200: {"content": {_JSON: {"examples": TRANSITION_READ_EXAMPLES}}},
    },
)
async def move_request(
    request_id: uuid.UUID,
    body: Annotated[TransitionCreate, Body(openapi_examples=TRANSITION_EXAMPLES)],
    principal: Mover,
    session: Session,
    audit: Audit,
    intake: Intake,
    request: Request,
    response: Response,
) -> DocumentRequestRead:
    """Move a request to its next status, or to `rejected` (with a reason) or `cancelled`.

    Send the `ETag` you read as `If-Match` (428 without, 412 when stale). Each move takes its own
    `data`: `documents_collected` the documents; `parentage_confirmed` the evidence, reference and
    date; `registered` the civil act record (and the IIN issued, if the child had none);
    `printed` the certificate series and number; `biometrics_taken` the date; `produced` the
    passport number, dates (and the IIN issued, if none): the MRZ is built; `issued` the
    hand-over. An illegal move is a 409 listing the allowed ones. The intake service may only
    cancel. With an `Idempotency-Key`, a retry replays the first answer.
    """
    settings = _settings(request)
    found = await service.get(session, request_id)
    moved = await transitions.apply(
        session,
        request,
        found,
        body,
        principal,
        formats=settings.formats(),
        intake=intake,
        tables=request.app.state.ctx.tables,
        audit=audit,
    )
    response.headers["ETag"] = etag(moved.version)
    return views.read(moved, principal, targets=settings.target_days, now=utcnow())


@router.get(
    "/{request_id}/history",
    response_model=HistoryRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(service.RequestNotFound),
        200: {"content": {_JSON: {"examples": HISTORY_EXAMPLES}}},
    },
)
async def request_history(
    request_id: uuid.UUID, principal: RequestReader, session: Session, audit: Audit
) -> HistoryRead:
    """Who opened, moved and changed the request, when, why and with what data, oldest first.

    Partners see the moves and roles only: no reasons, data or names of who acted.
    """
    found = await service.get(session, request_id)
    entries = await service.events(session, request_id)
    await audit.record(
        session, "document_request.history_read", subject_type="person", subject_id=found.person_id
    )
    return views.history(found, list(entries), principal)
