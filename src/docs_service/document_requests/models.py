"""DocumentRequest table."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, Integer, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from apicore.db import UTCDateTime
from docs_service.database import Base
from docs_service.document_requests.workflow import CLOSED_STATUSES

_OPEN = "status NOT IN (" + ", ".join(f"'{s}'" for s in sorted(CLOSED_STATUSES)) + ")"


class DocumentRequest(Base):
    """A request for one document for one person."""

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
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    """The person's id in the intake service."""
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    need_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    """The intake need this request answers, when intake sent it."""
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
