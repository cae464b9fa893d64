"""A one-table schema for tests of the SQLite connection itself (`apicore.db`), apart from
either service's tables."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table

METADATA = MetaData()
ITEMS = Table(
    "item",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(20), nullable=False, unique=True),
)
