"""POST/GET /v1/persons through the real app on the migrated schema."""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import func, select
from tests.conftest import FIXTURES_DIR, ServiceClient

from apicore.auth import Role
from intake_api.models import DocumentNeed, Person, platform


def fixture_request(family: str, index: int) -> dict[str, Any]:
    """One request of a field scenario file."""
    data = json.loads((FIXTURES_DIR / f"family-{family}.json").read_text("utf-8"))
    return copy.deepcopy(data["requests"][index])


async def seed_operations(intake: ServiceClient) -> None:
    ops = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]
    for op in ops:
        r = await intake.http.post("/v1/operations", json=op, headers=intake.auth(Role.admin))
        assert r.status_code == 201, r.text


async def count(intake: ServiceClient, what: Any) -> int:
    async with intake.db.transaction() as session:
        return int((await session.execute(select(func.count()).select_from(what))).scalar_one())


class TestRegisterReturnee:
    async def test_child_is_created_with_birth_certificate_need(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        req = fixture_request("kk", 1)
        r = await intake.http.post(
            "/v1/persons", json=req["body"], headers={**req["headers"], **intake.auth(Role.field_worker)}
        )
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["birth_date"] == "2016"
        assert r.headers["content-language"] == "kk"
        assert r.headers["location"] == f"/v1/persons/{body['id']}"
        assert [n["kind"] for n in body["document_needs"]] == ["birth_certificate"]
        assert body["document_needs"][0]["delivery"] == "pending"
        assert await count(intake, platform.outbox_event) == 1

    async def test_arabic_indic_digits_are_stored_as_ascii(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        req = fixture_request("ar", 0)
        r = await intake.http.post(
            "/v1/persons", json=req["body"], headers={**req["headers"], **intake.auth(Role.field_worker)}
        )
        assert r.status_code == 201, r.text
        read = await intake.http.get(
            f"/v1/persons/{req['body']['id']}", headers=intake.auth(Role.case_worker)
        )
        assert read.status_code == 200
        assert read.json()["iin"] == "950130408849"
        assert read.json()["birth_date"] == "1995-01-30"

    async def test_same_idempotency_key_replays_first_answer(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        req = fixture_request("kk", 3)
        headers = {**req["headers"], **intake.auth(Role.field_worker)}
        first = await intake.http.post("/v1/persons", json=req["body"], headers=headers)
        again = await intake.http.post("/v1/persons", json=req["body"], headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert await count(intake, Person.__table__) == 1

    async def test_same_key_other_body_is_422_and_changes_nothing(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        first, second = fixture_request("ar", 2), fixture_request("ar", 3)
        headers = {**first["headers"], **intake.auth(Role.field_worker)}
        assert (await intake.http.post("/v1/persons", json=first["body"], headers=headers)).status_code == 201
        r = await intake.http.post("/v1/persons", json=second["body"], headers=headers)
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers["content-language"] == "ar"
        read = await intake.http.get(
            f"/v1/persons/{first['body']['id']}", headers=intake.auth(Role.case_worker)
        )
        assert read.json()["birth_date"] == "2019"

    async def test_refused_request_leaves_nothing_under_its_key(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        bad, good = fixture_request("kk", 5), fixture_request("kk", 6)
        headers = {**bad["headers"], **intake.auth(Role.field_worker)}
        r = await intake.http.post("/v1/persons", json=bad["body"], headers=headers)
        assert r.status_code == 422
        assert any(e["field"] == "birth_date" for e in r.json()["errors"])
        assert await count(intake, platform.idempotency_record) == 0
        r = await intake.http.post("/v1/persons", json=good["body"], headers=headers)
        assert r.status_code == 201

    async def test_adult_registered_as_child_is_refused_naming_category(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        req = fixture_request("ru", 3)
        r = await intake.http.post(
            "/v1/persons", json=req["body"], headers={**req["headers"], **intake.auth(Role.field_worker)}
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["category"]
        assert r.headers["content-language"] == "ru"
        assert await count(intake, Person.__table__) == 0
        assert await count(intake, DocumentNeed.__table__) == 0
        assert await count(intake, platform.outbox_event) == 0

    async def test_string_for_boolean_is_refused(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        req = fixture_request("ru", 5)
        r = await intake.http.post(
            "/v1/persons", json=req["body"], headers={**req["headers"], **intake.auth(Role.field_worker)}
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["birth_date_estimated"]

    async def test_mixed_script_and_iin_mismatch_are_warnings(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        for index, code, field in ((2, "mixed_script", "names.1.family"), (4, "iin_mismatch", "iin")):
            req = fixture_request("ru", index)
            r = await intake.http.post(
                "/v1/persons", json=req["body"], headers={**req["headers"], **intake.auth(Role.field_worker)}
            )
            assert r.status_code == 201, r.text
            warnings = r.json()["warnings"]
            assert [(w["code"], w["field"]) for w in warnings] == [(code, field)]
            assert warnings[0]["message"]

    async def test_letters_outside_a_names_script_are_a_warning_in_the_callers_language(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        messages = {}
        for lang in ("kk", "ru", "ar"):
            body = copy.deepcopy(fixture_request("ru", 0)["body"])
            body.pop("id", None)
            body["iin"] = None
            body["names"].append({"script": "Latn", "kind": "alias", "given": "김민준", "family": "Kim"})
            r = await intake.http.post(
                "/v1/persons", json=body, headers={"Accept-Language": lang, **intake.auth(Role.field_worker)}
            )
            assert r.status_code == 201, r.text
            position = len(body["names"]) - 1
            warnings = r.json()["warnings"]
            expected = [("script_mismatch", f"names.{position}.given")]
            assert [(w["code"], w["field"]) for w in warnings] == expected
            assert r.json()["names"][position]["given"] == "김민준"  # kept as typed
            messages[lang] = warnings[0]["message"]
        assert len(set(messages.values())) == 3, messages

    async def test_unknown_field_is_refused_naming_it(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        req = fixture_request("ar", 5)
        r = await intake.http.post(
            "/v1/persons", json=req["body"], headers={**req["headers"], **intake.auth(Role.field_worker)}
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["nickname"]
        assert r.json()["title"] != "Validation failed"  # Arabic, not the English fallback


class TestValidationDetail:
    async def test_detail_counts_invalid_fields_in_the_plural_form_of_the_language(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        body = fixture_request("ru", 0)["body"]
        bad = {"category": "alien", "sex": "x", "birth_date": "1990-13", "iin": "1", "arrival_date": "soon"}
        details = {}
        for n in (1, 2, 5):
            broken = {**body, **dict(list(bad.items())[:n])}
            r = await intake.http.post(
                "/v1/persons",
                json=broken,
                headers={"Accept-Language": "ru", **intake.auth(Role.field_worker)},
            )
            assert r.status_code == 422
            assert len(r.json()["errors"]) == n
            details[n] = r.json()["detail"]
        # Russian CLDR forms: 1 one ("поле"), 2 few ("поля"), 5 many ("полей").
        assert details[1].startswith("1 поле ")
        assert details[2].startswith("2 поля ")
        assert details[5].startswith("5 полей ")


class TestUniqueness:
    async def test_iin_held_by_another_person_is_409_naming_iin(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        first = fixture_request("kk", 0)["body"]
        second = {**first, "id": "5a110000-0000-4000-8000-0000000000ff"}
        assert (
            await intake.http.post("/v1/persons", json=first, headers=intake.auth(Role.field_worker))
        ).status_code == 201
        r = await intake.http.post(
            "/v1/persons", json=second, headers={"Accept-Language": "kk", **intake.auth(Role.field_worker)}
        )
        assert r.status_code == 409
        assert r.json()["type"].endswith("iin-taken")
        assert [e["field"] for e in r.json()["errors"]] == ["iin"]
        assert await count(intake, Person.__table__) == 1

    async def test_concurrent_persons_with_one_iin_give_one_person_and_iin_conflicts(
        self, intake: ServiceClient
    ) -> None:
        import asyncio

        await seed_operations(intake)
        base = fixture_request("kk", 0)["body"]
        bodies = [{**base, "id": f"5a110000-0000-4000-8000-0000000001{i:02d}"} for i in range(8)]
        answers = await asyncio.gather(
            *(intake.http.post("/v1/persons", json=b, headers=intake.auth(Role.field_worker)) for b in bodies)
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [201] + [409] * 7
        assert all(a.json()["type"].endswith("iin-taken") for a in answers if a.status_code == 409)
        assert await count(intake, Person.__table__) == 1
        assert await count(intake, platform.outbox_event) == 1
