"""Each service's migration tree, on an empty database of each backend: up to head, down to base,
up again, and every revision's downgrade undoing exactly its upgrade.

Alembic's `run_env` calls `asyncio.run`, so these tests are synchronous on purpose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from tests.support.databases import drop_database, new_empty_database

from apicore import migrations
from apicore.db import create_engine

PLATFORM_TABLES = {"api_key", "idempotency_record", "audit_event", "outbox_event"}
# Family links, households, relatives in Kazakhstan and their decisions (intake_0003).
FAMILY_TABLES = {"person_relation", "household", "household_member", "relative", "relative_decision"}
EXPECTED_TABLES = {
    "intake": PLATFORM_TABLES
    | {"operation", "person", "person_name", "person_name_token", "status_event", "document_need"}
    | FAMILY_TABLES
    | {"person_document"},  # documents reported back by the documents service (intake_0004)
    "docs": PLATFORM_TABLES | {"document_request", "document_request_event"},
}
VERSION_TABLE = "alembic_version"


@pytest.fixture(params=sorted(EXPECTED_TABLES))
def section(request: pytest.FixtureRequest) -> str:
    """An `alembic.ini` section: `docs` or `intake`."""
    return str(request.param)


@pytest.fixture
def empty_db_url(backend: str, section: str, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, dropped after the test."""
    url = new_empty_database(backend, tmp_path, f"mig_{section}")
    yield url
    drop_database(backend, url)


def _revisions(section: str, url: str) -> list[str]:
    """The section's revisions, oldest first."""
    script = ScriptDirectory.from_config(migrations.alembic_config(section, url))
    return [rev.revision for rev in reversed(list(script.walk_revisions("base", "heads")))]


def _read_schema(conn: Connection) -> dict[str, Any]:
    insp: Any = inspect(conn)  # a PGInspector on PostgreSQL, with get_enums()
    postgresql = conn.dialect.name == "postgresql"
    tables = sorted(insp.get_table_names())
    schema: dict[str, Any] = {
        "revision": MigrationContext.configure(conn).get_current_revision(),
        "tables": {
            table: {
                "columns": sorted(
                    (c["name"], c["type"].compile(dialect=conn.dialect), bool(c["nullable"]))
                    for c in insp.get_columns(table)
                ),
                "indexes": sorted(
                    (i["name"] or "", tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
                    for i in insp.get_indexes(table)
                ),
            }
            for table in tables
        },
        "views": sorted(insp.get_view_names()),
        "sequences": sorted(insp.get_sequence_names()) if postgresql else [],
        # Types a migration creates (ENUMs) survive DROP TABLE on PostgreSQL.
        "enums": sorted(e["name"] for e in insp.get_enums()) if postgresql else [],
    }
    return schema


def read_schema(url: str) -> dict[str, Any]:
    """Tables (columns, indexes), views, sequences, enums and the Alembic revision at `url`."""

    async def run() -> dict[str, Any]:
        engine = create_engine(url, pool_size=1)
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(_read_schema)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def without_version_table(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema minus Alembic's bookkeeping (present at base, absent before the first run)."""
    tables = {name: t for name, t in schema["tables"].items() if name != VERSION_TABLE}
    return {**schema, "tables": tables, "revision": None}


class TestUpgradeFromEmpty:
    def test_head_creates_every_expected_table(self, section: str, empty_db_url: str) -> None:
        migrations.upgrade(section, empty_db_url)
        schema = read_schema(empty_db_url)
        assert set(schema["tables"]) == EXPECTED_TABLES[section] | {VERSION_TABLE}
        assert schema["revision"] == _revisions(section, empty_db_url)[-1]


class TestDowngradeToBase:
    def test_leaves_only_the_alembic_version_table(self, section: str, empty_db_url: str) -> None:
        migrations.upgrade(section, empty_db_url)
        migrations.downgrade(section, empty_db_url, "base")
        schema = read_schema(empty_db_url)
        assert set(schema["tables"]) <= {VERSION_TABLE}
        assert (schema["views"], schema["sequences"], schema["enums"]) == ([], [], [])
        assert schema["revision"] is None

    def test_upgrading_again_rebuilds_the_same_schema(self, section: str, empty_db_url: str) -> None:
        migrations.upgrade(section, empty_db_url)
        first = read_schema(empty_db_url)
        migrations.downgrade(section, empty_db_url, "base")
        migrations.upgrade(section, empty_db_url)
        assert read_schema(empty_db_url) == first


class TestEachRevision:
    def test_downgrade_undoes_exactly_its_upgrade(self, section: str, empty_db_url: str) -> None:
        before = read_schema(empty_db_url)
        for revision in _revisions(section, empty_db_url):
            migrations.upgrade(section, empty_db_url, revision)
            after = read_schema(empty_db_url)
            migrations.downgrade(section, empty_db_url, "-1")
            undone = without_version_table(read_schema(empty_db_url))
            assert undone == without_version_table(before), f"downgrade of {revision}"
            migrations.upgrade(section, empty_db_url, revision)
            assert read_schema(empty_db_url) == after, f"upgrade of {revision} after its downgrade"
            before = after
