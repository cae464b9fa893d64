"""Family links and households through the real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from apicore.auth import Role
from apicore.pagination import InvalidCursor
from apicore.problems import FieldError as Field
from apicore.problems import ValidationFailed, field_message
from intake_api.models import Household, HouseholdMember, PersonRelation, platform
from intake_api.relations import households
from intake_api.relations import service as relation_service
from intake_api.relations.households import HouseholdNotFound
from intake_api.relations.service import ParentAlreadyRecorded, RelationExists, RelationNotFound
from tests.conftest import ServiceClient
from tests.support.families import (
    AR_GIRL,
    AR_MOTHER,
    KK_BOY,
    KK_BOY_2,
    KK_GIRL,
    KK_MOTHER,
    RU_GIRL,
    RU_MOTHER,
    link,
    register_adult,
    register_scenario,
    seed_operations,
)

PROBLEM_JSON = "application/problem+json"


async def count(intake: ServiceClient, table: Any, *where: Any) -> int:
    async with intake.db.transaction() as session:
        query = select(func.count()).select_from(table)
        for condition in where:
            query = query.where(condition)
        return int((await session.execute(query)).scalar_one())


async def relations(intake: ServiceClient, person_id: uuid.UUID, role: Role = Role.case_worker) -> Any:
    r = await intake.http.get(f"/v1/persons/{person_id}/relations", headers=intake.auth(role))
    assert r.status_code == 200, r.text
    return r.json()


async def household_of(intake: ServiceClient, person_id: uuid.UUID) -> uuid.UUID | None:
    async with intake.db.transaction() as session:
        return (await households.households_of(session, [person_id])).get(person_id)


def assert_problem(r: Any, status: int, lang: str, slug: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM_JSON)
    assert r.headers["content-language"] == lang
    body: dict[str, Any] = r.json()
    assert body["type"].endswith(":" + slug)
    return body


def assert_field_error(body: dict[str, Any], lang: str, field: str, code: str) -> None:
    """The problem names `field` with `code`, its message rendered through `lang`'s catalog."""
    assert {"field": field, "code": code, "message": field_message(Field(field, code), lang)} in body[
        "errors"
    ]
    assert body["title"] == ValidationFailed.title.render(lang)


@pytest.fixture
async def kk_family(intake: ServiceClient) -> list[uuid.UUID]:
    """The Kazakh scenario's mother and her three children, registered, not yet linked."""
    await seed_operations(intake)
    return await register_scenario(intake, KK_MOTHER, KK_GIRL, KK_BOY, KK_BOY_2)


