"""A one-table schema for tests of the SQLite connection itself (`apicore.db`), apart from
either service's tables."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table

METADATA = MetaData()
ITEMS = Table(
    "item",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(20), nullable=False, unique=True),
)


@contextmanager
def foreign_write_lock(path: Path | str) -> Iterator[sqlite3.Connection]:
    """SQLite's write lock on the database at `path`, held by a connection of another program
    (the `sqlite3` shell, say: not one of ours, so it takes no writer turn) until the block ends;
    nothing it holds is written."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    finally:
        connection.execute("ROLLBACK")
        connection.close()
