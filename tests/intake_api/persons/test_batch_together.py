"""A batch is checked first and written together; what it answers is what posting its items one
after another would answer (intake_api/persons/batch.py)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conftest import ServiceClient
from tests.intake_api.persons.helpers import count_rows, fixture_body, seed_operations, statements_run

from apicore.auth import Role
from intake_api.models import Person, platform


def new_child(index: int = 1) -> dict[str, Any]:
    """A child of the Kazakh family scenario under a fresh id."""
    return fixture_body("kk", index) | {"id": str(uuid.uuid4())}


async def post_batch(
    intake: ServiceClient, items: list[dict[str, Any]], role: Role = Role.field_worker
) -> Any:
    r = await intake.http.post("/v1/persons/batch", json={"items": items}, headers=intake.auth(role))
    assert r.status_code == 200, r.text
    return r.json()["results"]


class TestRepeatsWithinABatch:
    async def test_a_key_sent_twice_replays_and_with_another_body_is_refused(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        first, other = new_child(1), new_child(2)
        results = await post_batch(
            intake,
            [
                {"idempotency_key": "k-1", "person": first},
                {"idempotency_key": "k-1", "person": first},
                {"idempotency_key": "k-1", "person": other},
            ],
        )
        assert [r["status"] for r in results] == [201, 201, 422]
        assert results[0]["id"] == results[1]["id"] == first["id"]
        assert results[2]["problem"]["type"].endswith(":idempotency-key-reused")
        assert await count_rows(intake, Person.__table__) == 1

    async def test_an_id_sent_twice_is_one_person_and_with_another_body_a_conflict(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        child = new_child(1)
        changed = child | {"facility": "Ақтау, оңалту орталығы"}
        results = await post_batch(intake, [{"person": child}, {"person": child}, {"person": changed}])
        assert [r["status"] for r in results] == [201, 200, 409]
        assert results[1]["person"]["id"] == child["id"]
        assert results[2]["problem"]["type"].endswith(":person-exists")
        assert await count_rows(intake, Person.__table__) == 1
        assert await count_rows(intake, platform.outbox_event) == 1

    async def test_an_iin_sent_twice_is_refused_the_second_time(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        mother = fixture_body("kk", 0) | {"id": str(uuid.uuid4())}
        namesake = mother | {"id": str(uuid.uuid4())}
        results = await post_batch(intake, [{"person": mother}, {"person": namesake}])
        assert [r["status"] for r in results] == [201, 409]
        assert results[1]["problem"]["type"].endswith(":iin-taken")
        assert await count_rows(intake, Person.__table__) == 1


class TestKeysOfAnswers200:
    async def test_a_key_answered_200_is_kept_and_another_body_under_it_is_refused(
        self, intake: ServiceClient
    ) -> None:
        # As single POSTs: the second item's answer (200, the person already there) is kept
        # under its key, so the third item, the same key with another body, is a 422 (a
        # newcomer found it created a new person instead).
        await seed_operations(intake)
        child, other = new_child(1), new_child(2)
        results = await post_batch(
            intake,
            [
                {"idempotency_key": "k1", "person": child},
                {"idempotency_key": "k2", "person": child},
                {"idempotency_key": "k2", "person": other},
            ],
        )
        assert [r["status"] for r in results] == [201, 200, 422]
        assert results[2]["problem"]["type"].endswith(":idempotency-key-reused")
        assert await count_rows(intake, Person.__table__) == 1
        single = await intake.http.post(
            "/v1/persons", json=other, headers={"Idempotency-Key": "k2", **intake.auth(Role.field_worker)}
        )
        assert single.status_code == 422
        assert await count_rows(intake, Person.__table__) == 1


class TestAgainstTheRegister:
    async def test_an_iin_already_registered_refuses_only_its_item(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        mother = fixture_body("kk", 0) | {"id": str(uuid.uuid4())}
        assert (await post_batch(intake, [{"person": mother}]))[0]["status"] == 201
        results = await post_batch(
            intake,
            [
                {"person": new_child(1)},
                {"person": mother | {"id": str(uuid.uuid4())}},
                {"person": new_child(2)},
            ],
        )
        assert [r["status"] for r in results] == [201, 409, 201]
        assert await count_rows(intake, Person.__table__) == 3

    async def test_an_id_already_registered_answers_200_with_the_person(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        child = new_child(1)
        await post_batch(intake, [{"person": child}])
        results = await post_batch(intake, [{"person": new_child(2)}, {"person": child}])
        assert [r["status"] for r in results] == [201, 200]
        assert results[1]["person"]["id"] == child["id"]
        assert await count_rows(intake, Person.__table__) == 2

    async def test_an_unknown_operation_refuses_only_its_item(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        results = await post_batch(
            intake, [{"person": new_child(1) | {"operation": "nowhere"}}, {"person": new_child(2)}]
        )
        assert [r["status"] for r in results] == [422, 201]
        assert [e["field"] for e in results[0]["problem"]["errors"]] == ["operation"]


class TestLeastPrivilege:
    async def test_a_field_workers_item_with_case_notes_is_refused_as_a_single_post_is(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        results = await post_batch(
            intake, [{"person": new_child(1) | {"notes": "seen by a doctor"}}, {"person": new_child(2)}]
        )
        assert [r["status"] for r in results] == [403, 201]
        assert results[0]["problem"]["type"].endswith(":fields-not-editable")
        assert await count_rows(intake, Person.__table__) == 1


class TestWrittenTogether:
    async def test_statements_do_not_grow_with_the_number_of_items(self, intake: ServiceClient) -> None:
        # The benchmark's batch of 500 was 16-24 statements per item; now the writes of all
        # new items are one executemany per table.
        await seed_operations(intake)
        with statements_run(intake) as statements:
            await post_batch(
                intake, [{"idempotency_key": f"s-{i}", "person": new_child(1 + i % 4)} for i in range(5)]
            )
            small = len(statements)
            statements.clear()
            results = await post_batch(
                intake, [{"idempotency_key": f"l-{i}", "person": new_child(1 + i % 4)} for i in range(100)]
            )
            large = len(statements)
        assert [r["status"] for r in results] == [201] * 100
        assert large == small
        assert await count_rows(intake, Person.__table__) == 105
        assert await count_rows(intake, platform.idempotency_record) == 105


class TestARepeatedKeyComesBeforeTheItemsOwnChecks:
    """A single POST meets its key before its body is checked; so does a batch item."""

    async def test_an_invalid_item_under_a_key_already_answered_is_key_reused(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        first = new_child(1)
        invalid = new_child(2) | {"operation": "NO-SUCH-OPERATION", "sex": "x"}
        results = await post_batch(
            intake,
            [{"idempotency_key": "k-1", "person": first}, {"idempotency_key": "k-1", "person": invalid}],
        )
        assert [r["status"] for r in results] == [201, 422]
        assert results[1]["problem"]["type"].endswith(":idempotency-key-reused")
        single = await intake.http.post(
            "/v1/persons", json=invalid, headers={**intake.auth(Role.field_worker), "Idempotency-Key": "k-1"}
        )
        assert single.status_code == 422
        assert single.json()["type"] == results[1]["problem"]["type"]

    async def test_a_forbidden_item_under_a_key_already_answered_is_key_reused(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        first = new_child(1)
        results = await post_batch(
            intake,
            [
                {"idempotency_key": "k-1", "person": first},
                {"idempotency_key": "k-1", "person": new_child(2) | {"notes": "seen by a doctor"}},
            ],
        )
        assert [r["status"] for r in results] == [201, 422]
        assert results[1]["problem"]["type"].endswith(":idempotency-key-reused")

    async def test_under_a_key_whose_first_item_was_refused_an_item_gets_its_own_answer(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        refused = new_child(1) | {"operation": "NO-SUCH-OPERATION"}
        invalid = new_child(2) | {"sex": "x"}
        results = await post_batch(
            intake,
            [
                {"idempotency_key": "k-1", "person": refused},
                {"idempotency_key": "k-1", "person": invalid},
                {"idempotency_key": "k-1", "person": new_child(3)},
            ],
        )
        assert [r["status"] for r in results] == [422, 422, 201], results
        assert [e["field"] for e in results[0]["problem"]["errors"]] == ["operation"]
        assert [e["field"] for e in results[1]["problem"].get("errors", [])] == ["sex"], results[1]
        assert await count_rows(intake, Person.__table__) == 1
