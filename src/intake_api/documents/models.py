"""PersonDocument: what the documents service last told of each document kind of a person."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from apicore.db import UTCDateTime
from intake_api.database import Base


class PersonDocument(Base):
    """A person's document of one kind as the documents service last reported it.

    One row per person and kind: the request whose change came last (a reissue's request takes
    the place of the issued one). Numbers are personal data: case workers, registrars, admins.
    """

    __tablename__ = "person_document"
    __table_args__ = (Index(None, "kind", "status"),)

    person_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    """`birth_certificate` or `passport`."""
    status: Mapped[str] = mapped_column(String(32))
    """The request's status in the documents service (`requested` ... `issued`)."""
    request_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    """The documents service's request."""
    request_version: Mapped[int] = mapped_column(Integer)
    """The request's version this row shows: an event of an older version is ignored."""
    status_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    """When the request entered its status, by the documents service's clock."""
    civil_act_record_number: Mapped[str | None] = mapped_column(String(64), nullable=True)
    certificate_series: Mapped[str | None] = mapped_column(String(16), nullable=True)
    certificate_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    passport_number: Mapped[str | None] = mapped_column(String(16), nullable=True)
    registered_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    issued_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    expires_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    handed_over_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    last_event_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    """The outbox event of the documents service that wrote this row."""
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
