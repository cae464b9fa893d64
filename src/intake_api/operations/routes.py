"""`/v1/operations`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response

from apicore.audit import Audit
from apicore.auth import Principal, Role, require
from apicore.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor
from apicore.problems import problem_responses
from apicore.schemas import Page
from apicore.transactions import Session, TransactionalRoute
from intake_api.operations import service
from intake_api.operations.examples import (
    OPERATION_CREATE_EXAMPLES,
    OPERATION_PAGE_EXAMPLES,
    OPERATION_READ_EXAMPLES,
)
from intake_api.operations.schemas import OperationCreate, OperationRead

router = APIRouter(prefix="/v1/operations", tags=["operations"], route_class=TransactionalRoute)

Admin = Annotated[Principal, Depends(require(Role.admin))]
AnyStaff = Annotated[
    Principal,
    Depends(
        require(Role.field_worker, Role.case_worker, Role.registrar, Role.partner, Role.service, Role.admin)
    ),
]


@router.post(
    "",
    status_code=201,
    response_model=OperationRead,
    responses={
        **problem_responses(service.OperationCodeTaken),
        201: {"content": {"application/json": {"examples": OPERATION_READ_EXAMPLES}}},
    },
)
async def create_operation(
    body: Annotated[OperationCreate, Body(openapi_examples=OPERATION_CREATE_EXAMPLES)],
    principal: Admin,
    session: Session,
    audit: Audit,
    response: Response,
) -> OperationRead:
    """Register a repatriation operation (reference data for persons)."""
    operation = await service.create(session, body, audit=audit)
    response.headers["Location"] = f"/v1/operations/{operation.code}"
    return service.read(operation)


@router.get(
    "",
    response_model=Page[OperationRead],
    responses={
        **problem_responses(InvalidCursor),
        200: {"content": {"application/json": {"examples": OPERATION_PAGE_EXAMPLES}}},
    },
)
async def list_operations(
    principal: AnyStaff,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[OperationRead]:
    """Operations, oldest first."""
    rows, next_cursor = await service.page(session, limit=limit, cursor=cursor)
    return Page[OperationRead](items=[service.read(r) for r in rows], next_cursor=next_cursor)
