"""`/v1/persons/{person_id}/relations` and `/v1/households`."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from apicore.audit import Audit
from apicore.auth import Principal, Role, require
from apicore.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor
from apicore.problems import FieldError, ValidationFailed, problem_responses
from apicore.schemas import Page
from apicore.transactions import Session, TransactionalRoute
from intake_api.operations import service as operation_service
from intake_api.operations.schemas import OperationCode
from intake_api.persons import service as person_service
from intake_api.relations import households, service
from intake_api.relations.examples import (
    HOUSEHOLD_PAGE_EXAMPLES,
    HOUSEHOLD_READ_EXAMPLES,
    PERSON_RELATIONS_EXAMPLES,
    RELATION_CREATE_EXAMPLES,
    RELATION_READ_EXAMPLES,
)
from intake_api.relations.schemas import HouseholdRead, PersonRelationsRead, RelationCreate, RelationRead
from intake_api.vocabularies.codes import PersonStatus

router = APIRouter(prefix="/v1/persons", tags=["relations"], route_class=TransactionalRoute)
household_router = APIRouter(prefix="/v1/households", tags=["relations"], route_class=TransactionalRoute)

FamilyLinker = Annotated[Principal, Depends(require(Role.field_worker, Role.case_worker, Role.admin))]
FamilyReader = Annotated[
    Principal,
    Depends(require(Role.field_worker, Role.case_worker, Role.registrar, Role.partner, Role.admin)),
]


@router.post(
    "/{person_id}/relations",
    status_code=201,
    response_model=RelationRead,
    responses={
        **problem_responses(
            person_service.PersonNotFound,
            ValidationFailed,
            service.RelationExists,
            service.ParentAlreadyRecorded,
            service.TooManyRelations,
        ),
        201: {"content": {"application/json": {"examples": RELATION_READ_EXAMPLES}}},
    },
)
async def link_relative(
    person_id: uuid.UUID,
    body: Annotated[RelationCreate, Body(openapi_examples=RELATION_CREATE_EXAMPLES)],
    principal: FamilyLinker,
    session: Session,
    audit: Audit,
    response: Response,
) -> RelationRead:
    """Link two returnees as family; the inverse link is recorded on the other person.

    `relation` is what the other returnee is to this one. Linking a mother and her child puts
    both in one household (hers, joined or created). Refused: a link to oneself, a male mother,
    a parent less than 12 years older than the child, a second mother, a link that exists.
    """
    relation = await service.link(session, person_id, body, audit=audit)
    response.headers["Location"] = f"/v1/persons/{person_id}/relations/{body.related_person_id}"
    return relation


@router.get(
    "/{person_id}/relations",
    response_model=PersonRelationsRead,
    responses={
        **problem_responses(person_service.PersonNotFound),
        200: {"content": {"application/json": {"examples": PERSON_RELATIONS_EXAMPLES}}},
    },
)
async def list_relations(
    person_id: uuid.UUID, principal: FamilyReader, session: Session, audit: Audit
) -> PersonRelationsRead:
    """Every family link of a returnee (a child's mother, a mother's children) and the household."""
    return await service.relations_of(session, person_id, audit=audit)


@router.get(
    "/{person_id}/relations/{related_person_id}",
    response_model=RelationRead,
    responses={
        **problem_responses(person_service.PersonNotFound, service.RelationNotFound),
        200: {"content": {"application/json": {"examples": RELATION_READ_EXAMPLES}}},
    },
)
async def get_relation(
    person_id: uuid.UUID,
    related_person_id: uuid.UUID,
    principal: FamilyReader,
    session: Session,
    audit: Audit,
) -> RelationRead:
    """One family link of a returnee."""
    return await service.get(session, person_id, related_person_id, audit=audit)


@router.delete(
    "/{person_id}/relations/{related_person_id}",
    status_code=204,
    response_class=Response,
    responses=problem_responses(person_service.PersonNotFound, service.RelationNotFound),
)
async def unlink_relative(
    person_id: uuid.UUID,
    related_person_id: uuid.UUID,
    principal: FamilyLinker,
    session: Session,
    audit: Audit,
) -> Response:
    """Remove a family link recorded by mistake, from both sides.

    Removing a mother link regroups the household: the mother keeps it, a child who is still
    linked to her through another member stays.
    """
    await service.unlink(session, person_id, related_person_id, audit=audit)
    return Response(status_code=204)


@household_router.get(
    "",
    response_model=Page[HouseholdRead],
    responses={
        **problem_responses(InvalidCursor, ValidationFailed),
        200: {"content": {"application/json": {"examples": HOUSEHOLD_PAGE_EXAMPLES}}},
    },
)
async def list_households(
    principal: FamilyReader,
    session: Session,
    audit: Audit,
    person_id: Annotated[uuid.UUID | None, Query(description="The household of this returnee.")] = None,
    operation: Annotated[
        OperationCode | None, Query(description="Households with a member who came with this operation.")
    ] = None,
    member_status: Annotated[
        PersonStatus | None, Query(description="Households with a member in this status.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
) -> Page[HouseholdRead]:
    """Households, oldest first; every member listed is audited as read."""
    operation_id = None
    if operation is not None:
        found = await operation_service.by_code(session, operation)
        if found is None:
            raise ValidationFailed(errors=[FieldError("operation", "unknown_operation")])
        operation_id = found.id
    filters = households.HouseholdFilters(
        person_id=person_id, operation_id=operation_id, member_status=member_status
    )
    items, next_cursor = await households.page(session, filters, limit=limit, cursor=cursor)
    await audit.record_many(
        session,
        "household.listed",
        subject_type="person",
        subject_ids=[m.person_id for h in items for m in h.members],
        fields=["household"],
    )
    return Page[HouseholdRead](items=items, next_cursor=next_cursor)


@household_router.get(
    "/{household_id}",
    response_model=HouseholdRead,
    responses={
        **problem_responses(households.HouseholdNotFound),
        200: {"content": {"application/json": {"examples": HOUSEHOLD_READ_EXAMPLES}}},
    },
)
async def get_household(
    household_id: uuid.UUID, principal: FamilyReader, session: Session, audit: Audit
) -> HouseholdRead:
    """A household: the mother and the children who travelled with her, as one group."""
    household = await households.get(session, household_id)
    await audit.record_many(
        session,
        "household.read",
        subject_type="person",
        subject_ids=[m.person_id for m in household.members],
        fields=["household"],
    )
    return household
