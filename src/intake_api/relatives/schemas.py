"""Relative request and response bodies."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any, Final, Literal, get_args

from pydantic import Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from apicore.i18n import LazyText, _l
from apicore.problems import register_field_message
from apicore.schemas import DateText, RequestModel, ResponseModel, ShortText, digit_class
from apicore.text import fold_digits
from intake_api.vocabularies.regions import RegionCode

Decision = Literal["pending", "willing", "refused"]
"""Whether the relative agreed to host the family."""
DECISIONS: Final[tuple[Decision, ...]] = get_args(Decision)
DECISION_LABELS: Final[dict[str, LazyText]] = {
    "pending": _l("Not decided yet"),
    "willing": _l("Willing to host"),
    "refused": _l("Refused to host"),
}

RelativeRelation = Literal[
    "mother",
    "father",
    "sibling",
    "grandmother",
    "grandfather",
    "aunt",
    "uncle",
    "cousin",
    "spouse",
    "child",
    "parent_in_law",
    "sibling_in_law",
    "other",
]
"""What the relative is to the returnee."""
RELATIVE_RELATION_LABELS: Final[dict[str, LazyText]] = {
    "mother": _l("Mother"),
    "father": _l("Father"),
    "sibling": _l("Brother or sister"),
    "grandmother": _l("Grandmother"),
    "grandfather": _l("Grandfather"),
    "aunt": _l("Aunt"),
    "uncle": _l("Uncle"),
    "cousin": _l("Cousin"),
    "spouse": _l("Husband or wife"),
    "child": _l("Son or daughter"),
    "parent_in_law": _l("Parent-in-law"),
    "sibling_in_law": _l("Brother- or sister-in-law"),
    "other": _l("Other relative"),
}

# ITU-T E.164: at most 15 digits after the "+"; a local number of fewer than 6 is a typing slip.
_PHONE = re.compile(r"\+?[0-9]{6,15}", re.ASCII)
_PHONE_SEPARATORS = str.maketrans("", "", " -().\u00a0")


def _parse_phone(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "must be text")
    if len(value) > 40:
        raise PydanticCustomError("phone_format", "not a phone number")
    folded = fold_digits(value.strip()).translate(_PHONE_SEPARATORS)
    if _PHONE.fullmatch(folded) is None:
        raise PydanticCustomError("phone_format", "not a phone number")
    return folded


_SEPARATOR = r"[ \-().\u00a0]"
_PHONE_PATTERN = rf"^\s*{_SEPARATOR}*(\+{_SEPARATOR}*)?({digit_class()}{_SEPARATOR}*){{6,15}}\s*$"
"""`_parse_phone` as a JSON Schema pattern: what is left after the separators are dropped."""

register_field_message(
    "phone_format", _l("Write the phone number as 6 to 15 digits, with + before the country code.")
)

PhoneText = Annotated[
    str,
    PlainValidator(_parse_phone),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 40,
            "pattern": _PHONE_PATTERN,
            "description": "Digits with an optional leading `+` (ITU-T E.164: at most 15 digits). "
            "Spaces, hyphens, dots and parentheses are dropped; Arabic-Indic digits are stored as ASCII.",
            "examples": ["+7 701 234 56 78"],
        }
    ),
]


class RelativeContact(RequestModel):
    """How to reach the relative (sensitive: read by case workers and admins only)."""

    phone: PhoneText | None = None
    address: ShortText | None = None


class RelativeCreate(RequestModel):
    """A relative in Kazakhstan who may host a returnee family."""

    id: uuid.UUID | None = Field(
        default=None, description="Chosen by the phone offline (UUID); made by the server if absent."
    )
    person_id: uuid.UUID = Field(description="The returnee this relative is related to.")
    name: ShortText = Field(description="Full name as the relative gives it.")
    relation: RelativeRelation = Field(description="What the relative is to the returnee.")
    region: RegionCode = Field(
        description="ISO 3166-2:KZ code of the region or city (`GET /v1/vocabularies`)."
    )
    locality: ShortText | None = Field(default=None, description="Town or village.")
    contact: RelativeContact | None = None
    decision: Decision = Field(default="pending", description="Whether the relative agreed to host.")
    decision_reason: ShortText | None = Field(default=None, description="Required for `refused`.")
    decided_on: DateText | None = Field(
        default=None, description="When the relative decided; today when absent (not for `pending`)."
    )


class RelativeUpdate(RequestModel):
    """JSON Merge Patch (RFC 7396) of a relative: absent fields stay, `null` removes a value."""

    name: ShortText | None = None
    relation: RelativeRelation | None = None
    region: RegionCode | None = None
    locality: ShortText | None = None
    contact: RelativeContact | None = None
    decision: Decision | None = None
    decision_reason: ShortText | None = None
    decided_on: DateText | None = None


REQUIRED_ON_PATCH: Final = ("name", "relation", "region", "decision")
"""Fields a merge patch may change but not remove."""


class RelativeContactRead(ResponseModel):
    """How to reach the relative."""

    phone: str | None
    address: str | None


class RelativeRead(ResponseModel):
    """A relative as stored; `contact` is absent for roles that may not read it."""

    id: uuid.UUID
    person_id: uuid.UUID
    name: str
    relation: RelativeRelation
    region: RegionCode
    locality: str | None
    contact: RelativeContactRead | None = Field(
        default=None, description="Case workers and admins only: absent for every other role."
    )
    decision: Decision
    decision_reason: str | None = Field(default=None, description="Absent for partners.")
    decided_on: dt.date | None
    refusals: int = Field(description="How many times this relative refused (kept after a later `willing`).")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RelativeDecisionRead(ResponseModel):
    """One decision in a relative's history."""

    from_decision: Decision | None = Field(description="None for the decision recorded at creation.")
    to_decision: Decision
    reason: str | None
    decided_on: dt.date | None
    actor_name: str
    actor_role: str
    at: dt.datetime


class RelativeDecisionsRead(ResponseModel):
    """A relative's decisions, oldest first."""

    relative_id: uuid.UUID
    refusals: int
    items: list[RelativeDecisionRead]
