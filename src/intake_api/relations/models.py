"""PersonRelation, Household and HouseholdMember tables.

Persons are referred to by foreign key only (`"person.id"`): features do not import each
other's models.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from apicore.db import UTCDateTime
from intake_api.database import Base


class PersonRelation(Base):
    """One direction of a family link: `related_person_id` is the person's `relation`.

    Every link is stored twice, once from each side (mother ↔ child, sibling ↔ sibling, ...),
    and the two rows are written and deleted together.
    """

    __tablename__ = "person_relation"
    __table_args__ = (
        # One link per ordered pair: a second link between the same two persons is a conflict.
        Index(None, "person_id", "related_person_id", unique=True),
        Index(None, "related_person_id"),
        # At most one mother and one father per person, enforced by the database itself.
        Index(
            "uq_person_relation_one_mother",
            "person_id",
            unique=True,
            sqlite_where=text("relation = 'mother'"),
            postgresql_where=text("relation = 'mother'"),
        ),
        Index(
            "uq_person_relation_one_father",
            "person_id",
            unique=True,
            sqlite_where=text("relation = 'father'"),
            postgresql_where=text("relation = 'father'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    related_person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    relation: Mapped[str] = mapped_column(String(16))
    """What the related person is to the person: `mother`, `child`, `guardian`, `ward`, ..."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Household(Base):
    """A mother and the children who travelled with her, kept together as one group.

    Formed and merged by mother ↔ child links; a household always has two members or more.
    """

    __tablename__ = "household"
    __table_args__ = (Index(None, "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class HouseholdMember(Base):
    """A person's household (a person belongs to at most one)."""

    __tablename__ = "household_member"

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    household_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("household.id", ondelete="CASCADE"), index=True
    )
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
