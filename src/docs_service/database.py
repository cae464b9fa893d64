"""The documents database's declarative base and shared tables."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from apicore.db import new_metadata
from apicore.tables import add_platform_tables


class Base(DeclarativeBase):
    """Base of the documents service's ORM models."""

    metadata = new_metadata()


platform = add_platform_tables(Base.metadata)
