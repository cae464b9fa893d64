"""Returnees posted through the real API, from the field scenario files, for family tests.

Bodies are copied from `tests/data/field/family-*.json` (the shapes the phones send), so these
helpers follow whatever the persons feature expects of a registration.
"""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import httpx

from apicore.auth import Role
from tests.conftest import FIXTURES_DIR, ServiceClient

# (family file, request index) of persons the scenario files register successfully.
KK_MOTHER = ("kk", 0)  # woman, born 1992-04-11, zhusan-2
KK_GIRL = ("kk", 1)  # child, born 2016
KK_BOY = ("kk", 2)  # child, born 2018-03
KK_BOY_2 = ("kk", 3)  # child, born 2018-12-02
RU_MOTHER = ("ru", 0)  # woman, born 1989-09-23, zhusan-2
RU_GIRL = ("ru", 1)  # child, born 2015-06
AR_MOTHER = ("ar", 0)  # woman, born 1995-01-30, rusafa
AR_GIRL = ("ar", 1)  # child, born 2017, rusafa


def person_body(which: tuple[str, int]) -> dict[str, Any]:
    """A registration body from a scenario file."""
    family, index = which
    data = json.loads((FIXTURES_DIR / f"family-{family}.json").read_text("utf-8"))
    return copy.deepcopy(data["requests"][index]["body"])


async def seed_operations(intake: ServiceClient) -> None:
    """Create the operations the scenario families arrived with."""
    ops = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]
    for op in ops:
        r = await intake.http.post("/v1/operations", json=op, headers=intake.auth(Role.admin))
        assert r.status_code == 201, r.text


def seed_operations_sync(client: httpx.Client, base_url: str, admin_key: str) -> None:
    """Create the scenarios' operations through a running service (integration tests)."""
    ops = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]
    for op in ops:
        r = client.post(
            f"{base_url}/v1/operations", json=op, headers={"Authorization": f"Bearer {admin_key}"}
        )
        assert r.status_code == 201, r.text


async def register(intake: ServiceClient, body: dict[str, Any]) -> uuid.UUID:
    """Register a returnee with a field worker's key; returns the id."""
    r = await intake.http.post("/v1/persons", json=body, headers=intake.auth(Role.field_worker))
    assert r.status_code in (200, 201), r.text
    return uuid.UUID(r.json()["id"])


async def register_scenario(intake: ServiceClient, *which: tuple[str, int]) -> list[uuid.UUID]:
    """Register persons of the scenario files; returns their ids in order."""
    return [await register(intake, person_body(w)) for w in which]


async def register_adult(
    intake: ServiceClient, *, sex: str, birth_date: str, operation_of: tuple[str, int] = KK_MOTHER
) -> uuid.UUID:
    """Register an adult without an IIN, made from a scenario mother's body."""
    body = person_body(operation_of)
    body.pop("iin", None)
    body.update(
        id=str(uuid.uuid4()),
        category="woman" if sex == "female" else "man",
        sex=sex,
        birth_date=birth_date,
    )
    return await register(intake, body)


async def link(
    intake: ServiceClient,
    person_id: uuid.UUID,
    related_person_id: uuid.UUID,
    relation: str,
    *,
    role: Role = Role.field_worker,
    lang: str = "en",
) -> Any:
    """POST a family link; returns the response."""
    return await intake.http.post(
        f"/v1/persons/{person_id}/relations",
        json={"related_person_id": str(related_person_id), "relation": relation},
        headers={"Accept-Language": lang, **intake.auth(role)},
    )
