"""Input a tired or hostile client sends: each refused with a clear 4xx problem, nothing stored."""

from __future__ import annotations

import base64
import json

import pytest
from tests.conftest import ServiceClient
from tests.intake_api.persons.helpers import count_rows, fixture_body, post_person, seed_operations

from apicore.auth import Role
from intake_api.models import Person


def forged(parts: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


class TestForgedCursors:
    @pytest.mark.parametrize(
        "cursor",
        [
            forged(["2020-01-01T00:00:00+00:00", 5]),
            forged(["9999-12-31T23:59:59-14:00", "5a110000-0000-4000-8000-000000000001"]),
            forged(["0001-01-01T00:00:00+14:00", "5a110000-0000-4000-8000-000000000001"]),
            forged([None, None]),
            forged({"a": 1}),  # type: ignore[arg-type]
            "////",
        ],
    )
    async def test_is_400_naming_cursor(self, intake: ServiceClient, cursor: str) -> None:
        for path in ("/v1/persons", "/v1/operations", "/v1/audit"):
            role = Role.auditor if path == "/v1/audit" else Role.case_worker
            r = await intake.http.get(path, params={"cursor": cursor}, headers=intake.auth(role))
            assert r.status_code == 400, (path, r.text)
            assert [e["field"] for e in r.json()["errors"]] == ["cursor"]


class TestRefusedValues:
    @pytest.mark.parametrize(
        ("change", "field", "code"),
        [
            ({"iin": "000000000000"}, "iin", "iin_shape"),
            ({"iin": "921311412076"}, "iin", "iin_shape"),  # month 13
            ({"birth_place": {"country": "XX"}}, "birth_place.country", "country_code"),
            ({"id": "00000000-0000-0000-0000-000000000000"}, "id", "nil_uuid"),
        ],
    )
    async def test_values_of_the_right_shape_but_impossible(
        self, intake: ServiceClient, change: dict[str, object], field: str, code: str
    ) -> None:
        await seed_operations(intake)
        r = await post_person(intake, fixture_body("kk", 0) | change)
        assert r.status_code == 422, r.text
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [(field, code)]
        assert await count_rows(intake, Person.__table__) == 0

    @pytest.mark.parametrize("char", ["\u200d", "\ufeff", "\u2028", "\u202e", "\uffff", "\ue000"])
    async def test_invisible_and_direction_characters_in_names(
        self, intake: ServiceClient, char: str
    ) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 1)
        body["names"][1]["given"] = f"Ай{char}ша"
        r = await post_person(intake, body, headers={"Accept-Language": "ru"})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["names.1.given"]
        assert r.json()["errors"][0]["message"] != "Invalid value."

    async def test_a_lone_surrogate_gets_its_own_message(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        raw = json.dumps(fixture_body("kk", 1)).replace("\\u0410\\u0439\\u0448\\u0430", "\\ud800")
        raw = raw.replace('"given": "\\u0410', '"given": "\\ud800\\u0410')
        r = await intake.http.post(
            "/v1/persons",
            content=raw,
            headers={"Content-Type": "application/json", **intake.auth(Role.field_worker)},
        )
        assert r.status_code == 422
        assert {e["code"] for e in r.json()["errors"]} <= {"string_unicode", "surrogate"}
        assert all("surrogate" in e["message"] for e in r.json()["errors"])


class TestBodies:
    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"]
    )
    async def test_a_body_that_is_not_json_is_415(self, intake: ServiceClient, content_type: str) -> None:
        r = await intake.http.post(
            "/v1/persons",
            content=b"name=x",
            headers={"Content-Type": content_type, **intake.auth(Role.field_worker), "Accept-Language": "kk"},
        )
        assert r.status_code == 415
        assert r.headers["content-language"] == "kk"

    async def test_invalid_utf8_is_a_400_problem(self, intake: ServiceClient) -> None:
        r = await intake.http.post(
            "/v1/persons",
            content=b'{"a": "\xff\xfe"}',
            headers={"Content-Type": "application/json", **intake.auth(Role.field_worker)},
        )
        assert r.status_code in {400, 422}
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["title"]

    async def test_malformed_json_names_the_body_not_a_byte_offset(self, intake: ServiceClient) -> None:
        r = await intake.http.post(
            "/v1/persons",
            content=b'{"a": ',
            headers={"Content-Type": "application/json", **intake.auth(Role.field_worker)},
        )
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("", "json_invalid")]

    async def test_thousands_of_unknown_fields_get_a_short_answer(self, intake: ServiceClient) -> None:
        body = fixture_body("kk", 1) | {f"x{i}": i for i in range(5000)}
        r = await post_person(intake, body)
        assert r.status_code == 422
        assert len(r.json()["errors"]) == 50
        assert r.json()["errors_total"] >= 5000
        assert len(r.content) < 50_000

    async def test_an_idempotency_key_without_an_api_key_is_401_and_keeps_nothing(
        self, intake: ServiceClient
    ) -> None:
        r = await intake.http.post(
            "/v1/persons", json=fixture_body("kk", 1), headers={"Idempotency-Key": "not a valid key"}
        )
        assert r.status_code == 401
