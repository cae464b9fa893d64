"""`/v1/persons`: returnees, their names, the path home and document needs."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response

from apicore.audit import Audit
from apicore.auth import Forbidden, Principal, Role, bearer_token, hash_key
from apicore.i18n import _l
from apicore.idempotency import IdempotencyKeyReused
from apicore.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor
from apicore.problems import FieldError, ValidationFailed, problem_responses, register_field_message
from apicore.schemas import DateText, Page, PlainText, ShortText
from apicore.transactions import Session, TransactionalRoute
from apicore.versioning import PreconditionFailed, PreconditionRequired, etag
from intake_api.documents import service as documents_service
from intake_api.documents.schemas import DocumentStatus
from intake_api.operations.schemas import OperationCode
from intake_api.persons import batch, editing, repository, search, service, views
from intake_api.persons.access import CaseStaff, FieldStaff, HistoryReader, NameEditor, PersonReader
from intake_api.persons.examples import (
    BATCH_ANSWER_EXAMPLES,
    BATCH_EXAMPLES,
    EVENTS_EXAMPLES,
    NAME_ADD_EXAMPLES,
    NAME_CORRECT_EXAMPLES,
    NEED_CHANGE_EXAMPLES,
    PERSON_CREATE_EXAMPLES,
    PERSON_PAGE_EXAMPLES,
    PERSON_PATCH_EXAMPLES,
    PERSON_READ_EXAMPLES,
    STATUS_CHANGE_EXAMPLES,
)
from intake_api.persons.models import Person
from intake_api.persons.schemas import (
    BatchAnswer,
    Category,
    DocumentKind,
    DocumentNeedChange,
    NameCorrection,
    NameIn,
    PersonBatch,
    PersonCreate,
    PersonPatch,
    PersonRead,
    StatusChange,
    StatusEventRead,
)
from intake_api.persons.status import Status
from intake_api.relations import households as households_service
from intake_api.relatives.service import HostNotWilling, RelativeNotFound

register_field_message("range_reversed", _l("The end of the range is before its start."))
register_field_message("too_many_words", _l("At most {max} words: each must match a word of a name."))
register_field_message(
    "no_words",
    _l(
        "Give at least one word of a name to search: letters or digits. Signs that are not"
        " searched on their own (ь, ъ, or ا and ع alone) do not make a word."
    ),
)

router = APIRouter(prefix="/v1/persons", tags=["persons"], route_class=TransactionalRoute)

_JSON = "application/json"
_STATUS_FILTER_ROLES = (Role.field_worker, Role.case_worker, Role.registrar, Role.service, Role.admin)
"""Who may filter the list by `status` or `facility`: every reader but partners."""
_EDIT_PROBLEMS = (PreconditionRequired, PreconditionFailed, service.PersonNotFound)


def _read_examples(examples: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    return {200: {"content": {_JSON: {"examples": examples}}}}


async def _answer(session: Session, person: Person, principal: Principal, response: Response) -> PersonRead:
    codes = await service.operation_codes(session, {person.operation_id})
    households = await households_service.households_of(session, [person.id])
    response.headers["ETag"] = etag(person.version)
    return views.read(person, codes[person.operation_id], principal, household_id=households.get(person.id))


def _new_answer(person: Person, operation: str, principal: Principal, response: Response) -> PersonRead:
    """A person registered by this request: its operation is the one posted, and it belongs to
    no household yet, so nothing needs reading back."""
    response.headers["ETag"] = etag(person.version)
    return views.read(person, operation, principal)


@router.post(
    "",
    status_code=201,
    response_model=PersonRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(
            ValidationFailed,
            service.PersonExists,
            service.IINTaken,
            IdempotencyKeyReused,
            editing.FieldsNotEditable,
        ),
        201: {"content": {_JSON: {"examples": PERSON_READ_EXAMPLES}}},
        200: {
            "description": "Already registered with this very body: nothing created",
            "model": PersonRead,
            "content": {_JSON: {"examples": PERSON_READ_EXAMPLES}},
        },
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
    documents service through the outbox. Safe to retry: with the same `Idempotency-Key` the
    first answer is replayed; without one, the same client-chosen `id` with an identical body
    answers 200 with the person and creates nothing (another body: 409 naming the record).
    Warnings (`mixed_script`, `iin_mismatch`) do not refuse.
    """
    if body.notes is not None and principal.role is Role.field_worker:
        # Case notes are written by case workers; a field worker's PATCH is refused the same way.
        raise editing.FieldsNotEditable.of(["notes"])
    person, created = await service.register(
        session, request.app.state.ctx.tables, body, await request.json(), audit=audit
    )
    response.headers["Location"] = f"/v1/persons/{person.id}"
    if created:
        return _new_answer(person, body.operation, principal, response)
    response.status_code = 200
    await audit.record(session, "person.read", subject_type="person", subject_id=person.id)
    return await _answer(session, person, principal, response)


