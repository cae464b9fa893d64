"""Family link and household request and response bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import Field

from apicore.schemas import RequestModel, ResponseModel
from intake_api.relations.kinship import Relation

MemberRole = Literal["mother", "child", "member"]


class RelationCreate(RequestModel):
    """A family link from the person in the path to another returnee."""

    related_person_id: uuid.UUID = Field(description="The other returnee (already registered).")
    relation: Relation = Field(
        description='What the other returnee is to this person: `mother` means "this is my mother". '
        "The inverse (`child`) is recorded on the other person at the same time."
    )


class RelationRead(ResponseModel):
    """One family link as seen from `person_id`."""

    person_id: uuid.UUID
    related_person_id: uuid.UUID
    relation: Relation = Field(description="What the related person is to the person.")
    inverse_relation: Relation = Field(description="What the person is to the related person.")
    related_category: str = Field(description="`child`, `woman` or `man`.")
    related_sex: str
    household_id: uuid.UUID | None = Field(description="The household both belong to, if any.")
    created_at: dt.datetime


class PersonRelationsRead(ResponseModel):
    """Every family link of one returnee, and the household they belong to."""

    person_id: uuid.UUID
    household_id: uuid.UUID | None
    items: list[RelationRead]


class HouseholdMemberRead(ResponseModel):
    """A member of a household."""

    person_id: uuid.UUID
    role: MemberRole = Field(
        description="`mother` of another member, `child` of a member's mother, or another `member`."
    )
    category: str
    sex: str
    joined_at: dt.datetime


class HouseholdRead(ResponseModel):
    """A mother and the children who travelled with her, as one group."""

    id: uuid.UUID
    size: int
    members: list[HouseholdMemberRead] = Field(description="Mothers first, then the eldest first.")
    created_at: dt.datetime
    updated_at: dt.datetime
