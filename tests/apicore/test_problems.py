"""Every error both services answer is an RFC 9457 problem in the negotiated language."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter
from tests.conftest import FIXTURES_DIR, ServiceClient

from apicore.auth import Role
from apicore.problems import (
    PROBLEM_JSON,
    FieldError,
    InternalError,
    MethodNotAllowed,
    NotFound,
    ValidationFailed,
    field_message,
)
from apicore.service import create_service_app
from intake_api.models import platform
from intake_api.settings import IntakeSettings

PERSON_ID = "5a110000-0000-4000-8000-00000000e001"


def person_body() -> dict[str, Any]:
    data = json.loads((FIXTURES_DIR / "family-kk.json").read_text("utf-8"))
    body = copy.deepcopy(data["requests"][1]["body"])
    body["id"] = PERSON_ID
    return dict(body)


def is_problem(response: httpx.Response) -> bool:
    return response.headers["content-type"].split(";")[0] == PROBLEM_JSON


class TestUnknownPath:
    async def test_is_404_problem_in_arabic(self, intake: ServiceClient) -> None:
        r = await intake.http.get("/v1/no-such-thing", headers={"Accept-Language": "ar"})
        assert r.status_code == 404
        assert is_problem(r)
        assert r.headers["content-language"] == "ar"
        body = r.json()
        assert body["status"] == 404
        assert body["type"].endswith(":not-found")
        assert body["title"] == NotFound.title.render("ar")
        assert body["title"] != NotFound.title.render("en")
        assert body["instance"] == "/v1/no-such-thing"

    async def test_without_accept_language_falls_back_to_english(self, intake: ServiceClient) -> None:
        r = await intake.http.get("/v1/no-such-thing")
        assert r.headers["content-language"] == "en"
        assert r.json()["title"] == NotFound.title.render("en")


class TestMethodNotAllowed:
    async def test_is_405_problem_keeping_allow_header(self, intake: ServiceClient) -> None:
        r = await intake.http.delete("/v1/operations", headers={"Accept-Language": "ru"})
        assert r.status_code == 405
        assert is_problem(r)
        assert set(r.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
        assert r.json()["title"] == MethodNotAllowed.title.render("ru")
        assert r.json()["title"] != MethodNotAllowed.title.render("en")
        assert r.headers["content-language"] == "ru"


class TestValidationError:
    @pytest.mark.parametrize("lang", ["kk", "ru"])
    async def test_names_dotted_field_path_with_localised_message(
        self, intake: ServiceClient, lang: str
    ) -> None:
        body = person_body()
        body["names"][0]["given"] = ""
        r = await intake.http.post(
            "/v1/persons", json=body, headers={"Accept-Language": lang, **intake.auth(Role.field_worker)}
        )
        assert r.status_code == 422
        assert is_problem(r)
        assert r.headers["content-language"] == lang
        problem = r.json()
        assert problem["title"] == ValidationFailed.title.render(lang)
        errors = {e["field"]: e for e in problem["errors"]}
        assert list(errors) == ["names.0.given"]
        error = errors["names.0.given"]
        assert error["code"] == "string_too_short"
        expected = FieldError("names.0.given", "string_too_short", {"min_length": 1})
        assert error["message"] == field_message(expected, lang)
        assert error["message"] != field_message(expected, "en"), f"no {lang} translation"

    async def test_missing_field_is_named(self, intake: ServiceClient) -> None:
        body = person_body()
        del body["names"][1]["given"]
        r = await intake.http.post("/v1/persons", json=body, headers=intake.auth(Role.field_worker))
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("names.1.given", "missing")]


class TestMalformedJSON:
    async def test_is_422_problem_with_json_invalid(self, intake: ServiceClient) -> None:
        r = await intake.http.post(
            "/v1/persons",
            content=b'{"operation": "zhusan-2", ',
            headers={
                "Content-Type": "application/json",
                "Accept-Language": "kk",
                **intake.auth(Role.field_worker),
            },
        )
        assert r.status_code == 422
        assert is_problem(r)
        assert [e["code"] for e in r.json()["errors"]] == ["json_invalid"]
        assert r.headers["content-language"] == "kk"


def boom_router() -> APIRouter:
    router = APIRouter()

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail: 850515300125 Айша")

    return router


@pytest.fixture
async def boom_app(intake_db_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(
        service="test",
        title="test",
        description="test",
        version="0",
        tables=platform,
        settings=IntakeSettings(database_url=intake_db_url, outbox_enabled=False),
        routers=[boom_router()],
    )
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


class TestUnexpectedException:
    async def test_is_500_problem_with_request_id(self, boom_app: httpx.AsyncClient) -> None:
        r = await boom_app.get("/boom", headers={"Accept-Language": "ru", "X-Request-ID": "req-boom-0001"})
        assert r.status_code == 500
        assert is_problem(r)
        body = r.json()
        assert body["request_id"] == "req-boom-0001"
        assert "req-boom-0001" in body["detail"]
        assert body["title"] == InternalError.title.render("ru")
        assert body["title"] != InternalError.title.render("en")
        assert r.headers["x-request-id"] == "req-boom-0001"
        assert r.headers["content-language"] == "ru"

    async def test_body_holds_no_traceback_or_exception_text(self, boom_app: httpx.AsyncClient) -> None:
        r = await boom_app.get("/boom")
        assert r.status_code == 500
        for leak in (
            "Traceback",
            "RuntimeError",
            "secret detail",
            "850515300125",
            "Айша",
            "boom_router",
            ".py",
        ):
            assert leak not in r.text

    async def test_failing_service_function_under_transactional_route(
        self, intake: ServiceClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from intake_api.operations import service as operation_service

        async def fail(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("database exploded")

        monkeypatch.setattr(operation_service, "create", fail)
        op = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"][0]
        r = await intake.http.post("/v1/operations", json=op, headers=intake.auth(Role.admin))
        assert r.status_code == 500
        assert is_problem(r)
        assert r.json()["request_id"] == r.headers["x-request-id"]
        assert "exploded" not in r.text
        assert "Traceback" not in r.text


class TestRequestID:
    async def test_plausible_id_is_echoed(self, intake: ServiceClient) -> None:
        r = await intake.http.get("/healthz", headers={"X-Request-ID": "phone-42.sync:0007"})
        assert r.headers["x-request-id"] == "phone-42.sync:0007"

    async def test_echoed_id_is_in_problem_body(self, intake: ServiceClient) -> None:
        r = await intake.http.get("/v1/nowhere", headers={"X-Request-ID": "phone-42.sync:0008"})
        assert r.json()["request_id"] == "phone-42.sync:0008"

    @pytest.mark.parametrize(
        "garbage",
        ["has spaces in it", "x" * 200, "short", 'inject"} {"level":"error'],
        ids=["spaces", "200-chars", "too-short", "json-injection"],
    )
    async def test_garbage_id_is_replaced(self, intake: ServiceClient, garbage: str) -> None:
        r = await intake.http.get("/v1/nowhere", headers={"X-Request-ID": garbage})
        issued = r.headers["x-request-id"]
        assert issued != garbage
        assert garbage not in r.text
        assert r.json()["request_id"] == issued
        assert 8 <= len(issued) <= 64

    async def test_missing_id_gets_a_new_one_per_request(self, intake: ServiceClient) -> None:
        first = await intake.http.get("/healthz")
        second = await intake.http.get("/healthz")
        assert first.headers["x-request-id"] != second.headers["x-request-id"]
