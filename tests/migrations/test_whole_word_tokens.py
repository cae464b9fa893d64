"""intake_0009: on SQLite the token rows become those the service writes there (whole words, no
prefixes: `names.prefixes_stored`), and the downgrade gives back every prefix; PostgreSQL's rows
are left as they are.

Alembic's `run_env` calls `asyncio.run`, so these tests are synchronous on purpose.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from tests.migrations.test_name_tokens_backfill import _fetch, _seed
from tests.support.databases import drop_database, new_empty_database

from apicore import migrations
from intake_api.persons.models import PersonNameToken
from intake_api.persons.names import prefixes_stored, search_tokens


@pytest.fixture
def url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty intake database, dropped after the test."""
    found = new_empty_database(backend, tmp_path, "mig_words")
    yield found
    drop_database(backend, found)


def _rows(url: str) -> list[tuple[object, ...]]:
    t = PersonNameToken
    query = select(t.person_id, t.name_id, t.kind, t.token, t.person_created_at)
    return sorted(tuple(row) for row in asyncio.run(_fetch(url, query)))


def test_upgrade_keeps_the_tokens_the_service_writes_and_downgrade_every_prefix(url: str) -> None:
    migrations.upgrade("intake", url, "intake_0006")
    names = _seed(url)  # two persons; a two-letter word, and a word that starts another (abdulla)
    migrations.upgrade("intake", url, "intake_0008")
    with_prefixes = _rows(url)

    migrations.upgrade("intake", url, "intake_0009")
    prefixes = prefixes_stored(make_url(url).get_backend_name())
    expected = sorted(
        (person_id, name_id, kind, token, created)
        for name_id, (person_id, created, key, skeleton) in names.items()
        for kind, token in search_tokens(key, skeleton, prefixes=prefixes)
    )
    assert _rows(url) == expected
    kinds_tokens = {(kind, token) for _p, _n, kind, token, _c in expected}
    assert {("pfx", "abdulla"), ("pfx", "abdullaev"), ("key", "li")} <= kinds_tokens
    assert (("pfx", "abd") in kinds_tokens) is prefixes
    assert (_rows(url) == with_prefixes) is prefixes

    migrations.downgrade("intake", url, "intake_0008")
    assert _rows(url) == with_prefixes
