"""Operation table."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Date, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from apicore.db import JSONDocument, UTCDateTime
from intake_api.database import Base


class Operation(Base):
    """A repatriation operation; nothing is hard-wired to one country or operation."""

    __tablename__ = "operation"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    names: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    """Display names by language: `{"kk": ..., "ru": ..., "ar": ..., "en": ...}`."""
    origin_country: Mapped[str] = mapped_column(String(2))
    start_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