class TestLinkRelative:
    async def test_mother_is_visible_from_the_child_and_the_child_from_the_mother(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        r = await link(intake, girl, mother, "mother", lang="kk")
        assert r.status_code == 201, r.text
        assert r.headers["location"] == f"/v1/persons/{girl}/relations/{mother}"
        assert r.json()["relation"] == "mother"
        assert r.json()["inverse_relation"] == "child"
        assert r.json()["related_category"] == "woman"
        from_child = await relations(intake, girl)
        from_mother = await relations(intake, mother)
        assert [(i["related_person_id"], i["relation"]) for i in from_child["items"]] == [
            (str(mother), "mother")
        ]
        assert [(i["related_person_id"], i["relation"]) for i in from_mother["items"]] == [
            (str(girl), "child")
        ]
        assert from_mother["items"][0]["inverse_relation"] == "mother"

    async def test_linking_from_the_mothers_side_records_her_as_mother(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        r = await link(intake, mother, girl, "child")
        assert r.status_code == 201, r.text
        assert r.json()["inverse_relation"] == "mother"
        assert [i["relation"] for i in (await relations(intake, girl))["items"]] == ["mother"]

    async def test_father_linked_as_parent_is_father_from_the_childs_side(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        father = await register_adult(intake, sex="male", birth_date="1985")
        r = await link(intake, father, kk_family[1], "child")
        assert r.status_code == 201, r.text
        assert r.json()["inverse_relation"] == "father"
        assert [i["relation"] for i in (await relations(intake, kk_family[1]))["items"]] == ["father"]

    async def test_a_mother_and_her_children_form_one_household(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, boy, boy_2 = kk_family
        first = await link(intake, girl, mother, "mother")
        household_id = first.json()["household_id"]
        assert household_id is not None
        for child in (boy, boy_2):
            r = await link(intake, mother, child, "child")
            assert r.json()["household_id"] == household_id
        assert await count(intake, Household.__table__) == 1
        assert {await household_of(intake, p) for p in kk_family} == {uuid.UUID(household_id)}
        r = await intake.http.get(f"/v1/households/{household_id}", headers=intake.auth(Role.case_worker))
        assert r.status_code == 200
        members = r.json()["members"]
        assert r.json()["size"] == 4
        # The mother first, then the children eldest first (2016, 2018-03, 2018-12-02).
        assert [(m["person_id"], m["role"]) for m in members] == [
            (str(mother), "mother"),
            (str(girl), "child"),
            (str(boy), "child"),
            (str(boy_2), "child"),
        ]

    async def test_siblings_are_linked_both_ways_without_a_household(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        _, girl, boy, _ = kk_family
        r = await link(intake, girl, boy, "sibling", lang="ru")
        assert r.status_code == 201
        assert r.json()["household_id"] is None
        assert [i["relation"] for i in (await relations(intake, boy))["items"]] == ["sibling"]
        assert await count(intake, Household.__table__) == 0

    async def test_guardian_and_ward_are_each_others_inverse(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        guardian = await register_adult(intake, sex="female", birth_date="1970")
        r = await link(intake, kk_family[2], guardian, "guardian")
        assert r.status_code == 201, r.text
        assert r.json()["inverse_relation"] == "ward"
        assert [i["relation"] for i in (await relations(intake, guardian))["items"]] == ["ward"]

    async def test_spouses_are_linked_both_ways(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        husband = await register_adult(intake, sex="male", birth_date="1988-02")
        assert (await link(intake, kk_family[0], husband, "spouse")).status_code == 201
        assert [i["relation"] for i in (await relations(intake, husband))["items"]] == ["spouse"]

    async def test_grandmother_link_merges_two_households_into_hers(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        mother, girl, aunt = await register_scenario(intake, KK_MOTHER, KK_GIRL, RU_MOTHER)
        grandmother = await register_adult(intake, sex="female", birth_date="1962")
        his = (await link(intake, aunt, grandmother, "mother")).json()["household_id"]
        hers = (await link(intake, girl, mother, "mother")).json()["household_id"]
        assert his != hers
        r = await link(intake, mother, grandmother, "mother")
        assert r.json()["household_id"] == his
        assert {await household_of(intake, p) for p in (mother, girl, aunt, grandmother)} == {uuid.UUID(his)}
        gone = await intake.http.get(f"/v1/households/{hers}", headers=intake.auth(Role.case_worker))
        assert gone.status_code == 404

    async def test_a_man_as_mother_is_refused_naming_relation(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        man = await register_adult(intake, sex="male", birth_date="1980")
        r = await link(intake, kk_family[1], man, "mother", lang="kk")
        body = assert_problem(r, 422, "kk", "validation-failed")
        assert_field_error(body, "kk", "relation", "mother_not_female")
        assert await count(intake, PersonRelation.__table__) == 0

    async def test_a_woman_as_father_is_refused(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        r = await link(intake, kk_family[1], kk_family[0], "father", lang="ar")
        assert_field_error(
            assert_problem(r, 422, "ar", "validation-failed"), "ar", "relation", "father_not_male"
        )

    async def test_a_parent_less_than_12_years_older_is_refused(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        # The girl (born 2016) as the mother of the woman (born 1992).
        r = await link(intake, mother, girl, "mother", lang="ru")
        assert_field_error(
            assert_problem(r, 422, "ru", "validation-failed"), "ru", "relation", "parent_too_young"
        )

    async def test_a_child_cannot_be_a_guardian(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        _, girl, boy, _ = kk_family
        r = await link(intake, boy, girl, "guardian", lang="kk")
        assert_field_error(
            assert_problem(r, 422, "kk", "validation-failed"), "kk", "relation", "guardian_is_child"
        )

    async def test_a_link_to_oneself_is_refused_naming_related_person_id(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        r = await link(intake, kk_family[1], kk_family[1], "sibling", lang="ru")
        body = assert_problem(r, 422, "ru", "validation-failed")
        assert_field_error(body, "ru", "related_person_id", "self_relation")

    async def test_an_unknown_related_person_is_refused_naming_it(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        r = await link(intake, kk_family[1], uuid.uuid4(), "mother", lang="ar")
        body = assert_problem(r, 422, "ar", "validation-failed")
        assert_field_error(body, "ar", "related_person_id", "unknown_person")

    async def test_an_unknown_relation_is_refused_in_the_callers_language(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        r = await link(intake, kk_family[1], kk_family[0], "aunt", lang="kk")
        body = assert_problem(r, 422, "kk", "validation-failed")
        assert [e["field"] for e in body["errors"]] == ["relation"]
        assert body["title"] != ValidationFailed.title.render("en")

    async def test_unknown_person_in_the_path_is_404(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        r = await link(intake, uuid.uuid4(), kk_family[0], "mother", lang="kk")
        assert_problem(r, 404, "kk", "person-not-found")

    async def test_the_same_link_again_is_409(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        assert (await link(intake, girl, mother, "mother")).status_code == 201
        r = await link(intake, girl, mother, "mother", lang="ru")
        body = assert_problem(r, 409, "ru", "relation-exists")
        assert body["title"] == RelationExists.title.render("ru")
        assert str(mother) in body["detail"]
        assert await count(intake, PersonRelation.__table__) == 2

    async def test_the_same_pair_from_the_other_side_is_409(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        assert (await link(intake, girl, mother, "mother")).status_code == 201
        r = await link(intake, mother, girl, "sibling", lang="ar")
        assert_problem(r, 409, "ar", "relation-exists")

    async def test_a_second_mother_is_409_naming_the_first(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        other = await register_adult(intake, sex="female", birth_date="1990")
        assert (await link(intake, girl, mother, "mother")).status_code == 201
        r = await link(intake, other, girl, "child", lang="kk")
        body = assert_problem(r, 409, "kk", "parent-already-recorded")
        assert body["title"] == ParentAlreadyRecorded.title.render("kk")
        assert str(mother) in body["detail"]

    async def test_a_person_with_the_most_links_allowed_takes_no_more(
        self, intake: ServiceClient, kk_family: list[uuid.UUID], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(relation_service, "MAX_RELATIONS", 1)
        mother, girl, boy, _ = kk_family
        assert (await link(intake, girl, mother, "mother")).status_code == 201
        r = await link(intake, boy, mother, "mother", lang="ar")
        body = assert_problem(r, 409, "ar", "too-many-relations")
        assert body["title"] == relation_service.TooManyRelations.title.render("ar")
        assert await household_of(intake, boy) is None

    async def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        headers = {"Idempotency-Key": "link-girl-mother", **intake.auth(Role.field_worker)}
        body = {"related_person_id": str(mother), "relation": "mother"}
        first = await intake.http.post(f"/v1/persons/{girl}/relations", json=body, headers=headers)
        again = await intake.http.post(f"/v1/persons/{girl}/relations", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert await count(intake, PersonRelation.__table__) == 2

    async def test_every_write_is_audited_on_both_persons(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        await link(intake, girl, mother, "mother")
        audit = platform.audit_event.c
        assert await count(intake, platform.audit_event, audit.action == "relation.created") == 2
        assert await count(intake, platform.audit_event, audit.action == "household.joined") == 2
        assert (
            await count(
                intake,
                platform.audit_event,
                audit.action == "relation.created",
                audit.subject_type == "person",
                audit.subject_id.in_([mother, girl]),
                audit.actor_role == "field_worker",
            )
            == 2
        )

    @pytest.mark.parametrize("role", [Role.registrar, Role.partner, Role.auditor, Role.service])
    async def test_roles_that_do_not_link_families_get_403(
        self, intake: ServiceClient, kk_family: list[uuid.UUID], role: Role
    ) -> None:
        r = await link(intake, kk_family[1], kk_family[0], "mother", role=role, lang="ru")
        assert_problem(r, 403, "ru", "forbidden")

    async def test_no_key_is_401(self, intake: ServiceClient) -> None:
        r = await intake.http.post(
            f"/v1/persons/{uuid.uuid4()}/relations",
            json={"related_person_id": str(uuid.uuid4()), "relation": "mother"},
        )
        assert r.status_code == 401


class TestListRelations:
    @pytest.mark.parametrize("role", [Role.case_worker, Role.registrar, Role.partner, Role.field_worker])
    async def test_readers_see_the_links_and_household(
        self, intake: ServiceClient, kk_family: list[uuid.UUID], role: Role
    ) -> None:
        mother, girl, boy, _ = kk_family
        await link(intake, girl, mother, "mother")
        await link(intake, girl, boy, "sibling")
        body = await relations(intake, girl, role)
        assert body["household_id"] is not None
        assert {(i["related_person_id"], i["relation"]) for i in body["items"]} == {
            (str(mother), "mother"),
            (str(boy), "sibling"),
        }
        by_related = {i["related_person_id"]: i for i in body["items"]}
        assert by_related[str(mother)]["household_id"] == body["household_id"]
        assert by_related[str(boy)]["household_id"] is None  # a sibling link forms no household

    async def test_a_person_without_links_has_an_empty_list(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        assert await relations(intake, kk_family[3]) == {
            "person_id": str(kk_family[3]),
            "household_id": None,
            "items": [],
        }

    async def test_auditors_may_not_read_relations(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        r = await intake.http.get(f"/v1/persons/{kk_family[0]}/relations", headers=intake.auth(Role.auditor))
        assert r.status_code == 403

    async def test_unknown_person_is_404_in_the_callers_language(self, intake: ServiceClient) -> None:
        r = await intake.http.get(
            f"/v1/persons/{uuid.uuid4()}/relations",
            headers={"Accept-Language": "ar", **intake.auth(Role.case_worker)},
        )
        assert_problem(r, 404, "ar", "person-not-found")

    async def test_each_read_is_audited(self, intake: ServiceClient, kk_family: list[uuid.UUID]) -> None:
        await relations(intake, kk_family[0], Role.partner)
        audit = platform.audit_event.c
        assert (
            await count(
                intake,
                platform.audit_event,
                audit.action == "relations.read",
                audit.subject_id == kk_family[0],
                audit.actor_role == "partner",
            )
            == 1
        )

    async def test_each_relative_shown_is_audited_as_read_too(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        assert (await link(intake, girl, mother, "mother")).status_code == 201
        shown = await relations(intake, mother, Role.case_worker)
        related = {uuid.UUID(item["related_person_id"]) for item in shown["items"]}
        assert related == {girl}
        audit = platform.audit_event.c
        async with intake.db.transaction() as session:
            rows = await session.execute(
                select(audit.subject_id).where(
                    audit.action == "relations.read", audit.actor_role == "case_worker"
                )
            )
            subjects = [uuid.UUID(str(s)) for s in rows.scalars()]
        assert sorted(subjects) == sorted([mother, girl])


class TestGetRelation:
    async def test_one_link_from_the_childs_side(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        created = (await link(intake, girl, mother, "mother")).json()
        r = await intake.http.get(
            f"/v1/persons/{girl}/relations/{mother}", headers=intake.auth(Role.registrar)
        )
        assert r.status_code == 200
        assert r.json() == created

    async def test_persons_not_linked_is_404_in_the_callers_language(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        r = await intake.http.get(
            f"/v1/persons/{kk_family[1]}/relations/{kk_family[0]}",
            headers={"Accept-Language": "kk", **intake.auth(Role.case_worker)},
        )
        body = assert_problem(r, 404, "kk", "relation-not-found")
        assert body["title"] == RelationNotFound.title.render("kk")


class TestUnlinkRelative:
    async def test_removes_the_link_from_both_sides(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        _, girl, boy, _ = kk_family
        await link(intake, girl, boy, "sibling")
        r = await intake.http.delete(
            f"/v1/persons/{boy}/relations/{girl}", headers=intake.auth(Role.case_worker)
        )
        assert r.status_code == 204
        assert r.content == b""
        assert (await relations(intake, girl))["items"] == []
        assert await count(intake, PersonRelation.__table__) == 0

    async def test_removing_a_mother_link_takes_that_child_out_of_the_household(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, boy, _ = kk_family
        household_id = (await link(intake, girl, mother, "mother")).json()["household_id"]
        await link(intake, boy, mother, "mother")
        r = await intake.http.delete(
            f"/v1/persons/{mother}/relations/{boy}", headers=intake.auth(Role.field_worker)
        )
        assert r.status_code == 204
        assert await household_of(intake, boy) is None
        assert await household_of(intake, girl) == uuid.UUID(household_id)

    async def test_removing_the_last_mother_link_dissolves_the_household(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        household_id = (await link(intake, girl, mother, "mother")).json()["household_id"]
        await intake.http.delete(
            f"/v1/persons/{girl}/relations/{mother}", headers=intake.auth(Role.case_worker)
        )
        assert await count(intake, HouseholdMember.__table__) == 0
        r = await intake.http.get(f"/v1/households/{household_id}", headers=intake.auth(Role.case_worker))
        assert r.status_code == 404

    async def test_removing_a_grandmother_link_gives_the_daughters_branch_its_own_household(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        grandmother = await register_adult(intake, sex="female", birth_date="1962")
        await link(intake, girl, mother, "mother")
        household_id = (await link(intake, mother, grandmother, "mother")).json()["household_id"]
        await intake.http.delete(
            f"/v1/persons/{grandmother}/relations/{mother}", headers=intake.auth(Role.case_worker)
        )
        branch = await household_of(intake, mother)
        assert branch is not None
        assert branch == await household_of(intake, girl)
        assert branch != uuid.UUID(household_id)
        assert await household_of(intake, grandmother) is None
        audit = platform.audit_event.c
        assert await count(intake, platform.audit_event, audit.action == "household.changed") == 3

    async def test_persons_not_linked_is_404(self, intake: ServiceClient, kk_family: list[uuid.UUID]) -> None:
        r = await intake.http.delete(
            f"/v1/persons/{kk_family[0]}/relations/{kk_family[1]}",
            headers={"Accept-Language": "ru", **intake.auth(Role.case_worker)},
        )
        assert_problem(r, 404, "ru", "relation-not-found")

    @pytest.mark.parametrize("role", [Role.registrar, Role.partner])
    async def test_readers_may_not_remove_links(
        self, intake: ServiceClient, kk_family: list[uuid.UUID], role: Role
    ) -> None:
        await link(intake, kk_family[1], kk_family[0], "mother")
        r = await intake.http.delete(
            f"/v1/persons/{kk_family[1]}/relations/{kk_family[0]}", headers=intake.auth(role)
        )
        assert r.status_code == 403
        assert await count(intake, PersonRelation.__table__) == 2


class TestGetHousehold:
    async def test_unknown_household_is_404_in_the_callers_language(self, intake: ServiceClient) -> None:
        r = await intake.http.get(
            f"/v1/households/{uuid.uuid4()}", headers={"Accept-Language": "ar", **intake.auth(Role.partner)}
        )
        body = assert_problem(r, 404, "ar", "household-not-found")
        assert body["title"] == HouseholdNotFound.title.render("ar")

    async def test_reading_a_household_audits_each_member(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, boy, _ = kk_family
        household_id = (await link(intake, girl, mother, "mother")).json()["household_id"]
        await link(intake, boy, mother, "mother")
        r = await intake.http.get(f"/v1/households/{household_id}", headers=intake.auth(Role.registrar))
        assert r.status_code == 200
        audit = platform.audit_event.c
        read = await count(intake, platform.audit_event, audit.action == "household.read")
        assert read == 3

    async def test_auditors_may_not_read_households(self, intake: ServiceClient) -> None:
        r = await intake.http.get(f"/v1/households/{uuid.uuid4()}", headers=intake.auth(Role.auditor))
        assert r.status_code == 403


class TestListHouseholds:
    @pytest.fixture
    async def two_households(self, intake: ServiceClient) -> dict[str, uuid.UUID]:
        await seed_operations(intake)
        kk_mother, kk_girl, ar_mother, ar_girl, ru_mother, _ru_girl = await register_scenario(
            intake, KK_MOTHER, KK_GIRL, AR_MOTHER, AR_GIRL, RU_MOTHER, RU_GIRL
        )
        kk = (await link(intake, kk_girl, kk_mother, "mother")).json()["household_id"]
        ar = (await link(intake, ar_girl, ar_mother, "mother")).json()["household_id"]
        return {"kk": uuid.UUID(kk), "ar": uuid.UUID(ar), "kk_girl": kk_girl, "ru_mother": ru_mother}

    async def get(self, intake: ServiceClient, **params: Any) -> Any:
        return await intake.http.get(
            "/v1/households",
            params=params,
            headers={"Accept-Language": "kk", **intake.auth(Role.case_worker)},
        )

    async def test_lists_every_household_oldest_first(
        self, intake: ServiceClient, two_households: dict[str, uuid.UUID]
    ) -> None:
        r = await self.get(intake)
        assert r.status_code == 200
        assert [h["id"] for h in r.json()["items"]] == [str(two_households["kk"]), str(two_households["ar"])]
        assert r.json()["next_cursor"] is None

    async def test_filters_by_person(
        self, intake: ServiceClient, two_households: dict[str, uuid.UUID]
    ) -> None:
        r = await self.get(intake, person_id=str(two_households["kk_girl"]))
        assert [h["id"] for h in r.json()["items"]] == [str(two_households["kk"])]
        r = await self.get(intake, person_id=str(two_households["ru_mother"]))
        assert r.json()["items"] == []

    async def test_filters_by_operation(
        self, intake: ServiceClient, two_households: dict[str, uuid.UUID]
    ) -> None:
        r = await self.get(intake, operation="rusafa")
        assert [h["id"] for h in r.json()["items"]] == [str(two_households["ar"])]

    async def test_filters_by_a_members_status(
        self, intake: ServiceClient, two_households: dict[str, uuid.UUID]
    ) -> None:
        assert len((await self.get(intake, member_status="arrived")).json()["items"]) == 2
        assert (await self.get(intake, member_status="reunified")).json()["items"] == []

    async def test_pages_with_a_cursor(
        self, intake: ServiceClient, two_households: dict[str, uuid.UUID]
    ) -> None:
        first = (await self.get(intake, limit=1)).json()
        assert [h["id"] for h in first["items"]] == [str(two_households["kk"])]
        second = (await self.get(intake, limit=1, cursor=first["next_cursor"])).json()
        assert [h["id"] for h in second["items"]] == [str(two_households["ar"])]
        assert second["next_cursor"] is None

    async def test_a_forged_cursor_is_400_naming_cursor(self, intake: ServiceClient) -> None:
        body = assert_problem(await self.get(intake, cursor="bm90LWEtY3Vyc29y"), 400, "kk", "invalid-cursor")
        assert body["title"] == InvalidCursor.title.render("kk")
        assert [e["field"] for e in body["errors"]] == ["cursor"]

    async def test_an_unknown_operation_is_422_naming_it(self, intake: ServiceClient) -> None:
        body = assert_problem(await self.get(intake, operation="zhusan-99"), 422, "kk", "validation-failed")
        assert_field_error(body, "kk", "operation", "unknown_operation")

    async def test_an_unknown_status_is_422_naming_it(self, intake: ServiceClient) -> None:
        body = assert_problem(await self.get(intake, member_status="lost"), 422, "kk", "validation-failed")
        assert [e["field"] for e in body["errors"]] == ["member_status"]

    async def test_every_member_listed_is_audited(
        self, intake: ServiceClient, two_households: dict[str, uuid.UUID]
    ) -> None:
        await self.get(intake)
        audit = platform.audit_event.c
        assert await count(intake, platform.audit_event, audit.action == "household.listed") == 4


class TestFunctionsForThePersonsFeature:
    async def test_households_of_maps_members_and_omits_others(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, boy, _ = kk_family
        household_id = uuid.UUID((await link(intake, girl, mother, "mother")).json()["household_id"])
        async with intake.db.transaction() as session:
            found = await households.households_of(session, [mother, girl, boy])
        assert found == {mother: household_id, girl: household_id}

    async def test_person_ids_in_household_is_a_select_to_filter_with(
        self, intake: ServiceClient, kk_family: list[uuid.UUID]
    ) -> None:
        mother, girl, *_ = kk_family
        household_id = uuid.UUID((await link(intake, girl, mother, "mother")).json()["household_id"])
        async with intake.db.transaction() as session:
            ids = set((await session.execute(households.person_ids_in_household(household_id))).scalars())
        assert ids == {mother, girl}
