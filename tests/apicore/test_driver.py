"""Statements through the driver (`apicore.driver`): the same rows, values and errors as through
SQLAlchemy's session, in the session's own transaction and savepoints, on SQLite and
PostgreSQL; and every statement seen by a listener while one listens."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy import Uuid as UuidType
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from tests.conftest import BACKENDS
from tests.support.databases import _asyncpg_dsn

from apicore import driver
from apicore.db import Database, JSONDocument, UTCDateTime

METADATA = MetaData()
PARENT = Table(
    "driver_parent",
    METADATA,
    Column("id", UuidType, primary_key=True, default=uuid.uuid4),
    Column("code", String(20), nullable=False, unique=True),
    Column("born_on", Date, nullable=True),
    Column("at", UTCDateTime, nullable=False),
    Column("doc", JSONDocument, nullable=True),
    Column("flag", Boolean, nullable=False, default=False),
    Column("state", String(16), nullable=False, default="active"),
    Column("count", Integer, nullable=False, default=0),
)
CHILD = Table(
    "driver_child",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("parent_id", UuidType, ForeignKey("driver_parent.id"), nullable=False),
    Column("label", String(40), nullable=False),
)
_BY_CODE = select(PARENT).where(PARENT.c.code == bindparam("code"))
_JOINED = (
    select(PARENT.c.id, PARENT.c.at, PARENT.c.doc, CHILD.c.label.label("child"))
    .outerjoin(CHILD, CHILD.c.parent_id == PARENT.c.id)
    .where(PARENT.c.code == bindparam("code"))
    .order_by(CHILD.c.label)
)
_ACTIVE = update(PARENT).where(PARENT.c.code == bindparam("which"), PARENT.c.state == "active")
AT = dt.datetime(2026, 11, 30, 5, 6, 7, 890123, tzinfo=dt.UTC)


def _row(code: str, **extra: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "code": code, "born_on": dt.date(2015, 3, 1), "at": AT, "doc": None} | extra


@pytest.fixture
async def db(intake_db_url: str) -> AsyncIterator[Database]:
    database = Database.connect(intake_db_url)
    async with database.engine.begin() as conn:
        await conn.run_sync(METADATA.create_all)
    try:
        yield database
    finally:
        await database.dispose()


async def _count(db: Database, table: Table) -> int:
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def test_inserted_rows_read_back_as_sqlalchemy_wrote_them(db: Database) -> None:
    doc = {"kk": "Айша", "ar": "عائشة", "list": [1, None, True]}
    given = _row("a", doc=doc, flag=True, count=3)
    async with db.transaction() as session:
        assert await driver.insert_rows(session, PARENT, [given]) == 1
        # Python-side defaults fill what the row leaves out: a callable and scalars.
        written = await driver.insert_rows(session, PARENT, [{"code": c, "at": AT} for c in ("b", "c")])
        assert written == 2
    async with db.sessions() as session:
        rows = {r.code: r._asdict() for r in (await session.execute(select(PARENT))).all()}
    assert rows["a"] == given | {"state": "active"}
    assert rows["a"]["at"].tzinfo == dt.UTC
    for code in ("b", "c"):
        assert isinstance(rows[code]["id"], uuid.UUID)
        assert rows[code] | {"id": None} == {
            "id": None,
            "code": code,
            "born_on": None,
            "at": AT,
            "doc": None,
            "flag": False,
            "state": "active",
            "count": 0,
        }
    assert rows["b"]["id"] != rows["c"]["id"]


async def test_selected_rows_equal_what_the_session_returns(db: Database) -> None:
    parent = _row("p", doc={"x": [1, 2]})
    async with db.transaction() as session:
        await driver.insert_rows(session, PARENT, [parent])
        await driver.insert_rows(
            session, CHILD, [{"parent_id": parent["id"], "label": s} for s in ("y", "x")]
        )
    async with db.sessions() as session:
        expected = [tuple(r) for r in (await session.execute(_JOINED, {"code": "p"})).all()]
        got = [tuple(r) for r in await driver.fetch_all(session, _JOINED, {"code": "p"})]
        whole = await driver.fetch_all(session, _BY_CODE, {"code": "p"})
        none = await driver.fetch_all(session, _BY_CODE, {"code": "nobody"})
    assert got == expected
    assert [type(v) for v in got[0]] == [type(v) for v in expected[0]]
    assert [r[3] for r in got] == ["x", "y"]
    assert tuple(whole[0]) == (*parent.values(), False, "active", 0)
    assert none == []


async def test_returned_columns_come_back_as_the_session_gives_them(db: Database) -> None:
    parent = _row("r", doc={"x": 1}, flag=False, state="active", count=0)
    returning = PARENT.insert().returning(PARENT.c.id, PARENT.c.at, PARENT.c.doc, PARENT.c.born_on)
    async with db.transaction() as session:
        got = await driver.fetch_all(session, returning, parent)
    assert [tuple(r) for r in got] == [(parent["id"], AT, {"x": 1}, parent["born_on"])]
    assert isinstance(got[0][0], uuid.UUID)
    assert got[0][1].tzinfo == dt.UTC


async def test_a_first_statement_rolls_back_with_the_session(db: Database) -> None:
    # On PostgreSQL SQLAlchemy begins the driver's transaction lazily: a statement of ours that
    # comes first must still be inside it.
    async with db.sessions() as session:
        await session.begin()
        await driver.insert_rows(session, PARENT, [_row("gone")])
        await session.rollback()
    assert await _count(db, PARENT) == 0


async def test_a_savepoint_undoes_only_its_own_rows(db: Database) -> None:
    async def undone(session: AsyncSession) -> None:
        async with session.begin_nested():
            await driver.insert_rows(session, PARENT, [_row("undone")])
            await driver.insert_rows(session, PARENT, [_row("kept")])

    async with db.transaction() as session:
        await driver.insert_rows(session, PARENT, [_row("kept")])
        with pytest.raises(IntegrityError):
            await undone(session)
    async with db.sessions() as session:
        codes = (await session.execute(select(PARENT.c.code))).scalars().all()
    assert codes == ["kept"]


async def test_one_session_writes_in_each_of_its_transactions(db: Database) -> None:
    async with db.sessions() as session:
        for code in ("first", "second"):
            await session.begin()
            await driver.insert_rows(session, PARENT, [_row(code)])
            await session.commit()
        await session.begin()
        await driver.insert_rows(session, PARENT, [_row("third")])
        await session.rollback()
        # After a rollback the session's connection is asked for again, not reused.
        await session.begin()
        await driver.insert_rows(session, PARENT, [_row("fourth")])
        await session.commit()
    async with db.sessions() as session:
        codes = (await session.execute(select(PARENT.c.code).order_by(PARENT.c.code))).scalars().all()
    assert codes == ["first", "fourth", "second"]


async def test_a_taken_key_is_sqlalchemys_integrity_error_and_rolls_all_back(db: Database) -> None:
    async def twice() -> None:
        async with db.transaction() as session:
            await driver.insert_rows(session, PARENT, [_row("same")])
            await driver.insert_rows(session, PARENT, [_row("other"), _row("same")])

    with pytest.raises(IntegrityError) as caught:
        await twice()
    assert caught.value.hide_parameters
    assert "same" not in str(caught.value)  # parameters (names, IINs) never reach the logs
    assert await _count(db, PARENT) == 0


async def test_rows_that_differ_in_their_keys_are_refused(db: Database) -> None:
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="differ in their keys"):
            await driver.insert_rows(session, PARENT, [_row("k1"), _row("k2", state="retired")])
    assert await _count(db, PARENT) == 0


async def test_unless_taken_skips_a_taken_row_and_says_so(db: Database) -> None:
    async with db.transaction() as session:
        assert await driver.insert_rows(session, PARENT, [_row("u")], unless_taken=True) == 1
        assert await driver.insert_rows(session, PARENT, [_row("u")], unless_taken=True) == 0
    assert await _count(db, PARENT) == 1


async def test_an_update_counts_its_rows_and_keeps_its_fixed_values(db: Database) -> None:
    async with db.transaction() as session:
        await driver.insert_rows(session, PARENT, [_row("one")])
        await driver.insert_rows(session, PARENT, [_row("two", state="retired")])
        # `state = 'active'` is fixed in the statement: the retired row is not touched.
        assert await driver.execute(session, _ACTIVE, {"which": "one", "count": 7, "doc": ["d"]}) == 1
        assert await driver.execute(session, _ACTIVE, {"which": "two", "count": 9, "doc": None}) == 0
    async with db.sessions() as session:
        rows = dict((await session.execute(select(PARENT.c.code, PARENT.c.count))).all())
        doc = (await session.execute(select(PARENT.c.doc).where(PARENT.c.code == "one"))).scalar_one()
    assert rows == {"one": 7, "two": 0}
    assert doc == ["d"]


async def test_an_expanding_in_is_refused_before_it_reaches_the_database(db: Database) -> None:
    statement = select(PARENT.c.code).where(PARENT.c.code.in_(bindparam("codes", expanding=True)))
    async with db.sessions() as session:
        with pytest.raises(TypeError, match="expanding IN"):
            await driver.fetch_all(session, statement, {"codes": ["a", "b"]})


async def test_a_listener_sees_every_statement(db: Database) -> None:
    seen: list[str] = []

    def listen(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(db.engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with db.transaction() as session:
            await driver.insert_rows(session, PARENT, [_row("l1"), _row("l2")])
            assert await driver.insert_rows(session, PARENT, [_row("l1")], unless_taken=True) == 0
            assert await driver.execute(session, _ACTIVE, {"which": "l1", "count": 1}) == 1
            rows = await driver.fetch_all(session, _BY_CODE, {"code": "l1"})
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", listen)
    assert [s for s in seen if s not in ("BEGIN", "SAVEPOINT")] == ["INSERT", "INSERT", "UPDATE", "SELECT"]
    assert (rows[0][1], rows[0][7]) == ("l1", 1)


def _family(code: str, doc: Any = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    parent = _row(code, doc=doc, born_on=None)
    return parent, [{"parent_id": parent["id"], "label": f"{code}-{n}"} for n in (1, 2)]


async def test_rows_of_several_tables_read_back_as_sqlalchemy_wrote_them(db: Database) -> None:
    first, first_children = _family("t1", {"kk": "Айша", "ar": "عائشة", "n": [1, None]})
    second, second_children = _family("t2", ["x"])
    async with db.transaction() as session:
        # Children reference parents of the same call; defaults fill what the rows leave out.
        await driver.insert_tables(
            session, [(PARENT, [first, second]), (CHILD, [*first_children, *second_children])]
        )
    async with db.sessions() as session:
        parents = {r.code: r._asdict() for r in (await session.execute(select(PARENT))).all()}
        children = (await session.execute(select(CHILD.c.parent_id, CHILD.c.label))).all()
    defaults = {"flag": False, "state": "active", "count": 0}
    assert parents == {"t1": first | defaults, "t2": second | defaults}
    assert parents["t1"]["at"].tzinfo == dt.UTC
    assert sorted(tuple(c) for c in children) == sorted(
        (c["parent_id"], c["label"]) for c in [*first_children, *second_children]
    )


async def test_several_tables_are_one_statement_on_postgresql(db: Database) -> None:
    seen: list[str] = []

    def listen(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    parent, children = _family("one", {"k": "v"})
    event.listen(db.engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with db.transaction() as session:
            await driver.insert_tables(session, [(PARENT, [parent]), (CHILD, []), (CHILD, children)])
            await driver.insert_tables(session, [(PARENT, []), (CHILD, [])])  # nothing to write
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", listen)
    writes = [s for s in seen if s not in ("BEGIN", "SAVEPOINT", "COMMIT")]
    expected = ["WITH"] if db.engine.dialect.name == "postgresql" else ["INSERT", "INSERT"]
    assert writes == expected
    assert await _count(db, CHILD) == 2
    async with db.sessions() as session:
        doc = (await session.execute(select(PARENT.c.doc))).scalar_one()
    assert doc == {"k": "v"}  # JSON through the listened path too


async def test_a_failing_table_leaves_nothing_of_the_transaction(db: Database) -> None:
    parent, children = _family("kept")
    orphan = {"parent_id": uuid.uuid4(), "label": "Иванов"}

    async def write() -> None:
        async with db.transaction() as session:
            await driver.insert_tables(session, [(PARENT, [parent]), (CHILD, [*children, orphan])])

    with pytest.raises(IntegrityError) as caught:
        await write()
    assert caught.value.hide_parameters
    assert "Иванов" not in str(caught.value)
    assert await _count(db, PARENT) == 0
    assert await _count(db, CHILD) == 0


async def test_tables_whose_rows_differ_in_their_keys_are_refused(db: Database) -> None:
    parent, children = _family("k")
    async with db.transaction() as session:
        with pytest.raises(ValueError, match="differ in their keys"):
            await driver.insert_tables(
                session, [(PARENT, [parent]), (CHILD, [children[0], children[1] | {"id": 5}])]
            )
    assert await _count(db, PARENT) == 0


def _parent_unless_taken(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {c.key: bindparam(c.key, type_=c.type) for c in PARENT.columns}
    return insert(PARENT).values(values).on_conflict_do_nothing().returning(PARENT.c.id, PARENT.c.at)


@pytest.mark.parametrize("listened", [False, True])
async def test_rows_after_a_first_insert_are_written_only_with_it(db: Database, listened: bool) -> None:
    seen: list[str] = []

    def listen(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    statement = _parent_unless_taken(db.engine.dialect.name)
    parent, children = _family("first")
    parent |= {"flag": True, "state": "active", "count": 1}
    taken = _row("first") | {"flag": True, "state": "active", "count": 1}  # another id, the same code
    if listened:
        event.listen(db.engine.sync_engine, "before_cursor_execute", listen)
    try:
        async with db.transaction() as session:
            written = await driver.insert_after(session, statement, parent, [(CHILD, children)])
            refused = await driver.insert_after(
                session, statement, taken, [(CHILD, [{"parent_id": parent["id"], "label": "not-written"}])]
            )
    finally:
        if listened:
            event.remove(db.engine.sync_engine, "before_cursor_execute", listen)
    assert [tuple(r) for r in written] == [(parent["id"], AT)]
    assert isinstance(written[0][0], uuid.UUID)
    assert written[0][1].tzinfo == dt.UTC
    assert refused == []
    async with db.sessions() as session:
        labels = (await session.execute(select(CHILD.c.label).order_by(CHILD.c.label))).scalars().all()
    assert labels == ["first-1", "first-2"]
    if listened:
        writes = [v for v in seen if v not in ("BEGIN", "SAVEPOINT", "COMMIT")]
        one = ["WITH", "WITH"] if db.engine.dialect.name == "postgresql" else ["INSERT", "INSERT", "INSERT"]
        assert writes == one


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs TEST_POSTGRES_URL (always set in CI)")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_value_too_long_for_its_column_is_refused_not_cut(db: Database) -> None:
    # An explicit cast to VARCHAR(40) would cut the label to 40 characters without a word.
    parent, _children = _family("long")
    child = {"parent_id": parent["id"], "label": "Ж" * 41}

    async def write() -> None:
        async with db.transaction() as session:
            await driver.insert_tables(session, [(PARENT, [parent]), (CHILD, [child])])

    with pytest.raises(DBAPIError, match="too long"):
        await write()
    assert await _count(db, CHILD) == 0


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs TEST_POSTGRES_URL (always set in CI)")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_lost_postgresql_connection_is_invalidated(db: Database, intake_db_url: str) -> None:
    async with db.sessions() as session:
        await session.begin()
        pid = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        admin = await asyncpg.connect(_asyncpg_dsn(intake_db_url))
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await admin.close()
        with pytest.raises(DBAPIError) as caught:
            await driver.insert_rows(session, PARENT, [_row("lost")])
    # `apicore.problems.database_problem` answers an invalidated connection with 503.
    assert caught.value.connection_invalidated
    assert await _count(db, PARENT) == 0
