"""Person, PersonName and DocumentNeed tables."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from apicore.db import JSONDocument, UTCDateTime
from intake_api.database import Base


class Person(Base):
    """A returnee."""

    __tablename__ = "person"
    __table_args__ = (
        Index(None, "operation_id", "category"),
        Index(None, "created_at", "id"),
        Index(None, "status"),
        Index(None, "facility"),
        Index(None, "arrival_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    operation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("operation.id"))
    category: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(8))
    birth_on: Mapped[dt.date] = mapped_column(Date)
    """First day of the birth date's precision (sensitive)."""
    birth_precision: Mapped[str] = mapped_column(String(8))
    """`year`, `month` or `day`."""
    birth_date_estimated: Mapped[bool] = mapped_column(Boolean)
    birth_place: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    iin: Mapped[str | None] = mapped_column(String(12), unique=True, nullable=True)
    """Individual identification number (sensitive)."""
    languages: Mapped[list[str]] = mapped_column(JSONDocument)
    arrival_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24))
    facility: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Where the person is now (rehabilitation centre, host's locality)."""
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Case notes (sensitive: case workers and admins only)."""
    consent_tracing: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    consent_sharing: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    consent_given_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """For a child: who consented (`mother`, `father`, `guardian`, `self`, `other`)."""
    intake_fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the registration body as parsed JSON: a re-post of the same body is a replay."""
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    """Warning codes with their fields (`[{code, field}]`); messages are rendered per request."""
    version: Mapped[int] = mapped_column(Integer)
    """Bumped by every change (SQLAlchemy's version counter); answered as the ETag."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}

    names: Mapped[list[PersonName]] = relationship(
        "PersonName", order_by="PersonName.position", lazy="raise", cascade="all, delete-orphan"
    )
    needs: Mapped[list[DocumentNeed]] = relationship(
        "DocumentNeed", order_by="DocumentNeed.kind", lazy="raise", cascade="all, delete-orphan"
    )


class PersonName(Base):
    """One name of a person in one script, as typed (NFC), with derived Latin and search keys.

    `search_key` and `skeleton` have no index: searches read their words from
    `PersonNameToken` (migration intake_0008 dropped the indexes no statement used).
    """

    __tablename__ = "person_name"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    script: Mapped[str] = mapped_column(String(4))
    lang: Mapped[str | None] = mapped_column(String(35), nullable=True)
    kind: Mapped[str] = mapped_column(String(16))
    given: Mapped[str] = mapped_column(String(100))
    family: Mapped[str | None] = mapped_column(String(100), nullable=True)
    patronymic: Mapped[str | None] = mapped_column(String(100), nullable=True)
    latin: Mapped[str] = mapped_column(String(400))
    """Suggested Latin form (ICAO Doc 9303 Part 3 for Russian letters, base letters for Kazakh)."""
    search_key: Mapped[str] = mapped_column(String(400))
    skeleton: Mapped[str] = mapped_column(String(400))
    current: Mapped[bool] = mapped_column(Boolean, default=False)
    """The name to show first (one per person)."""
    created_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retired_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)


class PersonNameToken(Base):
    """One word of a name in searchable form: its romanised key, or prefixes of it, and its
    consonant skeleton (`names.search_tokens`).

    `q` on the person list reads the persons having a token straight from the first index, in
    the list's `(created_at, id)` order, and stops after one page whatever the word's frequency
    (`search`); the same index answers whether a given person has a token. SQLite stores whole
    words only and reads a word's prefix as a range of that index (`names.prefixes_stored`).
    """

    __tablename__ = "person_name_token"
    __table_args__ = (
        Index(None, "kind", "token", "person_created_at", "person_id"),
        Index(None, "person_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    name_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person_name.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    """`key` (romanised word of 1-2 letters), `pfx` (a word of 3 letters or more, and on
    PostgreSQL each of its first 3, 4, ... letters) or `skel` (its skeleton)."""
    token: Mapped[str] = mapped_column(String(100))
    person_created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    """The person's `created_at` (never changes), copied so the index gives the list's order."""


class StatusEvent(Base):
    """One change of a person's status on the path home: who, when, why."""

    __tablename__ = "status_event"
    __table_args__ = (Index(None, "person_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    to_status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    host_relative_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    facility: Mapped[str | None] = mapped_column(String(200), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class DocumentNeed(Base):
    """A document a person needs, and whether the documents service has been told."""

    __tablename__ = "document_need"
    # One active need per person and kind; cancelled ones stay as history.
    __table_args__ = (
        Index(
            "uq_document_need_active_person_kind",
            "person_id",
            "kind",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
        # Every read and list page loads a person's needs, cancelled ones too: without it, a
        # scan of the table (bench/README.md: 80-140 ms a read at 1M persons).
        Index(None, "person_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    """`birth_certificate` or `passport`."""
    reason: Mapped[str] = mapped_column(String(500))
    """`derived` (from the category), or a case worker's reason for adding it."""
    state: Mapped[str] = mapped_column(String(16), default="active")
    """`active` or `cancelled` (by a case worker, with `cancel_reason`)."""
    cancel_reason: Mapped[str | None] = mapped_column(String(500), nullable=True)
    delivery: Mapped[str] = mapped_column(String(16))
    """`pending` until the documents service has the request, then `delivered`; `failed` when the
    outbox gave the delivery up (and `pending` again if an admin retries it)."""
    outbox_event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    """The documents service's request id, once delivered."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
