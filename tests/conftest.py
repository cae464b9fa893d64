"""Fixtures: every database test runs on SQLite and, when TEST_POSTGRES_URL is set, PostgreSQL,
each test on a fresh copy of the migrated schema, through the real app and real keys."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from apicore.auth import Role, create_key
from apicore.db import Database
from apicore.tables import PlatformTables
from tests.support.databases import TemplateDatabase, postgres_admin_url

BACKENDS = ["sqlite"] + (["postgresql"] if postgres_admin_url() else [])
if os.environ.get("CI") and "postgresql" not in BACKENDS:
    raise RuntimeError("CI must run the suite on PostgreSQL too: set TEST_POSTGRES_URL")


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """`sqlite` or `postgresql`."""
    return str(request.param)


@pytest.fixture(scope="session")
def _templates(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, TemplateDatabase]]:
    workdir = tmp_path_factory.mktemp(f"db_{backend}")
    templates = {
        section: TemplateDatabase.create(backend, section, workdir) for section in ("intake", "docs")
    }
    yield templates
    if backend == "postgresql":
        for template in templates.values():
            template.drop()


@pytest.fixture
def intake_db_url(_templates: dict[str, TemplateDatabase]) -> Iterator[str]:
    """A fresh migrated intake database."""
    url = _templates["intake"].fresh_copy()
    yield url
    _templates["intake"].drop_copy(url)


@pytest.fixture
def docs_db_url(_templates: dict[str, TemplateDatabase]) -> Iterator[str]:
    """A fresh migrated documents database."""
    url = _templates["docs"].fresh_copy()
    yield url
    _templates["docs"].drop_copy(url)


@dataclass
class ServiceClient:
    """A running app (lifespan entered), an HTTP client on it and a key per role."""

    http: httpx.AsyncClient
    keys: dict[Role, str]
    db: Database
    app: FastAPI | None = None

    def auth(self, role: Role) -> dict[str, str]:
        """Headers carrying a key of `role`."""
        return {"Authorization": f"Bearer {self.keys[role]}"}


async def make_keys(url: str, tables: PlatformTables) -> dict[Role, str]:
    """One active key per role in the database at `url`."""
    db = Database.connect(url)
    try:
        async with db.transaction() as session:
            return {
                role: (await create_key(session, tables, role=role, name=f"test-{role.value}"))[1]
                for role in Role
            }
    finally:
        await db.dispose()


def per_request_state(app: ASGIApp) -> ASGIApp:
    """Give each request its own shallow copy of the lifespan state, as the ASGI spec asks.

    asgi-lifespan's `LifespanManager` passes one shared dict to every request (uvicorn copies
    it), so concurrent requests in a test would share `request.state`: session and principal.
    """

    async def copy_state(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan" and "state" in scope:
            scope = {**scope, "state": dict(scope["state"])}
        await app(scope, receive, send)

    return copy_state


def intake_test_app(intake_db_url: str) -> FastAPI:
    """The intake app on `intake_db_url`: no outbox dispatcher, no key cache, and a documents
    service address where nothing listens."""
    from intake_api.app import create_app
    from intake_api.settings import IntakeSettings

    return create_app(
        IntakeSettings(
            database_url=intake_db_url,
            outbox_enabled=False,
            docs_service_url="http://127.0.0.1:9",
            docs_service_key="unused",
            # Tests revoke keys and expect the next request refused: no key cache here
            # (tests/apicore/test_auth.py covers it).
            auth_cache_seconds=0,
        )
    )


@pytest.fixture
async def intake(intake_db_url: str) -> AsyncIterator[ServiceClient]:
    """The intake app on a fresh database, the outbox dispatcher not started."""
    from intake_api.models import platform

    keys = await make_keys(intake_db_url, platform)
    app = intake_test_app(intake_db_url)
    async with LifespanManager(per_request_state(app)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as http:
            yield ServiceClient(http, keys, app.state.ctx.db, app)


@pytest.fixture
async def docs(docs_db_url: str) -> AsyncIterator[ServiceClient]:
    """The documents app on a fresh database."""
    from docs_service.app import create_app
    from docs_service.models import platform
    from docs_service.settings import DocsSettings

    keys = await make_keys(docs_db_url, platform)
    app = create_app(DocsSettings(database_url=docs_db_url, outbox_enabled=False, auth_cache_seconds=0))
    async with LifespanManager(per_request_state(app)) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://docs.test") as http:
            yield ServiceClient(http, keys, app.state.ctx.db, app)


FIXTURES_DIR = Path(__file__).parent / "data" / "field"
