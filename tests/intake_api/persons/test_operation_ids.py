"""A registration's operation: read from the database with each registration, by the INSERT
of the person row itself (`persons.service._insert_person`), so an operation created later is
found at once, one deleted and created again out of band is found under its new id, and an
unknown code is refused every time."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import delete, text
from tests.conftest import FIXTURES_DIR, ServiceClient
from tests.intake_api.persons.helpers import fixture_body, post_person, seed_operations, statements_run

from apicore.auth import Role
from intake_api.models import Person

FIRST_OPERATION = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"][0]


def _operation_reads(statements: list[str]) -> int:
    """Statements that read the operation table; for a registration, only the person's INSERT
    (on PostgreSQL the first query of the one statement that writes the whole registration)."""
    reads = [s for s in statements if "FROM operation" in s]
    starts = ("INSERT INTO PERSON ", "WITH F AS (INSERT INTO PERSON ")
    assert all(s.lstrip().upper().startswith(starts) for s in reads), reads
    return len(reads)


async def test_an_operations_id_is_asked_each_time_and_a_new_one_found_at_once(intake: ServiceClient) -> None:
    await seed_operations(intake)
    with statements_run(intake) as statements:
        first = fixture_body("ru", 0)
        first.pop("id", None)
        assert (await post_person(intake, first)).status_code == 201
        asked_first = _operation_reads(statements)
        statements.clear()
        second = fixture_body("ru", 1)
        second.pop("id", None)
        assert (await post_person(intake, second)).status_code == 201
        asked_second = _operation_reads(statements)

        unknown = fixture_body("ru", 1) | {"operation": "rusafa-9"}
        unknown.pop("id", None)
        refused = [await post_person(intake, unknown) for _ in range(2)]
        created = await intake.http.post(
            "/v1/operations",
            json=FIRST_OPERATION | {"code": "rusafa-9"},
            headers=intake.auth(Role.admin),
        )
        assert created.status_code == 201, created.text
        after = await post_person(intake, unknown)
    assert (asked_first, asked_second) == (1, 1)
    assert [r.status_code for r in refused] == [422, 422]
    assert all(r.json()["errors"][0]["field"] == "operation" for r in refused)
    assert after.status_code == 201, after.text
    assert after.json()["operation"] == "rusafa-9"

    # By hand, around a restore: the person and the operation deleted, the operation created anew.
    async with intake.db.transaction() as session:
        await session.execute(delete(Person).where(Person.id == uuid.UUID(after.json()["id"])))
        await session.execute(text("DELETE FROM operation WHERE code = 'rusafa-9'"))
    recreated = await intake.http.post(
        "/v1/operations", json=FIRST_OPERATION | {"code": "rusafa-9"}, headers=intake.auth(Role.admin)
    )
    assert recreated.status_code == 201, recreated.text
    again = await post_person(intake, unknown)
    assert again.status_code == 201, again.text
