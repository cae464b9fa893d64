"""POST/GET /v1/requests through the real documents app on the migrated schema."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import select, update

from apicore.auth import Role
from apicore.pagination import encode_cursor
from docs_service.document_requests.models import DocumentRequest
from docs_service.document_requests.service import OpenRequestExists, RequestNotFound
from docs_service.models import platform
from tests.conftest import ServiceClient

PROBLEM = "application/problem+json"


async def open_request(
    docs: ServiceClient,
    person_id: uuid.UUID,
    kind: str = "birth_certificate",
    role: Role = Role.service,
    headers: dict[str, str] | None = None,
) -> Any:
    return await docs.http.post(
        "/v1/requests",
        json={"person_id": str(person_id), "kind": kind},
        headers={**(headers or {}), **docs.auth(role)},
    )


async def audit_rows(docs: ServiceClient) -> list[dict[str, Any]]:
    table = platform.audit_event
    async with docs.db.transaction() as session:
        rows = (await session.execute(select(table).order_by(table.c.at, table.c.id))).all()
    return [dict(r._mapping) for r in rows]


class TestOpenRequest:
    async def test_service_key_opens_a_requested_request(self, docs: ServiceClient) -> None:
        person_id, need_id = uuid.uuid4(), uuid.uuid4()
        r = await docs.http.post(
            "/v1/requests",
            json={"person_id": str(person_id), "kind": "birth_certificate", "need_id": str(need_id)},
            headers=docs.auth(Role.service),
        )
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

    async def test_second_open_request_same_person_and_kind_is_409_naming_the_first(
        self, docs: ServiceClient
    ) -> None:
        person_id = uuid.uuid4()
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
        listed = await docs.http.get(
            "/v1/requests", params={"person_id": str(person_id)}, headers=docs.auth(Role.service)
        )
        assert len(listed.json()["items"]) == 1

    async def test_another_kind_for_same_person_is_fine(self, docs: ServiceClient) -> None:
        person_id = uuid.uuid4()
        assert (await open_request(docs, person_id, "birth_certificate")).status_code == 201
        r = await open_request(docs, person_id, "passport")
        assert r.status_code == 201
        assert r.json()["kind"] == "passport"

    async def test_same_kind_for_another_person_is_fine(self, docs: ServiceClient) -> None:
        assert (await open_request(docs, uuid.uuid4())).status_code == 201
        assert (await open_request(docs, uuid.uuid4())).status_code == 201

    @pytest.mark.parametrize("closed", ["issued", "rejected", "cancelled"])
    async def test_closed_request_does_not_block_a_new_one(self, docs: ServiceClient, closed: str) -> None:
        person_id = uuid.uuid4()
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

    async def test_concurrent_opens_for_same_person_and_kind_create_one(self, docs: ServiceClient) -> None:
        person_id = uuid.uuid4()
        answers = await asyncio.gather(*(open_request(docs, person_id) for _ in range(8)))
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [201] + [409] * 7, statuses
        winner = next(r for r in answers if r.status_code == 201).json()["id"]
        assert {r.json()["open_request_id"] for r in answers if r.status_code == 409} == {winner}

    async def test_unknown_kind_is_422_naming_kind(self, docs: ServiceClient) -> None:
        r = await open_request(docs, uuid.uuid4(), "driving_licence")
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["kind"]

    async def test_registrar_may_not_open_a_request(self, docs: ServiceClient) -> None:
        person_id = uuid.uuid4()
        r = await open_request(docs, person_id, role=Role.registrar)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith(PROBLEM)
        listed = await docs.http.get(
            "/v1/requests", params={"person_id": str(person_id)}, headers=docs.auth(Role.service)
        )
        assert listed.json()["items"] == []

    @pytest.mark.parametrize("role", [Role.field_worker, Role.auditor, Role.partner])
    async def test_other_roles_may_not_open_a_request(self, docs: ServiceClient, role: Role) -> None:
        assert (await open_request(docs, uuid.uuid4(), role=role)).status_code == 403

    async def test_creation_is_audited_without_values(self, docs: ServiceClient) -> None:
        person_id = uuid.uuid4()
        r = await open_request(docs, person_id)
        [row] = await audit_rows(docs)
        assert (row["action"], row["subject_id"], row["actor_role"]) == (
            "document_request.created",
            person_id,
            "service",
        )
        assert row["request_id"] == r.headers["x-request-id"]


class TestGetRequest:
    async def test_returns_the_request_with_etag(self, docs: ServiceClient) -> None:
        created = await open_request(docs, uuid.uuid4())
        r = await docs.http.get(created.headers["location"], headers=docs.auth(Role.case_worker))
        assert r.status_code == 200
        assert r.json() == created.json()
        assert r.headers["etag"] == '"1"'

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

    async def test_registrar_may_read(self, docs: ServiceClient) -> None:
        created = await open_request(docs, uuid.uuid4())
        r = await docs.http.get(created.headers["location"], headers=docs.auth(Role.registrar))
        assert r.status_code == 200

    @pytest.mark.parametrize("role", [Role.field_worker, Role.auditor])
    async def test_roles_without_need_may_not_read(self, docs: ServiceClient, role: Role) -> None:
        created = await open_request(docs, uuid.uuid4())
        r = await docs.http.get(created.headers["location"], headers=docs.auth(role))
        assert r.status_code == 403

    async def test_read_is_audited_with_reader_and_request_id(self, docs: ServiceClient) -> None:
        person_id = uuid.uuid4()
        created = await open_request(docs, person_id)
        r = await docs.http.get(created.headers["location"], headers=docs.auth(Role.registrar))
        reads = [row for row in await audit_rows(docs) if row["action"] == "document_request.read"]
        assert len(reads) == 1
        read = reads[0]
        assert (read["subject_type"], read["subject_id"]) == ("person", person_id)
        assert (read["actor_role"], read["actor_name"]) == ("registrar", "test-registrar")
        assert read["actor_key_id"] is not None
        assert read["request_id"] == r.headers["x-request-id"]

    async def test_refused_read_is_not_audited_as_a_read(self, docs: ServiceClient) -> None:
        await docs.http.get(f"/v1/requests/{uuid.uuid4()}", headers=docs.auth(Role.registrar))
        assert [row["action"] for row in await audit_rows(docs)] == []


class TestListRequests:
    async def test_filters_by_person_and_pages_with_cursor(self, docs: ServiceClient) -> None:
        person_id, other = uuid.uuid4(), uuid.uuid4()
        mine = [
            (await open_request(docs, person_id, kind)).json()["id"]
            for kind in ("birth_certificate", "passport")
        ]
        await open_request(docs, other)
        seen: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            params = {"person_id": str(person_id), "limit": "1", **({"cursor": cursor} if cursor else {})}
            r = await docs.http.get("/v1/requests", params=params, headers=docs.auth(Role.registrar))
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["items"]) <= 1
            seen += [item["id"] for item in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
            assert pages < 5
        assert seen == mine
        assert pages == 2

    async def test_without_filter_lists_oldest_first(self, docs: ServiceClient) -> None:
        ids = [(await open_request(docs, uuid.uuid4())).json()["id"] for _ in range(3)]
        r = await docs.http.get("/v1/requests", headers=docs.auth(Role.service))
        assert [item["id"] for item in r.json()["items"]] == ids
        assert r.json()["next_cursor"] is None

    async def test_filters_by_kind(self, docs: ServiceClient) -> None:
        person_id = uuid.uuid4()
        await open_request(docs, person_id, "birth_certificate")
        passport = (await open_request(docs, person_id, "passport")).json()["id"]
        r = await docs.http.get("/v1/requests", params={"kind": "passport"}, headers=docs.auth(Role.service))
        assert [item["id"] for item in r.json()["items"]] == [passport]

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
        problem = r.json()
        assert problem["type"].endswith(":invalid-cursor")
        assert [e["field"] for e in problem["errors"]] == ["cursor"]

    async def test_cursor_of_a_well_formed_but_unknown_position_is_accepted(
        self, docs: ServiceClient
    ) -> None:
        import datetime as dt

        await open_request(docs, uuid.uuid4())
        later = encode_cursor(dt.datetime(2999, 1, 1, tzinfo=dt.UTC), uuid.uuid4())
        r = await docs.http.get("/v1/requests", params={"cursor": later}, headers=docs.auth(Role.registrar))
        assert r.status_code == 200
        assert r.json() == {"items": [], "next_cursor": None}

    @pytest.mark.parametrize("limit", ["0", "201", "x"])
    async def test_limit_out_of_range_is_422_naming_limit(self, docs: ServiceClient, limit: str) -> None:
        r = await docs.http.get("/v1/requests", params={"limit": limit}, headers=docs.auth(Role.registrar))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["limit"]

    async def test_every_request_shown_is_audited(self, docs: ServiceClient) -> None:
        people = [uuid.uuid4(), uuid.uuid4()]
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
        r = await docs.http.get("/v1/requests", headers=docs.auth(Role.auditor))
        assert r.status_code == 403
