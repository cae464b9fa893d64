"""Input a tired or hostile client sends: each refused with a clear 4xx problem, nothing stored."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import MetaData, func, select
from tests.conftest import ServiceClient, make_keys, per_request_state
from tests.docs_service.conftest import INTAKE_KEY, INTAKE_URL, FakeIntake
from tests.intake_api.persons.helpers import count_rows, fixture_body, post_person, seed_operations

from apicore.auth import Role
from apicore.problems import _FALLBACK_MESSAGE as _FALLBACK
from apicore.problems import PROBLEM_JSON, PROBLEM_TYPE_PREFIX, PROBLEM_TYPES
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

    @pytest.mark.parametrize(
        ("content", "code", "message"),
        [
            (b"[" * 100_000 + b"]" * 100_000, "json_too_deep", "Слишком глубокая вложенность"),
            (
                b'{"id": ' + b"7" * 5_000 + b"}",
                "number_too_long",
                "В числе в теле запроса слишком много цифр.",
            ),
        ],
        ids=["nested-100000", "5000-digits"],
    )
    async def test_json_python_cannot_parse_says_why_not_to_send_utf8(
        self, intake: ServiceClient, content: bytes, code: str, message: str
    ) -> None:
        # Both bodies are valid UTF-8: "send UTF-8" (the encoding problem's detail) misled.
        r = await intake.http.post(
            "/v1/persons",
            content=content,
            headers={
                "Content-Type": "application/json",
                "Accept-Language": "ru",
                **intake.auth(Role.field_worker),
            },
        )
        assert r.status_code == 400
        problem = r.json()
        assert problem["type"].endswith(":malformed-body")
        assert problem["detail"] == "Не удалось прочитать тело запроса как JSON."
        [error] = problem["errors"]
        assert (error["field"], error["code"]) == ("", code)
        assert error["message"].startswith(message)

    async def test_a_member_given_twice_is_422_naming_it_and_nothing_is_stored(
        self, intake: ServiceClient
    ) -> None:
        # Python kept the last value: a validator in front keeping the first saw another person.
        await seed_operations(intake)
        body = json.dumps(fixture_body("kk", 1), ensure_ascii=False)
        top = body[:-1] + ', "sex": "male"}'
        nested = body.replace('"given": ', '"given": "Омар", "given": ', 1)
        cases = {top: "sex", nested: "names.0.given"}
        for content, field in cases.items():
            r = await intake.http.post(
                "/v1/persons",
                content=content.encode(),
                headers={
                    "Content-Type": "application/json",
                    "Accept-Language": "ru",
                    **intake.auth(Role.field_worker),
                },
            )
            problem = assert_problem(r, {422}, "ru")
            assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, "duplicate_key")]
            assert problem["errors"][0]["message"] == "Указано дважды в одном объекте: укажите один раз."
        batch = '{"items": [{"person": ' + top + "}]}"
        r = await intake.http.post(
            "/v1/persons/batch",
            content=batch.encode(),
            headers={"Content-Type": "application/json", **intake.auth(Role.field_worker)},
        )
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("items.0.person.sex", "duplicate_key")
        ]
        assert await count_rows(intake, Person.__table__) == 0
        # The same body without the repetition is registered.
        ok = await intake.http.post(
            "/v1/persons",
            content=body.encode(),
            headers={"Content-Type": "application/json", **intake.auth(Role.field_worker)},
        )
        assert ok.status_code == 201, ok.text

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

    async def test_two_idempotency_keys_are_400_and_keep_nothing(self, intake: ServiceClient) -> None:
        # A proxy keeping one while we kept the other would disagree about which request this is.
        await seed_operations(intake)
        headers = [
            *intake.auth(Role.field_worker).items(),
            ("Accept-Language", "ar"),
            ("Idempotency-Key", "key-a"),
            ("Idempotency-Key", "key-b"),
        ]
        r = await intake.http.post("/v1/persons", json=fixture_body("kk", 1), headers=headers)
        problem = assert_problem(r, {400}, "ar")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [
            ("Idempotency-Key", "repeated_parameter")
        ]
        assert problem["detail"] == "أرسل ترويسة Idempotency-Key واحدة، لا عدة ترويسات."
        assert await count_rows(intake, Person.__table__) == 0

    async def test_two_if_match_lines_are_one_list(self, intake: ServiceClient) -> None:
        # RFC 9110, 13.1.1: If-Match is a list; its lines mean the same as one joined by commas.
        await seed_operations(intake)
        body = fixture_body("kk", 1)
        assert (await post_person(intake, body)).status_code == 201
        headers = [
            *intake.auth(Role.case_worker).items(),
            ("Content-Type", "application/merge-patch+json"),
            ("If-Match", '"7"'),
            ("If-Match", '"1"'),
        ]
        r = await intake.http.patch(f"/v1/persons/{body['id']}", json={"languages": ["kk"]}, headers=headers)
        assert (r.status_code, r.headers.get("etag")) == (200, '"2"'), r.text


# --- Both services, both databases: every kind of hostile input the issue lists ----------------
#
# Each case is sent to intake and to the documents service, on SQLite and on PostgreSQL, in
# Kazakh, Russian or Arabic, and must come back as a 4xx problem in that language while no row of
# any table of that service's database changes (audit trail, idempotency records and outbox
# included).


@dataclass
class Service:
    """A running service with seeded records and what the hostile cases aim at."""

    name: str
    client: ServiceClient
    metadata: MetaData
    create_path: str
    create_role: Role
    create_body: dict[str, Any]
    patch_path: str
    patch_role: Role
    lists: list[tuple[str, Role]]
    free_text: tuple[str, str]
    """`(patch field, nested key)` of a free-text field the service stores as typed."""
    name_request: tuple[str, str, Role, Callable[[str], dict[str, Any]], str]
    """`(method, path, role, body with a given name, field of that name)`: a request carrying a
    person's name."""

    def auth(self, role: Role, lang: str = "en") -> dict[str, str]:
        return {**self.client.auth(role), "Accept-Language": lang}


