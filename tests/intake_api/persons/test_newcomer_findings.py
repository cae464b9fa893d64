"""Defects a newcomer's trial found, each pinned by a test."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select
from tests.conftest import ServiceClient
from tests.intake_api.persons.helpers import count_rows, fixture_body, post_person, seed_operations

from apicore.auth import Role
from intake_api.models import Person, platform
from intake_api.persons.models import PersonName
from intake_api.persons.names import MAX_KEY, clip_words, derive_name_keys

MOTHER = "5a110000-0000-4000-8000-000000000001"


async def _etag(intake: ServiceClient, person_id: str) -> str:
    return (await intake.http.get(f"/v1/persons/{person_id}", headers=intake.auth(Role.case_worker))).headers[
        "etag"
    ]


async def _patch(intake: ServiceClient, person_id: str, body: dict[str, object]) -> dict[str, object]:
    headers = {
        **intake.auth(Role.case_worker),
        "If-Match": await _etag(intake, person_id),
        "Content-Type": "application/merge-patch+json",
    }
    r = await intake.http.patch(f"/v1/persons/{person_id}", json=body, headers=headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


class TestMergePatchMergesObjects:
    async def test_consent_members_not_sent_are_kept(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 0) | {"consent": {"tracing": True, "sharing": True, "given_by": "self"}}
        assert (await post_person(intake, body)).status_code == 201
        read = await _patch(intake, MOTHER, {"consent": {"sharing": False}})
        assert read["consent"] == {"tracing": True, "sharing": False, "given_by": "self"}

    async def test_birth_place_keeps_the_country_when_the_locality_is_corrected(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 0) | {"birth_place": {"country": "KZ", "locality": "Aktobe"}}
        assert (await post_person(intake, body)).status_code == 201
        read = await _patch(intake, MOTHER, {"birth_place": {"locality": "Aqtobe"}})
        assert read["birth_place"] == {"country": "KZ", "locality": "Aqtobe"}
        read = await _patch(intake, MOTHER, {"birth_place": {"locality": None}})
        assert read["birth_place"] == {"country": "KZ"}


class TestRegistration:
    async def test_field_workers_cannot_write_case_notes(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        r = await post_person(intake, fixture_body("kk", 0) | {"notes": "Sensitive"})
        assert r.status_code == 403
        assert await count_rows(intake, Person.__table__) == 0

    @pytest.mark.parametrize("given", ["2019", "😀", "ـ", "\u064f"])
    async def test_a_name_needs_letters(self, intake: ServiceClient, given: str) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 1)
        body["names"][0]["given"] = given
        r = await post_person(intake, body)
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("names.0.given", "name_characters")]

    @pytest.mark.parametrize("lang", ["kk", "ar"])
    async def test_an_unknown_category_lists_the_codes_without_english_words(
        self, intake: ServiceClient, lang: str
    ) -> None:
        await seed_operations(intake)
        r = await post_person(
            intake, fixture_body("kk", 1) | {"category": "alien"}, headers={"Accept-Language": lang}
        )
        message = r.json()["errors"][0]["message"]
        assert "'child', 'woman', 'man'" in message
        assert " or " not in message

    async def test_a_kazakh_name_added_later_becomes_current(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 2)  # Arabic birth name only
        assert (await post_person(intake, body)).status_code == 201
        r = await intake.http.post(
            f"/v1/persons/{body['id']}/names",
            json={"script": "Cyrl", "lang": "kk", "kind": "kazakh", "given": "Омар"},
            headers=intake.auth(Role.registrar),
        )
        assert [(n["kind"], n["current"]) for n in r.json()["names"]] == [("birth", False), ("kazakh", True)]


class TestBatchAndMediaTypes:
    async def test_an_item_that_is_not_an_object_fails_alone(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        items = [{"person": "notadict"}, {"person": fixture_body("kk", 1)}]
        r = await intake.http.post(
            "/v1/persons/batch", json={"items": items}, headers=intake.auth(Role.field_worker)
        )
        assert r.status_code == 200
        assert [x["status"] for x in r.json()["results"]] == [422, 201]

    @pytest.mark.parametrize(
        "content_type", ["application/json; charset=utf-16", "application/json-patch+json"]
    )
    async def test_json_of_another_kind_is_415(self, intake: ServiceClient, content_type: str) -> None:
        await seed_operations(intake)
        assert (await post_person(intake, fixture_body("kk", 0))).status_code == 201
        r = await intake.http.patch(
            f"/v1/persons/{MOTHER}",
            content=b"{}",
            headers={
                **intake.auth(Role.case_worker),
                "If-Match": await _etag(intake, MOTHER),
                "Content-Type": content_type,
            },
        )
        assert r.status_code == 415


_MAN = {
    "operation": "rusafa",
    "category": "man",
    "sex": "male",
    "birth_date": "1988",
    "arrival_date": "2019-11-24",
    "names": [{"script": "Cyrl", "kind": "document", "given": "Ержан"}],
    "facility": "SIZO",
}


class TestPartnersAndCustody:
    async def test_filters_do_not_reveal_who_is_in_custody(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        created = (await post_person(intake, _MAN)).json()
        r = await intake.http.post(
            f"/v1/persons/{created['id']}/status-changes",
            json={"status": "in_custody"},
            headers={**intake.auth(Role.case_worker), "If-Match": f'"{created["version"]}"'},
        )
        assert r.status_code == 200
        for params in ({"status": "in_custody"}, {"status": "arrived"}, {"facility": "SIZO"}):
            partner = await intake.http.get("/v1/persons", params=params, headers=intake.auth(Role.partner))
            # Status by status, what is left out would name who is in custody: refused.
            assert partner.status_code == 403, partner.text
            assert partner.headers["content-type"].startswith("application/problem+json")
        for params in ({"status": "in_custody"}, {"facility": "SIZO"}):
            case = await intake.http.get("/v1/persons", params=params, headers=intake.auth(Role.case_worker))
            assert [p["id"] for p in case.json()["items"]] == [created["id"]]

    async def test_no_person_shows_a_partner_status_or_facility(self, intake: ServiceClient) -> None:
        # Hidden only for persons in custody, the fields' absence itself named them.
        await seed_operations(intake)
        free = (await post_person(intake, fixture_body("kk", 0))).json()
        held = (await post_person(intake, _MAN)).json()
        r = await intake.http.post(
            f"/v1/persons/{held['id']}/status-changes",
            json={"status": "in_custody"},
            headers={**intake.auth(Role.case_worker), "If-Match": f'"{held["version"]}"'},
        )
        assert r.status_code == 200, r.text
        listed = await intake.http.get("/v1/persons", headers=intake.auth(Role.partner))
        assert {p["id"] for p in listed.json()["items"]} == {free["id"], held["id"]}
        shown = [*listed.json()["items"]]
        for person in (free, held):
            one = await intake.http.get(f"/v1/persons/{person['id']}", headers=intake.auth(Role.partner))
            shown.append(one.json())
        for person in shown:
            assert "status" not in person
            assert "facility" not in person
            assert "notes" not in person


async def test_audit_time_filters_beyond_utc_are_422(intake: ServiceClient) -> None:
    for since in ("9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"):
        r = await intake.http.get("/v1/audit", params={"since": since}, headers=intake.auth(Role.auditor))
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == ["since"]


SHCH = "Щ" * 100  # each part within its 100 characters, romanised four times as long


class TestLongRomanisedNames:
    """A name whose romanised forms outgrow their 400-character columns: PostgreSQL refused the
    row (a 500), SQLite stored more than the column holds."""

    async def test_it_is_registered_whole_with_its_forms_cut_after_a_word(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        body = fixture_body("ru", 0)
        body["names"] = [
            {"script": "Cyrl", "kind": "birth", "given": SHCH, "family": SHCH, "patronymic": SHCH}
        ]
        r = await post_person(intake, body)
        assert r.status_code == 201, r.text
        name = r.json()["names"][0]
        assert (name["given"], name["family"], name["patronymic"]) == (SHCH, SHCH, SHCH)
        assert name["latin_suggested"] == "SHCH" * 100  # the family name did not fit after it
        async with intake.db.transaction() as session:
            stored = (
                await session.execute(select(PersonName.latin, PersonName.search_key, PersonName.skeleton))
            ).one()
        assert [len(v) for v in stored[:2]] == [400, 400]
        assert 0 < len(stored[2]) <= 400  # the skeleton folds the repeated consonants

    def test_words_are_cut_after_the_last_that_fits(self) -> None:
        assert clip_words("aisha ali", 9) == "aisha ali"
        assert clip_words("aisha ali", 8) == "aisha"
        assert clip_words("aisha ali", 5) == "aisha"
        assert clip_words("aishaali", 5) == "aisha"
        keys = derive_name_keys(SHCH, SHCH, SHCH, "Cyrl", "ru")
        assert max(len(keys.latin), len(keys.key), len(keys.skeleton)) <= MAX_KEY


class TestABatchItemNeverFailsTheBatch:
    async def test_a_lone_surrogate_is_that_items_422(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        good = json.dumps(fixture_body("kk", 1))
        raw = '{"items":[{"person":{"\\udc00":1}},{"person":' + good + "}]}"
        r = await intake.http.post(
            "/v1/persons/batch",
            content=raw.encode(),
            headers={
                **intake.auth(Role.field_worker),
                "Content-Type": "application/json",
                "Accept-Language": "ru",
            },
        )
        assert r.status_code == 200, r.text
        assert [item["status"] for item in r.json()["results"]] == [422, 201]
        assert await count_rows(intake, Person.__table__) == 1


async def _audited(intake: ServiceClient, action: str) -> list[str]:
    t = platform.audit_event
    async with intake.db.transaction() as session:
        rows = await session.execute(select(t.c.subject_id).where(t.c.action == action).order_by(t.c.at))
        return [str(subject) for subject in rows.scalars()]


class TestEveryPersonAnsweredIsAudited:
    async def test_a_batch_item_already_registered_is_a_read(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        first, second = fixture_body("kk", 1), fixture_body("kk", 2)
        assert (await post_person(intake, first)).status_code == 201
        items = [{"person": first}, {"idempotency_key": "b-2", "person": second}]
        r = await intake.http.post(
            "/v1/persons/batch", json={"items": items}, headers=intake.auth(Role.field_worker)
        )
        assert [item["status"] for item in r.json()["results"]] == [200, 201]
        # Sent again: the first is read again, the second's key answers with its stored 201.
        again = await intake.http.post(
            "/v1/persons/batch", json={"items": items}, headers=intake.auth(Role.field_worker)
        )
        assert [item["status"] for item in again.json()["results"]] == [200, 201]
        assert await _audited(intake, "person.read") == [first["id"], first["id"], second["id"]]
        assert sorted(await _audited(intake, "person.created")) == sorted([first["id"], second["id"]])

    async def test_a_replayed_batch_is_audited_with_each_person(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        bodies = [fixture_body("kk", 1), fixture_body("kk", 2)]
        items = {"items": [{"person": b} for b in bodies] + [{"person": {"sex": "x"}}]}
        headers = {**intake.auth(Role.field_worker), "Idempotency-Key": "batch-replay-1"}
        answers = [await intake.http.post("/v1/persons/batch", json=items, headers=headers) for _ in range(2)]
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[1].headers["idempotent-replayed"] == "true"
        assert [r["status"] for r in answers[1].json()["results"]] == [201, 201, 422]
        assert sorted(await _audited(intake, "request.replayed")) == sorted(b["id"] for b in bodies)

    async def test_a_replayed_post_is_audited_with_its_person(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 1)
        headers = {**intake.auth(Role.field_worker), "Idempotency-Key": "replay-1"}
        answers = [await intake.http.post("/v1/persons", json=body, headers=headers) for _ in range(2)]
        assert [a.status_code for a in answers] == [201, 201]
        assert answers[1].headers["idempotent-replayed"] == "true"
        assert await _audited(intake, "request.replayed") == [body["id"]]
        assert await _audited(intake, "person.created") == [body["id"]]


class TestConcurrentRetriesOfABatch:
    async def test_each_answers_the_items_first_answer(self, intake: ServiceClient) -> None:
        # A phone retrying a sync that timed out: the same item key in concurrent batches, for a
        # person already registered. On PostgreSQL the later ones met the first's key row (500).
        await seed_operations(intake)
        body = fixture_body("kk", 1)
        assert (await post_person(intake, body)).status_code == 201
        items = {"items": [{"idempotency_key": "race-1", "person": body}]}
        answers = await asyncio.gather(
            *[
                intake.http.post("/v1/persons/batch", json=items, headers=intake.auth(Role.field_worker))
                for _ in range(8)
            ]
        )
        assert [a.status_code for a in answers] == [200] * 8
        assert {a.json()["results"][0]["status"] for a in answers} == {200}
        assert await count_rows(intake, Person.__table__) == 1


class TestJsonIsUtf8:
    @pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
    async def test_a_body_in_another_encoding_is_415(self, intake: ServiceClient, encoding: str) -> None:
        # RFC 8259 §8.1: JSON between systems is UTF-8; Python's parser would read these too.
        await seed_operations(intake)
        r = await intake.http.post(
            "/v1/persons",
            content=json.dumps(fixture_body("kk", 1)).encode(encoding),
            headers={
                **intake.auth(Role.field_worker),
                "Content-Type": "application/json",
                "Accept-Language": "kk",
            },
        )
        assert r.status_code == 415, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert await count_rows(intake, Person.__table__) == 0

    async def test_a_utf8_byte_order_mark_is_still_read(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        r = await intake.http.post(
            "/v1/persons",
            content=json.dumps(fixture_body("kk", 1)).encode("utf-8-sig"),
            headers={**intake.auth(Role.field_worker), "Content-Type": "application/json"},
        )
        assert r.status_code == 201, r.text


class TestAnEmptyMergePatchChangesNothing:
    """RFC 7396: `{}` is a patch that changes nothing, so the version stays and no change is
    audited; the answer still shows the person, so it is audited as a read."""

    async def test_the_person_keeps_its_version_and_the_read_is_audited(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        assert (await post_person(intake, fixture_body("kk", 0))).status_code == 201
        tag = await _etag(intake, MOTHER)
        headers = {
            **intake.auth(Role.case_worker),
            "If-Match": tag,
            "Content-Type": "application/merge-patch+json",
        }
        r = await intake.http.patch(f"/v1/persons/{MOTHER}", json={}, headers=headers)
        assert r.status_code == 200, r.text
        assert (r.headers["etag"], r.json()["version"]) == (tag, 1)
        assert await _audited(intake, "person.updated") == []
        assert await _audited(intake, "person.read") == [MOTHER, MOTHER]  # the GET, then the patch
        # The same ETag still fits: nothing was written between.
        r = await intake.http.patch(f"/v1/persons/{MOTHER}", json={"languages": ["kk"]}, headers=headers)
        assert (r.status_code, r.json()["version"]) == (200, 2)

    async def test_a_stale_if_match_is_still_412(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        assert (await post_person(intake, fixture_body("kk", 0))).status_code == 201
        headers = {
            **intake.auth(Role.case_worker),
            "If-Match": '"7"',
            "Content-Type": "application/merge-patch+json",
        }
        r = await intake.http.patch(f"/v1/persons/{MOTHER}", json={}, headers=headers)
        assert r.status_code == 412

    async def test_an_empty_name_correction_keeps_the_version(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        created = (await post_person(intake, fixture_body("kk", 0))).json()
        name_id = created["names"][0]["id"]
        headers = {
            **intake.auth(Role.case_worker),
            "If-Match": '"1"',
            "Content-Type": "application/merge-patch+json",
        }
        r = await intake.http.patch(f"/v1/persons/{MOTHER}/names/{name_id}", json={}, headers=headers)
        assert r.status_code == 200, r.text
        assert r.headers["etag"] == '"1"'
        assert await _audited(intake, "person.name_corrected") == []


class TestLanguagesAreDistinctTags:
    async def test_a_language_given_twice_is_422_and_nothing_is_stored(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 1) | {"languages": ["kk", "ar-SY", "ar-sy"]}
        r = await post_person(intake, body, headers={"Accept-Language": "kk"})
        assert r.status_code == 422, r.text
        assert [(e["field"], e["code"], e["message"]) for e in r.json()["errors"]] == [
            ("languages", "duplicate_language", "Әр тілді бір-ақ рет беріңіз.")
        ]
        assert await count_rows(intake, Person.__table__) == 0

    async def test_tags_are_kept_in_bcp47_canonical_case(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 1) | {"languages": ["kk-cyrl", "AR-sy", "Ru"]}
        assert (await post_person(intake, body)).status_code == 201
        r = await intake.http.get(f"/v1/persons/{body['id']}", headers=intake.auth(Role.case_worker))
        assert r.json()["languages"] == ["kk-Cyrl", "ar-SY", "ru"]


class TestATextTooLongIsNamedAsText:
    async def test_notes_over_their_bound_are_string_too_long_not_too_many_items(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        body = fixture_body("kk", 1) | {"notes": "ы" * 10_001}
        r = await post_person(intake, body, role=Role.case_worker, headers={"Accept-Language": "ru"})
        assert r.status_code == 422, r.text
        [error] = r.json()["errors"]
        assert (error["field"], error["code"]) == ("notes", "string_too_long")
        assert "10000" in error["message"]
        assert "элемент" not in error["message"]
