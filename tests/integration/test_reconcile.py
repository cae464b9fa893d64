"""`intake-api reconcile` against both services running as real uvicorn processes: it finds the
persons whose needs and requests disagree, repairs them on request, and then finds none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from apicore.auth import Role
from tests.docs_service.walk import cert_steps
from tests.integration.conftest import Deployment, bearer, child, eventually, outbox, pages
from tests.support.families import seed_operations_sync


def reconcile(d: Deployment, *args: str) -> tuple[int, str]:
    """Run `intake-api reconcile` with intake's settings; (exit status, standard output)."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("intake-api")), "reconcile", *args],
        env=d.intake.env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout.decode()


def post(client: httpx.Client, d: Deployment, body: dict[str, Any]) -> str:
    r = client.post(f"{d.intake.url}/v1/persons", json=body, headers=bearer(d.intake_keys[Role.field_worker]))
    assert r.status_code == 201, r.text
    return str(body["id"])


def requests_of(client: httpx.Client, d: Deployment, person_id: str) -> list[dict[str, Any]]:
    return pages(
        client, f"{d.docs.url}/v1/requests", bearer(d.docs_keys[Role.registrar]), person_id=person_id
    )


def test_reconcile_reports_repairs_and_then_finds_both_sides_agree(deployment: Deployment) -> None:
    d = deployment
    # Events die after one failed attempt; the documents service keeps its status changes to itself.
    d.intake.env["INTAKE_OUTBOX_MAX_ATTEMPTS"] = "1"
    d.docs.env["DOCS_OUTBOX_ENABLED"] = "false"
    admin = d.intake_keys[Role.admin]
    with httpx.Client(timeout=15) as client:
        d.intake.start()  # the documents service is down
        seed_operations_sync(client, d.intake.url, admin)

        def dead(topic: str) -> list[dict[str, Any]] | None:
            found = [
                e for e in outbox(client, d.intake.url, admin) if e["topic"] == topic and e["state"] == "dead"
            ]
            return found or None

        # B's need dies undelivered.
        b = post(client, d, child())
        eventually(lambda: dead("document_need.created"), "B's need dead")
        d.docs.start()
        a, c = post(client, d, child()), post(client, d, child())
        eventually(
            lambda: (requests_of(client, d, a) and requests_of(client, d, c)) or None, "A's and C's requests"
        )
        # C's need is cancelled while the documents service is down: the cancellation dies.
        d.docs.stop()
        r = client.post(
            f"{d.intake.url}/v1/persons/{c}/document-needs",
            json={"kind": "birth_certificate", "action": "cancel", "reason": "Куәлігі бар"},
            headers=bearer(d.intake_keys[Role.case_worker]),
        )
        assert r.status_code == 200, r.text
        eventually(lambda: dead("document_need.cancelled"), "C's cancellation dead")
        d.docs.start()
        # A registrar moves A's request; intake is not told.
        request_a = requests_of(client, d, a)[0]
        to, data = cert_steps()[0]
        moved = client.post(
            f"{d.docs.url}/v1/requests/{request_a['id']}/transitions",
            json={"to": to, "data": data},
            headers={"If-Match": f'"{request_a["version"]}"', **bearer(d.docs_keys[Role.registrar])},
        )
        assert moved.status_code == 200, moved.text

        status, out = reconcile(d, "--json")
        assert status == 1, out
        report = json.loads(out)
        found = sorted((x["person_id"], x["problem"]) for x in report["disagreements"])
        assert found == sorted(
            [
                (b, "request_missing"),
                (c, "request_not_cancelled"),
                (a, "status_behind"),  # intake never heard of A's request at all: the first report
                (c, "status_behind"),
            ]
        )
        assert all(x["repairable"] for x in report["disagreements"])
        assert report["requests_seen"] == 2
        # The report names no person: ids, kinds and statuses only.
        assert "Айша" not in out
        assert "Жұмабаева" not in out
        assert requests_of(client, d, b) == []  # reporting changed nothing

        status, out = reconcile(d, "--repair")
        assert status == 0, out
        assert out.strip().endswith("4 disagreement(s); 4 repaired")
        documents_a = client.get(
            f"{d.intake.url}/v1/persons/{a}/documents", headers=bearer(d.intake_keys[Role.case_worker])
        ).json()["items"]
        assert [(x["request_id"], x["status"]) for x in documents_a] == [(request_a["id"], to)]
        eventually(lambda: requests_of(client, d, b) or None, "B's request opened by the repair")
        eventually(
            lambda: [r["status"] for r in requests_of(client, d, c)] == ["cancelled"] or None,
            "C's request cancelled by the repair",
        )
        # The documents service's own status changes now flow (A's older one is ignored by version).
        d.docs.stop()
        d.docs.env["DOCS_OUTBOX_ENABLED"] = "true"
        d.docs.start()
        docs_admin = bearer(d.docs_keys[Role.admin])

        def docs_outbox_drained() -> bool | None:
            events = pages(client, f"{d.docs.url}/v1/outbox", docs_admin)
            return True if events and {e["state"] for e in events} == {"delivered"} else None

        eventually(docs_outbox_drained, "the documents service's events delivered")
        status, out = reconcile(d)
        assert status == 0, out
        assert out.strip() == "3 requests compared; 0 disagreement(s)"
