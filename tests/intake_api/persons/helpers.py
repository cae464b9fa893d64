"""Shared steps of the person tests: operations, fixture bodies, posting."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event, func, select
from tests.conftest import FIXTURES_DIR, ServiceClient

from apicore.auth import Role


def fixture_body(family: str, index: int) -> dict[str, Any]:
    """The body of one request of a field scenario file."""
    data = json.loads((FIXTURES_DIR / f"family-{family}.json").read_text("utf-8"))
    return copy.deepcopy(data["requests"][index]["body"])


async def seed_operations(intake: ServiceClient) -> None:
    """Create the scenarios' operations."""
    ops = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]
    for op in ops:
        r = await intake.http.post("/v1/operations", json=op, headers=intake.auth(Role.admin))
        assert r.status_code == 201, r.text


async def post_person(
    intake: ServiceClient,
    body: dict[str, Any],
    *,
    role: Role = Role.field_worker,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST /v1/persons as `role`, with extra headers."""
    return await intake.http.post("/v1/persons", json=body, headers={**(headers or {}), **intake.auth(role)})


async def count_rows(intake: ServiceClient, table: Any) -> int:
    """Rows in a table of the intake database."""
    async with intake.db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


@contextmanager
def statements_run(intake: ServiceClient) -> Iterator[list[str]]:
    """The SQL statements the intake app runs inside the block, in order (a listener that
    also sends `apicore.driver`'s statements through SQLAlchemy, so none is missed)."""
    statements: list[str] = []

    def seen(_c: Any, _cur: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    assert intake.app is not None
    engine = intake.app.state.ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)
