"""The bulk loader writes the search tokens the service would write, on both databases (SQLite:
rows built in Python, `bench/rows.py`; PostgreSQL: an INSERT ... SELECT of each chunk's names, `TOKENS_SQL`).

Synchronous on purpose: the loader runs its own event loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from bench.throughput import load_persons
from sqlalchemy import insert, select
from sqlalchemy.engine import make_url

from apicore.db import create_engine
from intake_api.operations.models import Operation
from intake_api.persons.models import Person, PersonName, PersonNameToken
from intake_api.persons.names import prefixes_stored, search_tokens


async def _run(url: str, statement: Any) -> list[Any]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            result = await conn.execute(statement)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


def _add_operation(url: str) -> None:
    """The operation the loader's persons belong to (`bench.people.OPERATION`)."""
    at = dt.datetime(2019, 1, 6, tzinfo=dt.UTC)
    operations = Operation.__table__
    values = {
        "code": "zhusan-2",
        "names": {},
        "origin_country": "SY",
        "start_on": at.date(),
        "created_at": at,
    }
    asyncio.run(_run(url, insert(operations).values(id=uuid.uuid4(), **values)))  # type: ignore[arg-type]


def test_loaded_tokens_are_the_services(intake_db_url: str) -> None:
    url = intake_db_url
    _add_operation(url)
    # Two steps, as the growth run loads: the second must not touch the first's tokens. The
    # first in chunks of 15, whose tokens are written while the next chunk is made.
    first, _ = load_persons(url, 40, seed=3, start_index=0, total=80, status_events=False, chunk=15)
    second, _ = load_persons(url, 40, seed=4, start_index=40, total=80, status_events=False)
    names = asyncio.run(
        _run(
            url,
            select(PersonName.id, PersonName.person_id, PersonName.search_key, PersonName.skeleton)
            .add_columns(Person.created_at)
            .join(Person, Person.id == PersonName.person_id),
        )
    )
    t = PersonNameToken
    tokens = asyncio.run(_run(url, select(t.name_id, t.person_id, t.kind, t.token, t.person_created_at)))
    prefixes = prefixes_stored(make_url(url).get_backend_name())
    expected = [
        (name_id, person_id, kind, token, created)
        for name_id, person_id, key, skeleton, created in names
        for kind, token in search_tokens(key, skeleton, prefixes=prefixes)
    ]
    assert len({p for _n, p, *_ in tokens}) == len(first) + len(second) == 80
    assert sorted(tokens) == sorted(expected)
    assert {kind for _n, _p, kind, *_ in tokens} == {"key", "pfx", "skel"}
    # SQLite stores whole words only (a prefix is read as a range), PostgreSQL each prefix too.
    words = {name_id: key.split() for name_id, _p, key, _s, _c in names}
    cut = [token for name_id, _p, kind, token, _c in tokens if kind == "pfx" and token not in words[name_id]]
    assert bool(cut) is prefixes


async def _service_ids(url: str, q: str, category: str | None) -> list[uuid.UUID]:
    from sqlalchemy.ext.asyncio import AsyncSession

    from intake_api.persons.repository import PersonFilters, page

    engine = create_engine(url, pool_size=1)
    try:
        async with AsyncSession(engine) as session:
            rows, _cursor = await page(session, PersonFilters(q=q, category=category), limit=20, cursor=None)
            return [person.id for person, _code in rows]
    finally:
        await engine.dispose()


async def _raw_ids(url: str, q: str, category: str | None) -> list[uuid.UUID]:
    from bench.baselines.raw import RawDatabase, _list_sql

    from intake_api.persons.search import query_words

    raw = RawDatabase(url, pool_size=1)
    await raw.open()
    try:
        sql, args = _list_sql(category, query_words(q), 21, ranges=not prefixes_stored(raw.backend))
        async with raw.transaction() as tx:
            found = await tx.fetch(sql, *args)
        return [uuid.UUID(str(row["id"])) for row in found[:20]]
    finally:
        await raw.close()


def test_the_raw_baseline_lists_what_the_service_lists(intake_db_url: str) -> None:
    url = intake_db_url
    _add_operation(url)
    load_persons(url, 300, seed=5, status_events=False)
    for q, category in [("Айша", None), ("Жұм", "child"), ("Aisha Жұм", None), ("محمد", None), ("Li", None)]:
        service = asyncio.run(_service_ids(url, q, category))
        assert asyncio.run(_raw_ids(url, q, category)) == service, q
        assert service or q == "Li", q
