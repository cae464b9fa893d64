"""Person request and response bodies, in the shape the field teams' phones send."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import Field, StrictBool

from apicore.schemas import (
    CountryCode,
    DateText,
    IINText,
    LanguageTag,
    NameText,
    PartialDateText,
    RequestModel,
    ResponseModel,
    ShortText,
)
from intake_api.operations.schemas import OperationCode

Category = Literal["child", "woman", "man"]
Sex = Literal["female", "male"]
Script = Literal["Arab", "Cyrl", "Latn"]
NameKind = Literal["birth", "kazakh", "document", "alias"]
DocumentKind = Literal["birth_certificate", "passport"]


class NameIn(RequestModel):
    """One name in one script, as typed (stored in NFC; the Latin form and keys are derived)."""

    script: Script = Field(description="ISO 15924: `Arab`, `Cyrl` or `Latn`.")
    lang: LanguageTag | None = Field(
        default=None, description="BCP 47 language of this form: `kk`, `ru`, `ar`."
    )
    kind: NameKind = Field(
        description="`birth` (camp papers), `kazakh` (given on return), `document`, `alias`."
    )
    given: NameText
    family: NameText | None = None
    patronymic: NameText | None = None


class BirthPlace(RequestModel):
    """Where a person was born, as far as known."""

    country: CountryCode | None = None
    locality: ShortText | None = None


class PersonCreate(RequestModel):
    """A returnee registered at the arrival point."""

    id: uuid.UUID | None = Field(
        default=None, description="Chosen by the phone offline (UUID); made by the server if absent."
    )
    operation: OperationCode = Field(description="Code of the operation the person came with.")
    category: Category = Field(description="`child` (under 18 on the arrival day), `woman` or `man`.")
    sex: Sex
    birth_date: PartialDateText
    birth_date_estimated: StrictBool = False
    birth_place: BirthPlace | None = None
    iin: IINText | None = None
    names: Annotated[list[NameIn], Field(min_length=1, max_length=12)]
    languages: Annotated[list[LanguageTag], Field(max_length=10)] = Field(default_factory=list)
    arrival_date: DateText


class NameRead(ResponseModel):
    """A stored name with its suggested Latin form."""

    script: Script
    lang: str | None
    kind: NameKind
    given: str
    family: str | None
    patronymic: str | None
    latin_suggested: str = Field(
        description="Suggested Latin form (ICAO Doc 9303 Part 3; Kazakh letters to base letters)."
    )


class Warning(ResponseModel):
    """Something a person should check; not a refusal."""

    code: str = Field(description="`mixed_script`, `iin_mismatch`.")
    field: str = Field(description="Dotted path into the body.")
    message: str


class DocumentNeedRead(ResponseModel):
    """A document the person needs and whether the documents service has the request."""

    kind: DocumentKind
    reason: str
    delivery: Literal["pending", "delivered"]
    request_id: uuid.UUID | None
    delivered_at: dt.datetime | None


class PersonRead(ResponseModel):
    """A returnee as stored."""

    id: uuid.UUID
    operation: str
    category: Category
    sex: Sex
    birth_date: str = Field(description="`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, in the precision it was given.")
    birth_date_estimated: bool
    birth_place: BirthPlace | None
    iin: str | None
    names: list[NameRead]
    languages: list[str]
    arrival_date: dt.date
    status: str
    document_needs: list[DocumentNeedRead]
    warnings: list[Warning]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
