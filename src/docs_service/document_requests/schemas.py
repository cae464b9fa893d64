"""Document request bodies: opening, changing the document data, moving, reading."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from apicore.i18n import _l
from apicore.problems import register_field_message
from apicore.schemas import (
    DateText,
    DocumentNumberText,
    IINText,
    NameText,
    RequestModel,
    ResponseModel,
    ShortText,
)
from docs_service.document_requests.names import is_kazakh_cyrillic
from docs_service.document_requests.workflow import DocumentKind, Prerequisite, ReissueReason, Status

# A passport's Latin name as ICAO Doc 9303 Part 3 §4.6 can write it in the MRZ: A-Z, spaces,
# hyphens, apostrophes (the last two are dropped or turned into fillers in the MRZ).
_PASSPORT_LATIN = re.compile(r"[A-Z' \-]+", re.ASCII)


def _kazakh_cyrillic(value: str) -> str:
    if not is_kazakh_cyrillic(value):
        raise PydanticCustomError("not_kazakh_cyrillic", "not Kazakh Cyrillic")
    return value


def _passport_latin(value: str) -> str:
    upper = " ".join(value.upper().split())
    if _PASSPORT_LATIN.fullmatch(upper) is None or not any(c.isalpha() for c in upper):
        raise PydanticCustomError("not_passport_latin", "not A-Z")
    return upper


register_field_message(
    "not_kazakh_cyrillic",
    _l("Write the name in Kazakh Cyrillic letters (spaces, hyphens and apostrophes allowed)."),
)
register_field_message(
    "not_passport_latin",
    _l("Write the Latin name with the letters A to Z only (spaces, hyphens and apostrophes allowed)."),
)

CyrillicNamePart = Annotated[NameText, AfterValidator(_kazakh_cyrillic)]
LatinNamePart = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_passport_latin),
]
NumberText = DocumentNumberText
"""A document number as typed; its format is checked against the configured formats."""


class CyrillicName(RequestModel):
    """The name a document prints in Cyrillic (Kazakh Cyrillic for a birth certificate)."""

    family: CyrillicNamePart = Field(description="Surname.")
    given: CyrillicNamePart = Field(description="Given name.")
    patronymic: CyrillicNamePart | None = Field(default=None, description="Patronymic (-ұлы, -қызы), if any.")


class LatinName(RequestModel):
    """The Latin name a passport prints, as the registrar confirms it (stored upper case)."""

    surname: LatinNamePart
    given_names: LatinNamePart | None = None


class Assignment(RequestModel):
    """Who handles the request: a registry office or migration-service office, and an officer."""

    office: ShortText | None = None
    officer: ShortText | None = None


class DocumentRequestCreate(RequestModel):
    """A request for a document for a person registered in the intake service."""

    person_id: uuid.UUID = Field(description="The person's id in the intake service.")
    kind: DocumentKind = Field(description="`birth_certificate` (a child) or `passport` (an adult).")
    need_id: uuid.UUID | None = Field(
        default=None, description="The intake need this answers (sent by intake)."
    )
    reissue_of: uuid.UUID | None = Field(
        default=None,
        description="An issued request of the same person and kind whose document this replaces.",
    )
    reissue_reason: ReissueReason | None = Field(
        default=None, description="Why the document is reissued; required with `reissue_of`."
    )
    assignment: Assignment | None = None
    former_passport_number: NumberText | None = Field(
        default=None,
        max_length=32,
        description="A passport the person held before, withdrawn when the new one is handed over.",
    )


class DocumentRequestUpdate(RequestModel):
    """JSON Merge Patch (RFC 7396) of a request's document data: only the fields sent change;
    `null` clears. Names can change until the document is printed or produced."""

    names: CyrillicName | None = None
    latin_name: LatinName | None = None
    assignment: Assignment | None = None
    former_passport_number: NumberText | None = Field(default=None, max_length=32)


CollectedDocument = Literal[
    "medical_birth_record",
    "mother_identity_document",
    "father_identity_document",
    "marriage_certificate",
    "repatriation_certificate",
    "dna_test_result",
    "court_decision",
    "guardianship_decision",
    "other",
]
ParentageEvidence = Literal["dna_test", "court_decision", "mother_documents"]
HandedTo = Literal["holder", "mother", "guardian"]


class TransitionDataIn(RequestModel):
    """What a move records. Each move takes its own fields (see `to`); others are refused."""

    documents: Annotated[list[CollectedDocument], Field(min_length=1, max_length=20)] | None = Field(
        default=None, description="`documents_collected`: the documents gathered."
    )
    evidence: ParentageEvidence | None = Field(
        default=None, description="`parentage_confirmed`: what establishes parentage."
    )
    reference: ShortText | None = Field(
        default=None, description="`parentage_confirmed`: the laboratory report or court decision number."
    )
    evidence_date: DateText | None = Field(default=None, description="`parentage_confirmed`: its date.")
    civil_act_record_number: NumberText | None = Field(default=None, description="`registered`.")
    registry_office: ShortText | None = Field(default=None, description="`registered`.")
    registered_on: DateText | None = Field(default=None, description="`registered`.")
    iin: IINText | None = Field(
        default=None,
        description="`registered` (certificate) or `produced` (passport): the IIN issued with this first "
        "document, when the person has none.",
    )
    certificate_series: NumberText | None = Field(default=None, description="`printed`.")
    certificate_number: NumberText | None = Field(default=None, description="`printed`.")
    biometrics_taken_on: DateText | None = Field(default=None, description="`biometrics_taken`.")
    passport_number: NumberText | None = Field(default=None, description="`produced`.")
    issued_on: DateText | None = Field(default=None, description="`produced`: date of issue printed.")
    expires_on: DateText | None = Field(default=None, description="`produced`: date of expiry printed.")
    handed_to: HandedTo | None = Field(
        default=None, description="`issued` (certificate): `mother` or `guardian`."
    )
    handed_over_on: DateText | None = Field(default=None, description="`issued`.")


class TransitionCreate(RequestModel):
    """A move of the request to another status."""

    to: Status = Field(description="The new status; the answer to an illegal move lists the allowed ones.")
    reason: ShortText | None = Field(default=None, description="Required for `rejected`.")
    data: TransitionDataIn | None = None


class PrerequisiteRead(BaseModel):
    """A fact the document needs before it can be made, and whether the request has it."""

    code: Prerequisite
    met: bool


class NameRead(BaseModel):
    """A Cyrillic name as the document prints it."""

    family: str | None
    given: str | None
    patronymic: str | None


class LatinNameRead(BaseModel):
    """A Latin name: suggested (derived by intake) or confirmed by the registrar."""

    surname: str
    given_names: str | None


class HolderRead(BaseModel):
    """The holder as the document prints them (personal data)."""

    birth_date: str | None = Field(description="`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as intake holds it.")
    sex: Literal["female", "male"] | None
    iin: str | None
    iin_issued: bool = Field(description="The IIN was issued with this document (the person had none).")
    names: NameRead
    latin_name_suggested: LatinNameRead | None = Field(
        description="Passport: the Latin form intake derives "
        "(ICAO Doc 9303 Part 3; Kazakh letters to base letters)."
    )
    latin_name: LatinNameRead | None = Field(description="Passport: the Latin form the registrar confirmed.")
    checked_at: dt.datetime | None = Field(description="When the intake service confirmed the person.")


class AssignmentRead(BaseModel):
    """Who handles the request."""

    office: str | None
    officer: str | None


class DocumentNumbersRead(BaseModel):
    """Numbers and dates recorded by the workflow (personal data)."""

    documents_collected: list[str] | None
    parentage_evidence: str | None
    parentage_reference: str | None
    parentage_evidence_date: dt.date | None
    civil_act_record_number: str | None
    registry_office: str | None
    registered_on: dt.date | None
    certificate_series: str | None
    certificate_number: str | None
    biometrics_taken_on: dt.date | None
    passport_number: str | None
    issued_on: dt.date | None
    expires_on: dt.date | None
    mrz: list[str] | None = Field(description="Passport: the two TD3 lines (ICAO Doc 9303 Part 4).")
    former_passport_number: str | None
    former_passport_withdrawn_on: dt.date | None
    handed_to: str | None
    handed_over_on: dt.date | None


class DeadlineRead(BaseModel):
    """How long the request has been in its status against the target."""

    status_since: dt.datetime
    days_in_status: int
    target_days: int | None = Field(description="Null once closed.")
    overdue: bool


class DocumentRequestRead(ResponseModel):
    """A document request. Fields a partner may not see (personal data) are absent, not null."""

    id: uuid.UUID
    person_id: uuid.UUID
    kind: DocumentKind
    status: Status
    need_id: uuid.UUID | None
    reissue_of: uuid.UUID | None
    reissue_reason: ReissueReason | None
    replaced_by: uuid.UUID | None
    allowed_transitions: list[Status]
    prerequisites: list[PrerequisiteRead]
    deadline: DeadlineRead
    assignment: AssignmentRead | None = None
    holder: HolderRead | None = None
    document: DocumentNumbersRead | None = None
    closed_reason: str | None = None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class HistoryEntryRead(ResponseModel):
    """One entry of a request's history. A partner sees no reason, data or actor name."""

    version: int
    action: Literal["created", "transition", "updated"]
    from_status: Status | None
    to_status: Status
    at: dt.datetime
    actor_role: str
    actor_name: str | None = None
    reason: str | None = None
    data: dict[str, Any] | None = None


class HistoryRead(BaseModel):
    """A request's history, oldest first."""

    model_config = ConfigDict(from_attributes=True)

    request_id: uuid.UUID
    items: list[HistoryEntryRead]
