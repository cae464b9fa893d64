"""POST/GET /v1/requests through the real documents app on the migrated schema, intake faked."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from apicore.auth import Role
from apicore.pagination import encode_cursor
from docs_service.document_requests.models import DocumentRequest, DocumentRequestEvent
from docs_service.document_requests.opening import OpenRequestExists
from docs_service.document_requests.service import RequestNotFound
from docs_service.intake_client import IntakeUnavailable
from docs_service.models import platform
from tests.conftest import ServiceClient
from tests.docs_service.conftest import INTAKE_KEY, FakeIntake
from tests.docs_service.walk import PROBLEM, open_request


async def audit_rows(docs: ServiceClient) -> list[dict[str, Any]]:
    table = platform.audit_event
    async with docs.db.transaction() as session:
        rows = (await session.execute(select(table).order_by(table.c.at, table.c.id))).all()
    return [dict(r._mapping) for r in rows]


async def request_count(docs: ServiceClient) -> int:
    async with docs.db.transaction() as session:
        return len((await session.execute(select(DocumentRequest.id))).all())


class TestOpenRequest:
    async def test_service_key_opens_a_requested_request(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id, need_id = fake_intake.add("child"), uuid.uuid4()
        r = await open_request(docs, person_id, role=Role.service, need_id=str(need_id))
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["status"] == "requested"
        assert (body["person_id"], body["kind"], body["need_id"]) == (
            str(person_id),
            "birth_certificate",
            str(need_id),
        )
        assert body["version"] == 1
        assert r.headers["location"] == f"/v1/requests/{body['id']}"
        assert r.headers["etag"] == '"1"'

    async def test_copies_the_kazakh_name_birth_date_and_sex_from_intake(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        r = await open_request(docs, fake_intake.add("child"))
        holder = r.json()["holder"]
        assert holder["names"] == {"family": "Сейітқызы", "given": "Айару", "patronymic": None}
        assert (holder["birth_date"], holder["sex"], holder["iin"]) == ("2016-03", "female", None)
        assert holder["checked_at"] is not None
        assert holder["latin_name_suggested"] is None  # a certificate prints no Latin name

    async def test_passport_takes_intake_latin_suggestion_and_iin(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        r = await open_request(docs, fake_intake.add("woman", iin="920411400012"), "passport")
        holder = r.json()["holder"]
        assert holder["names"]["family"] == "Жұмабаева"
        assert holder["latin_name_suggested"] == {"surname": "ZHUMABAEVA", "given_names": "AISHA"}
        assert holder["latin_name"] is None
        assert (holder["iin"], holder["iin_issued"]) == ("920411400012", False)

    async def test_child_without_kazakh_name_has_none_yet(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add(
            "child", names=[{"script": "Arab", "lang": "ar", "kind": "birth", "given": "عائشة"}]
        )
        r = await open_request(docs, person_id)
        assert r.status_code == 201
        assert r.json()["holder"]["names"] == {"family": None, "given": None, "patronymic": None}
        assert {p["code"]: p["met"] for p in r.json()["prerequisites"]}["kazakh_name"] is False

    async def test_the_check_carries_the_service_key_and_request_id(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        r = await open_request(docs, person_id, headers={"X-Request-ID": "field-team-7-req-0001"})
        assert r.status_code == 201
        [call] = fake_intake.calls
        assert call.url.path == f"/v1/persons/{person_id}"
        assert call.headers["authorization"] == f"Bearer {INTAKE_KEY}"
        assert call.headers["x-request-id"] == "field-team-7-req-0001"

    async def test_unknown_person_is_422_naming_person_id_and_saves_nothing(
        self, docs: ServiceClient
    ) -> None:
        r = await open_request(docs, uuid.uuid4(), headers={"Accept-Language": "ru"})
        assert r.status_code == 422
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.headers["content-language"] == "ru"
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("person_id", "unknown_person")]
        assert await request_count(docs) == 0

    async def test_a_404_that_is_not_intakes_answer_is_503_not_unknown_person(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        # A wrong DOCS_INTAKE_SERVICE_URL or a proxy's own 404 page: not "no such person", which
        # would kill the need for good.
        person_id = fake_intake.add("child")
        fake_intake.failures.append(lambda: httpx.Response(404, text="<html>Not Found</html>"))
        r = await open_request(docs, person_id)
        assert r.status_code == 503, r.text
        assert "retry-after" in r.headers
        assert await request_count(docs) == 0

    @pytest.mark.parametrize(
        ("category", "kind"),
        [("child", "passport"), ("woman", "birth_certificate"), ("man", "birth_certificate")],
    )
    async def test_kind_not_for_the_person_is_422_naming_kind(
        self, docs: ServiceClient, fake_intake: FakeIntake, category: str, kind: str
    ) -> None:
        r = await open_request(docs, fake_intake.add(category), kind)
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("kind", "kind_not_for_category")]
        assert await request_count(docs) == 0

    @pytest.mark.parametrize("category", ["woman", "man"])
    async def test_passport_is_for_any_adult(
        self, docs: ServiceClient, fake_intake: FakeIntake, category: str
    ) -> None:
        r = await open_request(docs, fake_intake.add(category), "passport")
        assert r.status_code == 201

    async def test_intake_down_is_503_with_retry_after_and_saves_nothing(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        fake_intake.down = True
        r = await open_request(docs, person_id, role=Role.service, headers={"Accept-Language": "kk"})
        assert r.status_code == 503
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.headers["retry-after"] == "30"
        assert r.json()["type"].endswith(":intake-unavailable")
        assert r.json()["title"] == IntakeUnavailable.title.render("kk")
        assert len(fake_intake.calls) == 3  # the configured attempts
        assert await request_count(docs) == 0
        assert await audit_rows(docs) == []

    async def test_a_retry_after_intake_is_back_succeeds_with_the_same_key(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        fake_intake.down = True
        key = {"Idempotency-Key": "need-0b9a8c7d"}
        assert (await open_request(docs, person_id, role=Role.service, headers=key)).status_code == 503
        fake_intake.down = False
        r = await open_request(docs, person_id, role=Role.service, headers=key)
        assert r.status_code == 201
        replay = await open_request(docs, person_id, role=Role.service, headers=key)
        assert replay.headers.get("idempotent-replayed") == "true"
        assert replay.json() == r.json()
        assert await request_count(docs) == 1

    async def test_a_flaky_intake_is_retried(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        import httpx

        person_id = fake_intake.add("child")
        fake_intake.failures = [lambda: httpx.Response(503), lambda: httpx.Response(502)]
        r = await open_request(docs, person_id)
        assert r.status_code == 201
        assert len(fake_intake.calls) == 3

    async def test_second_open_request_same_person_and_kind_is_409_naming_the_first(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        first = await open_request(docs, person_id)
        r = await open_request(docs, person_id, headers={"Accept-Language": "ru"})
        assert r.status_code == 409
        assert r.headers["content-type"].startswith(PROBLEM)
        problem = r.json()
        assert problem["type"].endswith(":open-request-exists")
        assert problem["open_request_id"] == first.json()["id"]
        assert first.json()["id"] in problem["detail"]
        assert problem["title"] == OpenRequestExists.title.render("ru")
        assert problem["title"] != OpenRequestExists.title.render("en")
        assert r.headers["content-language"] == "ru"
        assert await request_count(docs) == 1

    async def test_same_kind_for_another_person_is_fine(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        assert (await open_request(docs, fake_intake.add("child"))).status_code == 201
        assert (await open_request(docs, fake_intake.add("child"))).status_code == 201

    @pytest.mark.parametrize("closed", ["issued", "rejected", "cancelled"])
    async def test_closed_request_does_not_block_a_new_one(
        self, docs: ServiceClient, fake_intake: FakeIntake, closed: str
    ) -> None:
        person_id = fake_intake.add("child")
        first = (await open_request(docs, person_id)).json()
        async with docs.db.transaction() as session:
            await session.execute(
                update(DocumentRequest)
                .where(DocumentRequest.id == uuid.UUID(first["id"]))
                .values(status=closed)
            )
        r = await open_request(docs, person_id)
        assert r.status_code == 201
        assert r.json()["id"] != first["id"]

    async def test_concurrent_opens_for_same_person_and_kind_create_one(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        answers = await asyncio.gather(*(open_request(docs, person_id) for _ in range(8)))
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [201] + [409] * 7, statuses
        winner = next(r for r in answers if r.status_code == 201).json()["id"]
        assert {r.json()["open_request_id"] for r in answers if r.status_code == 409} == {winner}

    async def test_unknown_kind_is_422_naming_kind(self, docs: ServiceClient) -> None:
        r = await open_request(docs, uuid.uuid4(), "driving_licence")
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["kind"]

    async def test_former_passport_on_a_certificate_is_422(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        r = await open_request(docs, fake_intake.add("child"), former_passport_number="N0001")
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("former_passport_number", "passport_only")
        ]

    @pytest.mark.parametrize(
        ("value", "code"),
        [
            ("N12\u00003", "nul_character"),  # PostgreSQL refuses NUL in text: was a 500
            ("N" * 33, "string_too_long"),  # longer than the column: was a 500 on PostgreSQL
            ("N1234567\u202eX", "bidi_control"),
            ("N1\u200b234567", "invisible_character"),
        ],
    )
    async def test_a_former_passport_number_that_cannot_be_kept_is_422(
        self, docs: ServiceClient, fake_intake: FakeIntake, value: str, code: str
    ) -> None:
        r = await open_request(docs, fake_intake.add("woman"), "passport", former_passport_number=value)
        assert r.status_code == 422, r.text
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("former_passport_number", code)]
        assert await request_count(docs) == 0

    async def test_assignment_and_former_passport_are_kept(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        r = await open_request(
            docs,
            fake_intake.add("woman"),
            "passport",
            assignment={"office": "Көші-қон қызметі, Ақтау", "officer": "Б. Сейітова"},
            former_passport_number="n٠٧٣٤٥١١٢",
        )
        assert r.status_code == 201, r.text
        assert r.json()["assignment"] == {"office": "Көші-қон қызметі, Ақтау", "officer": "Б. Сейітова"}
        assert r.json()["document"]["former_passport_number"] == "N07345112"

    async def test_registrar_may_not_open_a_request(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        r = await open_request(docs, fake_intake.add("child"), role=Role.registrar)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith(PROBLEM)
        assert fake_intake.calls == []
        assert await request_count(docs) == 0

    @pytest.mark.parametrize("role", [Role.field_worker, Role.auditor, Role.partner])
    async def test_other_roles_may_not_open_a_request(
        self, docs: ServiceClient, fake_intake: FakeIntake, role: Role
    ) -> None:
        assert (await open_request(docs, fake_intake.add("child"), role=role)).status_code == 403

    async def test_creation_is_audited_without_values_and_starts_the_history(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        r = await open_request(docs, person_id, role=Role.service)
        [row] = await audit_rows(docs)
        assert (row["action"], row["subject_id"], row["actor_role"]) == (
            "document_request.created",
            person_id,
            "service",
        )
        assert row["request_id"] == r.headers["x-request-id"]
        async with docs.db.transaction() as session:
            [event] = (await session.execute(select(DocumentRequestEvent))).scalars().all()
        assert (event.action, event.from_status, event.to_status, event.version) == (
            "created",
            None,
            "requested",
            1,
        )
        assert (event.actor_role, event.actor_name) == ("service", "test-service")


class TestOpenWithoutIntakeKey:
    """`DOCS_INTAKE_SERVICE_KEY` unset: intake's own service key still delivers needs."""

    @pytest.fixture
    def docs_settings_overrides(self) -> dict[str, Any]:
        return {"intake_service_key": ""}

    async def test_the_intake_service_opens_on_its_own_word(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        r = await open_request(docs, uuid.uuid4(), role=Role.service, need_id=str(uuid.uuid4()))
        assert r.status_code == 201
        assert r.json()["holder"]["checked_at"] is None
        assert fake_intake.calls == []

    async def test_a_case_worker_gets_503_since_the_person_cannot_be_checked(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        r = await open_request(docs, fake_intake.add("child"), role=Role.case_worker)
        assert r.status_code == 503
        assert await request_count(docs) == 0


class TestGetRequest:
    async def test_returns_the_request_with_etag(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        created = await open_request(docs, fake_intake.add("child"))
        r = await docs.http.get(created.headers["location"], headers=docs.auth(Role.case_worker))
        assert r.status_code == 200
        assert r.json() == created.json()
        assert r.headers["etag"] == '"1"'

    async def test_shows_allowed_moves_prerequisites_and_days_in_status(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        created = await open_request(docs, fake_intake.add("woman"), "passport")
        body = (await docs.http.get(created.headers["location"], headers=docs.auth(Role.registrar))).json()
        assert body["allowed_transitions"] == ["biometrics_taken", "rejected", "cancelled"]
        assert [p["code"] for p in body["prerequisites"]] == [
            "cyrillic_name",
            "latin_name",
            "birth_date",
            "sex",
            "iin",
        ]
        assert body["deadline"]["days_in_status"] == 0
        assert body["deadline"]["target_days"] == 5
        assert body["deadline"]["overdue"] is False

    async def test_unknown_id_is_404_problem_naming_it(self, docs: ServiceClient) -> None:
        missing = uuid.uuid4()
        r = await docs.http.get(
            f"/v1/requests/{missing}", headers={"Accept-Language": "kk", **docs.auth(Role.registrar)}
        )
        assert r.status_code == 404
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.headers["content-language"] == "kk"
        problem = r.json()
        assert problem["type"].endswith(":request-not-found")
        assert str(missing) in problem["detail"]
        assert problem["title"] == RequestNotFound.title.render("kk")
        assert problem["title"] != RequestNotFound.title.render("en")

    async def test_malformed_id_is_422_naming_request_id(self, docs: ServiceClient) -> None:
        r = await docs.http.get("/v1/requests/not-a-uuid", headers=docs.auth(Role.registrar))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["request_id"]

    @pytest.mark.parametrize("role", [Role.field_worker, Role.auditor])
    async def test_roles_without_need_may_not_read(
        self, docs: ServiceClient, fake_intake: FakeIntake, role: Role
    ) -> None:
        created = await open_request(docs, fake_intake.add("child"))
        assert (await docs.http.get(created.headers["location"], headers=docs.auth(role))).status_code == 403

    async def test_read_is_audited_with_reader_and_request_id(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        created = await open_request(docs, person_id)
        r = await docs.http.get(created.headers["location"], headers=docs.auth(Role.registrar))
        [read] = [row for row in await audit_rows(docs) if row["action"] == "document_request.read"]
        assert (read["subject_type"], read["subject_id"]) == ("person", person_id)
        assert (read["actor_role"], read["actor_name"]) == ("registrar", "test-registrar")
        assert read["request_id"] == r.headers["x-request-id"]

    async def test_refused_read_is_not_audited_as_a_read(self, docs: ServiceClient) -> None:
        await docs.http.get(f"/v1/requests/{uuid.uuid4()}", headers=docs.auth(Role.registrar))
        assert [row["action"] for row in await audit_rows(docs)] == []


class TestPartnerView:
    async def test_partner_sees_progress_without_personal_fields(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        created = await open_request(docs, fake_intake.add("woman", iin="920411400012"), "passport")
        r = await docs.http.get(created.headers["location"], headers=docs.auth(Role.partner))
        assert r.status_code == 200
        body = r.json()
        for absent in ("holder", "document", "closed_reason"):
            assert absent not in body
        assert "920411400012" not in r.text
        assert "Жұмабаева" not in r.text
        assert (body["status"], body["kind"], body["version"]) == ("requested", "passport", 1)
        assert body["deadline"]["target_days"] == 5
        assert r.headers["etag"] == '"1"'

    async def test_partner_list_has_no_personal_fields(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        await open_request(docs, fake_intake.add("child"))
        r = await docs.http.get("/v1/requests", headers=docs.auth(Role.partner))
        [item] = r.json()["items"]
        assert "holder" not in item
        assert "document" not in item
        assert "Айару" not in r.text

    async def test_other_readers_get_every_field_even_when_null(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        created = await open_request(docs, fake_intake.add("child"))
        body = (await docs.http.get(created.headers["location"], headers=docs.auth(Role.case_worker))).json()
        assert body["closed_reason"] is None
        assert body["document"]["passport_number"] is None


class TestListRequests:
    async def test_filters_by_person_and_pages_with_cursor(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id, other = fake_intake.add("child"), fake_intake.add("child")
        first = (await open_request(docs, person_id)).json()["id"]
        async with docs.db.transaction() as session:
            await session.execute(
                update(DocumentRequest)
                .where(DocumentRequest.id == uuid.UUID(first))
                .values(status="cancelled")
            )
        second = (await open_request(docs, person_id)).json()["id"]
        await open_request(docs, other)
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params = {"person_id": str(person_id), "limit": "1", **({"cursor": cursor} if cursor else {})}
            r = await docs.http.get("/v1/requests", params=params, headers=docs.auth(Role.registrar))
            assert r.status_code == 200, r.text
            page = r.json()
            seen += [item["id"] for item in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert pages < 5
        assert seen == [first, second]
        assert pages == 2

    async def test_without_filter_lists_oldest_first(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        ids = [(await open_request(docs, fake_intake.add("child"))).json()["id"] for _ in range(3)]
        r = await docs.http.get("/v1/requests", headers=docs.auth(Role.service))
        assert [item["id"] for item in r.json()["items"]] == ids
        assert r.json()["next_cursor"] is None

    async def test_filters_by_kind(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        await open_request(docs, fake_intake.add("child"), "birth_certificate")
        passport = (await open_request(docs, fake_intake.add("woman"), "passport")).json()["id"]
        r = await docs.http.get("/v1/requests", params={"kind": "passport"}, headers=docs.auth(Role.service))
        assert [item["id"] for item in r.json()["items"]] == [passport]

    async def test_filters_by_status(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        cancelled = (await open_request(docs, fake_intake.add("child"))).json()["id"]
        await open_request(docs, fake_intake.add("child"))
        async with docs.db.transaction() as session:
            await session.execute(
                update(DocumentRequest)
                .where(DocumentRequest.id == uuid.UUID(cancelled))
                .values(status="cancelled")
            )
        r = await docs.http.get(
            "/v1/requests", params={"status": "cancelled"}, headers=docs.auth(Role.registrar)
        )
        assert [item["id"] for item in r.json()["items"]] == [cancelled]

    async def test_unknown_status_is_422_naming_status(self, docs: ServiceClient) -> None:
        r = await docs.http.get("/v1/requests", params={"status": "lost"}, headers=docs.auth(Role.registrar))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["status"]

    async def test_filters_by_office(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        almaty = (
            await open_request(docs, fake_intake.add("child"), assignment={"office": "АХАТ бөлімі, Алматы"})
        ).json()["id"]
        await open_request(docs, fake_intake.add("child"), assignment={"office": "АХАТ бөлімі, Ақтау"})
        await open_request(docs, fake_intake.add("child"))
        r = await docs.http.get(
            "/v1/requests", params={"office": "АХАТ бөлімі, Алматы"}, headers=docs.auth(Role.registrar)
        )
        assert [item["id"] for item in r.json()["items"]] == [almaty]

    @pytest.mark.parametrize(
        "cursor",
        [
            "not-a-cursor",
            base64.urlsafe_b64encode(b'{"a": 1}').decode(),
            base64.urlsafe_b64encode(
                json.dumps(["2026-01-01T00:00:00", str(uuid.uuid4())]).encode()
            ).decode(),
            base64.urlsafe_b64encode(json.dumps(["2026-01-01T00:00:00+00:00", "x"]).encode()).decode(),
            base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),
        ],
        ids=["garbage", "object", "naive-time", "bad-uuid", "binary"],
    )
    async def test_forged_cursor_is_400_naming_cursor(self, docs: ServiceClient, cursor: str) -> None:
        r = await docs.http.get(
            "/v1/requests",
            params={"cursor": cursor},
            headers={"Accept-Language": "ar", **docs.auth(Role.registrar)},
        )
        assert r.status_code == 400
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.headers["content-language"] == "ar"
        assert r.json()["type"].endswith(":invalid-cursor")
        assert [e["field"] for e in r.json()["errors"]] == ["cursor"]

    async def test_cursor_of_a_well_formed_but_unknown_position_is_accepted(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        await open_request(docs, fake_intake.add("child"))
        later = encode_cursor(dt.datetime(2999, 1, 1, tzinfo=dt.UTC), uuid.uuid4())
        r = await docs.http.get("/v1/requests", params={"cursor": later}, headers=docs.auth(Role.registrar))
        assert r.status_code == 200
        assert r.json() == {"items": [], "next_cursor": None}

    @pytest.mark.parametrize("limit", ["0", "201", "x"])
    async def test_limit_out_of_range_is_422_naming_limit(self, docs: ServiceClient, limit: str) -> None:
        r = await docs.http.get("/v1/requests", params={"limit": limit}, headers=docs.auth(Role.registrar))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["limit"]

    async def test_every_request_shown_is_audited(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        people = [fake_intake.add("child"), fake_intake.add("child")]
        for person_id in people:
            await open_request(docs, person_id)
        r = await docs.http.get("/v1/requests", headers=docs.auth(Role.partner))
        assert len(r.json()["items"]) == 2
        listed = [row for row in await audit_rows(docs) if row["action"] == "document_request.listed"]
        assert sorted(row["subject_id"] for row in listed) == sorted(people)
        assert {row["actor_role"] for row in listed} == {"partner"}
        assert {row["request_id"] for row in listed} == {r.headers["x-request-id"]}

    async def test_empty_page_writes_no_audit_row(self, docs: ServiceClient) -> None:
        r = await docs.http.get("/v1/requests", headers=docs.auth(Role.registrar))
        assert r.json()["items"] == []
        assert await audit_rows(docs) == []

    async def test_auditor_may_not_list(self, docs: ServiceClient) -> None:
        assert (await docs.http.get("/v1/requests", headers=docs.auth(Role.auditor))).status_code == 403


class TestOverdue:
    """Targets: passport `requested` 5 days (default), certificate `requested` 2 (configured)."""

    @pytest.fixture
    def docs_settings_overrides(self) -> dict[str, Any]:
        return {"target_days": {"birth_certificate": {"requested": 2}}}

    async def age(self, docs: ServiceClient, request_id: str, days: float) -> None:
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        async with docs.db.transaction() as session:
            await session.execute(
                update(DocumentRequest)
                .where(DocumentRequest.id == uuid.UUID(request_id))
                .values(status_changed_at=since, version=DocumentRequest.version)
            )

    async def test_overdue_filter_uses_each_kind_and_state_target(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        late_cert = (await open_request(docs, fake_intake.add("child"))).json()["id"]
        fresh_cert = (await open_request(docs, fake_intake.add("child"))).json()["id"]
        passport_3_days = (await open_request(docs, fake_intake.add("woman"), "passport")).json()["id"]
        late_passport = (await open_request(docs, fake_intake.add("woman"), "passport")).json()["id"]
        await self.age(docs, late_cert, 3)
        await self.age(docs, passport_3_days, 3)
        await self.age(docs, late_passport, 6)
        overdue = await docs.http.get(
            "/v1/requests", params={"overdue": "true"}, headers=docs.auth(Role.registrar)
        )
        assert {item["id"] for item in overdue.json()["items"]} == {late_cert, late_passport}
        assert all(item["deadline"]["overdue"] for item in overdue.json()["items"])
        on_time = await docs.http.get(
            "/v1/requests", params={"overdue": "false"}, headers=docs.auth(Role.registrar)
        )
        assert {item["id"] for item in on_time.json()["items"]} == {fresh_cert, passport_3_days}

    async def test_each_request_shows_days_in_its_status(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = (await open_request(docs, fake_intake.add("child"))).json()["id"]
        await self.age(docs, request_id, 3.5)
        deadline = (
            await docs.http.get(f"/v1/requests/{request_id}", headers=docs.auth(Role.partner))
        ).json()["deadline"]
        assert (deadline["days_in_status"], deadline["target_days"], deadline["overdue"]) == (3, 2, True)

    async def test_a_closed_request_is_never_overdue(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = (await open_request(docs, fake_intake.add("child"))).json()["id"]
        async with docs.db.transaction() as session:
            await session.execute(
                update(DocumentRequest)
                .where(DocumentRequest.id == uuid.UUID(request_id))
                .values(status="cancelled")
            )
        await self.age(docs, request_id, 30)
        r = await docs.http.get("/v1/requests", params={"overdue": "true"}, headers=docs.auth(Role.registrar))
        assert r.json()["items"] == []
