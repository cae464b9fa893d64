"""PATCH, names, the path home, document needs: versions, roles, audit."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from tests.conftest import ServiceClient
from tests.intake_api.persons.helpers import count_rows, fixture_body, post_person, seed_operations

from apicore.auth import Role
from intake_api.models import platform

MOTHER = "5a110000-0000-4000-8000-000000000001"
CHILD = "5a110000-0000-4000-8000-000000000002"


@pytest.fixture
async def family(intake: ServiceClient) -> ServiceClient:
    await seed_operations(intake)
    for index in (0, 1):
        assert (await post_person(intake, fixture_body("kk", index))).status_code == 201
    return intake


async def etag_of(intake: ServiceClient, person_id: str) -> str:
    r = await intake.http.get(f"/v1/persons/{person_id}", headers=intake.auth(Role.case_worker))
    return r.headers["etag"]


def merge(intake: ServiceClient, role: Role, **headers: str) -> dict[str, str]:
    return {"Content-Type": "application/merge-patch+json", **headers, **intake.auth(role)}


class TestPatchReturnee:
    async def test_without_if_match_is_428_and_changes_nothing(self, family: ServiceClient) -> None:
        r = await family.http.patch(
            f"/v1/persons/{MOTHER}",
            json={"facility": "Ақтау"},
            headers=merge(family, Role.case_worker, **{"Accept-Language": "ru"}),
        )
        assert r.status_code == 428
        assert r.headers["content-language"] == "ru"
        read = await family.http.get(f"/v1/persons/{MOTHER}", headers=family.auth(Role.case_worker))
        assert read.json()["facility"] is None

    async def test_with_current_etag_applies_and_bumps_the_version(self, family: ServiceClient) -> None:
        tag = await etag_of(family, MOTHER)
        r = await family.http.patch(
            f"/v1/persons/{MOTHER}",
            json={"facility": "Ақтау оңалту орталығы", "notes": "Жақсы бейімделуде"},
            headers=merge(family, Role.case_worker, **{"If-Match": tag}),
        )
        assert r.status_code == 200, r.text
        assert r.json()["facility"] == "Ақтау оңалту орталығы"
        assert r.json()["notes"] == "Жақсы бейімделуде"
        assert r.headers["etag"] != tag
        assert r.json()["version"] == 2

    async def test_stale_etag_is_412(self, family: ServiceClient) -> None:
        tag = await etag_of(family, MOTHER)
        first = await family.http.patch(
            f"/v1/persons/{MOTHER}",
            json={"facility": "A"},
            headers=merge(family, Role.case_worker, **{"If-Match": tag}),
        )
        assert first.status_code == 200
        second = await family.http.patch(
            f"/v1/persons/{MOTHER}",
            json={"facility": "B"},
            headers=merge(family, Role.case_worker, **{"If-Match": tag}),
        )
        assert second.status_code == 412
        read = await family.http.get(f"/v1/persons/{MOTHER}", headers=family.auth(Role.case_worker))
        assert read.json()["facility"] == "A"

    async def test_null_clears_an_optional_field_and_refuses_a_required_one(
        self, family: ServiceClient
    ) -> None:
        tag = await etag_of(family, MOTHER)
        r = await family.http.patch(
            f"/v1/persons/{MOTHER}",
            json={"iin": None},
            headers=merge(family, Role.case_worker, **{"If-Match": tag}),
        )
        assert r.status_code == 200
        assert r.json()["iin"] is None
        r = await family.http.patch(
            f"/v1/persons/{MOTHER}",
            json={"sex": None},
            headers=merge(family, Role.case_worker, **{"If-Match": r.headers["etag"]}),
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["sex"]

    async def test_field_worker_may_not_change_notes_or_iin(self, family: ServiceClient) -> None:
        tag = await etag_of(family, MOTHER)
        r = await family.http.patch(
            f"/v1/persons/{MOTHER}",
            json={"notes": "x", "iin": None, "facility": "A"},
            headers=merge(family, Role.field_worker, **{"If-Match": tag, "Accept-Language": "kk"}),
        )
        assert r.status_code == 403
        assert "iin" in r.json()["detail"]
        assert "notes" in r.json()["detail"]
        # Each also in `errors`, as a 422 names its fields, for a form to mark them.
        assert [(e["field"], e["code"], e["message"]) for e in r.json()["errors"]] == [
            ("iin", "not_editable", "Сіздің рөліңіз бұл өрісті өзгерте алмайды."),
            ("notes", "not_editable", "Сіздің рөліңіз бұл өрісті өзгерте алмайды."),
        ]

    async def test_the_fields_are_listed_with_the_arabic_comma_in_arabic(self, family: ServiceClient) -> None:
        tag = await etag_of(family, MOTHER)
        r = await family.http.patch(
            f"/v1/persons/{MOTHER}",
            json={"notes": "x", "iin": None},
            headers=merge(family, Role.field_worker, **{"If-Match": tag, "Accept-Language": "ar"}),
        )
        assert r.status_code == 403
        assert "iin، notes" in r.json()["detail"]

    async def test_an_edit_that_breaks_the_category_rules_is_refused(self, family: ServiceClient) -> None:
        tag = await etag_of(family, CHILD)
        r = await family.http.patch(
            f"/v1/persons/{CHILD}",
            json={"birth_date": "1990"},
            headers=merge(family, Role.case_worker, **{"If-Match": tag}),
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["category"]

    async def test_changes_are_audited_with_field_names_only(self, family: ServiceClient) -> None:
        tag = await etag_of(family, MOTHER)
        await family.http.patch(
            f"/v1/persons/{MOTHER}",
            json={"notes": "секрет"},
            headers=merge(family, Role.case_worker, **{"If-Match": tag}),
        )
        t = platform.audit_event
        async with family.db.transaction() as session:
            rows = (
                await session.execute(select(t.c.action, t.c.fields).where(t.c.action == "person.updated"))
            ).all()
        assert [(r.action, r.fields) for r in rows] == [("person.updated", ["notes"])]

    async def test_twenty_concurrent_edits_with_one_if_match_leave_one_winner(
        self, family: ServiceClient
    ) -> None:
        tag = await etag_of(family, MOTHER)
        answers = await asyncio.gather(
            *(
                family.http.patch(
                    f"/v1/persons/{MOTHER}",
                    json={"facility": f"F{i}"},
                    headers=merge(family, Role.case_worker, **{"If-Match": tag}),
                )
                for i in range(20)
            )
        )
        assert sorted(a.status_code for a in answers) == [200] + [412] * 19


class TestNames:
    async def test_a_kazakh_name_added_to_a_child_becomes_current_and_the_birth_name_stays(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        body = fixture_body("ar", 1)  # Arabic name only
        assert (await post_person(intake, body)).status_code == 201
        r = await intake.http.post(
            f"/v1/persons/{body['id']}/names",
            json={
                "script": "Cyrl",
                "lang": "kk",
                "kind": "kazakh",
                "given": "Зейнеп",
                "family": "Мұхамедқызы",
                "current": True,
            },
            headers=intake.auth(Role.registrar),
        )
        assert r.status_code == 201, r.text
        names = r.json()["names"]
        assert [(n["kind"], n["current"]) for n in names] == [("birth", False), ("kazakh", True)]
        assert names[1]["latin_suggested"] == "ZEINEP MUKHAMEDKYZY"

    async def test_correcting_a_name_rederives_its_latin_form(self, family: ServiceClient) -> None:
        read = (await family.http.get(f"/v1/persons/{MOTHER}", headers=family.auth(Role.case_worker))).json()
        name_id = read["names"][0]["id"]
        r = await family.http.patch(
            f"/v1/persons/{MOTHER}/names/{name_id}",
            json={"family": "Жұмабекова"},
            headers=merge(family, Role.case_worker, **{"If-Match": f'"{read["version"]}"'}),
        )
        assert r.status_code == 200, r.text
        assert r.json()["names"][0]["latin_suggested"] == "AIGERIM ZHUMABEKOVA"

    async def test_retiring_keeps_the_name_and_moves_current(self, family: ServiceClient) -> None:
        read = (await family.http.get(f"/v1/persons/{MOTHER}", headers=family.auth(Role.case_worker))).json()
        kazakh = next(n for n in read["names"] if n["kind"] == "kazakh")
        assert kazakh["current"]
        r = await family.http.delete(
            f"/v1/persons/{MOTHER}/names/{kazakh['id']}",
            params={"reason": "жазу қатесі"},
            headers=merge(family, Role.case_worker, **{"If-Match": f'"{read["version"]}"'}),
        )
        assert r.status_code == 200, r.text
        names = {n["id"]: n for n in r.json()["names"]}
        assert names[kazakh["id"]]["retired_at"] is not None
        assert not names[kazakh["id"]]["current"]
        assert sum(n["current"] for n in names.values()) == 1

    async def test_a_name_in_the_wrong_script_replaced_and_retired_leaves_no_warning(
        self, intake: ServiceClient
    ) -> None:
        # A script cannot be corrected (`PATCH` of a name refuses `script`): the name is added
        # again under the right script and the wrong one retired; its warning goes with it.
        await seed_operations(intake)
        body = fixture_body("ar", 1)
        body["names"].append({"script": "Latn", "kind": "alias", "given": "Иван"})
        created = (await post_person(intake, body)).json()
        assert [(w["code"], w["field"]) for w in created["warnings"]] == [
            ("script_mismatch", "names.1.given")
        ]
        added = await intake.http.post(
            f"/v1/persons/{body['id']}/names",
            json={"script": "Cyrl", "lang": "ru", "kind": "alias", "given": "Иван"},
            headers=intake.auth(Role.field_worker),
        )
        assert added.status_code == 201, added.text
        assert [w["field"] for w in added.json()["warnings"]] == ["names.1.given"]
        wrong = added.json()["names"][1]
        retired = await intake.http.delete(
            f"/v1/persons/{body['id']}/names/{wrong['id']}",
            params={"reason": "script"},
            headers=merge(intake, Role.case_worker, **{"If-Match": f'"{added.json()["version"]}"'}),
        )
        assert retired.status_code == 200, retired.text
        assert retired.json()["warnings"] == []
        assert retired.json()["names"][1]["given"] == "Иван"  # kept, retired, for search

    async def test_the_last_active_name_cannot_be_retired(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        body = fixture_body("ar", 1)
        read = (await post_person(intake, body)).json()
        r = await intake.http.delete(
            f"/v1/persons/{body['id']}/names/{read['names'][0]['id']}",
            headers=merge(intake, Role.case_worker, **{"If-Match": f'"{read["version"]}"'}),
        )
        assert r.status_code == 422

    async def test_name_changes_are_audited(self, family: ServiceClient) -> None:
        await family.http.post(
            f"/v1/persons/{CHILD}/names",
            json={"script": "Cyrl", "lang": "ru", "kind": "alias", "given": "Аиша"},
            headers=family.auth(Role.field_worker),
        )
        t = platform.audit_event
        async with family.db.transaction() as session:
            actions = (
                (await session.execute(select(t.c.action).where(t.c.subject_id == t.c.subject_id)))
                .scalars()
                .all()
            )
        assert "person.name_added" in actions


class TestPathHome:
    async def test_status_changes_are_events_with_actor_and_reason(self, family: ServiceClient) -> None:
        tag = await etag_of(family, CHILD)
        r = await family.http.post(
            f"/v1/persons/{CHILD}/status-changes",
            json={"status": "in_rehabilitation", "reason": "орталыққа келді", "facility": "Ақтау"},
            headers={**family.auth(Role.case_worker), "If-Match": tag},
        )
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "in_rehabilitation"
        events = (
            await family.http.get(f"/v1/persons/{CHILD}/events", headers=family.auth(Role.case_worker))
        ).json()
        assert [(e["from_status"], e["to_status"]) for e in events] == [
            (None, "arrived"),
            ("arrived", "in_rehabilitation"),
        ]
        assert events[1]["actor_role"] == "case_worker"
        assert events[1]["reason"] == "орталыққа келді"

    @pytest.mark.parametrize(("lang", "word"), [("ru", "реабилитац"), ("kk", "оңалту"), ("ar", "التأهيل")])
    async def test_an_illegal_move_is_409_naming_the_allowed_moves_in_the_callers_language(
        self, family: ServiceClient, lang: str, word: str
    ) -> None:
        tag = await etag_of(family, CHILD)
        r = await family.http.post(
            f"/v1/persons/{CHILD}/status-changes",
            json={"status": "reunified"},
            headers={**family.auth(Role.case_worker), "If-Match": tag, "Accept-Language": lang},
        )
        assert r.status_code == 409
        assert word in r.json()["detail"].lower()
        assert "in_rehabilitation" in r.json()["allowed"]

    async def test_relocation_needs_a_host(self, family: ServiceClient) -> None:
        tag = await etag_of(family, CHILD)
        r = await family.http.post(
            f"/v1/persons/{CHILD}/status-changes",
            json={"status": "in_rehabilitation"},
            headers={**family.auth(Role.case_worker), "If-Match": tag},
        )
        r = await family.http.post(
            f"/v1/persons/{CHILD}/status-changes",
            json={"status": "relocated"},
            headers={**family.auth(Role.case_worker), "If-Match": r.headers["etag"]},
        )
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["host_relative_id"]

    async def test_field_workers_do_not_move_people(self, family: ServiceClient) -> None:
        tag = await etag_of(family, CHILD)
        r = await family.http.post(
            f"/v1/persons/{CHILD}/status-changes",
            json={"status": "in_rehabilitation"},
            headers={**family.auth(Role.field_worker), "If-Match": tag},
        )
        assert r.status_code == 403


class TestDocumentNeeds:
    async def test_a_case_worker_cancels_a_need_and_the_documents_service_is_told(
        self, family: ServiceClient
    ) -> None:
        events_before = await count_rows(family, platform.outbox_event)
        r = await family.http.post(
            f"/v1/persons/{MOTHER}/document-needs",
            json={"kind": "passport", "action": "cancel", "reason": "Жарамды төлқұжаты бар"},
            headers=family.auth(Role.case_worker),
        )
        assert r.status_code == 200, r.text
        assert [(n["kind"], n["state"]) for n in r.json()["document_needs"]] == [("passport", "cancelled")]
        t = platform.outbox_event
        async with family.db.transaction() as session:
            topics = (await session.execute(select(t.c.topic).order_by(t.c.created_at))).scalars().all()
        assert len(topics) == events_before + 1
        assert topics[-1] == "document_need.cancelled"

    async def test_a_need_can_be_required_again_after_cancelling(self, family: ServiceClient) -> None:
        for action in ("cancel", "require"):
            r = await family.http.post(
                f"/v1/persons/{MOTHER}/document-needs",
                json={"kind": "passport", "action": action, "reason": "x"},
                headers=family.auth(Role.case_worker),
            )
            assert r.status_code == 200, r.text
        assert [(n["kind"], n["state"]) for n in r.json()["document_needs"]] == [
            ("passport", "active"),
            ("passport", "cancelled"),
        ] or [(n["kind"], n["state"]) for n in r.json()["document_needs"]] == [
            ("passport", "cancelled"),
            ("passport", "active"),
        ]

    async def test_requiring_an_active_need_again_is_409(self, family: ServiceClient) -> None:
        r = await family.http.post(
            f"/v1/persons/{CHILD}/document-needs",
            json={"kind": "birth_certificate", "action": "require", "reason": "x"},
            headers=family.auth(Role.case_worker),
        )
        assert r.status_code == 409
