"""The intake database's declarative base and shared tables (features import this, not models.py)."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from apicore.db import new_metadata
from apicore.tables import add_platform_tables


class Base(DeclarativeBase):
    """Base of intake's ORM models."""

    metadata = new_metadata()


platform = add_platform_tables(Base.metadata)
