"""The models and the migrations describe the same schema, on each backend.

Two checks, because Alembic's autogenerate has blind spots: it never compares the predicate of a
partial index (`postgresql_where`, `sqlite_where`: checked, a changed predicate gives an empty
diff on both backends), nor CHECK constraints. So besides an empty autogenerate diff, the schema
the migrations build must reflect exactly like the schema `metadata.create_all` builds on the same
server, each rendered by that server.
"""

from __future__ import annotations

import pprint
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ClauseElement
from sqlalchemy.types import TypeEngine
from tests.support.databases import drop_database, new_empty_database

import docs_service.models
import intake_api.models
from apicore import migrations
from apicore.db import create_engine

METADATA = {"intake": intake_api.models.Base.metadata, "docs": docs_service.models.Base.metadata}
VERSION_TABLE = "alembic_version"


@pytest.fixture(params=sorted(METADATA))
def section(request: pytest.FixtureRequest) -> str:
    """An `alembic.ini` section: `docs` or `intake`."""
    return str(request.param)


@pytest.fixture
def migrated_url(backend: str, section: str, tmp_path: Path) -> Iterator[str]:
    """A database of `section` built by its migrations, up to head."""
    url = new_empty_database(backend, tmp_path, f"head_{section}")
    migrations.upgrade(section, url)
    yield url
    drop_database(backend, url)


@pytest.fixture
def created_url(backend: str, section: str, tmp_path: Path) -> Iterator[str]:
    """A database whose schema comes from `metadata.create_all`, not from the migrations."""
    url = new_empty_database(backend, tmp_path, f"meta_{section}")
    yield url
    drop_database(backend, url)


def _plain(value: Any, conn: Connection) -> Any:
    """Reflected values made comparable: SQL text for clauses, the server's spelling for types."""
    if isinstance(value, dict):
        return {k: _plain(v, conn) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(v, conn) for v in value]
    if isinstance(value, TypeEngine):
        return value.compile(dialect=conn.dialect)
    if isinstance(value, ClauseElement):
        return str(value)
    return value


def _by_name(items: list[Any], conn: Connection) -> list[Any]:
    return sorted((_plain(item, conn) for item in items), key=lambda d: str(d.get("name")))


def reflect(conn: Connection) -> dict[str, Any]:
    """Every table's columns, keys, indexes (with their predicates) and CHECK constraints."""
    insp = inspect(conn)
    return {
        table: {
            # By name: a column added by a later migration legitimately comes last.
            "columns": _by_name(insp.get_columns(table), conn),
            "primary_key": _plain(insp.get_pk_constraint(table), conn),
            "foreign_keys": _by_name(insp.get_foreign_keys(table), conn),
            "unique": _by_name(insp.get_unique_constraints(table), conn),
            "indexes": _by_name(insp.get_indexes(table), conn),
            "checks": _by_name(insp.get_check_constraints(table), conn),
        }
        for table in sorted(insp.get_table_names())
        if table != VERSION_TABLE
    }


async def _run(url: str, fn: Any) -> Any:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _autogenerate_diff(metadata: MetaData) -> Any:
    def diff(conn: Connection) -> list[Any]:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))

    return diff


class TestModelsMatchMigrations:
    async def test_autogenerate_finds_no_difference(self, section: str, migrated_url: str) -> None:
        diff = await _run(migrated_url, _autogenerate_diff(METADATA[section]))
        assert diff == [], "models and migrations differ: add a migration\n" + pprint.pformat(diff)

    async def test_migrated_schema_reflects_like_the_models_schema(
        self, section: str, migrated_url: str, created_url: str
    ) -> None:
        await _run(created_url, METADATA[section].create_all)
        migrated = await _run(migrated_url, reflect)
        created = await _run(created_url, reflect)
        assert migrated == created

    @pytest.mark.parametrize("section", ["docs"])
    async def test_reflection_sees_partial_index_predicates(self, migrated_url: str) -> None:
        # Guards the check above: if reflection lost the predicate, a changed WHERE would pass.
        indexes = (await _run(migrated_url, reflect))["document_request"]["indexes"]
        (partial,) = [i for i in indexes if i["name"] == "uq_document_request_open_person_kind"]
        predicate = " ".join(str(v) for k, v in partial["dialect_options"].items() if k.endswith("_where"))
        assert all(status in predicate for status in ("cancelled", "issued", "rejected"))
