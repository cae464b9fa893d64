"""Every endpoint × every role (and no key, and a revoked key), generated from the apps' routes.

A route that declares no roles and is not one of the few public ones fails here, so a new
endpoint cannot ship without a rule. Each role the route declares must get past the gate and be
answered with a status the operation documents (the empty request's 404, 422 or 428: never a
401, 403 or 5xx), and every other role must get 403.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from apicore.auth import Role, revoke_keys
from apicore.openapi import build_openapi
from tests.conftest import ServiceClient

PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}
SAMPLE_PATH_VALUES = {"kind": "passport", "number": "N1234567"}


def operations(app: Any) -> list[tuple[str, str, list[str] | None]]:
    """`(method, path, roles)` of every operation in the app's OpenAPI document."""
    return [(method, path, roles) for method, path, roles, _ in documented(app)]


def documented(app: Any) -> list[tuple[str, str, list[str] | None, set[int]]]:
    """`(method, path, roles, documented statuses)` of every operation in the app's OpenAPI."""
    spec = build_openapi(app)
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                statuses = {int(code) for code in operation["responses"] if code.isdigit()}
                found.append((method.upper(), path, operation.get("x-roles"), statuses))
    return found


def concrete(path: str) -> str:
    """The path with every parameter filled: ids with a random UUID."""
    parts = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            part = SAMPLE_PATH_VALUES.get(name, str(uuid.uuid4()))
        parts.append(part)
    return "/".join(parts)


async def call(client: ServiceClient, method: str, path: str, headers: dict[str, str]) -> int:
    kwargs: dict[str, Any] = {"headers": headers}
    if method in {"POST", "PUT", "PATCH"}:
        kwargs["json"] = {}
    return (await client.http.request(method, concrete(path), **kwargs)).status_code


async def check_matrix(client: ServiceClient) -> None:
    app = client.app
    assert app is not None
    failures: list[str] = []
    for method, path, roles, statuses in documented(app):
        if (method, path) in PUBLIC:
            continue
        if not roles:
            failures.append(f"{method} {path} declares no roles")
            continue
        if (status := await call(client, method, path, {})) != 401:
            failures.append(f"{method} {path} without a key: {status}")
        for role in Role:
            status = await call(client, method, path, client.auth(role))
            allowed = role.value in roles
            if allowed and (status in {401, 403} or status >= 500 or status not in statuses):
                failures.append(
                    f"{method} {path} as {role.value} (allowed): {status}, documents {sorted(statuses)}"
                )
            if not allowed and status != 403:
                failures.append(f"{method} {path} as {role.value} (not allowed): {status}")
    assert not failures, "\n".join(failures)


class TestIntakeMatrix:
    async def test_every_route_lets_in_exactly_its_roles(self, intake: ServiceClient) -> None:
        await check_matrix(intake)

    async def test_a_revoked_key_is_refused_everywhere(self, intake: ServiceClient) -> None:
        async with intake.db.transaction() as session:
            from intake_api.models import platform

            await revoke_keys(session, platform, name="test-admin")
        for method, path, roles in operations(intake.app):
            if roles and "admin" in roles:
                assert await call(intake, method, path, intake.auth(Role.admin)) == 401, (method, path)


class TestDocsMatrix:
    async def test_every_route_lets_in_exactly_its_roles(self, docs: ServiceClient) -> None:
        await check_matrix(docs)

    async def test_a_revoked_key_is_refused_everywhere(self, docs: ServiceClient) -> None:
        async with docs.db.transaction() as session:
            from docs_service.models import platform

            await revoke_keys(session, platform, name="test-admin")
        for method, path, roles in operations(docs.app):
            if roles and "admin" in roles:
                assert await call(docs, method, path, docs.auth(Role.admin)) == 401, (method, path)


@pytest.mark.parametrize("path", sorted(p for _, p in PUBLIC))
async def test_the_public_routes_need_no_key(intake: ServiceClient, path: str) -> None:
    assert (await intake.http.get(path)).status_code == 200
