"""intake_0007 on a database holding persons: the search tokens it fills in are those the service
writes today (`service.name_tokens`), and its downgrade gives back the tokens of intake_0006.

Alembic's `run_env` calls `asyncio.run`, so these tests are synchronous on purpose.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from tests.support.databases import drop_database, new_empty_database

from apicore import migrations
from apicore.db import create_engine
from intake_api.operations.models import Operation
from intake_api.persons.models import Person, PersonName, PersonNameToken
from intake_api.persons.names import derive_name_keys, search_tokens

BEFORE = "intake_0006"
AFTER = "intake_0007"
T0 = dt.datetime(2019, 5, 9, 8, 0, 3, 12, tzinfo=dt.UTC)
NameParts = tuple[str, str | None, str | None, str, str]
NAMES: list[list[NameParts]] = [  # (given, family, patronymic, script, lang): two persons
    [("Айгерім", "Жұмабаева", "Сәрсенқызы", "Cyrl", "kk"), ("أيغريم", None, None, "Arab", "ar")],
    # A two-letter word, and a word that starts another word of the same name.
    [("Ли", "Абдуллаев", "Абдулла", "Cyrl", "ru")],
]


@pytest.fixture
def url(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty intake database, dropped after the test."""
    found = new_empty_database(backend, tmp_path, "mig_tokens")
    yield found
    drop_database(backend, found)


async def _execute(url: str, statements: list[Any]) -> None:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(statement)
    finally:
        await engine.dispose()


async def _fetch(url: str, query: Any) -> list[Any]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(query)).all())
    finally:
        await engine.dispose()


def _seed(url: str) -> dict[uuid.UUID, tuple[uuid.UUID, dt.datetime, str, str]]:
    """Two persons with names and their intake_0006 tokens; returns name id → (person, created, keys)."""
    op_id = uuid.uuid4()
    statements: list[Any] = [
        insert(Operation).values(
            id=op_id,
            code="zhusan-2",
            names={},
            origin_country="SY",
            start_on=dt.date(2019, 1, 6),
            created_at=T0,
        )
    ]
    names: dict[uuid.UUID, tuple[uuid.UUID, dt.datetime, str, str]] = {}
    for index, person_names in enumerate(NAMES):
        person_id, created = uuid.uuid4(), T0 + dt.timedelta(days=index, microseconds=index)
        person = {
            "category": "woman", "sex": "female", "birth_on": dt.date(1990, 1, 1), "birth_precision": "year",
            "birth_date_estimated": True, "languages": [], "arrival_on": dt.date(2019, 5, 9),
            "status": "arrived", "intake_fingerprint": "0" * 64, "warnings": [], "version": 1,
        }  # fmt: skip
        statements.append(
            insert(Person).values(
                id=person_id, operation_id=op_id, created_at=created, updated_at=created, **person
            )
        )
        for position, (given, family, patronymic, script, lang) in enumerate(person_names):
            keys = derive_name_keys(given, family, patronymic, script, lang)
            name_id = uuid.uuid4()
            names[name_id] = (person_id, created, keys.key, keys.skeleton)
            name = {
                "position": position, "script": script, "lang": lang, "kind": "alias", "given": given,
                "family": family, "patronymic": patronymic, "latin": keys.latin, "search_key": keys.key,
                "skeleton": keys.skeleton, "current": position == 0,
            }  # fmt: skip
            statements.append(
                insert(PersonName).values(id=name_id, person_id=person_id, created_at=created, **name)
            )
            # What intake_0006's service wrote: each word's key and skeleton, once each.
            old = {("key", w) for w in keys.key.split()} | {("skel", s) for s in keys.skeleton.split()}
            statements += [
                insert(PersonNameToken).values(person_id=person_id, name_id=name_id, kind=kind, token=token)
                for kind, token in sorted(old)
            ]
    asyncio.run(_execute(url, statements))
    return names


def test_upgrade_makes_the_services_tokens_and_downgrade_the_old_ones(url: str) -> None:
    migrations.upgrade("intake", url, BEFORE)
    names = _seed(url)
    t = PersonNameToken
    old_rows = asyncio.run(_fetch(url, text("SELECT person_id, name_id, kind, token FROM person_name_token")))

    migrations.upgrade("intake", url, AFTER)
    rows = asyncio.run(_fetch(url, select(t.person_id, t.name_id, t.kind, t.token, t.person_created_at)))
    expected = sorted(
        (person_id, name_id, kind, token, created)
        for name_id, (person_id, created, key, skeleton) in names.items()
        for kind, token in search_tokens(key, skeleton)
    )
    assert sorted(rows) == expected
    kinds_tokens = {(kind, token) for _p, _n, kind, token, _c in rows}
    assert {("pfx", "zhumabaev"), ("pfx", "abdulla"), ("key", "li")} <= kinds_tokens

    migrations.downgrade("intake", url, BEFORE)
    back = asyncio.run(_fetch(url, text("SELECT person_id, name_id, kind, token FROM person_name_token")))
    assert sorted(map(tuple, back)) == sorted(map(tuple, old_rows))
