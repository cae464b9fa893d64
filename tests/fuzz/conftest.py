"""Schemathesis against both apps, in process, on a fresh database per operation.

Schemathesis keeps the ASGI app it is given for the whole process and runs it (lifespan
included) on an event loop of its own, so the schema holds one `FuzzTarget`: a thin ASGI
callable into which each test puts a fresh app on a fresh database (SQLite or PostgreSQL, as
`backend` says), with a key per role and a few seeded records whose ids the fuzzer also uses as
path parameters, so that it reaches real resources and not only 404s.
"""

from __future__ import annotations

import asyncio
import json
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import pytest
import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis.python import asgi as schemathesis_asgi
from starlette.types import ASGIApp, Receive, Scope, Send

from apicore.auth import Role, hash_key
from apicore.db import Database, utcnow
from apicore.tables import PlatformTables
from tests.conftest import FIXTURES_DIR
from tests.docs_service.conftest import INTAKE_KEY, INTAKE_URL, FakeIntake
from tests.support.families import KK_BOY, KK_GIRL, KK_MOTHER, person_body


@dataclass
class FuzzTarget:
    """The app under test behind one ASGI callable that schemathesis keeps.

    `known` lists sets of path parameters that name seeded records; the fuzzer substitutes one
    of them for generated ids (see `substitute_known_ids`).
    """

    app: ASGIApp | None = None
    keys: dict[Role, str] = field(default_factory=dict)
    known: list[dict[str, str]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("no app under test: use the fuzz fixtures")
        await self.app(scope, receive, send)

    def auth(self, role: Role) -> dict[str, str]:
        """Headers carrying a key of `role`."""
        return {"Authorization": f"Bearer {self.keys[role]}"}

    def client(self) -> schemathesis_asgi.ASGIClient:
        """A `requests` session into the app (entering it starts the app's lifespan)."""
        return schemathesis_asgi.get_client(cast(Any, self))

    def start(self, app: ASGIApp, keys: dict[Role, str]) -> None:
        """Put `app` under test."""
        self.app, self.keys, self.known = app, keys, []

    def stop(self) -> None:
        """End the app's lifespan (database closed) and leave no app under test."""
        try:
            schemathesis_asgi.shutdown_lifespans()
        finally:
            self.app, self.keys, self.known = None, {}, []


INTAKE = FuzzTarget()
DOCS = FuzzTarget()


def role_for(operation: Any) -> Role:
    """The role to fuzz an operation with: `admin` where allowed (it sees every field), else the
    first role the operation declares (`service` for intake's document updates)."""
    roles: list[str] = operation.definition.raw.get("x-roles") or [Role.admin.value]
    return Role.admin if Role.admin.value in roles else Role(roles[0])


def substitute_known_ids(target: FuzzTarget) -> Any:
    """A `flatmap_path_parameters` hook: keep the generated ids, or put those of a seeded record.

    Only values that are UUIDs are replaced, so negative cases (a malformed id) stay negative.
    """

    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
        if not path_parameters:
            return st.just(path_parameters)
        choices = [path_parameters]
        for record in target.known:
            swapped = dict(path_parameters)
            for name, value in record.items():
                if name in swapped and _is_uuid(swapped[name]):
                    swapped[name] = value
            if swapped != path_parameters:
                choices.append(swapped)
        return st.sampled_from(choices)

    return flatmap_path_parameters


def current_version_sometimes(context: Any, headers: dict[str, Any] | None) -> Any:
    """A `flatmap_headers` hook: keep a generated `If-Match`, or send `*` (any current version),
    so that updates of seeded records get past the precondition and reach their handlers. Only
    a value the schema allows (a non-empty string) is replaced: negative cases stay negative."""
    value = (headers or {}).get("If-Match")
    if not isinstance(value, str) or not value or headers is None:
        return st.just(headers)
    return st.sampled_from([headers, {**headers, "If-Match": "*"}])


# Always sent: the only cases that check 405 for undeclared methods and refusal of a missing
# required header or parameter.
_COVERAGE_KEPT = frozenset({"unspecified_http_method", "missing_parameter"})


def thin_coverage(keep_one_in: int) -> Any:
    """A `filter_case` hook keeping one in `keep_one_in` coverage-phase cases, chosen by a hash of
    the request, so every run sends the same ones; fuzzing and examples are left whole.

    The coverage phase tries each boundary of each field (about 1,900 requests for
    `POST /v1/persons` alone): all of them, on two databases, would not fit CI's time.
    """

    def filter_case(context: Any, case: Any) -> bool:
        meta = case.meta
        if meta is None or meta.phase.name.value != "coverage" or keep_one_in <= 1:
            return True
        if str(getattr(meta.phase.data, "scenario", "")) in _COVERAGE_KEPT:
            return True
        request = [case.method, case.path_parameters, case.query, case.body, case.media_type]
        digest = zlib.crc32(json.dumps(request, sort_keys=True, default=repr).encode())
        return digest % keep_one_in == 0

    return filter_case


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _created(response: requests.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = response.json()
    return body


FUZZ_KEYS: dict[Role, str] = {role: f"rk_fuzz_{role.value}" for role in Role}
"""Keys known before any database exists: schemathesis builds the explicit examples, key
included, when it collects the tests."""


def _keys(url: str, tables: PlatformTables) -> dict[Role, str]:
    async def insert() -> None:
        db = Database.connect(url)
        try:
            async with db.transaction() as session:
                for role, token in FUZZ_KEYS.items():
                    await session.execute(
                        tables.api_key.insert().values(
                            id=uuid.uuid4(),
                            name=f"fuzz-{role.value}",
                            role=role.value,
                            key_hash=hash_key(token),
                            revoked=False,
                            created_at=utcnow(),
                        )
                    )
        finally:
            await db.dispose()

    asyncio.run(insert())
    return dict(FUZZ_KEYS)


@pytest.fixture
def intake_target(intake_db_url: str) -> Iterator[FuzzTarget]:
    """The intake app on a fresh database with two operations, a mother and two children (one
    linked to her), one of her relatives; the outbox holds their document needs."""
    from intake_api.app import create_app
    from intake_api.models import platform
    from intake_api.settings import IntakeSettings

    settings = IntakeSettings(
        database_url=intake_db_url,
        outbox_enabled=False,
        log_level="WARNING",
        docs_service_url="http://127.0.0.1:9",
        docs_service_key="unused",
    )
    INTAKE.start(create_app(settings), _keys(intake_db_url, platform))
    try:
        with INTAKE.client() as client:
            _seed_intake(client, INTAKE)
        yield INTAKE
    finally:
        INTAKE.stop()


def _seed_intake(client: requests.Session, target: FuzzTarget) -> None:
    admin = target.auth(Role.admin)
    operations = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]
    for body in operations:
        _created(client.post("/v1/operations", json=body, headers=admin))
    mother, girl, boy = (
        _created(client.post("/v1/persons", json=person_body(which), headers=admin))
        for which in (KK_MOTHER, KK_GIRL, KK_BOY)
    )
    _created(
        client.post(
            f"/v1/persons/{girl['id']}/relations",
            json={"related_person_id": mother["id"], "relation": "mother"},
            headers=admin,
        )
    )
    relative = _created(
        client.post(
            "/v1/relatives",
            json={
                "person_id": mother["id"],
                "name": "Серікова Гүлнар",
                "relation": "sibling",
                "region": "KZ-75",
            },
            headers=admin,
        )
    )
    household = _created(client.get(f"/v1/persons/{girl['id']}", headers=admin))["household_id"]
    events = _created(client.get("/v1/outbox", headers=admin))["items"]
    event_ids = [event["id"] for event in events] or [str(uuid.uuid4())]
    target.known = [
        {
            "person_id": person["id"],
            "name_id": person["names"][0]["id"],
            "related_person_id": related["id"],
            "household_id": household,
            "relative_id": relative["id"],
            "event_id": event_ids[index % len(event_ids)],
        }
        for index, (person, related) in enumerate(((mother, girl), (girl, mother), (boy, mother)))
    ]


@pytest.fixture
def docs_target(docs_db_url: str) -> Iterator[FuzzTarget]:
    """The documents app on a fresh database, intake faked at the edge (a child and a mother it
    knows), a birth-certificate request and a passport request opened."""
    from docs_service.app import create_app
    from docs_service.models import platform
    from docs_service.settings import DocsSettings

    settings = DocsSettings(
        database_url=docs_db_url,
        outbox_enabled=False,
        log_level="WARNING",
        intake_service_url=INTAKE_URL,
        intake_service_key=INTAKE_KEY,
        intake_retry_budget_seconds=1,
    )
    app = create_app(settings)
    DOCS.start(app, _keys(docs_db_url, platform))
    fake = FakeIntake()
    try:
        with DOCS.client() as client:
            # The lifespan has made the shared HTTP client: talk to the fake intake instead.
            app.state.ctx.http = httpx.AsyncClient(transport=httpx.MockTransport(fake.handler))
            _seed_docs(client, DOCS, fake)
        yield DOCS
    finally:
        DOCS.stop()


def _seed_docs(client: requests.Session, target: FuzzTarget, fake: FakeIntake) -> None:
    admin = target.auth(Role.admin)
    child, mother = fake.add("child"), fake.add("woman")
    certificate, passport = (
        _created(client.post("/v1/requests", json={"person_id": str(person), "kind": kind}, headers=admin))
        for person, kind in ((child, "birth_certificate"), (mother, "passport"))
    )
    events = _created(client.get("/v1/outbox", headers=admin))["items"]
    event_ids = [event["id"] for event in events] or [str(uuid.uuid4())]
    target.known = [
        {"request_id": request["id"], "event_id": event_ids[index % len(event_ids)]}
        for index, request in enumerate((certificate, passport))
    ]


def load_schema(
    target: FuzzTarget, spec: dict[str, Any], config: schemathesis.Config, *, coverage_one_in: int
) -> Any:
    """The schemathesis schema of `spec`, sent to `target`, with seeded ids as path parameters
    and one in `coverage_one_in` coverage-phase cases."""
    schema = schemathesis.openapi.from_dict(spec, config=config)
    schema.app = target
    schema.hook(substitute_known_ids(target))
    schema.hook(thin_coverage(coverage_one_in))
    schema.hook("flatmap_headers")(current_version_sometimes)
    # An auth provider, not a header on each call: schemathesis then knows a case that leaves
    # the key out on purpose (and expects 401) from one that carries it.
    schema.auth(refresh_interval=None)(_service_key(target))
    return schema


def _service_key(target: FuzzTarget) -> type:
    class ServiceKey:
        """The key of the role `role_for` picks for the case's operation."""

        def get(self, case: Any, ctx: Any) -> str:
            return FUZZ_KEYS[role_for(case.operation)]

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    return ServiceKey
