"""Bodies of the document updates the documents service sends, and of a person's documents."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from apicore.schemas import DocumentNumberText, ResponseModel

DocumentKind = Literal["birth_certificate", "passport"]
DocumentStatus = Literal[
    "requested",
    "documents_collected",
    "parentage_confirmed",
    "registered",
    "printed",
    "biometrics_taken",
    "approved",
    "produced",
    "issued",
    "rejected",
    "cancelled",
]
"""The documents service's workflow statuses (`docs_service/document_requests/workflow.py`)."""

_Number = Field(default=None, max_length=64)


class DocumentUpdate(BaseModel):
    """A `document_request.changed` event of the documents service: one status change.

    Fields the documents service adds later are ignored rather than refused (`extra="ignore"`):
    a refused event would stop every later one of the request behind it.
    """

    model_config = ConfigDict(extra="ignore")

    event_id: uuid.UUID = Field(description="The outbox event's id, also sent as `Idempotency-Key`.")
    request_id: uuid.UUID
    person_id: uuid.UUID
    need_id: uuid.UUID | None = None
    kind: DocumentKind
    status: DocumentStatus
    version: int = Field(ge=1, le=2**31 - 1, description="The request's version after the change.")
    status_changed_at: AwareDatetime = Field(
        description="With its offset (RFC 3339): the documents service's clock."
    )
    civil_act_record_number: DocumentNumberText | None = _Number
    certificate_series: DocumentNumberText | None = Field(default=None, max_length=16)
    certificate_number: DocumentNumberText | None = Field(default=None, max_length=32)
    passport_number: DocumentNumberText | None = Field(default=None, max_length=16)
    registered_on: dt.date | None = None
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    handed_over_on: dt.date | None = None


class DocumentUpdateAnswer(ResponseModel):
    """Whether the update was applied or was older than what intake holds."""

    outcome: Literal["applied", "ignored"] = Field(
        description="`ignored`: intake already holds this version of the request, or a later change."
    )
    person_id: uuid.UUID
    kind: DocumentKind
    status: DocumentStatus = Field(description="The status intake holds now.")
    request_version: int


class PersonDocumentRead(ResponseModel):
    """One document kind of a person: the need, and what the documents service reported of it.

    Partners see the kind and status only; numbers and dates are for case workers, registrars
    and admins.
    """

    kind: DocumentKind
    needed: bool = Field(description="An active need of this kind exists.")
    status: DocumentStatus | None = Field(
        description="Null until the documents service reports a status change of the request."
    )
    request_id: uuid.UUID | None = None
    status_changed_at: dt.datetime | None = None
    civil_act_record_number: str | None = None
    certificate_series: str | None = None
    certificate_number: str | None = None
    passport_number: str | None = None
    registered_on: dt.date | None = None
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    handed_over_on: dt.date | None = None


class PersonDocuments(ResponseModel):
    """Every document kind a person needs or has, in kind order."""

    person_id: uuid.UUID
    items: list[PersonDocumentRead]
