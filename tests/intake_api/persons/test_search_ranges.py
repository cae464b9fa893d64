"""SQLite stores a name word of 3 letters or more whole (`names.prefixes_stored`), and a search
word reads the range of the stored words it starts (that it finds what PostgreSQL's prefixes
find: `test_search_prefix.py`), and a person is checked for such a word through the person's
own tokens, not a walk of the range.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from apicore import migrations
from apicore.db import create_engine
from intake_api.persons import search
from intake_api.persons.names import PREFIX_END, prefixes_stored, search_tokens
from intake_api.persons.search import Word


def test_only_postgresql_stores_prefixes() -> None:
    assert prefixes_stored("postgresql")
    assert not prefixes_stored("sqlite")


def test_whole_words_are_stored_without_their_prefixes() -> None:
    assert search_tokens("aisha aishabek li", "x xbk l", prefixes=False) == [
        ("key", "li"),
        ("pfx", "aisha"),
        ("pfx", "aishabek"),
        ("skel", "l"),
        ("skel", "x"),
        ("skel", "xbk"),
    ]


def test_the_range_end_follows_every_token_character() -> None:
    # Tokens are a-z and 0-9; the range of `zhu` must hold `zhuz` and `zhu9` and stop before `zhv`.
    assert all("zhu" + ch < "zhu" + PREFIX_END for ch in "abcdefghijklmnopqrstuvwxyz0123456789")
    assert "zhu" + PREFIX_END < "zhv"


def _plan(url: str, sql: str, values: dict[str, object]) -> str:
    async def run() -> str:
        engine = create_engine(url, pool_size=1)
        try:
            async with engine.connect() as conn:
                rows = (await conn.execute(text("EXPLAIN QUERY PLAN " + sql), values)).all()
                return "\n".join(str(row[-1]) for row in rows)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_a_word_probed_per_person_reads_that_persons_tokens(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plans.db'}"
    migrations.upgrade("intake", url, "heads")
    # `aish` drives; `zhumabaeva` is checked on each of its persons by a probe (not as a set).
    words = [Word("aish", "x", rows=1), Word("zhumabaeva", "zhmbv", rows=float("inf"))]
    shape, values = search.search_parameters(words, None, 21, ranges=True)
    assert shape.as_set == (False,)
    compiled = search.page_ids(shape).select().compile(dialect=sqlite.dialect(paramstyle="named"))
    plan = _plan(url, str(compiled), {**compiled.params, **values})
    # The driving word is one range of the token index; the probe for the other word's range
    # uses the person's own tokens, never a walk of every word it starts.
    assert (
        "ix_person_name_token_kind_token_person_created_at_person_id (kind=? AND token>? AND token<?)" in plan
    )
    assert "ix_person_name_token_person_id (person_id=?)" in plan
    assert plan.count("token>? AND token<?") == 1
