"""Documents → intake: a registrar's moves in the documents service reach intake's record of the
person, both services running as real uvicorn processes on loopback ports."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from tests.conftest import FIXTURES_DIR, make_keys
from tests.docs_service.walk import cert_steps, fresh_iin
from tests.support.families import KK_GIRL, person_body
from tests.support.services import ServiceProcess, free_port

from apicore.auth import Role
from docs_service.models import platform as docs_platform
from intake_api.models import platform as intake_platform

T = TypeVar("T")
FAST_OUTBOX = {
    "OUTBOX_POLL_SECONDS": "0.2",
    "OUTBOX_BACKOFF_BASE_SECONDS": "0.2",
    "OUTBOX_BACKOFF_CAP_SECONDS": "1",
}


@dataclass
class Deployment:
    intake: ServiceProcess
    docs: ServiceProcess
    intake_keys: dict[Role, str]
    docs_keys: dict[Role, str]


@pytest.fixture
def deployment(intake_db_url: str, docs_db_url: str, tmp_path: Path) -> Iterator[Deployment]:
    import asyncio

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
            **{f"DOCS_{name}": value for name, value in FAST_OUTBOX.items()},
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
            **{f"INTAKE_{name}": value for name, value in FAST_OUTBOX.items()},
        },
        tmp_path / "intake.log",
    )
    yield Deployment(intake, docs, intake_keys, docs_keys)
    intake.stop()
    docs.stop()


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def eventually(probe: Callable[[], T | None], what: str, seconds: float = 20) -> T:
    """The first non-None answer of `probe` within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (found := probe()) is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


def test_a_certificate_issued_in_documents_shows_in_intake_with_its_number(deployment: Deployment) -> None:
    d = deployment
    d.docs.start()
    d.intake.start()
    with httpx.Client(timeout=10) as client:
        admin = _bearer(d.intake_keys[Role.admin])
        for op in json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]:
            assert client.post(f"{d.intake.url}/v1/operations", json=op, headers=admin).status_code == 201
        child = person_body(KK_GIRL)
        r = client.post(
            f"{d.intake.url}/v1/persons", json=child, headers=_bearer(d.intake_keys[Role.field_worker])
        )
        assert r.status_code == 201, r.text
        person_id = r.json()["id"]

        registrar = _bearer(d.docs_keys[Role.registrar])

        def request_in_docs() -> dict[str, Any] | None:
            items = client.get(
                f"{d.docs.url}/v1/requests", params={"person_id": person_id}, headers=registrar
            ).json()["items"]
            return items[0] if items else None

        request = eventually(request_in_docs, "the birth-certificate request in the documents service")
        assert request["kind"] == "birth_certificate"
        version = request["version"]
        number = ""
        steps = cert_steps()
        if request["holder"]["iin"] is None:
            steps[2][1]["iin"] = fresh_iin()  # type: ignore[index]  # the child's IIN is issued on registration
        for to, data in steps:
            moved = client.post(
                f"{d.docs.url}/v1/requests/{request['id']}/transitions",
                json={"to": to, **({"data": data} if data else {})},
                headers={"If-Match": f'"{version}"', **registrar},
            )
            assert moved.status_code == 200, f"{to}: {moved.text}"
            version = moved.json()["version"]
            if data and "certificate_number" in data:
                number = data["certificate_number"]

        case_worker = _bearer(d.intake_keys[Role.case_worker])

        def issued_in_intake() -> dict[str, Any] | None:
            items = client.get(
                f"{d.intake.url}/v1/persons/{person_id}/documents", headers=case_worker
            ).json()["items"]
            return items[0] if items and items[0]["status"] == "issued" else None

        document = eventually(issued_in_intake, "the issued certificate in intake", seconds=10)
        assert document["kind"] == "birth_certificate"
        assert document["request_id"] == request["id"]
        assert document["certificate_number"] == number
        assert document["handed_over_on"] == "2019-07-15"

        # Every event of the documents service was delivered; none is dead.
        docs_admin = _bearer(d.docs_keys[Role.admin])
        outbox = client.get(f"{d.docs.url}/v1/outbox", headers=docs_admin).json()["items"]
        assert [e["state"] for e in outbox] == ["delivered"] * len(steps)
