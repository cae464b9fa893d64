"""`intake-api demo-data --seed N`: a small synthetic programme for people exploring `/docs`.

A few dozen invented families across the reference operations, in every status, with relatives
of whom some refused to host. Everything goes through the public API in process (every rule,
audit record and outbox event as for real input), under a temporary admin key revoked at the
end. Names are invented from common Kazakh and Arabic given names; no real person is described.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from typing import Any

import httpx
from sqlalchemy import func, select

from apicore.auth import Role, create_key, revoke_keys
from apicore.db import Database
from intake_api.app import create_app
from intake_api.models import Person, platform
from intake_api.settings import IntakeSettings

_WOMEN_KK = [
    "Айгерім",
    "Мәдина",
    "Гүлназ",
    "Әсел",
    "Жанар",
    "Динара",
    "Салтанат",
    "Айжан",
    "Ботагөз",
    "Гаухар",
]
_GIRLS = [
    ("Айша", "عائشة"),
    ("Фатима", "فاطمة"),
    ("Зейнеп", "زينب"),
    ("Хадиша", "خديجة"),
    ("Мариям", "مريم"),
    ("Амина", "آمنة"),
]
_BOYS = [
    ("Мұхаммед", "محمد"),
    ("Ибраһим", "إبراهيم"),
    ("Юсуф", "يوسف"),
    ("Омар", "عمر"),
    ("Хамза", "حمزة"),
    ("Әли", "علي"),
]
_SURNAMES = [
    "Жұмабаев",
    "Ахметов",
    "Серіков",
    "Оспанов",
    "Тоқтаров",
    "Исаев",
    "Нұрланов",
    "Қасымов",
    "Бекетов",
    "Әбдірахманов",
]
_MEN_KK = ["Ержан", "Дәулет", "Бауыржан", "Нұрлан", "Асқар"]
_REGIONS = [
    "KZ-10",
    "KZ-11",
    "KZ-15",
    "KZ-19",
    "KZ-23",
    "KZ-31",
    "KZ-35",
    "KZ-39",
    "KZ-43",
    "KZ-47",
    "KZ-55",
    "KZ-61",
    "KZ-71",
    "KZ-75",
    "KZ-79",
]
_RELATIVE_NAMES = [
    "Сәуле Жұмабаева",
    "Ғалым Ахметов",
    "Күлпаш Серікова",
    "Марат Оспанов",
    "Роза Тоқтарова",
    "Ерлан Исаев",
]
_CENTRES = ["Ақтау оңалту орталығы", "Алматы оңалту орталығы"]
_PATHS: list[list[str]] = [
    [],
    ["in_rehabilitation"],
    ["in_rehabilitation", "relocated"],
    ["in_rehabilitation", "relocated", "reunified"],
    ["in_rehabilitation", "relocated", "reunified"],
    ["departed"],
]


class DemoFailed(RuntimeError):
    """An API call of the generator did not answer as expected."""


def _check(answer: httpx.Response, *expected: int) -> dict[str, Any]:
    if answer.status_code not in expected:
        raise DemoFailed(
            f"{answer.request.method} {answer.request.url.path}: {answer.status_code} {answer.text[:1200]}"
        )
    body = answer.json()
    return body if isinstance(body, dict) else {}


def _female(surname: str) -> str:
    return surname + "а"


async def _person(
    client: httpx.AsyncClient,
    rng: random.Random,
    *,
    operation: str,
    category: str,
    sex: str,
    born: str,
    arrival: str,
    names: list[dict[str, Any]],
    languages: list[str],
) -> dict[str, Any]:
    body = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "operation": operation,
        "category": category,
        "sex": sex,
        "birth_date": born,
        "birth_date_estimated": len(born) < 10,
        "names": names,
        "languages": languages,
        "arrival_date": arrival,
        "consent": {
            "tracing": True,
            "sharing": rng.random() < 0.7,
            "given_by": "mother" if category == "child" else "self",
        },
    }
    return _check(await client.post("/v1/persons", json=body), 201)


async def _move(
    client: httpx.AsyncClient, person: dict[str, Any], status: str, **extra: Any
) -> dict[str, Any]:
    answer = await client.post(
        f"/v1/persons/{person['id']}/status-changes",
        json={"status": status, **extra},
        headers={"If-Match": f'"{person["version"]}"'},
    )
    return _check(answer, 200)


async def _family(
    client: httpx.AsyncClient, rng: random.Random, index: int, operations: list[dict[str, Any]]
) -> int:
    operation = operations[index % len(operations)]
    arrival = dt.date.fromisoformat(operation["start_date"]) + dt.timedelta(days=rng.randint(0, 20))
    surname = rng.choice(_SURNAMES)
    mother_year = rng.randint(1982, 1998)
    mother = await _person(
        client,
        rng,
        operation=operation["code"],
        category="woman",
        sex="female",
        born=f"{mother_year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        arrival=arrival.isoformat(),
        names=[
            {
                "script": "Cyrl",
                "lang": "kk",
                "kind": "kazakh",
                "given": rng.choice(_WOMEN_KK),
                "family": _female(surname),
            }
        ],
        languages=rng.choice([["kk", "ru"], ["kk", "ar"], ["ru"]]),
    )
    members = [mother]
    for _ in range(rng.randint(1, 4)):
        girl = rng.random() < 0.5
        kazakh, arabic = rng.choice(_GIRLS if girl else _BOYS)
        year = rng.randint(max(arrival.year - 12, mother_year + 17), arrival.year - 1)
        born = rng.choice([str(year), f"{year}-{rng.randint(1, 12):02d}"])
        names: list[dict[str, Any]] = [{"script": "Arab", "lang": "ar", "kind": "birth", "given": arabic}]
        if rng.random() < 0.7:
            names.append(
                {
                    "script": "Cyrl",
                    "lang": "kk",
                    "kind": "kazakh",
                    "given": kazakh,
                    "family": _female(surname) if girl else surname,
                    "current": True,
                }
            )
        child = await _person(
            client,
            rng,
            operation=operation["code"],
            category="child",
            sex="female" if girl else "male",
            born=born,
            arrival=arrival.isoformat(),
            names=names,
            languages=["ar"] if rng.random() < 0.6 else ["ar", "kk"],
        )
        _check(
            await client.post(
                f"/v1/persons/{child['id']}/relations",
                json={"related_person_id": mother["id"], "relation": "mother"},
            ),
            201,
        )
        members.append(child)
    if index % 7 == 3:  # some families came with a man, convicted on return
        man = await _person(
            client,
            rng,
            operation=operation["code"],
            category="man",
            sex="male",
            born=f"{rng.randint(1978, 1995)}",
            arrival=arrival.isoformat(),
            names=[
                {
                    "script": "Cyrl",
                    "lang": "kk",
                    "kind": "kazakh",
                    "given": rng.choice(_MEN_KK),
                    "family": surname,
                }
            ],
            languages=["kk", "ru"],
        )
        man = await _move(client, man, "in_custody", reason="Сот үкімі")
        if index % 2:
            man = await _move(client, man, "deceased")
        members.append(man)
    # Relatives in Kazakhstan: some refuse, and a willing one hosts the family.
    refused = rng.random() < 0.4
    if refused:
        _check(
            await client.post(
                "/v1/relatives",
                json={
                    "person_id": mother["id"],
                    "name": rng.choice(_RELATIVE_NAMES),
                    "relation": "sibling",
                    "region": rng.choice(_REGIONS),
                    "decision": "refused",
                    "decision_reason": "Тұрғын үй тар",
                },
            ),
            201,
        )
    host = _check(
        await client.post(
            "/v1/relatives",
            json={
                "person_id": mother["id"],
                "name": rng.choice(_RELATIVE_NAMES),
                "relation": rng.choice(["mother", "aunt", "sibling"]),
                "region": rng.choice(_REGIONS),
                "locality": "Ауыл",
                "contact": {"phone": "+77011234567"},
                "decision": "willing",
            },
        ),
        201,
    )
    path = _PATHS[index % len(_PATHS)]
    if index % 11 == 5:
        path = ["in_rehabilitation", "in_care"]  # a child whose family cannot host
    for person in [m for m in members if m["category"] != "man"]:
        for status in path:
            if status == "in_care" and person["category"] != "child":
                continue
            extra: dict[str, Any] = {}
            if status == "relocated":
                extra = {"host_relative_id": host["id"]}
            elif status == "in_rehabilitation":
                extra = {"facility": rng.choice(_CENTRES)}
            person = await _move(client, person, status, **extra)
    return len(members)


async def generate(settings: IntakeSettings, *, seed: int, families: int, only_if_empty: bool) -> int:
    """Fill the database with invented families; returns how many persons were created.

    Raises:
        DemoFailed: the API refused a step (the database keeps what was done before it).
    """
    db = Database.connect(settings.database_url)
    try:
        async with db.transaction() as session:
            existing = (await session.execute(select(func.count()).select_from(Person))).scalar_one()
            if only_if_empty and existing:
                return 0
            _key_id, token = await create_key(session, platform, role=Role.admin, name="demo-data")
    finally:
        await db.dispose()
    app = create_app(settings.model_copy(update={"outbox_enabled": False}))
    rng = random.Random(seed)  # noqa: S311 - invented data, not secrets
    created = 0
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://demo",
                headers={"Authorization": f"Bearer {token}", "Accept-Language": "kk"},
            ) as client,
        ):
            operations = _check(await client.get("/v1/operations"), 200)["items"]
            if not operations:
                raise DemoFailed("no operations: run `intake-api seed-operations` first")
            for index in range(families):
                created += await _family(client, rng, index, operations)
    finally:
        db = Database.connect(settings.database_url)
        try:
            async with db.transaction() as session:
                await revoke_keys(session, platform, name="demo-data")
        finally:
            await db.dispose()
    return created


def run(settings: IntakeSettings, *, seed: int, families: int, only_if_empty: bool) -> int:
    """Blocking entry point for the CLI."""
    return asyncio.run(generate(settings, seed=seed, families=families, only_if_empty=only_if_empty))
