"""Relative and RelativeDecision tables."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from apicore.db import UTCDateTime
from intake_api.database import Base


class Relative(Base):
    """A relative in Kazakhstan who may host a returnee family."""

    __tablename__ = "relative"
    __table_args__ = (
        Index(None, "created_at", "id"),
        Index(None, "person_id"),
        Index(None, "decision", "region"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    """The returnee this relative is related to."""
    name: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(16))
    """What the relative is to the returnee: `grandmother`, `aunt`, `sibling`, ..."""
    region: Mapped[str] = mapped_column(String(8))
    """ISO 3166-2:KZ code of the region or city (`KZ-19`, `KZ-75`)."""
    locality: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """Contact (sensitive: case workers and admins only)."""
    address: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Contact (sensitive: case workers and admins only)."""
    decision: Mapped[str] = mapped_column(String(8))
    """`pending`, `willing` or `refused` (to host)."""
    decision_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    refusals: Mapped[int] = mapped_column(Integer)
    """How many times this relative has refused: kept when they later agree."""
    create_fingerprint: Mapped[str] = mapped_column(String(64))
    """SHA-256 of the creation body as parsed JSON: the same body posted again is a replay."""
    version: Mapped[int] = mapped_column(Integer)
    """Bumped by every change (SQLAlchemy's version counter); answered as the ETag."""
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}


class RelativeDecision(Base):
    """One decision of a relative (or its correction): the history is kept, never rewritten."""

    __tablename__ = "relative_decision"
    __table_args__ = (Index(None, "relative_id", "at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    relative_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relative.id", ondelete="CASCADE"))
    from_decision: Mapped[str | None] = mapped_column(String(8), nullable=True)
    """None for the decision recorded with the relative."""
    to_decision: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(32))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