async def _intake_service(url: str) -> AsyncIterator[Service]:
    from intake_api.app import create_app
    from intake_api.models import Base, platform
    from intake_api.settings import IntakeSettings

    keys = await make_keys(url, platform)
    settings = IntakeSettings(
        database_url=url, outbox_enabled=False, docs_service_url="http://127.0.0.1:9", docs_service_key="x"
    )
    app = create_app(settings)
    async with (
        LifespanManager(per_request_state(app)) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://intake.test"
        ) as http,
    ):
        client = ServiceClient(http, keys, app.state.ctx.db, app)
        await seed_operations(client)
        r = await post_person(client, fixture_body("kk", 0))
        assert r.status_code == 201, r.text
        person_id = r.json()["id"]
        r = await http.post(
            "/v1/relatives",
            json={
                "person_id": person_id,
                "name": "Серікова Гүлнар",
                "relation": "sibling",
                "region": "KZ-75",
            },
            headers=client.auth(Role.case_worker),
        )
        assert r.status_code == 201, r.text
        yield Service(
            name="intake",
            client=client,
            metadata=Base.metadata,
            create_path="/v1/persons",
            create_role=Role.field_worker,
            create_body=fixture_body("kk", 1),
            patch_path=f"/v1/relatives/{r.json()['id']}",
            patch_role=Role.case_worker,
            lists=[
                ("/v1/persons", Role.case_worker),
                ("/v1/operations", Role.case_worker),
                ("/v1/households", Role.case_worker),
                ("/v1/relatives", Role.case_worker),
                ("/v1/audit", Role.auditor),
                ("/v1/outbox", Role.admin),
            ],
            free_text=("locality", ""),
            name_request=(
                "POST",
                f"/v1/persons/{person_id}/names",
                Role.field_worker,
                lambda given: {"script": "Cyrl", "kind": "alias", "given": given},
                "given",
            ),
        )


