"""Issue scenario, in each field language: a family posted and linked, a retry after a lost
response, a bad field, a stale edit, a relocation to a relative who refused and then to one
who is willing. Every answer is in the client's language."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from apicore.auth import Role
from tests.conftest import ServiceClient
from tests.intake_api.persons.helpers import fixture_body, seed_operations

FAMILY = {"kk": (0, 1), "ru": (0, 1), "ar": (0, 1)}  # mother, child of each scenario file
ENGLISH_TITLES = {"Validation failed", "The record has changed", "The relative has not agreed to host"}


def in_language(r: httpx.Response, lang: str) -> None:
    assert r.headers["content-language"] == lang, r.text
    if r.status_code >= 400:
        assert r.json()["title"] not in ENGLISH_TITLES, r.text


@pytest.mark.parametrize("lang", ["kk", "ru", "ar"])
async def test_family_path_home_speaks_the_field_language(intake: ServiceClient, lang: str) -> None:
    await seed_operations(intake)
    fw = {**intake.auth(Role.field_worker), "Accept-Language": lang}
    cw = {**intake.auth(Role.case_worker), "Accept-Language": lang}
    mother_i, child_i = FAMILY[lang]
    mother, child = fixture_body(lang, mother_i), fixture_body(lang, child_i)

    # Registered; the child's answer is lost and the phone sends it again under its key.
    r = await intake.http.post("/v1/persons", json=mother, headers=fw)
    assert r.status_code == 201, r.text
    in_language(r, lang)
    first = await intake.http.post(
        "/v1/persons", json=child, headers={**fw, "Idempotency-Key": f"{lang}-child"}
    )
    again = await intake.http.post(
        "/v1/persons", json=child, headers={**fw, "Idempotency-Key": f"{lang}-child"}
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["idempotent-replayed"] == "true"

    # Linked: the mother is seen from the child and the child from the mother.
    r = await intake.http.post(
        f"/v1/persons/{child['id']}/relations",
        json={"related_person_id": mother["id"], "relation": "mother"},
        headers=fw,
    )
    assert r.status_code == 201, r.text
    seen = (await intake.http.get(f"/v1/persons/{mother['id']}/relations", headers=cw)).json()
    assert [(i["related_person_id"], i["relation"]) for i in seen["items"]] == [(child["id"], "child")]

    # A slip of the keyboard: refused in the field worker's language, naming the field.
    r = await intake.http.post("/v1/persons", json={**child, "id": None, "birth_date": "2016-13"}, headers=fw)
    assert r.status_code == 422
    in_language(r, lang)
    assert [e["field"] for e in r.json()["errors"]] == ["birth_date"]

    # Two editors read version 1; the second one's edit is refused as stale.
    tag = (await intake.http.get(f"/v1/persons/{child['id']}", headers=cw)).headers["etag"]
    patch = {**cw, "If-Match": tag, "Content-Type": "application/merge-patch+json"}
    assert (
        await intake.http.patch(f"/v1/persons/{child['id']}", json={"facility": "A"}, headers=patch)
    ).status_code == 200
    r = await intake.http.patch(f"/v1/persons/{child['id']}", json={"facility": "B"}, headers=patch)
    assert r.status_code == 412
    in_language(r, lang)

    # Rehabilitation, then relatives: one refuses, one is willing.
    async def move(body: dict[str, Any]) -> httpx.Response:
        current = (await intake.http.get(f"/v1/persons/{child['id']}", headers=cw)).headers["etag"]
        return await intake.http.post(
            f"/v1/persons/{child['id']}/status-changes", json=body, headers={**cw, "If-Match": current}
        )

    assert (await move({"status": "in_rehabilitation"})).status_code == 200
    relative = {
        "person_id": mother["id"],
        "relation": "sibling",
        "region": "KZ-75",
        "name": "Сәуле Жұмабаева",
    }
    refused = await intake.http.post(
        "/v1/relatives", json={**relative, "decision": "refused", "decision_reason": "Үй тар"}, headers=cw
    )
    willing = await intake.http.post(
        "/v1/relatives", json={**relative, "name": "Ғалым Ахметов", "decision": "willing"}, headers=cw
    )
    assert (refused.status_code, willing.status_code) == (201, 201), (refused.text, willing.text)
    r = await move({"status": "relocated", "host_relative_id": refused.json()["id"]})
    assert r.status_code == 409
    in_language(r, lang)
    r = await move({"status": "relocated", "host_relative_id": willing.json()["id"]})
    assert r.status_code == 200, r.text
    in_language(r, lang)
    events = (await intake.http.get(f"/v1/persons/{child['id']}/events", headers=cw)).json()
    assert [e["to_status"] for e in events] == ["arrived", "in_rehabilitation", "relocated"]
    assert events[-1]["host_relative_id"] == willing.json()["id"]
