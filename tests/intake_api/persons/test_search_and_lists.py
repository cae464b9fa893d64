"""The person list: text search across scripts, filters, pages, privacy per role, batch."""

from __future__ import annotations

import pytest
from tests.conftest import ServiceClient
from tests.intake_api.persons.helpers import count_rows, fixture_body, post_person, seed_operations

from apicore.auth import Role
from intake_api.models import Person, platform

AISHA = "5a110000-0000-4000-8000-000000000002"


@pytest.fixture
async def everyone(intake: ServiceClient) -> ServiceClient:
    await seed_operations(intake)
    for family, indices in (("kk", (0, 1, 2, 3)), ("ru", (0, 1, 2)), ("ar", (0, 1, 2))):
        for index in indices:
            r = await post_person(intake, fixture_body(family, index))
            assert r.status_code == 201, r.text
    man = {
        "id": "5a110000-0000-4000-8000-0000000000a1",
        "operation": "rusafa",
        "category": "man",
        "sex": "male",
        "birth_date": "1988",
        "names": [
            {"script": "Cyrl", "lang": "kk", "kind": "kazakh", "given": "Мұхаммед", "family": "Әбдірахманұлы"}
        ],
        "languages": ["kk"],
        "arrival_date": "2019-11-24",
    }
    assert (await post_person(intake, man)).status_code == 201
    return intake


async def search(intake: ServiceClient, q: str, role: Role = Role.case_worker) -> list[str]:
    r = await intake.http.get("/v1/persons", params={"q": q}, headers=intake.auth(role))
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["items"]]


class TestTextSearch:
    @pytest.mark.parametrize("q", ["Айша", "Aisha", "عائشة", "айша"])
    async def test_aisha_in_any_script_finds_the_child(self, everyone: ServiceClient, q: str) -> None:
        assert AISHA in await search(everyone, q)

    @pytest.mark.parametrize("q", ["Мухаммед", "Мұхаммед", "Muhammad", "محمد"])
    async def test_muhammad_in_any_spelling_finds_the_man(self, everyone: ServiceClient, q: str) -> None:
        assert "5a110000-0000-4000-8000-0000000000a1" in await search(everyone, q)

    async def test_every_word_must_match(self, everyone: ServiceClient) -> None:
        assert await search(everyone, "Айша Жұмабаева") == [AISHA]
        assert AISHA not in await search(everyone, "Айша Ахметова")

    async def test_a_name_nobody_has_finds_nothing(self, everyone: ServiceClient) -> None:
        assert await search(everyone, "Брунгильда") == []

    async def test_punctuation_only_is_422_not_an_empty_list(self, everyone: ServiceClient) -> None:
        # `%` is LIKE's wildcard: it must neither match everyone nor pass for a search that ran.
        r = await everyone.http.get(
            "/v1/persons", params={"q": "%%%"}, headers=everyone.auth(Role.case_worker)
        )
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("q", "no_words")]


class TestFilters:
    async def test_category_status_operation_and_needs(self, everyone: ServiceClient) -> None:
        async def ids(**params: str) -> set[str]:
            r = await everyone.http.get(
                "/v1/persons", params={**params, "limit": "200"}, headers=everyone.auth(Role.case_worker)
            )
            assert r.status_code == 200, r.text
            return {p["id"] for p in r.json()["items"]}

        children = await ids(category="child")
        assert AISHA in children
        assert await ids(needs_document="birth_certificate") == children
        assert await ids(operation="rusafa", category="woman") == {"5a110000-0000-4000-8000-000000000015"}
        assert await ids(status="arrived") == await ids()
        assert await ids(status="reunified") == set()
        assert await ids(arrived_from="2019-11-01") == await ids(operation="rusafa")

    @pytest.mark.parametrize(
        ("params", "field"),
        [
            ({"category": "alien"}, "category"),
            ({"limit": "0"}, "limit"),
            ({"limit": "201"}, "limit"),
            ({"arrived_from": "yesterday"}, "arrived_from"),
            ({"cursor": "not-a-cursor"}, "cursor"),
        ],
    )
    async def test_a_bad_filter_is_a_4xx_naming_it(
        self, everyone: ServiceClient, params: dict[str, str], field: str
    ) -> None:
        r = await everyone.http.get(
            "/v1/persons", params=params, headers={**everyone.auth(Role.case_worker), "Accept-Language": "ru"}
        )
        assert r.status_code in {400, 422}
        assert [e["field"] for e in r.json()["errors"]] == [field]

    async def test_pages_cover_everyone_once_even_with_inserts_between_pages(
        self, everyone: ServiceClient
    ) -> None:
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
            r = await everyone.http.get("/v1/persons", params=params, headers=everyone.auth(Role.case_worker))
            page = r.json()
            seen += [p["id"] for p in page["items"]]
            if not seen[3:]:
                late = fixture_body("ar", 2) | {"id": "5a110000-0000-4000-8000-0000000000b7"}
                assert (await post_person(everyone, late)).status_code == 201
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) == await count_rows(everyone, Person.__table__)

    async def test_every_person_listed_is_audited(self, everyone: ServiceClient) -> None:
        r = await everyone.http.get(
            "/v1/persons", params={"category": "child"}, headers=everyone.auth(Role.case_worker)
        )
        listed = len(r.json()["items"])
        from sqlalchemy import func, select

        t = platform.audit_event
        async with everyone.db.transaction() as session:
            audited = (
                await session.execute(select(func.count()).where(t.c.action == "person.listed"))
            ).scalar_one()
        assert audited == listed > 0


