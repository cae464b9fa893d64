"""Document requests and their history."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from apicore.db import JSONDocument, UTCDateTime
from docs_service.database import Base
from docs_service.document_requests.workflow import CLOSED_STATUSES

_OPEN = "status NOT IN (" + ", ".join(f"'{s}'" for s in sorted(CLOSED_STATUSES)) + ")"
_FIRST_ISSUE = "reissue_of_id IS NULL"
_IIN_ISSUED_HERE = "iin_issued"


class DocumentRequest(Base):
    """A request for one document for one person, and the data that document carries.

    Personal data (names, birth date, sex, IIN, numbers) is what the document will print; the
    person's record of truth stays in the intake service.
    """

    __tablename__ = "document_request"
    __table_args__ = (
        # At most one open request per person and kind, enforced by the database itself.
        Index(
            "uq_document_request_open_person_kind",
            "person_id",
            "kind",
            unique=True,
            sqlite_where=text(_OPEN),
            postgresql_where=text(_OPEN),
        ),
        Index(None, "created_at", "id"),
        Index(None, "status", "kind"),
        Index(None, "office"),
        Index(None, "issued_at", "id"),
        # Numbers are unique per kind (a number belongs to one document of its kind only).
        UniqueConstraint("certificate_series", "certificate_number"),
        UniqueConstraint("passport_number"),
        # A civil act record is made once; a reissued certificate is printed from the same record.
        Index(
            "uq_document_request_civil_act_record_number",
            "civil_act_record_number",
            unique=True,
            sqlite_where=text(_FIRST_ISSUE),
            postgresql_where=text(_FIRST_ISSUE),
        ),
        # An IIN is issued once, to one person (Decree No. 406 of 2007).
        Index(
            "uq_document_request_issued_iin",
            "iin",
            unique=True,
            sqlite_where=text(_IIN_ISSUED_HERE),
            postgresql_where=text(_IIN_ISSUED_HERE),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    """The person's id in the intake service."""
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    need_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    """The intake need this request answers, when intake sent it."""
    version: Mapped[int] = mapped_column(Integer)
    __mapper_args__ = {"version_id_col": version}
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    """When the request entered its current status (days in status, overdue)."""

    reissue_of_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("document_request.id"), nullable=True, index=True
    )
    """The issued request whose document this one replaces."""
    reissue_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """`lost`, `damaged` or `name_corrected`."""

    # The holder as the intake service knew them when checked; personal data.
    holder_category: Mapped[str | None] = mapped_column(String(16), nullable=True)
    holder_sex: Mapped[str | None] = mapped_column(String(16), nullable=True)
    holder_birth_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    """`YYYY`, `YYYY-MM` or `YYYY-MM-DD` as intake holds it."""
    holder_checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """When intake confirmed the person; null when intake's own service key opened it unchecked."""
    iin: Mapped[str | None] = mapped_column(String(12), nullable=True)
    """The IIN the document carries; personal data."""
    iin_issued: Mapped[bool] = mapped_column(Boolean, default=False)
    """The IIN was issued with this request's document (the person had none)."""

    # The name the document carries (Cyrillic), and the Latin form for a passport.
    family_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    given_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    patronymic: Mapped[str | None] = mapped_column(String(100), nullable=True)
    latin_surname_suggested: Mapped[str | None] = mapped_column(String(200), nullable=True)
    latin_given_names_suggested: Mapped[str | None] = mapped_column(String(200), nullable=True)
    latin_surname: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """As the registrar confirmed it; the MRZ is built from it."""
    latin_given_names: Mapped[str | None] = mapped_column(String(200), nullable=True)

    office: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """The registry office or migration-service office handling the request."""
    officer: Mapped[str | None] = mapped_column(String(200), nullable=True)

    # Prerequisites and numbers, filled in by the workflow's moves.
    documents_collected: Mapped[list[str] | None] = mapped_column(JSONDocument, nullable=True)
    parentage_evidence: Mapped[str | None] = mapped_column(String(32), nullable=True)
    parentage_reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    parentage_evidence_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    civil_act_record_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    registry_office: Mapped[str | None] = mapped_column(String(200), nullable=True)
    registered_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    certificate_series: Mapped[str | None] = mapped_column(String(16), nullable=True)
    certificate_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    biometrics_taken_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    passport_number: Mapped[str | None] = mapped_column(String(16), nullable=True)
    issued_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    mrz_line_1: Mapped[str | None] = mapped_column(String(44), nullable=True)
    mrz_line_2: Mapped[str | None] = mapped_column(String(44), nullable=True)
    former_passport_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    former_passport_withdrawn_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    handed_to: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """`holder`, `mother` or `guardian`."""
    handed_over_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    """When the hand-over was recorded (the register's order)."""
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    """The issued document was withdrawn (replaced by a reissue) on this day."""
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    """The reissue request whose document replaced this one."""
    closed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    """Why the request was rejected or cancelled."""

    @property
    def is_reissue(self) -> bool:
        """True when this request replaces an issued document."""
        return self.reissue_of_id is not None


class DocumentRequestEvent(Base):
    """One entry of a request's history: its opening, each move, each change of its data."""

    __tablename__ = "document_request_event"
    __table_args__ = (
        # One entry per version: two moves from the same version cannot both be recorded.
        UniqueConstraint("document_request_id", "version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    document_request_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("document_request.id"))
    version: Mapped[int] = mapped_column(Integer)
    """The request's version this entry produced."""
    action: Mapped[str] = mapped_column(String(16))
    """`created`, `transition` or `updated`."""
    from_status: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_status: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument, nullable=True)
    """What the move recorded (numbers, dates, evidence) or the fields an update changed."""
    request_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The `X-Request-ID` of the HTTP request that wrote it (links to logs and the audit trail)."""
