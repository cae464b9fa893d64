"""The register of issued documents: what a clerk sees of a document number."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import BaseModel, Field

from docs_service.document_requests.schemas import LatinNameRead, NameRead
from docs_service.document_requests.workflow import DocumentKind, ReissueReason

DocumentState = Literal["valid", "withdrawn"]


class DocumentHolderRead(BaseModel):
    """To whom the document was issued, as it prints them."""

    person_id: uuid.UUID = Field(description="The person's id in the intake service.")
    names: NameRead
    latin_name: LatinNameRead | None
    birth_date: str | None
    sex: Literal["female", "male"] | None
    iin: str | None


class DocumentRead(BaseModel):
    """An issued document: its number, holder, dates and whether it is still valid."""

    kind: DocumentKind
    number: str = Field(description="Passport number, or the certificate number (with `series`).")
    series: str | None = Field(description="Birth certificate series.")
    state: DocumentState = Field(description="`withdrawn` once a reissued document replaced it.")
    request_id: uuid.UUID
    holder: DocumentHolderRead
    issued_on: dt.date | None = Field(description="Passport: the date of issue printed.")
    expires_on: dt.date | None
    handed_over_on: dt.date | None
    handed_to: str | None = Field(description="`mother` or `guardian` (certificate); null for a passport.")
    office: str | None
    civil_act_record_number: str | None
    registry_office: str | None
    registered_on: dt.date | None
    mrz: list[str] | None
    reissue_of: uuid.UUID | None
    reissue_reason: ReissueReason | None
    withdrawn_on: dt.date | None
    replaced_by: uuid.UUID | None
    issued_at: dt.datetime
