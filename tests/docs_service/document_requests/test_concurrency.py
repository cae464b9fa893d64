"""Uniqueness under concurrency: moves racing for one number, one IIN or one version.

On PostgreSQL the moves run in parallel transactions, so both pass the service's own check and the
database's unique constraints decide; on SQLite the one writer serialises them. Either way exactly
one wins and the others get a 409 naming the field (or 412 for the version).
"""

from __future__ import annotations

import asyncio
import functools
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from apicore.auth import Role
from docs_service.document_requests.models import DocumentRequest
from tests.conftest import ServiceClient
from tests.docs_service.conftest import FakeIntake
from tests.docs_service.walk import (
    cert_steps,
    confirm_latin,
    fresh_iin,
    move,
    open_request,
    passport_steps,
    read,
    unique_digits,
    walk,
)

RACERS = 6


async def race(calls: list[Callable[[], Awaitable[httpx.Response]]]) -> list[httpx.Response]:
    return list(await asyncio.gather(*(call() for call in calls)))


def outcome(answers: list[httpx.Response]) -> Counter[tuple[int, str]]:
    return Counter((r.status_code, r.json().get("type", "").rsplit(":", 1)[-1]) for r in answers)


async def passports_at_approved(docs: ServiceClient, fake_intake: FakeIntake) -> list[tuple[str, int]]:
    out = []
    for _ in range(RACERS):
        request_id = (
            await open_request(docs, fake_intake.add("woman", iin=fresh_iin("920411", "4")), "passport")
        ).json()["id"]
        await confirm_latin(docs, request_id)
        await walk(docs, request_id, passport_steps()[:2])
        out.append((request_id, (await read(docs, request_id)).json()["version"]))
    return out


async def certificates_at(docs: ServiceClient, fake_intake: FakeIntake, done: int) -> list[tuple[str, int]]:
    out = []
    for _ in range(RACERS):
        request_id = (await open_request(docs, fake_intake.add("child"))).json()["id"]
        steps = cert_steps()
        steps[2] = ("registered", {**(steps[2][1] or {}), "iin": fresh_iin()})
        await walk(docs, request_id, steps[:done])
        out.append((request_id, (await read(docs, request_id)).json()["version"]))
    return out


async def count(docs: ServiceClient, column: Any, value: str) -> int:
    async with docs.db.transaction() as session:
        return int(
            await session.scalar(select(func.count()).select_from(DocumentRequest).where(column == value))
            or 0
        )


class TestNumbersUnderConcurrency:
    async def test_one_passport_number_goes_to_one_passport(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        racers = await passports_at_approved(docs, fake_intake)
        number = "N" + unique_digits(8)
        data = {"passport_number": number, "issued_on": "2019-07-01", "expires_on": "2029-06-30"}
        answers = await race(
            [functools.partial(move, docs, r, "produced", data, version=v) for r, v in racers]
        )
        assert outcome(answers) == Counter({(200, ""): 1, (409, "number-taken"): RACERS - 1}), [
            a.text for a in answers
        ]
        assert all(
            a.json()["errors"][0]["field"] == "data.passport_number" for a in answers if a.status_code == 409
        )
        assert await count(docs, DocumentRequest.passport_number, number) == 1

    async def test_one_certificate_number_goes_to_one_certificate(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        racers = await certificates_at(docs, fake_intake, 3)
        number = unique_digits(7)
        data = {"certificate_series": "I-АЖ", "certificate_number": number}
        answers = await race(
            [functools.partial(move, docs, r, "printed", data, version=v) for r, v in racers]
        )
        assert outcome(answers) == Counter({(200, ""): 1, (409, "number-taken"): RACERS - 1})
        assert await count(docs, DocumentRequest.certificate_number, number) == 1

    async def test_one_civil_act_record_goes_to_one_birth(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        racers = await certificates_at(docs, fake_intake, 2)
        number = unique_digits(6)

        def register(request_id: str, version: int) -> Callable[[], Awaitable[httpx.Response]]:
            data = {
                "civil_act_record_number": number,
                "registry_office": "Алматы",
                "registered_on": "2019-06-20",
                "iin": fresh_iin(),
            }
            return lambda: move(docs, request_id, "registered", data, version=version)

        answers = await race([register(r, v) for r, v in racers])
        assert outcome(answers) == Counter({(200, ""): 1, (409, "number-taken"): RACERS - 1})
        assert await count(docs, DocumentRequest.civil_act_record_number, number) == 1

    async def test_one_new_iin_goes_to_one_person(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        racers = await certificates_at(docs, fake_intake, 2)
        iin = fresh_iin()

        def register(request_id: str, version: int) -> Callable[[], Awaitable[httpx.Response]]:
            data = {
                "civil_act_record_number": unique_digits(6),
                "registry_office": "Алматы",
                "registered_on": "2019-06-20",
                "iin": iin,
            }
            return lambda: move(docs, request_id, "registered", data, version=version)

        answers = await race([register(r, v) for r, v in racers])
        assert outcome(answers) == Counter({(200, ""): 1, (409, "iin-taken"): RACERS - 1})
        assert await count(docs, DocumentRequest.iin, iin) == 1


class TestOneVersionOneMove:
    async def test_concurrent_moves_from_one_version_record_one(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = (await open_request(docs, fake_intake.add("child"))).json()["id"]
        answers = await race([lambda: move(docs, request_id, "cancelled", version=1) for _ in range(RACERS)])
        statuses = Counter(a.status_code for a in answers)
        assert statuses == Counter({200: 1, 412: RACERS - 1}), [a.text for a in answers]
        history = await docs.http.get(f"/v1/requests/{request_id}/history", headers=docs.auth(Role.registrar))
        assert [e["to_status"] for e in history.json()["items"]] == ["requested", "cancelled"]
