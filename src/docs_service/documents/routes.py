"""`/v1/documents`: the register of issued documents and their printable summaries."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from apicore.audit import Audit
from apicore.pagination import DEFAULT_LIMIT, MAX_LIMIT, InvalidCursor
from apicore.problems import ValidationFailed, problem_responses
from apicore.schemas import Page, PlainText
from apicore.transactions import Session, TransactionalRoute
from docs_service.access import RegisterReader
from docs_service.document_requests.workflow import DocumentKind
from docs_service.documents import service
from docs_service.documents.examples import DOCUMENT_EXAMPLES, DOCUMENT_PAGE_EXAMPLES, PDF_EXAMPLES
from docs_service.documents.pdf import render_document_summary
from docs_service.documents.schemas import DocumentRead, DocumentState

router = APIRouter(prefix="/v1/documents", tags=["documents"], route_class=TransactionalRoute)

PDF = "application/pdf"
_JSON = "application/json"


def wants_pdf(accept: str | None) -> bool:
    """True when `Accept` (RFC 9110 §12.5.1) prefers `application/pdf` to JSON."""
    if not accept:
        return False
    quality: dict[str, float] = {}
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[media.lower()] = max(q, quality.get(media.lower(), 0.0))
    pdf = quality.get(PDF, 0.0)
    json = max(quality.get(_JSON, 0.0), quality.get("application/*", 0.0), quality.get("*/*", 0.0))
    return pdf > 0 and pdf >= json and (pdf > json or _JSON not in quality)


@router.get(
    "",
    response_model=Page[DocumentRead],
    responses={
        **problem_responses(InvalidCursor),
        200: {"content": {_JSON: {"examples": DOCUMENT_PAGE_EXAMPLES}}},
    },
)
async def list_documents(
    principal: RegisterReader,
    session: Session,
    audit: Audit,
    kind: Annotated[DocumentKind | None, Query()] = None,
    person_id: Annotated[uuid.UUID | None, Query()] = None,
    state: Annotated[DocumentState | None, Query(description="`valid` or `withdrawn`.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[DocumentRead]:
    """Issued documents in the order they were handed over; every holder shown is audited."""
    rows, next_cursor = await service.page(
        session, kind=kind, person_id=person_id, state=state, limit=limit, cursor=cursor
    )
    await audit.record_many(
        session, "document.listed", subject_type="person", subject_ids=[r.person_id for r in rows]
    )
    return Page[DocumentRead](items=[service.read(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{kind}/{number}",
    response_model=DocumentRead,
    responses={
        **problem_responses(service.DocumentNotFound, ValidationFailed),
        200: {
            "description": "The document as JSON, or its printable summary with `Accept: application/pdf`.",
            "content": {
                _JSON: {"examples": DOCUMENT_EXAMPLES},
                PDF: {"schema": {"type": "string", "format": "binary"}, "examples": PDF_EXAMPLES},
            },
        },
    },
)
async def get_document(
    kind: DocumentKind,
    number: PlainText,
    principal: RegisterReader,
    session: Session,
    audit: Audit,
    request: Request,
    series: Annotated[
        PlainText | None,
        Query(max_length=16, description="Certificate series, when several share the number."),
    ] = None,
) -> Any:
    """Was this number really issued, and to whom: the register's entry for a document number.

    Numbers are matched as typed (Arabic-Indic digits and lower case accepted). With
    `Accept: application/pdf` the answer is a one-page printable summary (names in each script
    the document carries, numbers, dates, the MRZ of a passport), labelled in the language of
    `Accept-Language`.
    """
    found = await service.find(session, kind, number[:64], series)
    if wants_pdf(request.headers.get("accept")):
        await audit.record(
            session, "document.summary_printed", subject_type="person", subject_id=found.person_id
        )
        content = await run_in_threadpool(render_document_summary, service.summary(found))
        return Response(
            content=content,
            media_type=PDF,
            headers={"Content-Disposition": f'inline; filename="{kind}-{found.id}.pdf"'},
        )
    await audit.record(session, "document.read", subject_type="person", subject_id=found.person_id)
    return service.read(found)


__all__ = ["router", "wants_pdf"]
