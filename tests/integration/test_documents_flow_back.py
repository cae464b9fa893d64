"""Documents → intake: a registrar's moves in the documents service reach intake's record of the
person, both services running as real uvicorn processes on loopback ports."""

from __future__ import annotations

import json
from typing import Any

import httpx

from apicore.auth import Role
from tests.conftest import FIXTURES_DIR
from tests.docs_service.walk import cert_steps, fresh_iin
from tests.integration.conftest import Deployment, bearer, eventually
from tests.support.families import KK_GIRL, person_body


def test_a_certificate_issued_in_documents_shows_in_intake_with_its_number(deployment: Deployment) -> None:
    d = deployment
    d.docs.start()
    d.intake.start()
    with httpx.Client(timeout=10) as client:
        admin = bearer(d.intake_keys[Role.admin])
        for op in json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]:
            assert client.post(f"{d.intake.url}/v1/operations", json=op, headers=admin).status_code == 201
        child = person_body(KK_GIRL)
        r = client.post(
            f"{d.intake.url}/v1/persons", json=child, headers=bearer(d.intake_keys[Role.field_worker])
        )
        assert r.status_code == 201, r.text
        person_id = r.json()["id"]

        registrar = bearer(d.docs_keys[Role.registrar])

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

        case_worker = bearer(d.intake_keys[Role.case_worker])

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
        docs_admin = bearer(d.docs_keys[Role.admin])
        outbox = client.get(f"{d.docs.url}/v1/outbox", headers=docs_admin).json()["items"]
        assert [e["state"] for e in outbox] == ["delivered"] * (1 + len(steps))  # the opening, each move
