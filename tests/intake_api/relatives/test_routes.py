"""Relatives in Kazakhstan and their decisions to host, through the real app, on SQLite and
PostgreSQL; and the host check the relocation code calls."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from apicore.auth import Role
from apicore.problems import FieldError, ValidationFailed, field_message
from apicore.versioning import PreconditionFailed, PreconditionRequired
from intake_api.models import Relative, RelativeDecision, platform
from intake_api.relatives import service
from intake_api.relatives.schemas import DECISION_LABELS
from tests.conftest import ServiceClient
from tests.support.families import (
    KK_GIRL,
    KK_MOTHER,
    RU_GIRL,
    RU_MOTHER,
    link,
    register_scenario,
    seed_operations,
)

PROBLEM_JSON = "application/problem+json"
MERGE_PATCH = "application/merge-patch+json"


def relative_body(person_id: uuid.UUID, **changes: Any) -> dict[str, Any]:
    """A relative as a field team posts one (an uncle in Almaty, not decided yet)."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "person_id": str(person_id),
        "name": "Ахметов Серік Болатұлы",
        "relation": "uncle",
        "region": "KZ-75",
        "locality": "Алатау ауданы",
        "contact": {"phone": "+7 701 234 56 78", "address": "Абай даңғылы, 12"},
    }
    body.update(changes)
    return body


async def count(intake: ServiceClient, table: Any, *where: Any) -> int:
    async with intake.db.transaction() as session:
        query = select(func.count()).select_from(table)
        for condition in where:
            query = query.where(condition)
        return int((await session.execute(query)).scalar_one())