async def _docs_service(url: str) -> AsyncIterator[Service]:
    from docs_service.app import create_app
    from docs_service.models import Base, platform
    from docs_service.settings import DocsSettings

    keys = await make_keys(url, platform)
    fake = FakeIntake()
    child, mother = fake.add("child"), fake.add("woman")
    settings = DocsSettings(
        database_url=url, outbox_enabled=False, intake_service_url=INTAKE_URL, intake_service_key=INTAKE_KEY
    )
    app = create_app(settings)
    async with (
        LifespanManager(per_request_state(app)) as manager,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://docs.test"
        ) as http,
    ):
        ctx = app.state.ctx
        ctx.http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handler))
        client = ServiceClient(http, keys, ctx.db, app)
        try:
            r = await http.post(
                "/v1/requests",
                json={"person_id": str(child), "kind": "birth_certificate"},
                headers=client.auth(Role.case_worker),
            )
            assert r.status_code == 201, r.text
            yield Service(
                name="docs",
                client=client,
                metadata=Base.metadata,
                create_path="/v1/requests",
                create_role=Role.case_worker,
                create_body={"person_id": str(mother), "kind": "passport"},
                patch_path=f"/v1/requests/{r.json()['id']}",
                patch_role=Role.registrar,
                lists=[
                    ("/v1/requests", Role.case_worker),
                    ("/v1/documents", Role.registrar),
                    ("/v1/audit", Role.auditor),
                    ("/v1/outbox", Role.admin),
                ],
                free_text=("assignment", "office"),
                name_request=(
                    "PATCH",
                    f"/v1/requests/{r.json()['id']}",
                    Role.registrar,
                    lambda given: {"names": {"family": "Сейітова", "given": given}},
                    "names.given",
                ),
            )
        finally:
            await ctx.http.aclose()


@pytest.fixture(params=["intake", "docs"])
def service_database(request: pytest.FixtureRequest, backend: str) -> tuple[str, str]:
    """`(service, database URL)`: a fresh database of `backend` for that service only."""
    name = str(request.param)
    return name, str(request.getfixturevalue(f"{name}_db_url"))


@pytest.fixture
async def service(service_database: tuple[str, str]) -> AsyncIterator[Service]:
    """Intake or the documents service, seeded, on its fresh database."""
    name, url = service_database
    async for running in _intake_service(url) if name == "intake" else _docs_service(url):
        yield running


async def snapshot(service: Service) -> dict[str, int]:
    """Rows in every table of the service's database."""
    async with service.client.db.transaction() as session:
        return {
            table.name: int((await session.execute(select(func.count()).select_from(table))).scalar_one())
            for table in service.metadata.sorted_tables
        }


LANGUAGES = ("kk", "ru", "ar")


def assert_problem(r: httpx.Response, statuses: set[int], lang: str) -> dict[str, Any]:
    """A 4xx RFC 9457 problem of one of `statuses`, in `lang`, with its title in that language."""
    assert r.status_code in statuses, (r.status_code, r.text[:500])
    assert r.headers["content-type"].split(";")[0] == PROBLEM_JSON
    assert r.headers["content-language"] == lang
    problem: dict[str, Any] = json.loads(r.content.decode("utf-8"))  # strict UTF-8, valid JSON
    assert problem["status"] == r.status_code
    kind = next(c for c in PROBLEM_TYPES.values() if PROBLEM_TYPE_PREFIX + c.slug == problem["type"])
    assert problem["title"] == kind.title.render(lang) != kind.title.render("en")
    for error in problem.get("errors", []):
        assert error["message"], error
        assert error["message"] != _FALLBACK.render(lang), error
    return problem


