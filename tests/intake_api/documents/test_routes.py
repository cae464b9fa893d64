"""POST /v1/document-updates and GET /v1/persons/{id}/documents through the real app."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from apicore.auth import Role
from intake_api.documents.service import person_ids_with_document_status
from intake_api.models import DocumentNeed
from tests.conftest import ServiceClient
from tests.support.families import KK_GIRL, register_scenario, seed_operations


async def registered_child(intake: ServiceClient) -> uuid.UUID:
    await seed_operations(intake)
    [child] = await register_scenario(intake, KK_GIRL)
    return child


def update(
    person_id: uuid.UUID, request_id: uuid.UUID, version: int, status: str, **extra: Any
) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "request_id": str(request_id),
        "person_id": str(person_id),
        "kind": "birth_certificate",
        "status": status,
        "version": version,
        "status_changed_at": f"2019-06-{version + 10:02d}T08:00:00Z",
        **extra,
    }


async def send(
    intake: ServiceClient, body: dict[str, Any], role: Role = Role.service, key: str | None = None
) -> Any:
    return await intake.http.post(
        "/v1/document-updates",
        json=body,
        headers={"Idempotency-Key": key or body["event_id"], **intake.auth(role)},
    )


async def documents(intake: ServiceClient, person_id: uuid.UUID, role: Role = Role.case_worker) -> Any:
    r = await intake.http.get(f"/v1/persons/{person_id}/documents", headers=intake.auth(role))
    assert r.status_code == 200, r.text
    return r.json()["items"]


ISSUED = {
    "civil_act_record_number": "000412",
    "certificate_series": "I-АЖ",
    "certificate_number": "0004123",
    "registered_on": "2019-06-20",
    "handed_over_on": "2019-07-15",
    "iin": "160315600012",
}


class TestReceiveDocumentUpdate:
    async def test_only_the_service_role_may_send(self, intake: ServiceClient) -> None:
        child = await registered_child(intake)
        for role in Role:
            if role is Role.service:
                continue
            r = await send(intake, update(child, uuid.uuid4(), 2, "documents_collected"), role=role)
            assert r.status_code == 403, role

    async def test_newer_version_is_applied_with_numbers_and_dates(self, intake: ServiceClient) -> None:
        child = await registered_child(intake)
        request_id = uuid.uuid4()
        assert (await send(intake, update(child, request_id, 2, "documents_collected"))).json()[
            "outcome"
        ] == "applied"
        r = await send(intake, update(child, request_id, 6, "issued", **ISSUED))
        assert r.status_code == 200, r.text
        assert r.json() == {
            "outcome": "applied",
            "person_id": str(child),
            "kind": "birth_certificate",
            "status": "issued",
            "request_version": 6,
        }
        [doc] = await documents(intake, child)
        assert doc["status"] == "issued"
        assert doc["needed"] is True
        assert doc["request_id"] == str(request_id)
        assert (doc["certificate_series"], doc["certificate_number"]) == ("I-АЖ", "0004123")
        assert doc["handed_over_on"] == "2019-07-15"

    async def test_replayed_event_is_answered_from_the_first_and_changes_nothing(
        self, intake: ServiceClient
    ) -> None:
        child = await registered_child(intake)
        request_id = uuid.uuid4()
        event = update(child, request_id, 3, "parentage_confirmed")
        first = await send(intake, event)
        assert first.json()["outcome"] == "applied"
        await send(intake, update(child, request_id, 4, "registered", registered_on="2019-06-20"))
        replay = await send(intake, event)
        assert replay.headers.get("idempotent-replayed") == "true"
        # The same event again after its key expired: the version says it is old.
        again = await send(intake, event, key=str(uuid.uuid4()))
        assert again.json()["outcome"] == "ignored"
        assert again.json()["status"] == "registered"
        [doc] = await documents(intake, child)
        assert (doc["status"], doc["registered_on"]) == ("registered", "2019-06-20")

    async def test_older_version_arriving_late_is_ignored(self, intake: ServiceClient) -> None:
        child = await registered_child(intake)
        request_id = uuid.uuid4()
        await send(intake, update(child, request_id, 6, "issued", **ISSUED))
        late = await send(intake, update(child, request_id, 5, "printed"))
        assert late.status_code == 200
        assert late.json()["outcome"] == "ignored"
        [doc] = await documents(intake, child)
        assert doc["status"] == "issued"

    async def test_a_time_without_offset_is_422_naming_it_not_500(self, intake: ServiceClient) -> None:
        child = await registered_child(intake)
        body = update(child, uuid.uuid4(), 2, "documents_collected", status_changed_at="2020-01-01T00:00:00")
        r = await send(intake, body)
        assert r.status_code == 422, r.text
        assert [e["field"] for e in r.json()["errors"]] == ["status_changed_at"]
        assert await documents(intake, child) == [
            {"kind": "birth_certificate", "needed": True, "status": None}
        ]

    @pytest.mark.parametrize(
        ("field", "value", "code"),
        [
            ("passport_number", "N1\u00002", "nul_character"),  # PostgreSQL refuses NUL in text: was a 500
            ("certificate_number", "0004\u202e123", "bidi_control"),
            ("civil_act_record_number", "000\u200b412", "invisible_character"),
            ("certificate_series", " ", "blank"),
        ],
    )
    async def test_a_number_with_hidden_characters_is_422_and_changes_nothing(
        self, intake: ServiceClient, field: str, value: str, code: str
    ) -> None:
        child = await registered_child(intake)
        r = await send(intake, update(child, uuid.uuid4(), 2, "documents_collected", **{field: value}))
        assert r.status_code == 422, r.text
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [(field, code)]
        assert await documents(intake, child) == [
            {"kind": "birth_certificate", "needed": True, "status": None}
        ]

    async def test_unknown_person_is_404(self, intake: ServiceClient) -> None:
        r = await send(intake, update(uuid.uuid4(), uuid.uuid4(), 2, "documents_collected"))
        assert r.status_code == 404
        assert r.headers["content-type"].startswith("application/problem+json")

    async def test_the_need_learns_its_request(self, intake: ServiceClient) -> None:
        child = await registered_child(intake)
        async with intake.db.transaction() as session:
            need_id = (
                await session.scalars(select(DocumentNeed.id).where(DocumentNeed.person_id == child))
            ).one()
        request_id = uuid.uuid4()
        await send(intake, update(child, request_id, 2, "documents_collected", need_id=str(need_id)))
        async with intake.db.transaction() as session:
            need = await session.get(DocumentNeed, need_id)
        assert need is not None
        assert (need.delivery, need.request_id) == ("delivered", request_id)


class TestListPersonDocuments:
    async def test_a_need_not_yet_reported_shows_without_status(self, intake: ServiceClient) -> None:
        child = await registered_child(intake)
        assert await documents(intake, child) == [
            {"kind": "birth_certificate", "needed": True, "status": None}
        ]

    async def test_partner_sees_kind_and_status_without_numbers(self, intake: ServiceClient) -> None:
        child = await registered_child(intake)
        await send(intake, update(child, uuid.uuid4(), 6, "issued", **ISSUED))
        assert await documents(intake, child, Role.partner) == [
            {"kind": "birth_certificate", "needed": True, "status": "issued"}
        ]

    async def test_field_workers_may_not_read(self, intake: ServiceClient) -> None:
        child = await registered_child(intake)
        r = await intake.http.get(f"/v1/persons/{child}/documents", headers=intake.auth(Role.field_worker))
        assert r.status_code == 403

    async def test_unknown_person_is_404(self, intake: ServiceClient) -> None:
        r = await intake.http.get(f"/v1/persons/{uuid.uuid4()}/documents", headers=intake.auth(Role.admin))
        assert r.status_code == 404


class TestPersonIdsWithDocumentStatus:
    async def test_selects_the_persons_whose_document_is_in_the_status(self, intake: ServiceClient) -> None:
        child = await registered_child(intake)
        await send(intake, update(child, uuid.uuid4(), 6, "issued", **ISSUED))
        async with intake.db.transaction() as session:
            found = [
                list((await session.scalars(person_ids_with_document_status(kind, status))).all())
                for kind, status in [
                    ("birth_certificate", "issued"),
                    (None, "issued"),
                    ("passport", "issued"),
                    (None, "printed"),
                ]
            ]
        issued, any_kind, passports, printed = found
        assert (issued, any_kind, passports, printed) == ([child], [child], [], [])
