"""Reads on PostgreSQL run without BEGIN and COMMIT (`TransactionalRoute`): the read's select
and its audit insert are one statement (`driver.insert_after`), the audit row is committed
before the answer leaves and written only for a person found, and the pooled connection goes
back to transactions for the next write."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import event, func, select
from tests.conftest import BACKENDS, ServiceClient
from tests.intake_api.persons.helpers import fixture_body, post_person, seed_operations

from apicore.auth import Role

pytestmark = [
    pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs TEST_POSTGRES_URL (always set in CI)"),
    pytest.mark.parametrize("backend", ["postgresql"], indirect=True),
]


@asynccontextmanager
async def queries_sent(intake: ServiceClient) -> AsyncIterator[list[str]]:
    """Every query asyncpg sends for the intake app inside the block, BEGIN and COMMIT included
    (asyncpg's query loggers see what SQLAlchemy's cursor events do not). asyncpg calls its
    loggers with `loop.call_soon`: the block's end lets the loop run them before it returns."""
    sent: list[str] = []

    def log(record: Any) -> None:
        sent.append(" ".join(record.query.split()))

    def attach(_dbapi: Any, _record: Any, proxy: Any) -> None:
        driver = proxy.dbapi_connection.driver_connection
        if log not in driver._query_loggers:
            driver.add_query_logger(log)

    assert intake.app is not None
    engine = intake.app.state.ctx.db.engine.sync_engine
    event.listen(engine, "checkout", attach)
    try:
        yield sent
        await asyncio.sleep(0)
    finally:
        event.remove(engine, "checkout", attach)


def _verbs(sent: list[str]) -> list[str]:
    return [q.split(" ", 1)[0].rstrip(";").upper() for q in sent]


async def test_a_read_sends_its_select_and_audit_insert_without_a_transaction(intake: ServiceClient) -> None:
    await seed_operations(intake)
    created = await post_person(intake, fixture_body("ru", 0))
    assert created.status_code == 201, created.text
    person_id = created.json()["id"]
    audit = intake.app.state.ctx.tables.audit_event if intake.app else None
    assert audit is not None

    async with queries_sent(intake) as sent:
        read = await intake.http.get(f"/v1/persons/{person_id}", headers=intake.auth(Role.case_worker))
    assert read.status_code == 200, read.text
    verbs = _verbs(sent)
    assert "BEGIN" not in verbs, sent
    assert "COMMIT" not in verbs, sent
    # The SELECT and the audit event's INSERT: on PostgreSQL one `WITH` statement.
    assert any(v in ("SELECT", "WITH") and "FROM person" in q for q, v in zip(sent, verbs, strict=True)), sent
    assert any("INSERT INTO audit_event" in q for q in sent), sent
    if intake.db.engine.dialect.name == "postgresql":
        assert verbs == ["WITH"], sent

    # Committed before the answer left: another connection sees it at once.
    async with intake.db.transaction() as session:
        reads = await session.execute(
            select(func.count())
            .select_from(audit)
            .where(audit.c.action == "person.read", audit.c.subject_id == uuid.UUID(person_id))
        )
        assert reads.scalar_one() == 1


async def test_a_person_not_found_is_not_audited_as_read(intake: ServiceClient) -> None:
    # The audit event goes with the read's SELECT and is written only if the person is found;
    # the names and order of a found person's names are as posted.
    await seed_operations(intake)
    body = fixture_body("ru", 0)
    created = await post_person(intake, body)
    assert created.status_code == 201, created.text
    audit = intake.app.state.ctx.tables.audit_event if intake.app else None
    assert audit is not None
    nobody = uuid.uuid4()

    missing = await intake.http.get(f"/v1/persons/{nobody}", headers=intake.auth(Role.case_worker))
    found = await intake.http.get(
        f"/v1/persons/{created.json()['id']}", headers=intake.auth(Role.case_worker)
    )
    assert missing.status_code == 404, missing.text
    assert found.status_code == 200, found.text
    assert [n["given"] for n in found.json()["names"]] == [n["given"] for n in body["names"]]
    async with intake.db.transaction() as session:
        rows = await session.execute(select(audit.c.subject_id).where(audit.c.action == "person.read"))
        assert rows.scalars().all() == [uuid.UUID(created.json()["id"])]


async def test_a_write_after_a_read_is_one_transaction_again(intake: ServiceClient) -> None:
    await seed_operations(intake)
    first = await post_person(intake, fixture_body("ru", 0))
    assert first.status_code == 201, first.text

    async with queries_sent(intake) as sent:
        for _ in range(3):
            r = await intake.http.get(
                f"/v1/persons/{first.json()['id']}", headers=intake.auth(Role.case_worker)
            )
            assert r.status_code == 200
        await asyncio.sleep(0)  # the reads' queries are logged (`queries_sent`) before the clear
        sent.clear()
        second = await post_person(intake, fixture_body("ru", 1))
    assert second.status_code == 201, second.text
    verbs = _verbs(sent)
    assert verbs[0] == "BEGIN", sent
    assert verbs[-1] == "COMMIT", sent
    assert (verbs.count("BEGIN"), verbs.count("COMMIT")) == (1, 1), sent
    # The person, its names, needs, status and audit between them (on PostgreSQL one statement).
    writes = [q for q, v in zip(sent, verbs, strict=True) if v in ("INSERT", "WITH")]
    assert any("INSERT INTO person " in q for q in writes), sent
    assert any("INSERT INTO audit_event " in q for q in writes), sent
