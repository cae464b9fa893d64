"""The workflow migration (docs_0002) on a database that already holds requests."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Boolean, Integer, String, Uuid, column, select, table
from sqlalchemy.sql import Executable

from apicore import migrations
from apicore.db import UTCDateTime, create_engine
from tests.support.databases import drop_database, new_empty_database


@pytest.fixture
def docs_0001_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A documents database at the first revision."""
    url = new_empty_database(backend, tmp_path, "docs_data")
    migrations.upgrade("docs", url, "docs_0001")
    yield url
    drop_database(backend, url)


# The table as revision docs_0001 made it (typed, so both drivers bind UUIDs and times alike).
_V1 = table(
    "document_request",
    column("id", Uuid()),
    column("person_id", Uuid()),
    column("kind", String()),
    column("status", String()),
    column("version", Integer()),
    column("created_at", UTCDateTime()),
    column("updated_at", UTCDateTime()),
)


async def _execute(url: str, statement: Executable) -> list[tuple[object, ...]]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(statement)
            return [tuple(r) for r in result.all()] if result.returns_rows else []
    finally:
        await engine.dispose()


def test_existing_requests_enter_their_status_when_last_changed(docs_0001_url: str) -> None:
    updated = dt.datetime(2026, 11, 1, 9, 30, tzinfo=dt.UTC)
    request_id = uuid.uuid4()
    insert = _V1.insert().values(
        id=request_id,
        person_id=uuid.uuid4(),
        kind="passport",
        status="requested",
        version=1,
        created_at=updated,
        updated_at=updated,
    )
    asyncio.run(_execute(docs_0001_url, insert))
    migrations.upgrade("docs", docs_0001_url)
    after = table(
        "document_request", column("status_changed_at", UTCDateTime()), column("iin_issued", Boolean())
    )
    [(changed, issued)] = asyncio.run(
        _execute(docs_0001_url, select(after.c.status_changed_at, after.c.iin_issued))
    )
    assert changed == updated
    assert issued is False
    migrations.downgrade("docs", docs_0001_url, "docs_0001")
    assert asyncio.run(_execute(docs_0001_url, select(_V1.c.id))) == [(request_id,)]