@router.post(
    "/batch",
    response_model=BatchAnswer,
    response_model_exclude_unset=True,
    responses=_read_examples(BATCH_ANSWER_EXAMPLES),
)
async def register_batch(
    body: Annotated[PersonBatch, Body(openapi_examples=BATCH_EXAMPLES)],
    principal: FieldStaff,
    session: Session,
    audit: Audit,
    request: Request,
) -> BatchAnswer:
    """Register up to 500 returnees (a phone's offline backlog); a result per item, in order.

    Each item is stored whole or not at all, and a bad item does not stop the others. An item's
    `idempotency_key` works as the `Idempotency-Key` of a single POST with that body, and each
    item gets what posting the items one after another would give: an id or key that repeats
    an earlier item answers as a retry of it, a field worker's item with case notes is refused
    (403). The new items are written together, one statement per table.
    """
    ctx = request.app.state.ctx
    codes: dict[uuid.UUID, str] = {}

    async def code_of(person: Person) -> str:
        if person.operation_id not in codes:
            codes.update(await service.operation_codes(session, {person.operation_id}))
        return codes[person.operation_id]

    results = await batch.register_batch(
        session,
        ctx.tables,
        body.items,
        principal,
        scope=hash_key(bearer_token(request) or ""),
        ttl=dt.timedelta(hours=ctx.settings.idempotency_ttl_hours),
        audit=audit,
        operation_code=code_of,
    )
    return BatchAnswer(results=results)


@router.get(
    "/{person_id}",
    response_model=PersonRead,
    response_model_exclude_unset=True,
    responses={**problem_responses(service.PersonNotFound), **_read_examples(PERSON_READ_EXAMPLES)},
)
async def get_returnee(
    person_id: uuid.UUID, principal: PersonReader, session: Session, audit: Audit, response: Response
) -> PersonRead:
    """A returnee as the caller's role may see it; the `ETag` is the version to send in `If-Match`."""
    found = await service.find_for_reading(session, person_id, audit=audit)  # audited if found
    if found is None:
        raise service.PersonNotFound(person_id=str(person_id))
    person, operation, household_id = found
    response.headers["ETag"] = etag(person.version)
    return views.read(person, operation, principal, household_id=household_id)


@router.patch(
    "/{person_id}",
    response_model=PersonRead,
    response_model_exclude_unset=True,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/merge-patch+json": {
                    "schema": {"$ref": "#/components/schemas/PersonPatch"},
                    "examples": PERSON_PATCH_EXAMPLES,
                }
            }
        }
    },
    responses={
        **problem_responses(*_EDIT_PROBLEMS, editing.FieldsNotEditable, ValidationFailed, service.IINTaken),
        **_read_examples(PERSON_READ_EXAMPLES),
    },
)
async def update_returnee(
    person_id: uuid.UUID,
    patch: Annotated[PersonPatch, Body(openapi_examples=PERSON_PATCH_EXAMPLES)],
    principal: FieldStaff,
    session: Session,
    audit: Audit,
    request: Request,
    response: Response,
) -> PersonRead:
    """Change a returnee (JSON Merge Patch, RFC 7396) with the `If-Match` of the version you read.

    Without `If-Match`: 428; after someone else's change: 412 (read again). Field workers may
    change `languages`, `facility`, `birth_place`, `birth_date`, `birth_date_estimated`, `consent`.
    `{}` changes nothing: the version (and so the `ETag`) stays.
    """
    person = await service.get(session, person_id)
    await editing.patch_person(
        session, request.app.state.ctx.tables, request, person, patch, principal, audit=audit
    )
    return await _answer(session, person, principal, response)


