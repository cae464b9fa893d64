"""Person request and response bodies, in the shape the field teams' phones send."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, JsonValue, StrictBool, StringConstraints

from apicore.schemas import (
    CountryCode,
    DateText,
    FreeText,
    IINText,
    LanguageList,
    LanguageTag,
    NameText,
    PartialDateText,
    RequestModel,
    ResponseModel,
    ShortText,
    not_nil_uuid,
)
from intake_api.operations.schemas import OperationCode
from intake_api.persons.status import Status

Category = Literal["child", "woman", "man"]
Sex = Literal["female", "male"]
Script = Literal["Arab", "Cyrl", "Latn"]
NameKind = Literal["birth", "kazakh", "document", "alias"]
DocumentKind = Literal["birth_certificate", "passport"]
ConsentGiver = Literal["mother", "father", "guardian", "self", "other"]
NotesText = Annotated[FreeText, StringConstraints(max_length=10_000)]
"""Free text of up to 10,000 characters; newlines allowed, other control characters refused."""


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
    current: StrictBool = Field(
        default=False,
        description="Show this name first. Without one marked, the Kazakh name is current, else the first.",
    )


class NameCorrection(RequestModel):
    """A correction of a name's parts (JSON Merge Patch: `null` removes an optional part)."""

    lang: LanguageTag | None = None
    kind: NameKind | None = None
    given: NameText | None = None
    family: NameText | None = None
    patronymic: NameText | None = None
    current: StrictBool | None = None


class ConsentIn(RequestModel):
    """Consents recorded with the person (Primero: checked before tracing or referral)."""

    tracing: StrictBool | None = Field(default=None, description="Consent to family tracing.")
    sharing: StrictBool | None = Field(default=None, description="Consent to sharing with other agencies.")
    given_by: ConsentGiver | None = Field(default=None, description="For a child: who gave the consent.")


class BirthPlace(RequestModel):
    """Where a person was born, as far as known."""

    country: CountryCode | None = None
    locality: ShortText | None = None


class PersonCreate(RequestModel):
    """A returnee registered at the arrival point."""

    id: Annotated[uuid.UUID, AfterValidator(not_nil_uuid)] | None = Field(
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
    languages: LanguageList = Field(default_factory=list)
    arrival_date: DateText
    facility: ShortText | None = Field(default=None, description="Where the person is now.")
    consent: ConsentIn | None = None
    notes: NotesText | None = Field(default=None, description="Case notes (sensitive).")


class PersonPatch(RequestModel):
    """JSON Merge Patch (RFC 7396) of a person: only the fields sent change; `null` clears.

    Names change through `/names`, the status through `/status-changes`, needs through
    `/document-needs`. Field workers may change `languages`, `facility`, `birth_place`,
    `birth_date`, `birth_date_estimated` and `consent`; case workers and admins everything here.
    """

    category: Category | None = None
    sex: Sex | None = None
    birth_date: PartialDateText | None = None
    birth_date_estimated: StrictBool | None = None
    birth_place: BirthPlace | None = None
    iin: IINText | None = None
    languages: LanguageList | None = None
    arrival_date: DateText | None = None
    facility: ShortText | None = None
    consent: ConsentIn | None = None
    notes: NotesText | None = None


class StatusChange(RequestModel):
    """A move on the path home."""

    status: Status = Field(
        description="The new status; the answer to an illegal move lists the allowed ones."
    )
    reason: ShortText | None = None
    host_relative_id: uuid.UUID | None = Field(
        default=None,
        description="For `relocated`: the relative who hosts (their decision must be `willing`).",
    )
    facility: ShortText | None = Field(default=None, description="Where the person goes, if it changes.")


class DocumentNeedChange(RequestModel):
    """A case worker's override of a derived document need."""

    kind: DocumentKind
    action: Literal["require", "cancel"]
    reason: ShortText


class StatusEventRead(ResponseModel):
    """One change of status."""

    id: uuid.UUID
    from_status: Status | None
    to_status: Status
    reason: str | None
    host_relative_id: uuid.UUID | None
    facility: str | None
    actor: str
    actor_role: str
    at: dt.datetime


class ConsentRead(ResponseModel):
    """Consents as recorded (null: not asked yet)."""

    tracing: bool | None
    sharing: bool | None
    given_by: ConsentGiver | None


class NameRead(ResponseModel):
    """A stored name with its suggested Latin form."""

    id: uuid.UUID
    script: Script
    lang: str | None
    kind: NameKind
    given: str
    family: str | None
    patronymic: str | None
    latin_suggested: str = Field(
        description=(
            "Suggested Latin form (ICAO Doc 9303 Part 3; Kazakh letters to base letters),"
            " at most 400 characters: a longer one ends after its last whole word that fits."
        )
    )
    current: bool
    retired_at: dt.datetime | None = Field(
        default=None, description="Set when the name was retired (kept for search)."
    )


class Warning(ResponseModel):
    """Something a person should check; not a refusal."""

    code: str = Field(description="`mixed_script`, `script_mismatch`, `iin_mismatch`.")
    field: str = Field(description="Dotted path into the body.")
    message: str


class DocumentNeedRead(ResponseModel):
    """A document the person needs and whether the documents service has the request."""

    kind: DocumentKind
    reason: str
    state: Literal["active", "cancelled"]
    delivery: Literal["pending", "delivered", "failed"] = Field(
        description="`pending` on its way; `delivered` once the documents service has it; `failed` "
        "when the outbox gave up (an admin can send it again: `POST /v1/outbox/{event_id}/retry`)."
    )
    request_id: uuid.UUID | None
    delivered_at: dt.datetime | None


class PersonRead(ResponseModel):
    """A returnee as stored. Fields the caller's role may not see are absent (not null)."""

    id: uuid.UUID
    operation: str
    category: Category
    sex: Sex
    birth_date: str = Field(description="`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, in the precision it was given.")
    birth_date_estimated: bool
    birth_place: BirthPlace | None = None
    iin: str | None = None
    names: list[NameRead]
    languages: list[str] = Field(default_factory=list)
    interpreter_needed: bool = Field(default=False, description="Derived: speaks neither Kazakh nor Russian.")
    arrival_date: dt.date | None = None
    status: Status | None = None
    facility: str | None = None
    household_id: uuid.UUID | None = None
    consent: ConsentRead | None = None
    notes: str | None = None
    document_needs: list[DocumentNeedRead] = Field(default_factory=list)
    warnings: list[Warning] = Field(default_factory=list)
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class BatchItem(RequestModel):
    """One person of a batch, with its own optional idempotency key."""

    idempotency_key: (
        Annotated[str, StringConstraints(min_length=1, max_length=255, pattern=r"^[!-~]+$")] | None
    ) = Field(default=None, description="As the `Idempotency-Key` header of a single POST: a retry replays.")
    person: JsonValue = Field(
        description="A `PersonCreate` body, validated on its own (a bad one fails only its item)."
    )


class PersonBatch(RequestModel):
    """Up to 500 persons; each is stored or refused on its own."""

    items: Annotated[list[BatchItem], Field(min_length=1, max_length=500)]


class BatchResult(ResponseModel):
    """What became of one item, in the order sent."""

    index: int
    status: int = Field(description="201 created, 200 already there (replay), or a 4xx.")
    id: uuid.UUID | None = None
    person: PersonRead | None = None
    problem: dict[str, object] | None = Field(
        default=None, description="The RFC 9457 problem of a refused item."
    )


class BatchAnswer(ResponseModel):
    """Results per item, in order."""

    results: list[BatchResult]
