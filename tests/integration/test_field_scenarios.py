"""The field teams' scenarios (tests/data/field, copied unchanged from shared/fixtures) replayed
against both services running as real uvicorn processes on loopback ports."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from apicore.auth import Role
from tests.conftest import FIXTURES_DIR
from tests.integration.conftest import Deployment, bearer

FAMILIES = ("kk", "ru", "ar")
NEEDED = {"child": "birth_certificate", "woman": "passport"}


def _matches(path: str, expected: str) -> bool:
    return path == expected or path.endswith("." + expected)


@dataclass
class Replay:
    """What a replay created and refused."""

    created: dict[str, str] = field(default_factory=dict)  # person id → category
    refused_ids: set[str] = field(default_factory=set)


def replay_family(client: httpx.Client, d: Deployment, family: str) -> Replay:
    """Send every request of one scenario file and check every `expect`."""
    scenario = json.loads((FIXTURES_DIR / f"family-{family}.json").read_text("utf-8"))
    field_worker = bearer(d.intake_keys[Role.field_worker])
    case_worker = bearer(d.intake_keys[Role.case_worker])
    first_answers: dict[str, httpx.Response] = {}
    outcome = Replay()
    for step in scenario["requests"]:
        note = f"{family}: {step['note']}"
        headers = {**step["headers"], **field_worker}
        r = client.request(step["method"], d.intake.url + step["path"], json=step["body"], headers=headers)
        expect = step["expect"]
        assert r.status_code == expect["status"], f"{note}: {r.status_code} {r.text}"
        if "content_language" in expect:
            assert r.headers["content-language"] == expect["content_language"], note
        if "content_type" in expect:
            assert r.headers["content-type"].split(";")[0] == expect["content_type"], note
        if "error_field" in expect:
            wanted = (
                expect["error_field"] if isinstance(expect["error_field"], list) else [expect["error_field"]]
            )
            fields = [e["field"] for e in r.json()["errors"]]
            assert any(_matches(f, w) for f in fields for w in wanted), f"{note}: {fields}"
            assert all(e["message"] for e in r.json()["errors"]), note
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/problem+json"), note
            if r.status_code == 422 and scenario["language"] != "en":
                assert r.json()["title"] != "Validation failed", f"{note}: problem not translated"
        person_id = step["body"]["id"]
        key = step["headers"].get("Idempotency-Key")
        if expect.get("replayed"):
            first = first_answers[key]
            assert r.headers.get("idempotent-replayed") == "true", note
            assert (r.status_code, r.json()) == (first.status_code, first.json()), note
        elif r.is_success and key:
            first_answers[key] = r
        if "warnings" in expect:
            codes = [w["code"] for w in r.json()["warnings"]]
            assert set(expect["warnings"]) <= set(codes), f"{note}: {codes}"
            assert all(w["message"] for w in r.json()["warnings"]), note
        if r.status_code == 201:
            outcome.created[person_id] = step["body"]["category"]
            outcome.refused_ids.discard(person_id)
        elif person_id not in outcome.created:
            outcome.refused_ids.add(person_id)
        if "stored" in expect:
            stored = client.get(f"{d.intake.url}/v1/persons/{person_id}", headers=case_worker).json()
            for name, value in expect["stored"].items():
                assert stored[name] == value, f"{note}: {name}={stored[name]!r}"
    for refused in outcome.refused_ids:
        r = client.get(f"{d.intake.url}/v1/persons/{refused}", headers=case_worker)
        assert r.status_code == 404, f"refused person {refused} exists"
    return outcome


def wait_for_requests(
    client: httpx.Client, d: Deployment, created: dict[str, str], refused: set[str]
) -> None:
    """Every child and woman has exactly one request of the right kind; refused ids none."""
    case_worker = bearer(d.docs_keys[Role.case_worker])
    deadline = time.monotonic() + 20
    missing: dict[str, Any] = {}
    while time.monotonic() < deadline:
        missing = {}
        for person_id, category in created.items():
            items = client.get(
                f"{d.docs.url}/v1/requests", params={"person_id": person_id}, headers=case_worker
            ).json()["items"]
            kinds = sorted(i["kind"] for i in items)
            expected = [NEEDED[category]] if category in NEEDED else []
            if kinds != expected:
                missing[person_id] = kinds
        if not missing:
            break
        time.sleep(0.2)
    assert not missing, f"requests not as expected: {missing}"
    for person_id in refused:
        items = client.get(
            f"{d.docs.url}/v1/requests", params={"person_id": person_id}, headers=case_worker
        ).json()["items"]
        assert items == [], person_id
    intake_reader = bearer(d.intake_keys[Role.case_worker])
    for person_id, category in created.items():
        needs = client.get(f"{d.intake.url}/v1/persons/{person_id}", headers=intake_reader).json()[
            "document_needs"
        ]
        if category in NEEDED:
            assert [(n["kind"], n["delivery"]) for n in needs] == [(NEEDED[category], "delivered")]
            assert needs[0]["request_id"] is not None


def create_operations(client: httpx.Client, d: Deployment) -> None:
    operations = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]
    for operation in operations:
        r = client.post(
            f"{d.intake.url}/v1/operations", json=operation, headers=bearer(d.intake_keys[Role.admin])
        )
        assert r.status_code == 201, r.text


def test_field_scenarios_reach_the_documents_service(deployment: Deployment) -> None:
    deployment.docs.start()
    deployment.intake.start()
    with httpx.Client(timeout=10) as client:
        create_operations(client, deployment)
        created: dict[str, str] = {}
        refused: set[str] = set()
        for family in FAMILIES:
            outcome = replay_family(client, deployment, family)
            created |= outcome.created
            refused |= outcome.refused_ids
        assert len(created) == 12  # 5 kk, 4 ru, 3 ar
        wait_for_requests(client, deployment, created, refused)


def test_needs_are_delivered_when_the_documents_service_starts_late(deployment: Deployment) -> None:
    deployment.intake.start()
    with httpx.Client(timeout=10) as client:
        create_operations(client, deployment)
        created: dict[str, str] = {}
        refused: set[str] = set()
        for family in FAMILIES:
            outcome = replay_family(client, deployment, family)
            created |= outcome.created
            refused |= outcome.refused_ids
        reader = bearer(deployment.intake_keys[Role.case_worker])
        pending = client.get(
            f"{deployment.intake.url}/v1/persons/{next(iter(created))}", headers=reader
        ).json()
        assert [n["delivery"] for n in pending["document_needs"]] == ["pending"]
        deployment.docs.start()
        wait_for_requests(client, deployment, created, refused)


def test_a_need_cancelled_in_intake_cancels_its_request(deployment: Deployment) -> None:
    deployment.docs.start()
    deployment.intake.start()
    with httpx.Client(timeout=10) as client:
        create_operations(client, deployment)
        body = json.loads((FIXTURES_DIR / "family-kk.json").read_text("utf-8"))["requests"][0]["body"]
        fw = bearer(deployment.intake_keys[Role.field_worker])
        assert client.post(f"{deployment.intake.url}/v1/persons", json=body, headers=fw).status_code == 201
        wait_for_requests(client, deployment, {body["id"]: "woman"}, set())
        r = client.post(
            f"{deployment.intake.url}/v1/persons/{body['id']}/document-needs",
            json={"kind": "passport", "action": "cancel", "reason": "Жарамды төлқұжаты бар"},
            headers=bearer(deployment.intake_keys[Role.case_worker]),
        )
        assert r.status_code == 200, r.text
        reader = bearer(deployment.docs_keys[Role.case_worker])
        deadline = time.monotonic() + 20
        statuses: list[str] = []
        while time.monotonic() < deadline:
            items = client.get(
                f"{deployment.docs.url}/v1/requests", params={"person_id": body["id"]}, headers=reader
            ).json()["items"]
            statuses = [i["status"] for i in items]
            if statuses == ["cancelled"]:
                break
            time.sleep(0.2)
        assert statuses == ["cancelled"]