class TestPrivacy:
    async def test_case_worker_sees_notes(self, everyone: ServiceClient) -> None:
        read = await everyone.http.get(f"/v1/persons/{AISHA}", headers=everyone.auth(Role.case_worker))
        assert "notes" in read.json()
        assert "consent" in read.json()

    @pytest.mark.parametrize("role", [Role.partner, Role.field_worker])
    async def test_notes_are_absent_for_partners_and_field_workers(
        self, everyone: ServiceClient, role: Role
    ) -> None:
        read = (await everyone.http.get(f"/v1/persons/{AISHA}", headers=everyone.auth(role))).json()
        assert "notes" not in read
        listed = (await everyone.http.get("/v1/persons", headers=everyone.auth(role))).json()["items"]
        assert all("notes" not in p for p in listed)

    async def test_registrar_sees_identity_and_needs_only(self, everyone: ServiceClient) -> None:
        read = (await everyone.http.get(f"/v1/persons/{AISHA}", headers=everyone.auth(Role.registrar))).json()
        assert {"names", "birth_date", "iin", "document_needs"} <= set(read)
        assert not {"notes", "status", "facility", "consent", "languages"} & set(read)

    async def test_auditor_reads_the_trail_not_persons(self, everyone: ServiceClient) -> None:
        assert (
            await everyone.http.get(f"/v1/persons/{AISHA}", headers=everyone.auth(Role.auditor))
        ).status_code == 403
        r = await everyone.http.get(
            "/v1/audit", params={"person_id": AISHA}, headers=everyone.auth(Role.auditor)
        )
        assert r.status_code == 200
        actions = [e["action"] for e in r.json()["items"]]
        assert actions[0] == "person.created"
        assert all(e["subject_id"] == AISHA for e in r.json()["items"])

    async def test_other_roles_may_not_read_the_trail(self, everyone: ServiceClient) -> None:
        assert (
            await everyone.http.get("/v1/audit", headers=everyone.auth(Role.case_worker))
        ).status_code == 403

    async def test_interpreter_needed_is_derived_from_languages(self, everyone: ServiceClient) -> None:
        child = (
            await everyone.http.get(f"/v1/persons/{AISHA}", headers=everyone.auth(Role.case_worker))
        ).json()
        mother = (
            await everyone.http.get(
                "/v1/persons/5a110000-0000-4000-8000-000000000001", headers=everyone.auth(Role.case_worker)
            )
        ).json()
        assert child["interpreter_needed"] is True
        assert mother["interpreter_needed"] is False


class TestClientChosenId:
    async def test_same_id_and_body_without_a_key_answers_200_and_creates_nothing(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 1)
        first = await post_person(intake, body)
        again = await post_person(intake, body)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json()["id"] == first.json()["id"]
        assert await count_rows(intake, Person.__table__) == 1
        assert await count_rows(intake, platform.outbox_event) == 1

    async def test_same_id_other_body_is_409_naming_the_record(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 1)
        await post_person(intake, body)
        r = await post_person(intake, body | {"birth_date": "2015"}, headers={"Accept-Language": "ar"})
        assert r.status_code == 409
        assert r.json()["existing"] == f"/v1/persons/{body['id']}"
        assert r.headers["content-language"] == "ar"


class TestBatch:
    async def test_each_item_gets_its_result_in_order_and_bad_items_do_not_stop_good_ones(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        good, bad, also_good = fixture_body("kk", 1), fixture_body("kk", 5), fixture_body("ru", 1)
        r = await intake.http.post(
            "/v1/persons/batch",
            json={
                "items": [{"person": good}, {"person": bad}, {"idempotency_key": "b-3", "person": also_good}]
            },
            headers={**intake.auth(Role.field_worker), "Accept-Language": "kk"},
        )
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        assert [x["status"] for x in results] == [201, 422, 201]
        assert [x["index"] for x in results] == [0, 1, 2]
        assert [e["field"] for e in results[1]["problem"]["errors"]] == ["birth_date"]
        assert await count_rows(intake, Person.__table__) == 2
        assert await count_rows(intake, platform.outbox_event) == 2

    async def test_an_item_key_replays_like_a_single_post(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        body = fixture_body("ar", 1)
        single = await post_person(intake, body, headers={"Idempotency-Key": "ar-x"})
        assert single.status_code == 201
        r = await intake.http.post(
            "/v1/persons/batch",
            json={"items": [{"idempotency_key": "ar-x", "person": body}]},
            headers=intake.auth(Role.field_worker),
        )
        assert r.json()["results"][0]["status"] == 201
        assert r.json()["results"][0]["person"]["id"] == body["id"]
        other = body | {"birth_date": "2016"}
        r = await intake.http.post(
            "/v1/persons/batch",
            json={"items": [{"idempotency_key": "ar-x", "person": other}]},
            headers=intake.auth(Role.field_worker),
        )
        assert r.json()["results"][0]["status"] == 422
        assert await count_rows(intake, Person.__table__) == 1

    async def test_more_than_500_items_is_refused_whole(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        items = [{"person": fixture_body("ar", 1) | {"id": None}} for _ in range(501)]
        r = await intake.http.post(
            "/v1/persons/batch", json={"items": items}, headers=intake.auth(Role.field_worker)
        )
        assert r.status_code == 422
        assert await count_rows(intake, Person.__table__) == 0

    async def test_500_items_are_all_stored(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        items = [
            {"person": {k: v for k, v in fixture_body("ar", 1).items() if k != "id"}} for _ in range(500)
        ]
        r = await intake.http.post(
            "/v1/persons/batch", json={"items": items}, headers=intake.auth(Role.field_worker)
        )
        assert r.status_code == 200
        assert [x["status"] for x in r.json()["results"]] == [201] * 500
        assert await count_rows(intake, Person.__table__) == 500
