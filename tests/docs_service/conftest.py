"""The documents app on a fresh migrated database, with the intake service faked at the edge.

The fake answers `GET /v1/persons/{id}` as intake's `PersonRead` does, through
`httpx.MockTransport` in place of the app's shared HTTP client; the real intake service is used
by `tests/integration/test_docs_person_check.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from apicore.auth import Role
from tests.conftest import ServiceClient, make_keys, per_request_state

INTAKE_KEY = "rk_intake_service_key_for_tests"
INTAKE_URL = "http://intake.test"

Category = str


@dataclass
class FakeIntake:
    """Persons intake knows, and what docs asked of it."""

    persons: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    calls: list[httpx.Request] = field(default_factory=list)
    failures: list[Callable[[], httpx.Response]] = field(default_factory=list)
    """Answers (or raised errors) to give before the normal ones, first first."""
    down: bool = False

    def add(
        self,
        category: Category = "child",
        *,
        sex: str | None = None,
        birth_date: str | None = None,
        iin: str | None = None,
        names: list[dict[str, Any]] | None = None,
    ) -> uuid.UUID:
        """Register a person the way intake would read it back; returns its id."""
        person_id = uuid.uuid4()
        child = category == "child"
        self.persons[person_id] = {
            "id": str(person_id),
            "operation": "zhusan-1",
            "category": category,
            "sex": sex or ("male" if category == "man" else "female"),
            "birth_date": birth_date or ("2016-03" if child else "1992-04-11"),
            "birth_date_estimated": False,
            "iin": iin,
            "names": names if names is not None else default_names(category),
            "document_needs": [],
            "version": 1,
        }
        return person_id

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if self.failures:
            return self.failures.pop(0)()
        if request.headers.get("authorization") != f"Bearer {INTAKE_KEY}":
            return httpx.Response(401, json={"type": "urn:returnee-registry:problem:unauthorized"})
        prefix = "/v1/persons/"
        if request.method != "GET" or not request.url.path.startswith(prefix):
            return httpx.Response(404)
        try:
            person_id = uuid.UUID(request.url.path.removeprefix(prefix))
        except ValueError:
            return httpx.Response(422)
        person = self.persons.get(person_id)
        if person is None:
            return httpx.Response(404, json={"type": "urn:returnee-registry:problem:person-not-found"})
        return httpx.Response(200, json=person)


def default_names(category: Category) -> list[dict[str, Any]]:
    """An Arabic birth name and, for a child, a Kazakh name; for adults a document name."""
    if category == "child":
        return [
            _name("Arab", "ar", "birth", "عائشة", None, None, "ʿAʾShH"),
            _name("Cyrl", "kk", "kazakh", "Айару", "Сейітқызы", None, "AIARU SEIITKYZY"),
        ]
    return [
        _name("Arab", "ar", "birth", "عائشة", None, None, "ʿAʾShH"),
        _name("Cyrl", "kk", "document", "Айша", "Жұмабаева", "Нұрланқызы", "AISHA ZHUMABAEVA"),
    ]


def _name(
    script: str, lang: str, kind: str, given: str, family: str | None, patronymic: str | None, latin: str
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "script": script,
        "lang": lang,
        "kind": kind,
        "given": given,
        "family": family,
        "patronymic": patronymic,
        "latin_suggested": latin,
        "current": True,
        "retired_at": None,
    }


@pytest.fixture
def fake_intake() -> FakeIntake:
    """The intake service as the documents service sees it over HTTP."""
    return FakeIntake()


@pytest.fixture
def docs_settings_overrides() -> dict[str, Any]:
    """Settings a test module may change (e.g. `target_days`)."""
    return {}


@pytest.fixture
async def docs(
    docs_db_url: str, fake_intake: FakeIntake, docs_settings_overrides: dict[str, Any]
) -> AsyncIterator[ServiceClient]:
    """The documents app on a fresh database, talking to `fake_intake`."""
    from docs_service.app import create_app
    from docs_service.models import platform
    from docs_service.settings import DocsSettings

    keys = await make_keys(docs_db_url, platform)
    values: dict[str, Any] = {
        "database_url": docs_db_url,
        "outbox_enabled": False,
        "intake_service_url": INTAKE_URL,
        "intake_service_key": INTAKE_KEY,
        "intake_retry_budget_seconds": 5,
        **docs_settings_overrides,
    }
    settings = DocsSettings(**values)
    app = create_app(settings)
    async with LifespanManager(per_request_state(app)) as manager:
        ctx = app.state.ctx
        original = ctx.http
        ctx.http = httpx.AsyncClient(transport=httpx.MockTransport(fake_intake.handler))
        try:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://docs.test") as http:
                yield ServiceClient(http, keys, ctx.db)
        finally:
            await ctx.http.aclose()
            ctx.http = original


ROLES_THAT_READ = (Role.case_worker, Role.registrar, Role.service, Role.partner, Role.admin)