class TestNothingChanges:
    """Every hostile request below leaves each table of the service's database as it was."""

    async def send(
        self, service: Service, method: str, path: str, lang: str, **kwargs: Any
    ) -> httpx.Response:
        before = await snapshot(service)
        r = await service.client.http.request(method, path, **kwargs)
        assert await snapshot(service) == before, f"{method} {path} changed the database"
        return r

    async def post_raw(
        self, service: Service, content: bytes, lang: str, content_type: str = "application/json"
    ) -> httpx.Response:
        headers = {
            **service.auth(service.create_role, lang),
            "Content-Type": content_type,
            "Idempotency-Key": f"hostile-{uuid.uuid4()}",
        }
        return await self.send(service, "POST", service.create_path, lang, content=content, headers=headers)

    async def test_a_body_over_the_limit_is_413(self, service: Service) -> None:
        body = json.dumps({**service.create_body, "padding": "x" * (2 * 1024 * 1024)}).encode()
        r = await self.post_raw(service, body, "kk")
        assert_problem(r, {413}, "kk")

    async def test_deeply_nested_json_is_refused(self, service: Service) -> None:
        # Past Python's recursion limit (100,000 and 2,000) and under it (500).
        for depth in (100_000, 2_000, 500):
            nested = "[" * depth + "]" * depth
            body = json.dumps(service.create_body)[:-1] + f', "nested": {nested}}}'
            r = await self.post_raw(service, body.encode(), "ru")
            assert_problem(r, {400, 422}, "ru")

    async def test_a_string_of_one_megabyte_is_refused_without_echoing_it(self, service: Service) -> None:
        field, key = service.free_text
        value: Any = "ы" * 500_000 if not key else {key: "ы" * 500_000}  # 1 MB of UTF-8
        r = await self.send(
            service,
            "PATCH",
            service.patch_path,
            "ar",
            json={field: value},
            headers={**service.auth(service.patch_role, "ar"), "If-Match": "*"},
        )
        problem = assert_problem(r, {422}, "ar")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [
            (".".join(p for p in (field, key) if p), "string_too_long")
        ]
        assert len(r.content) < 10_000

    async def test_invalid_utf8_is_a_400_problem(self, service: Service) -> None:
        r = await self.post_raw(service, b'{"kind": "\xff\xfe\xc3\x28"}', "kk")
        assert_problem(r, {400}, "kk")["type"].endswith(":malformed-body")

    async def test_characters_no_database_should_store_are_refused_naming_the_field(
        self, service: Service
    ) -> None:
        field, key = service.free_text
        path = ".".join(p for p in (field, key) if p)
        for text, code in (
            ("Ай\\u0000ша", "nul_character"),  # PostgreSQL refuses NUL in text
            ("Ай\\ud800ша", "surrogate"),  # a lone surrogate: no UTF-8 for it, SQLite fails the insert
            ("Ай\\ufffdша", "replacement_character"),  # what a decoder left of bytes not UTF-8
            ("Ай\\u202eша", "bidi_control"),  # right-to-left override
            ("Ай\\u200dша", "invisible_character"),  # zero-width joiner
        ):
            raw = f'{{"{field}": "{text}"}}' if not key else f'{{"{field}": {{"{key}": "{text}"}}}}'
            r = await self.send(
                service,
                "PATCH",
                service.patch_path,
                "ru",
                content=raw.encode(),
                headers={
                    **service.auth(service.patch_role, "ru"),
                    "If-Match": "*",
                    "Content-Type": "application/merge-patch+json",
                },
            )
            problem = assert_problem(r, {422}, "ru")
            # pydantic's own check may name a lone surrogate first: `string_unicode`.
            assert {(e["field"], e["code"]) for e in problem["errors"]} <= {
                (path, code),
                (path, "string_unicode"),
            }

    async def test_direction_overrides_joiners_and_code_in_a_name_are_refused(self, service: Service) -> None:
        method, path, role, body, field = service.name_request
        for given, code in (
            ("Ай\u202eша", "bidi_control"),  # RIGHT-TO-LEFT OVERRIDE: shows a name reversed
            ("Ай\u200dша", "invisible_character"),  # ZERO WIDTH JOINER
            ("Ай\u200bша", "invisible_character"),  # ZERO WIDTH SPACE
            ("Al\u3164i", "invisible_character"),  # HANGUL FILLER: a letter that draws nothing
            ("A\u034fli", "invisible_character"),  # COMBINING GRAPHEME JOINER
            ("Ali\ufe0f", "invisible_character"),  # VARIATION SELECTOR-16
            ("Robert'); DROP TABLE person;--", "name_characters"),
            ("<script>alert(1)</script>", "name_characters"),
        ):
            headers = {**service.auth(role, "ar"), "If-Match": "*"}
            r = await self.send(service, method, path, "ar", json=body(given), headers=headers)
            problem = assert_problem(r, {422}, "ar")
            assert [(e["field"], e["code"]) for e in problem["errors"]] == [(field, code)], given

    async def test_a_hostile_unknown_field_name_is_refused_in_valid_utf8(self, service: Service) -> None:
        for key in ("\\ud800", "a\\u0000b", "\\u202e"):
            body = json.dumps(service.create_body)[:-1] + f', "{key}": 1}}'
            r = await self.post_raw(service, body.encode(), "ar")
            problem = assert_problem(r, {422}, "ar")
            # pydantic cannot read a key with a lone surrogate at all: `string_unicode`.
            assert [e["code"] for e in problem["errors"]] in (["extra_forbidden"], ["string_unicode"])

    async def test_unknown_fields_at_any_depth_are_named(self, service: Service) -> None:
        body = {**service.create_body, "colour": "red"}
        r = await self.post_raw(service, json.dumps(body).encode(), "kk")
        problem = assert_problem(r, {422}, "kk")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [("colour", "extra_forbidden")]
        field, key = service.free_text
        nested = (
            {field: {key: "x", "floor": 3}} if key else {"contact": {"phone": "+77012345678", "floor": 3}}
        )
        r = await self.send(
            service,
            "PATCH",
            service.patch_path,
            "kk",
            json=nested,
            headers={**service.auth(service.patch_role, "kk"), "If-Match": "*"},
        )
        problem = assert_problem(r, {422}, "kk")
        assert [e["code"] for e in problem["errors"]] == ["extra_forbidden"]
        assert problem["errors"][0]["field"].endswith(".floor")

    async def test_a_body_that_is_not_utf8_json_is_415(self, service: Service) -> None:
        for content_type in (
            "text/plain",
            "application/xml",
            "multipart/form-data; boundary=x",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin-1",
        ):
            r = await self.post_raw(service, json.dumps(service.create_body).encode(), "ar", content_type)
            assert_problem(r, {415}, "ar")
            headers = {
                **service.auth(service.patch_role, "ar"),
                "If-Match": "*",
                "Content-Type": content_type,
            }
            r = await self.send(service, "PATCH", service.patch_path, "ar", content=b"{}", headers=headers)
            assert_problem(r, {415}, "ar")

    async def test_a_method_a_collection_does_not_take_is_405_with_allow(self, service: Service) -> None:
        for method in ("PUT", "DELETE", "PATCH"):
            headers = service.auth(Role.admin, "kk")
            r = await self.send(service, method, service.create_path, "kk", json={}, headers=headers)
            assert_problem(r, {405}, "kk")
            assert set(r.headers["allow"].split(", ")) == {"GET", "POST"}

    async def test_a_limit_out_of_range_is_422_naming_it(self, service: Service) -> None:
        for path, role in service.lists:
            for limit in ("201", "1" + "0" * 30, "-1", "0", "1e3", "٢٠", "ten"):
                r = await self.send(
                    service, "GET", path, "ru", params={"limit": limit}, headers=service.auth(role, "ru")
                )
                problem = assert_problem(r, {422}, "ru")
                assert [e["field"] for e in problem["errors"]] == ["limit"], path

    async def test_a_forged_cursor_is_400_naming_it(self, service: Service) -> None:
        cursors = (
            forged(["2020-01-01T00:00:00+00:00", 5]),
            forged(["9999-12-31T23:59:59-14:00", str(uuid.uuid4())]),
            forged([None, None]),
            "////",
            "A" * 200,
            "\u0410\u0439",
        )
        for path, role in service.lists:
            for cursor in cursors:
                r = await self.send(
                    service, "GET", path, "ar", params={"cursor": cursor}, headers=service.auth(role, "ar")
                )
                problem = assert_problem(r, {400}, "ar")
                assert [e["field"] for e in problem["errors"]] == ["cursor"], path

    async def test_nul_in_a_query_filter_is_422_not_a_database_error(self, service: Service) -> None:
        # On PostgreSQL `?actor=a%00b` used to reach the database and answer 500.
        filters = {"intake": [("/v1/persons", {"q": "Ай\x00ша"}, Role.case_worker)], "docs": []}
        filters["docs"] = [
            ("/v1/documents/passport/N12%0034567", {}, Role.registrar),
            ("/v1/documents/birth_certificate/1234567", {"series": "I-\x00АЖ"}, Role.registrar),
        ]
        for path, params, role in [
            ("/v1/audit", {"actor": "admin\x00"}, Role.auditor),
            *filters[service.name],
        ]:
            r = await self.send(service, "GET", path, "kk", params=params, headers=service.auth(role, "kk"))
            problem = assert_problem(r, {422}, "kk")
            assert [e["code"] for e in problem["errors"]] == ["nul_character"], path

    async def test_bytes_not_utf8_in_a_query_filter_are_422_naming_it(self, service: Service) -> None:
        # `%FF` and an encoded lone surrogate (`%ED%A0%80`) decode to U+FFFD: the text is lost, and
        # a search for it used to answer 200 with an empty list.
        filters = {
            "intake": [("/v1/persons", "q", Role.case_worker)],
            "docs": [("/v1/documents/birth_certificate/1234567", "series", Role.registrar)],
        }
        for path, name, role in [("/v1/audit", "actor", Role.auditor), *filters[service.name]]:
            for raw in ("%FF%FE", "%ED%A0%80", "%D0%90%FF%D0%91"):
                target = f"{path}?{name}={raw}"
                r = await self.send(service, "GET", target, "ar", headers=service.auth(role, "ar"))
                problem = assert_problem(r, {422}, "ar")
                assert [e["code"] for e in problem["errors"]] == ["replacement_character"], (path, raw)
                assert problem["errors"][0]["field"].endswith(name)
                assert "UTF-8" in problem["errors"][0]["message"]


