"""Document request bodies."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import Field

from apicore.schemas import RequestModel, ResponseModel
from docs_service.document_requests.workflow import DocumentKind


class DocumentRequestCreate(RequestModel):
    """A request for a document for a person registered in the intake service."""

    person_id: uuid.UUID
    kind: DocumentKind = Field(description="`birth_certificate` (a child) or `passport` (an adult).")
    need_id: uuid.UUID | None = Field(
        default=None, description="The intake need this answers (sent by intake)."
    )


class DocumentRequestRead(ResponseModel):
    """A document request as stored."""

    id: uuid.UUID
    person_id: uuid.UUID
    kind: DocumentKind
    status: str
    need_id: uuid.UUID | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
