"""Walking requests through the documents API in tests: open, move, read back."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx

from apicore.auth import Role
from apicore.identifiers.iin import iin_check_digit
from tests.conftest import ServiceClient

PROBLEM = "application/problem+json"

_serial = itertools.count(1)


def unique_digits(width: int) -> str:
    """A number of `width` digits not used before in this test run."""
    return f"{next(_serial):0{width}d}"


def fresh_iin(birth: str = "160315", century_sex: str = "6") -> str:
    """A valid IIN (Decree No. 406 check digit) not used before in this test run."""
    while True:
        first = f"{birth}{century_sex}{next(_serial) % 10_000:04d}"
        check = iin_check_digit(first)
        if check is not None:
            return f"{first}{check}"


def cert_steps() -> list[tuple[str, dict[str, Any] | None]]:
    """The moves of a birth certificate from `requested` to `issued`, with fresh numbers."""
    return [
        ("documents_collected", {"documents": ["medical_birth_record", "mother_identity_document"]}),
        (
            "parentage_confirmed",
            {"evidence": "dna_test", "reference": "ДНҚ-2019/0412", "evidence_date": "2019-06-03"},
        ),
        (
            "registered",
            {
                "civil_act_record_number": unique_digits(6),
                "registry_office": "АХАТ бөлімі, Алматы",
                "registered_on": "2019-06-20",
            },
        ),
        ("printed", {"certificate_series": "I-АЖ", "certificate_number": unique_digits(7)}),
        ("issued", {"handed_to": "mother", "handed_over_on": "2019-07-15"}),
    ]


def passport_steps(number: str | None = None) -> list[tuple[str, dict[str, Any] | None]]:
    """The moves of a passport from `requested` to `issued`, with a fresh number."""
    return [
        ("biometrics_taken", {"biometrics_taken_on": "2019-05-20"}),
        ("approved", None),
        (
            "produced",
            {
                "passport_number": number or "N" + unique_digits(8),
                "issued_on": "2019-07-01",
                "expires_on": "2029-06-30",
            },
        ),
        ("issued", {"handed_over_on": "2019-07-10"}),
    ]


async def open_request(
    docs: ServiceClient,
    person_id: uuid.UUID,
    kind: str = "birth_certificate",
    role: Role = Role.case_worker,
    headers: dict[str, str] | None = None,
    **body: Any,
) -> httpx.Response:
    """POST /v1/requests."""
    return await docs.http.post(
        "/v1/requests",
        json={"person_id": str(person_id), "kind": kind, **body},
        headers={**(headers or {}), **docs.auth(role)},
    )


async def read(docs: ServiceClient, request_id: str, role: Role = Role.registrar) -> httpx.Response:
    """GET /v1/requests/{id}."""
    return await docs.http.get(f"/v1/requests/{request_id}", headers=docs.auth(role))


async def move(
    docs: ServiceClient,
    request_id: str,
    to: str,
    data: dict[str, Any] | None = None,
    *,
    version: int | str | None = None,
    reason: str | None = None,
    role: Role = Role.registrar,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST /v1/requests/{id}/transitions with `If-Match` of `version` (read first when None)."""
    if version is None:
        version = (await read(docs, request_id)).json()["version"]
    body: dict[str, Any] = {"to": to}
    if data is not None:
        body["data"] = data
    if reason is not None:
        body["reason"] = reason
    return await docs.http.post(
        f"/v1/requests/{request_id}/transitions",
        json=body,
        headers={
            "If-Match": f'"{version}"' if isinstance(version, int) else version,
            **(headers or {}),
            **docs.auth(role),
        },
    )


async def patch(
    docs: ServiceClient,
    request_id: str,
    body: dict[str, Any],
    *,
    version: int | None = None,
    role: Role = Role.registrar,
) -> httpx.Response:
    """PATCH /v1/requests/{id} as a merge patch with `If-Match`."""
    if version is None:
        version = (await read(docs, request_id)).json()["version"]
    return await docs.http.patch(
        f"/v1/requests/{request_id}",
        json=body,
        headers={
            "If-Match": f'"{version}"',
            "Content-Type": "application/merge-patch+json",
            **docs.auth(role),
        },
    )


async def walk(
    docs: ServiceClient, request_id: str, steps: list[tuple[str, dict[str, Any] | None]]
) -> httpx.Response:
    """Make each move in turn, asserting success; returns the last answer (a read when none)."""
    answer = await read(docs, request_id)
    for to, data in steps:
        answer = await move(docs, request_id, to, data)
        assert answer.status_code == 200, f"{to}: {answer.status_code} {answer.text}"
        assert answer.json()["status"] == to
    return answer


async def confirm_latin(
    docs: ServiceClient, request_id: str, surname: str = "ZHUMABAEVA", given: str = "AISHA"
) -> None:
    """The registrar confirms the Latin name of a passport."""
    r = await patch(docs, request_id, {"latin_name": {"surname": surname, "given_names": given}})
    assert r.status_code == 200, r.text


async def issued_certificate(docs: ServiceClient, person_id: uuid.UUID) -> dict[str, Any]:
    """Open a birth certificate request and walk it to `issued`; returns the last read."""
    created = await open_request(docs, person_id)
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    steps = cert_steps()
    if created.json()["holder"]["iin"] is None:
        steps[2][1]["iin"] = fresh_iin()  # type: ignore[index]
    issued: dict[str, Any] = (await walk(docs, request_id, steps)).json()
    return issued


async def issued_passport(
    docs: ServiceClient, person_id: uuid.UUID, number: str | None = None
) -> dict[str, Any]:
    """Open a passport request, confirm the Latin name and walk it to `issued`."""
    created = await open_request(docs, person_id, "passport")
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    await confirm_latin(docs, request_id)
    steps = passport_steps(number)
    if created.json()["holder"]["iin"] is None:
        steps[2][1]["iin"] = fresh_iin("920411", "4")  # type: ignore[index]
    issued: dict[str, Any] = (await walk(docs, request_id, steps)).json()
    return issued