class TestDeepBatchItems:
    @pytest.mark.parametrize("depth", [50_000, 900, 200])
    async def test_a_deeply_nested_batch_item_fails_alone_or_the_batch_is_refused(
        self, intake: ServiceClient, depth: int
    ) -> None:
        # A batch item's person is any JSON, validated on its own.
        await seed_operations(intake)
        person = "[" * depth + "]" * depth
        body = f'{{"items": [{{"person": {person}}}]}}'
        r = await intake.http.post(
            "/v1/persons/batch",
            content=body.encode(),
            headers={
                **intake.auth(Role.field_worker),
                "Content-Type": "application/json",
                "Accept-Language": "kk",
            },
        )
        if r.status_code == 200:
            [result] = r.json()["results"]
            assert result["status"] == 422, result
        else:
            assert_problem(r, {400, 422}, "kk")
        assert await count_rows(intake, Person.__table__) == 0


class TestFragmentsStoredAsPlainText:
    """SQL and script fragments in free text are data: stored and returned exactly as sent."""

    @pytest.mark.parametrize(
        "text",
        [
            "Robert'); DROP TABLE person;--",
            "' OR '1'='1",
            "<script>alert(1)</script>",
            '"><img src=x onerror=alert(1)>',
            "{{7*7}} ${7*7} %s %n",
        ],
    )
    async def test_free_text_round_trips(self, service: Service, text: str) -> None:
        field, key = service.free_text
        r = await service.client.http.patch(
            service.patch_path,
            json={field: {key: text} if key else text},
            headers={**service.auth(service.patch_role), "If-Match": "*"},
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].split(";")[0] == "application/json"
        stored = r.json()[field][key] if key else r.json()[field]
        assert stored == text
        read = await service.client.http.get(service.patch_path, headers=service.auth(service.patch_role))
        assert (read.json()[field][key] if key else read.json()[field]) == text
        # The tables are still there and hold what they held.
        assert (await snapshot(service))[service.metadata.sorted_tables[0].name] >= 0

    @pytest.mark.parametrize("text", ["Robert'); DROP TABLE person;--", "<script>alert(1)</script>"])
    async def test_in_a_person_name_they_are_refused_as_symbols(
        self, intake: ServiceClient, text: str
    ) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 1)
        body["names"][0]["given"] = text
        r = await post_person(intake, body, headers={"Accept-Language": "kk"})
        problem = assert_problem(r, {422}, "kk")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [("names.0.given", "name_characters")]
        assert await count_rows(intake, Person.__table__) == 0

    async def test_in_a_search_they_find_nothing_and_break_nothing(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        assert (await post_person(intake, fixture_body("kk", 0))).status_code == 201
        for q in ["' OR '1'='1", "'; DROP TABLE person;--", "<script>"]:
            r = await intake.http.get("/v1/persons", params={"q": q}, headers=intake.auth(Role.case_worker))
            assert r.status_code == 200, (q, r.text)
            assert r.json()["items"] == [], q
        for q in ["%", "_", "\\"]:  # LIKE's wildcards, alone: no word to search for
            r = await intake.http.get("/v1/persons", params={"q": q}, headers=intake.auth(Role.case_worker))
            assert r.status_code == 422, (q, r.text)
            assert [e["code"] for e in r.json()["errors"]] == ["no_words"]
        assert await count_rows(intake, Person.__table__) == 1


class TestBatchPathIsNotAPerson:
    async def test_patch_on_the_batch_resource_is_405_not_a_malformed_id(self, intake: ServiceClient) -> None:
        # Found by schemathesis: `PATCH /v1/persons/batch` reached `PATCH /v1/persons/{person_id}`
        # and answered 422 for the id `batch`; the path names the batch resource (OpenAPI 3.1:
        # concrete paths before templated ones), which takes POST only.
        for method in ("GET", "PATCH", "DELETE"):
            r = await intake.http.request(
                method, "/v1/persons/batch", headers={**intake.auth(Role.admin), "Accept-Language": "ru"}
            )
            assert_problem(r, {405}, "ru")
            assert r.headers["allow"] == "POST"

    async def test_a_malformed_person_id_is_still_422_naming_it(self, intake: ServiceClient) -> None:
        r = await intake.http.get("/v1/persons/not-a-uuid", headers=intake.auth(Role.case_worker))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["person_id"]


class TestUnknownQueryParameters:
    """A query parameter a route does not declare is refused like an unknown body field: a
    mistyped filter must not widen a list (and its audit) to every person."""

    @staticmethod
    async def refused_list(intake: ServiceClient, query: str, lang: str) -> dict[str, Any]:
        """GET /v1/persons?`query` with one person registered: the 422 problem, audit unchanged."""
        await seed_operations(intake)
        assert (await post_person(intake, fixture_body("kk", 1))).status_code == 201
        audit = intake.app.state.ctx.tables.audit_event if intake.app else None
        assert audit is not None
        before = await count_rows(intake, audit)
        r = await intake.http.get(
            f"/v1/persons?{query}", headers={**intake.auth(Role.case_worker), "Accept-Language": lang}
        )
        problem = assert_problem(r, {422}, lang)
        assert await count_rows(intake, audit) == before
        return problem

    async def test_a_repeated_parameter_is_refused_not_read_for_its_last_value(
        self, intake: ServiceClient
    ) -> None:
        problem = await self.refused_list(intake, "category=child&category=woman&limit=10&limit=20", "ru")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [
            ("category", "repeated_parameter"),
            ("limit", "repeated_parameter"),
        ]
        assert problem["errors"][0]["message"] == "Укажите этот параметр только один раз."

    async def test_a_mistyped_filter_is_refused_and_audits_nothing(self, intake: ServiceClient) -> None:
        problem = await self.refused_list(intake, "operaton=zhusan-2&categry=child&limit=5", "kk")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [
            ("operaton", "extra_forbidden"),
            ("categry", "extra_forbidden"),
        ]
        # The declared ones still work, and a read of one person takes none.
        listed = await intake.http.get(
            "/v1/persons?category=child&limit=5", headers=intake.auth(Role.case_worker)
        )
        assert listed.status_code == 200, listed.text
        person = listed.json()["items"][0]["id"]
        read = await intake.http.get(
            f"/v1/persons/{person}?fields=all",
            headers={**intake.auth(Role.case_worker), "Accept-Language": "ru"},
        )
        problem = assert_problem(read, {422}, "ru")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [("fields", "extra_forbidden")]

    async def test_the_documents_service_refuses_them_too(self, docs: ServiceClient) -> None:
        r = await docs.http.get(
            "/v1/documents?number=%00", headers={**docs.auth(Role.admin), "Accept-Language": "ar"}
        )
        problem = assert_problem(r, {422}, "ar")
        assert [(e["field"], e["code"]) for e in problem["errors"]] == [("number", "extra_forbidden")]
