"""The documents service checks persons against a real intake service on a loopback port.

Both services run as uvicorn processes (`tests/support/services.py`), each with a `service` key of
the other. The check is exercised as a case worker opens requests (known person, unknown person,
kind not for the person, intake down) and as intake's outbox delivers a need.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from apicore.auth import Role
from apicore.db import Database
from docs_service.document_requests.models import DocumentRequest
from docs_service.models import platform as docs_platform
from intake_api.models import platform as intake_platform
from tests.conftest import make_keys
from tests.support.services import ServiceProcess, free_port

OPERATION = {
    "code": "zhusan-2",
    "names": {"kk": "Жусан-2", "ru": "Жусан-2", "ar": "جوسان-2", "en": "Zhusan-2"},
    "origin_country": "SY",
    "start_date": "2019-05-07",
}


@dataclass
class Deployment:
    intake: ServiceProcess
    docs: ServiceProcess
    intake_keys: dict[Role, str]
    docs_keys: dict[Role, str]
    docs_db_url: str

    def intake_auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.intake_keys[role]}"}

    def docs_auth(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.docs_keys[role]}"}


@pytest.fixture
def deployment(intake_db_url: str, docs_db_url: str, tmp_path: Path) -> Iterator[Deployment]:
    intake_keys = asyncio.run(make_keys(intake_db_url, intake_platform))
    docs_keys = asyncio.run(make_keys(docs_db_url, docs_platform))
    docs_port, intake_port = free_port(), free_port()
    docs = ServiceProcess(
        "docs-service",
        docs_port,
        {
            "DOCS_DATABASE_URL": docs_db_url,
            "DOCS_INTAKE_SERVICE_URL": f"http://127.0.0.1:{intake_port}",
            "DOCS_INTAKE_SERVICE_KEY": intake_keys[Role.service],
            "DOCS_INTAKE_ATTEMPTS": "2",
            "DOCS_HTTP_TIMEOUT_SECONDS": "2",
            "DOCS_INTAKE_RETRY_AFTER_SECONDS": "7",
        },
        tmp_path / "docs.log",
    )
    intake = ServiceProcess(
        "intake-api",
        intake_port,
        {
            "INTAKE_DATABASE_URL": intake_db_url,
            "INTAKE_DOCS_SERVICE_URL": f"http://127.0.0.1:{docs_port}",
            "INTAKE_DOCS_SERVICE_KEY": docs_keys[Role.service],
            "INTAKE_OUTBOX_POLL_SECONDS": "0.2",
            "INTAKE_OUTBOX_BACKOFF_BASE_SECONDS": "0.2",
            "INTAKE_OUTBOX_BACKOFF_CAP_SECONDS": "1",
        },
        tmp_path / "intake.log",
    )
    yield Deployment(intake, docs, intake_keys, docs_keys, docs_db_url)
    intake.stop()
    docs.stop()


def register(client: httpx.Client, d: Deployment, category: str, **extra: Any) -> str:
    """Register a returnee in intake; returns the id."""
    child = category == "child"
    body = {
        "id": str(uuid.uuid4()),
        "operation": OPERATION["code"],
        "category": category,
        "sex": "male" if category == "man" else "female",
        "birth_date": "2016-03" if child else "1992-04-11",
        "names": [
            {"script": "Arab", "lang": "ar", "kind": "birth", "given": "عائشة"},
            {
                "script": "Cyrl",
                "lang": "kk",
                "kind": "kazakh",
                "given": "Айару" if child else "Айша",
                "family": "Сейітқызы" if child else "Жұмабаева",
            },
        ],
        "arrival_date": "2019-05-09",
        **extra,
    }
    r = client.post(f"{d.intake.url}/v1/persons", json=body, headers=d.intake_auth(Role.field_worker))
    assert r.status_code == 201, r.text
    return str(body["id"])


def open_request(
    client: httpx.Client, d: Deployment, person_id: str, kind: str, **headers: str
) -> httpx.Response:
    return client.post(
        f"{d.docs.url}/v1/requests",
        json={"person_id": person_id, "kind": kind},
        headers={**headers, **d.docs_auth(Role.case_worker)},
    )


def stored_requests(d: Deployment) -> int:
    async def count() -> int:
        db = Database.connect(d.docs_db_url)
        try:
            async with db.transaction() as session:
                return int(await session.scalar(select(func.count()).select_from(DocumentRequest)) or 0)
        finally:
            await db.dispose()

    return asyncio.run(count())


def wait_for_request(client: httpx.Client, d: Deployment, person_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        items = client.get(
            f"{d.docs.url}/v1/requests",
            params={"person_id": person_id},
            headers=d.docs_auth(Role.case_worker),
        ).json()["items"]
        if items:
            found: dict[str, Any] = items[0]
            return found
        time.sleep(0.2)
    raise AssertionError(f"no request reached the documents service for {person_id}")


@pytest.fixture
def running(deployment: Deployment) -> Iterator[tuple[httpx.Client, Deployment]]:
    deployment.docs.start()
    deployment.intake.start()
    with httpx.Client(timeout=15) as client:
        r = client.post(
            f"{deployment.intake.url}/v1/operations",
            json=OPERATION,
            headers=deployment.intake_auth(Role.admin),
        )
        assert r.status_code == 201, r.text
        yield client, deployment


def test_a_known_child_gets_a_certificate_request_with_her_kazakh_name(
    running: tuple[httpx.Client, Deployment],
) -> None:
    client, d = running
    person_id = register(client, d, "child")
    existing = wait_for_request(client, d, person_id)  # intake's own need, through the outbox
    assert existing["kind"] == "birth_certificate"
    assert existing["holder"]["names"] == {"family": "Сейітқызы", "given": "Айару", "patronymic": None}
    assert existing["holder"]["checked_at"] is not None
    r = open_request(client, d, person_id, "birth_certificate")
    assert r.status_code == 409
    assert r.json()["open_request_id"] == existing["id"]


def test_a_passport_request_carries_the_latin_form_intake_suggests(
    running: tuple[httpx.Client, Deployment],
) -> None:
    client, d = running
    person_id = register(client, d, "man")  # no need derived for a man: the case worker opens it
    r = open_request(client, d, person_id, "passport", **{"X-Request-ID": "case-worker-req-42"})
    assert r.status_code == 201, r.text
    holder = r.json()["holder"]
    assert holder["latin_name_suggested"] == {"surname": "ZHUMABAEVA", "given_names": "AISHA"}
    assert (holder["birth_date"], holder["sex"]) == ("1992-04-11", "male")
    assert "case-worker-req-42" in d.intake.logs()  # the request id crossed into intake's log


def test_an_unknown_person_is_422_naming_person_id(running: tuple[httpx.Client, Deployment]) -> None:
    client, d = running
    r = open_request(client, d, str(uuid.uuid4()), "birth_certificate", **{"Accept-Language": "ru"})
    assert r.status_code == 422
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("person_id", "unknown_person")]
    assert stored_requests(d) == 0


@pytest.mark.parametrize(("category", "kind"), [("child", "passport"), ("man", "birth_certificate")])
def test_a_kind_not_for_the_person_is_422_naming_kind(
    running: tuple[httpx.Client, Deployment], category: str, kind: str
) -> None:
    client, d = running
    person_id = register(client, d, category)
    r = open_request(client, d, person_id, kind)
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["kind"]


def test_intake_down_is_503_with_retry_after_and_nothing_saved(
    running: tuple[httpx.Client, Deployment],
) -> None:
    client, d = running
    person_id = register(client, d, "man")
    d.intake.stop()
    r = open_request(
        client, d, person_id, "passport", **{"Accept-Language": "kk", "Idempotency-Key": "cw-7-0001"}
    )
    assert r.status_code == 503
    assert r.headers["retry-after"] == "7"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith(":intake-unavailable")
    assert stored_requests(d) == 0
    d.intake.start()
    r = open_request(client, d, person_id, "passport", **{"Idempotency-Key": "cw-7-0001"})
    assert r.status_code == 201, r.text
    assert stored_requests(d) == 1
