"""`/v1/relatives`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from apicore.audit import Audit
from apicore.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor
from apicore.problems import ValidationFailed, problem_responses
from apicore.schemas import Page
from apicore.transactions import Session, TransactionalRoute
from apicore.versioning import PreconditionFailed, PreconditionRequired, etag
from intake_api.relatives import service
from intake_api.relatives.access import (
    DecisionHistoryReader,
    RelativeEditor,
    RelativeReader,
    RelativeRecorder,
)
from intake_api.relatives.examples import (
    RELATIVE_CREATE_EXAMPLES,
    RELATIVE_DECISIONS_EXAMPLES,
    RELATIVE_PAGE_EXAMPLES,
    RELATIVE_READ_EXAMPLES,
    RELATIVE_UPDATE_EXAMPLES,
    RELATIVE_UPDATED_EXAMPLES,
)
from intake_api.relatives.schemas import (
    Decision,
    RelativeCreate,
    RelativeDecisionsRead,
    RelativeRead,
    RelativeUpdate,
)
from intake_api.vocabularies.regions import RegionCode

router = APIRouter(prefix="/v1/relatives", tags=["relatives"], route_class=TransactionalRoute)

_READ_CONTENT = {"content": {"application/json": {"examples": RELATIVE_READ_EXAMPLES}}}
MERGE_PATCH = "application/merge-patch+json"


@router.post(
    "",
    status_code=201,
    response_model=RelativeRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(ValidationFailed, service.RelativeExists),
        200: {
            "description": "The same relative posted again (same id, same body): nothing created.",
            **_READ_CONTENT,
        },
        201: _READ_CONTENT,
    },
)
async def record_relative(
    body: Annotated[RelativeCreate, Body(openapi_examples=RELATIVE_CREATE_EXAMPLES)],
    principal: RelativeRecorder,
    session: Session,
    audit: Audit,
    response: Response,
) -> RelativeRead:
    """Record a relative in Kazakhstan who may host a returnee family, with their decision.

    A refusal needs a reason; it is kept and counted even when the relative later agrees.
    `contact` is stored for case workers: other roles never read it back. Safe to retry with
    the same `Idempotency-Key`, or with the same `id` and body (answered 200).
    """
    relative, created = await service.create(session, principal, body, audit=audit)
    if not created:
        response.status_code = 200
        await audit.record(session, "relative.read", subject_type="relative", subject_id=relative.id)
    response.headers["Location"] = f"/v1/relatives/{relative.id}"
    response.headers["ETag"] = etag(relative.version)
    return service.read(relative, principal)


@router.get(
    "",
    response_model=Page[RelativeRead],
    response_model_exclude_unset=True,
    responses={
        **problem_responses(InvalidCursor),
        200: {"content": {"application/json": {"examples": RELATIVE_PAGE_EXAMPLES}}},
    },
)
async def list_relatives(
    principal: RelativeReader,
    session: Session,
    audit: Audit,
    person_id: Annotated[uuid.UUID | None, Query(description="Relatives of this returnee.")] = None,
    household_id: Annotated[
        uuid.UUID | None, Query(description="Relatives of anyone in this household.")
    ] = None,
    region: Annotated[RegionCode | None, Query(description="ISO 3166-2:KZ code.")] = None,
    decision: Annotated[
        Decision | None, Query(description="`refused` lists the refusals standing now.")
    ] = None,
    ever_refused: Annotated[
        bool | None, Query(description="`true`: relatives who refused at least once, whatever they say now.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
) -> Page[RelativeRead]:
    """Relatives, oldest first, filtered; every relative listed is audited as read."""
    filters = service.RelativeFilters(
        person_id=person_id,
        household_id=household_id,
        region=region,
        decision=decision,
        ever_refused=ever_refused,
    )
    rows, next_cursor = await service.page(session, filters, limit=limit, cursor=cursor)
    await audit.record_many(
        session, "relative.listed", subject_type="relative", subject_ids=[r.id for r in rows]
    )
    return Page[RelativeRead](items=[service.read(r, principal) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{relative_id}",
    response_model=RelativeRead,
    response_model_exclude_unset=True,
    responses={**problem_responses(service.RelativeNotFound), 200: _READ_CONTENT},
)
async def get_relative(
    relative_id: uuid.UUID, principal: RelativeReader, session: Session, audit: Audit, response: Response
) -> RelativeRead:
    """A relative with the current decision and how many times they refused; `ETag` is the version."""
    relative = await service.get(session, relative_id)
    await audit.record(session, "relative.read", subject_type="relative", subject_id=relative.id)
    response.headers["ETag"] = etag(relative.version)
    return service.read(relative, principal)


@router.patch(
    "/{relative_id}",
    response_model=RelativeRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(
            service.RelativeNotFound, ValidationFailed, PreconditionRequired, PreconditionFailed
        ),
        200: {"content": {"application/json": {"examples": RELATIVE_UPDATED_EXAMPLES}}},
    },
)
async def update_relative(
    relative_id: uuid.UUID,
    body: Annotated[RelativeUpdate, Body(media_type=MERGE_PATCH, openapi_examples=RELATIVE_UPDATE_EXAMPLES)],
    principal: RelativeEditor,
    session: Session,
    audit: Audit,
    request: Request,
    response: Response,
) -> RelativeRead:
    """Change a relative, above all their decision (JSON Merge Patch, RFC 7396).

    Send the `ETag` you read as `If-Match`: 428 without it, 412 when someone changed the
    relative since. Each change of decision, reason or date is kept in the history
    (`GET /v1/relatives/{relative_id}/decisions`); a refusal is counted once per refusal.
    A patch that changes nothing (`{}`, or the values already held) keeps the version.
    """
    relative = await service.update(session, principal, request, relative_id, body, audit=audit)
    response.headers["ETag"] = etag(relative.version)
    return service.read(relative, principal)


@router.get(
    "/{relative_id}/decisions",
    response_model=RelativeDecisionsRead,
    responses={
        **problem_responses(service.RelativeNotFound),
        200: {"content": {"application/json": {"examples": RELATIVE_DECISIONS_EXAMPLES}}},
    },
)
async def list_decisions(
    relative_id: uuid.UUID, principal: DecisionHistoryReader, session: Session, audit: Audit
) -> RelativeDecisionsRead:
    """Every decision of a relative, oldest first, with who recorded it."""
    history = await service.decisions(session, relative_id)
    await audit.record(
        session,
        "relative.decisions_read",
        subject_type="relative",
        subject_id=relative_id,
        fields=["decisions"],
    )
    return history
