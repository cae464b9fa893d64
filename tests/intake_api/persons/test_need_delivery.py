"""A need's delivery as a case worker sees it: `failed` when the outbox gives it up, `pending`
again when an admin retries it; and a need the documents service would refuse is refused here."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select
from tests.conftest import ServiceClient
from tests.support.families import KK_GIRL, register_scenario, seed_operations

from apicore.auth import Role
from apicore.outbox import Dispatcher
from apicore.settings import ServiceSettings
from intake_api.models import platform
from intake_api.persons.document_needs import need_topic
from intake_api.settings import IntakeSettings


async def _needs(intake: ServiceClient, person_id: uuid.UUID) -> list[tuple[str, str, str]]:
    r = await intake.http.get(f"/v1/persons/{person_id}", headers=intake.auth(Role.case_worker))
    assert r.status_code == 200, r.text
    return [(n["kind"], n["state"], n["delivery"]) for n in r.json()["document_needs"]]


async def test_a_need_given_up_shows_failed_and_pending_again_when_an_admin_retries(
    intake: ServiceClient,
) -> None:
    await seed_operations(intake)
    [child] = await register_scenario(intake, KK_GIRL)
    settings = IntakeSettings(docs_service_url="http://docs.test", docs_service_key="k")

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"type": "urn:returnee-registry:problem:validation-failed"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as client:
        topic = need_topic(settings)
        dispatcher = Dispatcher(intake.db, platform, {topic.name: topic}, client, ServiceSettings())
        assert await dispatcher.process_due() == 1
    assert await _needs(intake, child) == [("birth_certificate", "active", "failed")]

    t = platform.outbox_event
    async with intake.db.transaction() as session:
        event_id = (await session.execute(select(t.c.id).where(t.c.state == "dead"))).scalar_one()
    r = await intake.http.post(f"/v1/outbox/{event_id}/retry", headers=intake.auth(Role.admin))
    assert r.status_code == 200, r.text
    assert await _needs(intake, child) == [("birth_certificate", "active", "pending")]


async def test_requiring_a_passport_for_a_child_is_refused_naming_kind(intake: ServiceClient) -> None:
    await seed_operations(intake)
    [child] = await register_scenario(intake, KK_GIRL)
    r = await intake.http.post(
        f"/v1/persons/{child}/document-needs",
        json={"kind": "passport", "action": "require", "reason": "Анасымен бірге"},
        headers={**intake.auth(Role.case_worker), "Accept-Language": "kk"},
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-language"] == "kk"
    assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("kind", "kind_not_for_category")]
    assert "birth certificate" not in r.json()["errors"][0]["message"]  # translated
    assert await _needs(intake, child) == [("birth_certificate", "active", "pending")]
    async with intake.db.transaction() as session:
        count = len((await session.execute(select(platform.outbox_event.c.id))).all())
    assert count == 1  # only the birth certificate's event
