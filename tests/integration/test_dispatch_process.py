"""`intake-api dispatch`: the outbox delivered by a process of its own, with no HTTP server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from apicore.auth import Role
from tests.intake_api.persons.helpers import fixture_body
from tests.integration.conftest import Deployment, bearer


def test_a_separate_dispatcher_delivers_what_the_server_only_stored(
    deployment: Deployment, tmp_path: Path
) -> None:
    # The intake server stores needs but does not deliver them itself.
    deployment.intake.env["INTAKE_OUTBOX_ENABLED"] = "false"
    deployment.docs.start()
    deployment.intake.start()
    with httpx.Client(timeout=10) as client:
        admin = bearer(deployment.intake_keys[Role.admin])
        ops = {
            "code": "zhusan-2",
            "names": {"kk": "Жусан-2", "ru": "Жусан-2", "ar": "جوسان-2"},
            "origin_country": "SY",
            "start_date": "2019-05-07",
        }
        assert (
            client.post(f"{deployment.intake.url}/v1/operations", json=ops, headers=admin).status_code == 201
        )
        body = fixture_body("kk", 1)
        r = client.post(
            f"{deployment.intake.url}/v1/persons",
            json=body,
            headers=bearer(deployment.intake_keys[Role.field_worker]),
        )
        assert r.status_code == 201
        reader = bearer(deployment.docs_keys[Role.case_worker])
        time.sleep(1.0)
        assert (
            client.get(
                f"{deployment.docs.url}/v1/requests", params={"person_id": body["id"]}, headers=reader
            ).json()["items"]
            == []
        )
        env = {**deployment.intake.env, "INTAKE_OUTBOX_ENABLED": "true"}
        log = (tmp_path / "dispatch.log").open("wb")
        dispatcher = subprocess.Popen(
            [str(Path(sys.executable).with_name("intake-api")), "dispatch"],
            env={**os.environ, **env},
            stdout=log,
            stderr=log,
        )
        try:
            deadline = time.monotonic() + 20
            items: list[dict[str, object]] = []
            while time.monotonic() < deadline and not items:
                items = client.get(
                    f"{deployment.docs.url}/v1/requests", params={"person_id": body["id"]}, headers=reader
                ).json()["items"]
                time.sleep(0.2)
            assert [i["kind"] for i in items] == ["birth_certificate"]
        finally:
            dispatcher.terminate()
            assert dispatcher.wait(timeout=10) == 0
            log.close()