@router.get(
    "",
    response_model=Page[PersonRead],
    response_model_exclude_unset=True,
    responses={**problem_responses(InvalidCursor), **_read_examples(PERSON_PAGE_EXAMPLES)},
)
async def list_returnees(
    principal: PersonReader,
    session: Session,
    audit: Audit,
    operation: Annotated[OperationCode | None, Query(description="Operation code.")] = None,
    category: Annotated[Category | None, Query()] = None,
    status: Annotated[Status | None, Query()] = None,
    facility: Annotated[ShortText | None, Query()] = None,
    household_id: Annotated[uuid.UUID | None, Query()] = None,
    needs_document: Annotated[
        DocumentKind | None, Query(description="Has an active need of this kind.")
    ] = None,
    document_status: Annotated[
        DocumentStatus | None,
        Query(description="Whose document is in this status in the documents service."),
    ] = None,
    document_kind: Annotated[
        DocumentKind | None, Query(description="The kind `document_status` is about (any when absent).")
    ] = None,
    arrived_from: Annotated[DateText | None, Query(description="Arrived on or after (YYYY-MM-DD).")] = None,
    arrived_to: Annotated[DateText | None, Query(description="Arrived on or before (YYYY-MM-DD).")] = None,
    q: Annotated[
        PlainText | None,
        Query(
            min_length=1,
            max_length=200,
            description=search.Q_DESCRIPTION,
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
) -> Page[PersonRead]:
    """Returnees, oldest registration first; every person listed is audited as read.

    Partners see neither `status` nor `facility`, and filtering on them is refused (403).
    """
    if arrived_from and arrived_to and arrived_from > arrived_to:
        raise ValidationFailed(errors=[FieldError("arrived_to", "range_reversed")])
    if q is not None and len(search.query_parts(q)) > search.MAX_QUERY_WORDS:
        # Dropping the extra words would answer a different, broader search than the one asked.
        raise ValidationFailed(errors=[FieldError("q", "too_many_words", {"max": search.MAX_QUERY_WORDS})])
    if q is not None and not search.query_words(q):
        # Spaces, punctuation or invisible characters only: `q=` is refused as too short, and
        # an empty list would say that no one matched a search that had nothing to match.
        raise ValidationFailed(errors=[FieldError("q", "no_words")])
    if principal.role is Role.partner and (status is not None or facility is not None):
        # Partners see neither field: filtering on them, status by status, would name who is in
        # custody all the same.
        raise Forbidden(roles=", ".join(r.value for r in _STATUS_FILTER_ROLES))
    household_ids = households_service.person_ids_in_household(household_id) if household_id else None
    filters = repository.PersonFilters(
        operation=operation,
        category=category,
        status=status,
        facility=facility,
        needs_document=needs_document,
        arrived_from=arrived_from,
        arrived_to=arrived_to,
        q=q,
        person_ids=(
            documents_service.person_ids_with_document_status(
                document_kind, document_status, within=household_ids
            )
            if document_status is not None
            else household_ids
        ),
    )
    rows, next_cursor = await repository.page(session, filters, limit=limit, cursor=cursor)
    await audit.record_many(
        session, "person.listed", subject_type="person", subject_ids=[p.id for p, _ in rows]
    )
    households = await households_service.households_of(session, [p.id for p, _ in rows])
    items = [views.read(p, code, principal, household_id=households.get(p.id)) for p, code in rows]
    return Page[PersonRead](items=items, next_cursor=next_cursor)


@router.post(
    "/{person_id}/names",
    status_code=201,
    response_model=PersonRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(service.PersonNotFound),
        201: {"content": {_JSON: {"examples": PERSON_READ_EXAMPLES}}},
    },
)
async def add_name(
    person_id: uuid.UUID,
    body: Annotated[NameIn, Body(openapi_examples=NAME_ADD_EXAMPLES)],
    principal: NameEditor,
    session: Session,
    audit: Audit,
    response: Response,
) -> PersonRead:
    """Add a name (a child's Kazakh name; an alias). Earlier names are kept; `current` shows it first."""
    person = await service.get(session, person_id)
    await editing.add_name(session, person, body, audit=audit)
    return await _answer(session, person, principal, response)


@router.patch(
    "/{person_id}/names/{name_id}",
    response_model=PersonRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(*_EDIT_PROBLEMS, editing.NameNotFound, ValidationFailed),
        **_read_examples(PERSON_READ_EXAMPLES),
    },
)
async def correct_name(
    person_id: uuid.UUID,
    name_id: uuid.UUID,
    body: Annotated[NameCorrection, Body(openapi_examples=NAME_CORRECT_EXAMPLES)],
    principal: NameEditor,
    session: Session,
    audit: Audit,
    request: Request,
    response: Response,
) -> PersonRead:
    """Correct a name (JSON Merge Patch) with the person's `If-Match`."""
    person = await service.get(session, person_id)
    await editing.correct_name(session, request, person, name_id, body, audit=audit)
    return await _answer(session, person, principal, response)