def assert_problem(r: Any, status: int, lang: str, slug: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.headers["content-language"] == lang
    body: dict[str, Any] = r.json()
    assert body["type"].endswith(":" + slug)
    return body


def assert_field_error(body: dict[str, Any], lang: str, field: str, code: str) -> None:
    """The problem names `field` with `code`, its message rendered through `lang`'s catalog."""
    message = field_message(FieldError(field, code), lang)
    assert {"field": field, "code": code, "message": message} in body["errors"]


@pytest.fixture
async def family(intake: ServiceClient) -> dict[str, uuid.UUID]:
    """Two scenario families: a Kazakh mother and daughter (linked), a Russian mother and daughter."""
    await seed_operations(intake)
    kk_mother, kk_girl, ru_mother, ru_girl = await register_scenario(
        intake, KK_MOTHER, KK_GIRL, RU_MOTHER, RU_GIRL
    )
    assert (await link(intake, kk_girl, kk_mother, "mother")).status_code == 201
    return {"kk_mother": kk_mother, "kk_girl": kk_girl, "ru_mother": ru_mother, "ru_girl": ru_girl}


async def record(
    intake: ServiceClient, body: dict[str, Any], *, role: Role = Role.field_worker, lang: str = "en"
) -> Any:
    return await intake.http.post(
        "/v1/relatives", json=body, headers={"Accept-Language": lang, **intake.auth(role)}
    )


async def recorded(intake: ServiceClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await record(intake, body, role=Role.case_worker)
    assert r.status_code == 201, r.text
    result: dict[str, Any] = r.json()
    return result


async def patch(
    intake: ServiceClient,
    relative_id: str,
    body: dict[str, Any],
    *,
    if_match: str | None,
    role: Role = Role.case_worker,
    lang: str = "en",
) -> Any:
    headers = {"Accept-Language": lang, "Content-Type": MERGE_PATCH, **intake.auth(role)}
    if if_match is not None:
        headers["If-Match"] = if_match
    return await intake.http.patch(f"/v1/relatives/{relative_id}", json=body, headers=headers)


class TestRecordRelative:
    async def test_created_pending_with_location_and_etag(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        body = relative_body(family["kk_mother"])
        r = await record(intake, body, role=Role.case_worker, lang="kk")
        assert r.status_code == 201, r.text
        assert r.headers["location"] == f"/v1/relatives/{body['id']}"
        assert r.headers["etag"] == '"1"'
        assert r.headers["content-language"] == "kk"
        read = r.json()
        assert (read["decision"], read["decided_on"], read["refusals"], read["version"]) == (
            "pending",
            None,
            0,
            1,
        )
        assert read["contact"] == {"phone": "+77012345678", "address": "Абай даңғылы, 12"}
        assert await count(intake, RelativeDecision.__table__) == 1

    async def test_a_refusal_is_kept_with_its_reason_and_counted(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        body = relative_body(
            family["kk_mother"], decision="refused", decision_reason="Үйде орын жоқ", decided_on="٢٠١٩-٠٥-٢٢"
        )
        read = await recorded(intake, body)
        assert (read["decision"], read["decision_reason"], read["decided_on"]) == (
            "refused",
            "Үйде орын жоқ",
            "2019-05-22",
        )
        assert read["refusals"] == 1

    async def test_a_decision_without_a_date_is_dated_today(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        read = await recorded(intake, relative_body(family["kk_mother"], decision="willing"))
        assert read["decided_on"] == dt.datetime.now(dt.UTC).date().isoformat()

    async def test_a_refusal_without_a_reason_is_refused_naming_decision_reason(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        r = await record(intake, relative_body(family["kk_mother"], decision="refused"), lang="kk")
        body = assert_problem(r, 422, "kk", "validation-failed")
        assert body["title"] == ValidationFailed.title.render("kk") != ValidationFailed.title.render("en")
        assert_field_error(body, "kk", "decision_reason", "reason_required")
        assert await count(intake, Relative.__table__) == 0

    async def test_an_unknown_person_is_refused_naming_person_id(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        r = await record(intake, relative_body(uuid.uuid4()), lang="ru")
        assert_field_error(
            assert_problem(r, 422, "ru", "validation-failed"), "ru", "person_id", "unknown_person"
        )

    async def test_an_unknown_region_is_refused_naming_region(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        # KZ-ALA was Almaty's code until ISO switched Kazakhstan to numeric codes.
        r = await record(intake, relative_body(family["kk_mother"], region="KZ-ALA"), lang="ar")
        body = assert_problem(r, 422, "ar", "validation-failed")
        assert [e["field"] for e in body["errors"]] == ["region"]
        assert body["title"] != ValidationFailed.title.render("en")

    async def test_a_date_in_the_future_is_refused(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
        r = await record(
            intake, relative_body(family["kk_mother"], decision="willing", decided_on=tomorrow), lang="ru"
        )
        assert_field_error(
            assert_problem(r, 422, "ru", "validation-failed"), "ru", "decided_on", "decided_in_future"
        )

    async def test_a_pending_decision_with_a_date_is_refused(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        r = await record(intake, relative_body(family["kk_mother"], decided_on="2019-05-20"), lang="kk")
        assert_field_error(
            assert_problem(r, 422, "kk", "validation-failed"), "kk", "decided_on", "pending_without_date"
        )

    async def test_a_phone_typed_with_arabic_indic_digits_is_stored_as_ascii(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        body = relative_body(family["kk_mother"], contact={"phone": "+٧ (٧٠٧) ١٢٣-٤٥-٦٧"})
        assert (await recorded(intake, body))["contact"] == {"phone": "+77071234567", "address": None}

    @pytest.mark.parametrize("phone", ["12345", "+7 701 234 56 78 90 123", "call me", "+7\u00007012345678"])
    async def test_a_phone_that_is_not_a_number_is_refused_naming_it(
        self, intake: ServiceClient, family: dict[str, uuid.UUID], phone: str
    ) -> None:
        r = await record(intake, relative_body(family["kk_mother"], contact={"phone": phone}), lang="ar")
        assert_field_error(
            assert_problem(r, 422, "ar", "validation-failed"), "ar", "contact.phone", "phone_format"
        )

    async def test_an_unknown_field_is_refused_naming_it(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        r = await record(intake, relative_body(family["kk_mother"], email="x@example.org"), lang="kk")
        body = assert_problem(r, 422, "kk", "validation-failed")
        assert [e["field"] for e in body["errors"]] == ["email"]

    async def test_the_same_id_and_body_again_answers_200_creating_nothing(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        body = relative_body(family["kk_mother"])
        first = await record(intake, body, role=Role.case_worker)
        again = await record(intake, {**body}, role=Role.case_worker)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        assert await count(intake, Relative.__table__) == 1
        assert await count(intake, RelativeDecision.__table__) == 1

    async def test_the_same_id_with_other_details_is_409(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        body = relative_body(family["kk_mother"])
        await recorded(intake, body)
        r = await record(intake, {**body, "region": "KZ-79"}, lang="ru")
        body_ = assert_problem(r, 409, "ru", "relative-exists")
        assert body_["title"] == service.RelativeExists.title.render("ru")
        assert body["id"] in body_["detail"]

    async def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        body = relative_body(family["kk_mother"])
        del body["id"]
        headers = {"Idempotency-Key": "relative-uncle-1", **intake.auth(Role.field_worker)}
        first = await intake.http.post("/v1/relatives", json=body, headers=headers)
        again = await intake.http.post("/v1/relatives", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert await count(intake, Relative.__table__) == 1

    async def test_a_field_worker_records_contact_but_never_reads_it_back(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        r = await record(intake, relative_body(family["kk_mother"]), role=Role.field_worker)
        assert r.status_code == 201
        assert "contact" not in r.json()
        async with intake.db.transaction() as session:
            stored = await session.get(Relative, uuid.UUID(r.json()["id"]))
            assert stored is not None
            assert stored.phone == "+77012345678"

    async def test_creation_is_audited_with_field_names_only(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        read = await recorded(intake, relative_body(family["kk_mother"]))
        async with intake.db.transaction() as session:
            audit = platform.audit_event.c
            row = (
                await session.execute(
                    select(audit.subject_type, audit.fields).where(audit.action == "relative.created")
                )
            ).one()
        assert row.subject_type == "relative"
        assert "contact" in row.fields
        assert "+77012345678" not in str(row.fields)
        assert read["id"]

    @pytest.mark.parametrize("role", [Role.registrar, Role.partner, Role.auditor, Role.service])
    async def test_roles_that_do_not_record_relatives_get_403(
        self, intake: ServiceClient, family: dict[str, uuid.UUID], role: Role
    ) -> None:
        r = await record(intake, relative_body(family["kk_mother"]), role=role, lang="kk")
        assert_problem(r, 403, "kk", "forbidden")


class TestReadRelative:
    async def get(self, intake: ServiceClient, relative_id: str, role: Role, lang: str = "en") -> Any:
        return await intake.http.get(
            f"/v1/relatives/{relative_id}", headers={"Accept-Language": lang, **intake.auth(role)}
        )

    @pytest.fixture
    async def refused(self, intake: ServiceClient, family: dict[str, uuid.UUID]) -> dict[str, Any]:
        body = relative_body(family["kk_mother"], decision="refused", decision_reason="Көршілерден қорқады")
        return await recorded(intake, body)

    @pytest.mark.parametrize("role", [Role.case_worker, Role.admin])
    async def test_case_workers_and_admins_see_the_contact(
        self, intake: ServiceClient, refused: dict[str, Any], role: Role
    ) -> None:
        r = await self.get(intake, refused["id"], role)
        assert r.status_code == 200
        assert r.headers["etag"] == '"1"'
        assert r.json()["contact"]["phone"] == "+77012345678"
        assert r.json()["decision_reason"] == "Көршілерден қорқады"

    async def test_a_field_worker_sees_the_reason_but_no_contact(
        self, intake: ServiceClient, refused: dict[str, Any]
    ) -> None:
        read = (await self.get(intake, refused["id"], Role.field_worker)).json()
        assert "contact" not in read
        assert read["decision_reason"] == "Көршілерден қорқады"

    async def test_a_partner_sees_the_decision_but_neither_contact_nor_reason(
        self, intake: ServiceClient, refused: dict[str, Any]
    ) -> None:
        read = (await self.get(intake, refused["id"], Role.partner)).json()
        assert "contact" not in read
        assert "decision_reason" not in read
        assert (read["decision"], read["refusals"]) == ("refused", 1)

    @pytest.mark.parametrize("role", [Role.registrar, Role.auditor, Role.service])
    async def test_other_roles_get_403(
        self, intake: ServiceClient, refused: dict[str, Any], role: Role
    ) -> None:
        assert (await self.get(intake, refused["id"], role)).status_code == 403

    async def test_unknown_relative_is_404_in_the_callers_language(self, intake: ServiceClient) -> None:
        r = await self.get(intake, str(uuid.uuid4()), Role.case_worker, lang="ar")
        body = assert_problem(r, 404, "ar", "relative-not-found")
        assert body["title"] == service.RelativeNotFound.title.render("ar")

    async def test_each_read_is_audited(self, intake: ServiceClient, refused: dict[str, Any]) -> None:
        await self.get(intake, refused["id"], Role.partner)
        audit = platform.audit_event.c
        assert (
            await count(
                intake,
                platform.audit_event,
                audit.action == "relative.read",
                audit.subject_type == "relative",
                audit.subject_id == uuid.UUID(refused["id"]),
                audit.actor_role == "partner",
            )
            == 1
        )


class TestListRelatives:
    @pytest.fixture
    async def relatives(self, intake: ServiceClient, family: dict[str, uuid.UUID]) -> dict[str, str]:
        grandmother = await recorded(
            intake,
            relative_body(family["kk_girl"], relation="grandmother", region="KZ-61", decision="willing"),
        )
        uncle = await recorded(
            intake,
            relative_body(family["kk_mother"], decision="refused", decision_reason="Жұмыссыз, үй тар"),
        )
        aunt = await recorded(intake, relative_body(family["ru_mother"], relation="aunt", region="KZ-33"))
        return {"grandmother": grandmother["id"], "uncle": uncle["id"], "aunt": aunt["id"]}

    async def ids(self, intake: ServiceClient, role: Role = Role.case_worker, **params: Any) -> list[str]:
        r = await intake.http.get("/v1/relatives", params=params, headers=intake.auth(role))
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    async def test_lists_every_relative_oldest_first(
        self, intake: ServiceClient, relatives: dict[str, str]
    ) -> None:
        assert await self.ids(intake) == [relatives["grandmother"], relatives["uncle"], relatives["aunt"]]

    async def test_decision_refused_lists_the_refusals(
        self, intake: ServiceClient, relatives: dict[str, str]
    ) -> None:
        assert await self.ids(intake, decision="refused") == [relatives["uncle"]]

    async def test_ever_refused_keeps_a_relative_who_agreed_later(
        self, intake: ServiceClient, relatives: dict[str, str]
    ) -> None:
        r = await patch(intake, relatives["uncle"], {"decision": "willing"}, if_match='"1"')
        assert r.status_code == 200, r.text
        assert await self.ids(intake, decision="refused") == []
        assert await self.ids(intake, ever_refused="true") == [relatives["uncle"]]
        assert relatives["uncle"] not in await self.ids(intake, ever_refused="false")

    async def test_filters_by_region_and_person(
        self, intake: ServiceClient, relatives: dict[str, str], family: dict[str, uuid.UUID]
    ) -> None:
        assert await self.ids(intake, region="KZ-61") == [relatives["grandmother"]]
        assert await self.ids(intake, person_id=str(family["ru_mother"])) == [relatives["aunt"]]

    async def test_filters_by_household(
        self, intake: ServiceClient, relatives: dict[str, str], family: dict[str, uuid.UUID]
    ) -> None:
        r = await intake.http.get(
            f"/v1/persons/{family['kk_girl']}/relations", headers=intake.auth(Role.case_worker)
        )
        household_id = r.json()["household_id"]
        assert await self.ids(intake, household_id=household_id) == [
            relatives["grandmother"],
            relatives["uncle"],
        ]

    async def test_pages_with_a_cursor(self, intake: ServiceClient, relatives: dict[str, str]) -> None:
        r = await intake.http.get("/v1/relatives", params={"limit": 2}, headers=intake.auth(Role.case_worker))
        cursor = r.json()["next_cursor"]
        assert cursor is not None
        assert await self.ids(intake, limit=2, cursor=cursor) == [relatives["aunt"]]

    async def test_partners_get_no_contacts_and_no_reasons_in_lists(
        self, intake: ServiceClient, relatives: dict[str, str]
    ) -> None:
        r = await intake.http.get("/v1/relatives", headers=intake.auth(Role.partner))
        assert all("contact" not in i and "decision_reason" not in i for i in r.json()["items"])
        r = await intake.http.get("/v1/relatives", headers=intake.auth(Role.case_worker))
        assert all("contact" in i for i in r.json()["items"])

    async def test_an_unknown_region_filter_is_422_in_the_callers_language(
        self, intake: ServiceClient
    ) -> None:
        r = await intake.http.get(
            "/v1/relatives",
            params={"region": "KZ-99"},
            headers={"Accept-Language": "ru", **intake.auth(Role.partner)},
        )
        body = assert_problem(r, 422, "ru", "validation-failed")
        assert [e["field"] for e in body["errors"]] == ["region"]

    async def test_every_relative_listed_is_audited(
        self, intake: ServiceClient, relatives: dict[str, str]
    ) -> None:
        await self.ids(intake, Role.field_worker)
        audit = platform.audit_event.c
        assert await count(intake, platform.audit_event, audit.action == "relative.listed") == 3


class TestChangeDecision:
    @pytest.fixture
    async def uncle(self, intake: ServiceClient, family: dict[str, uuid.UUID]) -> dict[str, Any]:
        return await recorded(intake, relative_body(family["kk_mother"]))

    async def test_without_if_match_is_428_in_the_callers_language(
        self, intake: ServiceClient, uncle: dict[str, Any]
    ) -> None:
        r = await patch(intake, uncle["id"], {"decision": "willing"}, if_match=None, lang="kk")
        body = assert_problem(r, 428, "kk", "precondition-required")
        assert body["title"] == PreconditionRequired.title.render("kk")

    async def test_a_stale_if_match_is_412_and_changes_nothing(
        self, intake: ServiceClient, uncle: dict[str, Any]
    ) -> None:
        assert (
            await patch(intake, uncle["id"], {"locality": "Медеу ауданы"}, if_match='"1"')
        ).status_code == 200
        r = await patch(intake, uncle["id"], {"decision": "willing"}, if_match='"1"', lang="ru")
        body = assert_problem(r, 412, "ru", "precondition-failed")
        assert body["title"] == PreconditionFailed.title.render("ru")
        read = await intake.http.get(f"/v1/relatives/{uncle['id']}", headers=intake.auth(Role.case_worker))
        assert (read.json()["decision"], read.json()["version"]) == ("pending", 2)

    async def test_a_refusal_then_an_agreement_keeps_the_refusal_counted(
        self, intake: ServiceClient, uncle: dict[str, Any]
    ) -> None:
        r = await patch(
            intake, uncle["id"], {"decision": "refused", "decision_reason": "Боится соседей"}, if_match='"1"'
        )
        assert r.status_code == 200, r.text
        assert r.headers["etag"] == '"2"'
        assert (r.json()["decision"], r.json()["refusals"]) == ("refused", 1)
        r = await patch(intake, uncle["id"], {"decision": "willing"}, if_match=r.headers["etag"])
        assert (r.json()["decision"], r.json()["refusals"], r.json()["decision_reason"]) == (
            "willing",
            1,
            None,
        )
        r = await patch(
            intake,
            uncle["id"],
            {"decision": "refused", "decision_reason": "Переезд"},
            if_match=r.headers["etag"],
        )
        assert r.json()["refusals"] == 2

    async def test_correcting_a_refusals_reason_does_not_count_it_twice(
        self, intake: ServiceClient, uncle: dict[str, Any]
    ) -> None:
        r = await patch(
            intake, uncle["id"], {"decision": "refused", "decision_reason": "Жоқ"}, if_match='"1"'
        )
        r = await patch(intake, uncle["id"], {"decision_reason": "Үйде орын жоқ"}, if_match=r.headers["etag"])
        assert (r.json()["refusals"], r.json()["decision_reason"]) == (1, "Үйде орын жоқ")
        history = await intake.http.get(
            f"/v1/relatives/{uncle['id']}/decisions", headers=intake.auth(Role.case_worker)
        )
        assert [(i["from_decision"], i["to_decision"]) for i in history.json()["items"]] == [
            (None, "pending"),
            ("pending", "refused"),
            ("refused", "refused"),
        ]

    async def test_a_refusal_without_a_reason_is_refused(
        self, intake: ServiceClient, uncle: dict[str, Any]
    ) -> None:
        r = await patch(intake, uncle["id"], {"decision": "refused"}, if_match='"1"', lang="ar")
        assert_field_error(
            assert_problem(r, 422, "ar", "validation-failed"), "ar", "decision_reason", "reason_required"
        )

    async def test_a_required_field_cannot_be_removed(
        self, intake: ServiceClient, uncle: dict[str, Any]
    ) -> None:
        r = await patch(intake, uncle["id"], {"decision": None, "region": None}, if_match='"1"', lang="kk")
        body = assert_problem(r, 422, "kk", "validation-failed")
        assert_field_error(body, "kk", "decision", "cannot_be_removed")
        assert_field_error(body, "kk", "region", "cannot_be_removed")

    async def test_merge_patch_removes_the_address_and_keeps_the_phone(
        self, intake: ServiceClient, uncle: dict[str, Any]
    ) -> None:
        r = await patch(intake, uncle["id"], {"contact": {"address": None}}, if_match='"1"')
        assert r.json()["contact"] == {"phone": "+77012345678", "address": None}
        async with intake.db.transaction() as session:
            audit = platform.audit_event.c
            fields = (
                await session.execute(select(audit.fields).where(audit.action == "relative.updated"))
            ).scalar_one()
        assert fields == ["contact"]

    async def test_a_patch_that_changes_nothing_keeps_the_version(
        self, intake: ServiceClient, uncle: dict[str, Any]
    ) -> None:
        r = await patch(intake, uncle["id"], {"region": "KZ-75"}, if_match='"1"')
        assert (r.status_code, r.headers["etag"]) == (200, '"1"')

    async def test_plain_json_is_accepted_as_a_merge_patch(
        self, intake: ServiceClient, uncle: dict[str, Any]
    ) -> None:
        r = await intake.http.patch(
            f"/v1/relatives/{uncle['id']}",
            json={"decision": "willing"},
            headers={"If-Match": '"1"', **intake.auth(Role.admin)},
        )
        assert r.status_code == 200

    @pytest.mark.parametrize("role", [Role.field_worker, Role.partner, Role.registrar])
    async def test_only_case_workers_and_admins_change_a_relative(
        self, intake: ServiceClient, uncle: dict[str, Any], role: Role
    ) -> None:
        r = await patch(intake, uncle["id"], {"decision": "willing"}, if_match='"1"', role=role)
        assert r.status_code == 403

    async def test_unknown_relative_is_404(self, intake: ServiceClient) -> None:
        r = await patch(intake, str(uuid.uuid4()), {"decision": "willing"}, if_match='"1"', lang="kk")
        assert_problem(r, 404, "kk", "relative-not-found")

    async def test_twenty_concurrent_changes_with_one_if_match_leave_one_winner(
        self, intake: ServiceClient, uncle: dict[str, Any]
    ) -> None:
        changes = [
            {"decision": "refused", "decision_reason": f"Причина {i}"} if i % 2 else {"decision": "willing"}
            for i in range(20)
        ]
        answers = await asyncio.gather(
            *(patch(intake, uncle["id"], change, if_match='"1"', lang="ru") for change in changes)
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200] + [412] * 19, statuses
        assert all(a.headers["content-language"] == "ru" for a in answers)
        assert all(
            a.json()["type"].startswith("urn:returnee-registry:problem:precondition-failed")
            for a in answers
            if a.status_code == 412
        )
        (winner,) = [a for a in answers if a.status_code == 200]
        read = await intake.http.get(f"/v1/relatives/{uncle['id']}", headers=intake.auth(Role.case_worker))
        assert read.json() == winner.json()
        assert read.json()["version"] == 2
        assert await count(intake, RelativeDecision.__table__) == 2


class TestDecisionHistory:
    async def test_lists_each_decision_with_who_recorded_it(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        uncle = await recorded(intake, relative_body(family["kk_mother"]))
        r = await patch(
            intake,
            uncle["id"],
            {"decision": "refused", "decision_reason": "Нет места"},
            if_match='"1"',
            role=Role.admin,
        )
        r = await intake.http.get(
            f"/v1/relatives/{uncle['id']}/decisions", headers=intake.auth(Role.case_worker)
        )
        assert r.status_code == 200
        history = r.json()
        assert history["refusals"] == 1
        assert [(i["to_decision"], i["reason"], i["actor_role"]) for i in history["items"]] == [
            ("pending", None, "case_worker"),
            ("refused", "Нет места", "admin"),
        ]

    @pytest.mark.parametrize("role", [Role.partner, Role.field_worker, Role.registrar])
    async def test_is_for_case_workers_and_admins(
        self, intake: ServiceClient, family: dict[str, uuid.UUID], role: Role
    ) -> None:
        uncle = await recorded(intake, relative_body(family["kk_mother"]))
        r = await intake.http.get(f"/v1/relatives/{uncle['id']}/decisions", headers=intake.auth(role))
        assert r.status_code == 403

    async def test_unknown_relative_is_404(self, intake: ServiceClient) -> None:
        r = await intake.http.get(
            f"/v1/relatives/{uuid.uuid4()}/decisions",
            headers={"Accept-Language": "ar", **intake.auth(Role.admin)},
        )
        assert_problem(r, 404, "ar", "relative-not-found")


class TestRequireWillingHost:
    """`service.require_willing_host`, as the relocation of a returnee calls it."""

    async def check(self, intake: ServiceClient, relative_id: str, **kwargs: Any) -> Relative:
        async with intake.db.transaction() as session:
            return await service.require_willing_host(session, uuid.UUID(relative_id), **kwargs)

    async def test_a_willing_relative_is_returned(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        host = await recorded(intake, relative_body(family["kk_mother"], decision="willing"))
        relative = await self.check(intake, host["id"], person_id=family["kk_mother"])
        assert str(relative.id) == host["id"]

    @pytest.mark.parametrize("decision", ["refused", "pending"])
    async def test_a_relative_not_willing_is_a_409_problem_naming_the_field(
        self, intake: ServiceClient, family: dict[str, uuid.UUID], decision: str
    ) -> None:
        extra = {"decision_reason": "Отказ"} if decision == "refused" else {}
        host = await recorded(intake, relative_body(family["kk_mother"], decision=decision, **extra))
        with pytest.raises(service.HostNotWilling) as raised:
            await self.check(intake, host["id"])
        for lang in ("kk", "ru", "ar"):
            doc = raised.value.body(lang, None)
            assert doc["status"] == 409
            assert doc["title"] == service.HostNotWilling.title.render(lang)
            assert DECISION_LABELS[decision].render(lang) in doc["detail"]
            assert doc["errors"] == [
                {
                    "field": "host_relative_id",
                    "code": "host_not_willing",
                    "message": field_message(FieldError("host_relative_id", "host_not_willing"), lang),
                }
            ]
            assert doc["decision"] == decision

    async def test_an_unknown_relative_is_a_422_naming_the_field_given(self, intake: ServiceClient) -> None:
        with pytest.raises(ValidationFailed) as raised:
            await self.check(intake, str(uuid.uuid4()), field="host_id")
        assert [(e.field, e.code) for e in raised.value.errors] == [("host_id", "unknown_relative")]

    async def test_a_relative_of_the_mother_may_host_her_child(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        host = await recorded(intake, relative_body(family["kk_mother"], decision="willing"))
        assert (await self.check(intake, host["id"], person_id=family["kk_girl"])).decision == "willing"

    async def test_a_relative_of_another_family_is_refused(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        host = await recorded(intake, relative_body(family["ru_mother"], decision="willing"))
        with pytest.raises(ValidationFailed) as raised:
            await self.check(intake, host["id"], person_id=family["kk_girl"])
        assert [(e.field, e.code) for e in raised.value.errors] == [("host_relative_id", "host_not_related")]

    async def test_a_relative_of_a_linked_sibling_may_host(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        assert (await link(intake, family["ru_girl"], family["ru_mother"], "other")).status_code == 201
        host = await recorded(intake, relative_body(family["ru_mother"], decision="willing"))
        assert (await self.check(intake, host["id"], person_id=family["ru_girl"])).decision == "willing"


class TestAPatchThatChangesNothing:
    async def test_keeps_the_version_and_is_audited_as_a_read(
        self, intake: ServiceClient, family: dict[str, uuid.UUID]
    ) -> None:
        created = await recorded(intake, relative_body(family["kk_mother"]))
        for body in ({}, {"name": created["name"]}):
            r = await patch(intake, created["id"], body, if_match='"1"')
            assert (r.status_code, r.headers["etag"]) == (200, '"1"'), r.text
        audit = platform.audit_event.c
        assert await count(intake, platform.audit_event, audit.action == "relative.updated") == 0
        assert await count(intake, platform.audit_event, audit.action == "relative.read") == 2
