"""PATCH /v1/requests/{id}: names, the confirmed Latin name, assignment, former passport."""

from __future__ import annotations

from typing import Any

import pytest

from apicore.auth import Role
from tests.conftest import ServiceClient
from tests.docs_service.conftest import FakeIntake
from tests.docs_service.document_requests.test_routes import audit_rows
from tests.docs_service.walk import PROBLEM, open_request, passport_steps, patch, read, walk


async def passport(docs: ServiceClient, fake_intake: FakeIntake) -> dict[str, Any]:
    r = await open_request(docs, fake_intake.add("woman", iin="920411400012"), "passport")
    assert r.status_code == 201
    body: dict[str, Any] = r.json()
    return body


class TestUpdateRequest:
    async def test_registrar_confirms_the_latin_name_upper_case(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        created = await passport(docs, fake_intake)
        r = await patch(
            docs, created["id"], {"latin_name": {"surname": "Zhumabayeva", "given_names": "aisha  maria"}}
        )
        assert r.status_code == 200, r.text
        assert r.json()["holder"]["latin_name"] == {"surname": "ZHUMABAYEVA", "given_names": "AISHA MARIA"}
        assert r.json()["version"] == 2
        assert r.headers["etag"] == '"2"'

    async def test_merge_patch_changes_only_what_is_sent(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        created = await passport(docs, fake_intake)
        await patch(docs, created["id"], {"assignment": {"office": "Ақтау", "officer": "Б. Сейітова"}})
        r = await patch(docs, created["id"], {"assignment": {"officer": "Г. Омарова"}})
        assert r.json()["assignment"] == {"office": "Ақтау", "officer": "Г. Омарова"}
        assert r.json()["holder"]["names"] == created["holder"]["names"]

    async def test_a_patch_that_changes_nothing_keeps_the_version_and_is_a_read(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        created = await passport(docs, fake_intake)
        before = [row["action"] for row in await audit_rows(docs)]
        for body in ({}, {"names": created["holder"]["names"]}):
            r = await patch(docs, created["id"], body, version=1)
            assert (r.status_code, r.headers["etag"], r.json()["version"]) == (200, '"1"', 1), r.text
        actions = [row["action"] for row in await audit_rows(docs)][len(before) :]
        assert actions == ["document_request.read"] * 2

    async def test_null_clears(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        created = await passport(docs, fake_intake)
        await patch(docs, created["id"], {"latin_name": {"surname": "ZHUMABAEVA", "given_names": "AISHA"}})
        r = await patch(docs, created["id"], {"latin_name": None})
        assert r.json()["holder"]["latin_name"] is None

    async def test_changing_the_cyrillic_name_derives_a_new_latin_suggestion(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        created = await passport(docs, fake_intake)
        assert created["holder"]["latin_name_suggested"] is not None
        r = await patch(docs, created["id"], {"names": {"family": "Жұмабай", "given": "Айша"}})
        assert r.json()["holder"]["names"] == {"family": "Жұмабай", "given": "Айша", "patronymic": None}
        suggested = r.json()["holder"]["latin_name_suggested"]
        assert (suggested["surname"], suggested["given_names"]) == ("ZHUMABAI", "AISHA")

    @pytest.mark.parametrize(
        ("given", "code"),
        [
            ("Aisha", "not_kazakh_cyrillic"),
            ("عائشة", "not_kazakh_cyrillic"),
            ("Aйша", "not_kazakh_cyrillic"),
            ("Ай2ша", "name_characters"),  # no name has digits, in any script
        ],
    )
    async def test_a_name_not_in_kazakh_cyrillic_is_422(
        self, docs: ServiceClient, fake_intake: FakeIntake, given: str, code: str
    ) -> None:
        created = await passport(docs, fake_intake)
        r = await patch(docs, created["id"], {"names": {"family": "Жұмабаева", "given": given}})
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("names.given", code)]

    @pytest.mark.parametrize("surname", ["Жұмабаева", "ZHUMABAEVA2", "ZHUMABÄEVA", "---"])
    async def test_a_latin_name_beyond_a_to_z_is_422(
        self, docs: ServiceClient, fake_intake: FakeIntake, surname: str
    ) -> None:
        created = await passport(docs, fake_intake)
        r = await patch(docs, created["id"], {"latin_name": {"surname": surname}})
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("latin_name.surname", "not_passport_latin")
        ]

    async def test_a_latin_name_on_a_certificate_is_422(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        created = (await open_request(docs, fake_intake.add("child"))).json()
        r = await patch(docs, created["id"], {"latin_name": {"surname": "SEIITKYZY"}})
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("latin_name", "passport_only")]

    async def test_without_if_match_is_428(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        created = await passport(docs, fake_intake)
        r = await docs.http.patch(
            f"/v1/requests/{created['id']}",
            json={"assignment": {"office": "x"}},
            headers=docs.auth(Role.registrar),
        )
        assert r.status_code == 428
        assert r.headers["content-type"].startswith(PROBLEM)

    async def test_stale_if_match_is_412(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        created = await passport(docs, fake_intake)
        await patch(docs, created["id"], {"assignment": {"office": "Ақтау"}})
        r = await patch(docs, created["id"], {"assignment": {"office": "Алматы"}}, version=1)
        assert r.status_code == 412
        assert (await read(docs, created["id"])).json()["assignment"]["office"] == "Ақтау"

    async def test_names_are_locked_once_the_passport_is_produced(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        created = await passport(docs, fake_intake)
        await patch(docs, created["id"], {"latin_name": {"surname": "ZHUMABAEVA", "given_names": "AISHA"}})
        await walk(docs, created["id"], passport_steps()[:3])
        r = await patch(docs, created["id"], {"latin_name": {"surname": "OTHER"}})
        assert r.status_code == 409
        assert r.json()["type"].endswith(":document-data-locked")

    async def test_the_change_is_in_the_history_with_its_values(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        created = await passport(docs, fake_intake)
        await patch(docs, created["id"], {"latin_name": {"surname": "ZHUMABAEVA", "given_names": "AISHA"}})
        entries = (
            await docs.http.get(f"/v1/requests/{created['id']}/history", headers=docs.auth(Role.registrar))
        ).json()
        last = entries["items"][-1]
        assert (last["action"], last["from_status"], last["to_status"], last["version"]) == (
            "updated",
            "requested",
            "requested",
            2,
        )
        assert last["data"] == {"latin_name": {"surname": "ZHUMABAEVA", "given_names": "AISHA"}}

    async def test_an_empty_patch_changes_nothing(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        created = await passport(docs, fake_intake)
        r = await patch(docs, created["id"], {})
        assert (r.status_code, r.json()["version"]) == (200, 1)

    @pytest.mark.parametrize("role", [Role.case_worker, Role.service, Role.partner])
    async def test_only_registrars_change_document_data(
        self, docs: ServiceClient, fake_intake: FakeIntake, role: Role
    ) -> None:
        created = await passport(docs, fake_intake)
        assert (
            await patch(docs, created["id"], {"assignment": {"office": "x"}}, role=role)
        ).status_code == 403