@router.delete(
    "/{person_id}/names/{name_id}",
    response_model=PersonRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(*_EDIT_PROBLEMS, editing.NameNotFound, ValidationFailed),
        **_read_examples(PERSON_READ_EXAMPLES),
    },
)
async def retire_name(
    person_id: uuid.UUID,
    name_id: uuid.UUID,
    principal: NameEditor,
    session: Session,
    audit: Audit,
    request: Request,
    response: Response,
    reason: Annotated[ShortText | None, Query(description="Why the name is retired.")] = None,
) -> PersonRead:
    """Retire a name with the person's `If-Match`: kept with its time and reason, no longer current."""
    person = await service.get(session, person_id)
    await editing.retire_name(session, request, person, name_id, reason, audit=audit)
    return await _answer(session, person, principal, response)


@router.post(
    "/{person_id}/status-changes",
    response_model=PersonRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(
            *_EDIT_PROBLEMS, editing.IllegalStatusChange, ValidationFailed, HostNotWilling, RelativeNotFound
        ),
        **_read_examples(PERSON_READ_EXAMPLES),
    },
)
async def change_status(
    person_id: uuid.UUID,
    body: Annotated[StatusChange, Body(openapi_examples=STATUS_CHANGE_EXAMPLES)],
    principal: CaseStaff,
    session: Session,
    audit: Audit,
    request: Request,
    response: Response,
) -> PersonRead:
    """Move a returnee on the path home (`If-Match` required).

    `arrived` → `in_rehabilitation` → `relocated` (to a relative whose decision is `willing`) →
    `reunified`; also `in_custody`, `in_care` (children), `departed`, `deceased`. An illegal
    move is a 409 that names, in your language, the moves allowed from here.
    """
    person = await service.get(session, person_id)
    await editing.change_status(session, request, person, body, principal, audit=audit)
    return await _answer(session, person, principal, response)


@router.get(
    "/{person_id}/events",
    response_model=list[StatusEventRead],
    responses={**problem_responses(service.PersonNotFound), **_read_examples(EVENTS_EXAMPLES)},
)
async def list_status_events(
    person_id: uuid.UUID, principal: HistoryReader, session: Session, audit: Audit
) -> list[StatusEventRead]:
    """The returnee's path home: every status change with who, when and why."""
    person = await service.get(session, person_id)
    await audit.record(
        session, "person.events_read", subject_type="person", subject_id=person.id, fields=["status"]
    )
    return [
        StatusEventRead(
            id=e.id,
            from_status=e.from_status,
            to_status=e.to_status,
            reason=e.reason,
            host_relative_id=e.host_relative_id,
            facility=e.facility,
            actor=e.actor_name,
            actor_role=e.actor_role,
            at=e.at,
        )
        for e in await editing.events(session, person.id)
    ]


@router.post(
    "/{person_id}/document-needs",
    response_model=PersonRead,
    response_model_exclude_unset=True,
    responses={
        **problem_responses(service.PersonNotFound, editing.NeedAlreadyActive, editing.NoActiveNeed),
        **_read_examples(PERSON_READ_EXAMPLES),
    },
)
async def change_document_need(
    person_id: uuid.UUID,
    body: Annotated[DocumentNeedChange, Body(openapi_examples=NEED_CHANGE_EXAMPLES)],
    principal: CaseStaff,
    session: Session,
    audit: Audit,
    request: Request,
    response: Response,
) -> PersonRead:
    """Require a document the rules did not derive, or cancel a need (told to the documents service)."""
    person = await service.get(session, person_id)
    await editing.change_need(session, request.app.state.ctx.tables, person, body, audit=audit)
    return await _answer(session, person, principal, response)
