"""GET /v1/documents and /v1/documents/{kind}/{number}: the register, JSON and PDF."""

from __future__ import annotations

import io
import unicodedata
import uuid

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from apicore.auth import Role
from docs_service.documents.pdf import SUMMARY_LABELS
from docs_service.documents.routes import wants_pdf
from docs_service.models import platform
from tests.conftest import ServiceClient
from tests.docs_service.conftest import FakeIntake
from tests.docs_service.walk import (
    PROBLEM,
    cert_steps,
    fresh_iin,
    issued_certificate,
    issued_passport,
    open_request,
    walk,
)

PDF = "application/pdf"


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


class TestLookup:
    async def test_a_passport_number_answers_to_whom_it_was_issued(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("woman", iin="920411400012")
        issued = await issued_passport(docs, person_id)
        number = issued["document"]["passport_number"]
        r = await docs.http.get(f"/v1/documents/passport/{number}", headers=docs.auth(Role.registrar))
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["kind"], body["number"], body["state"], body["request_id"]) == (
            "passport",
            number,
            "valid",
            issued["id"],
        )
        assert body["holder"]["person_id"] == str(person_id)
        assert body["holder"]["names"]["family"] == "Жұмабаева"
        assert body["holder"]["latin_name"] == {"surname": "ZHUMABAEVA", "given_names": "AISHA"}
        assert body["holder"]["iin"] == "920411400012"
        assert body["mrz"] == issued["document"]["mrz"]
        assert (body["issued_on"], body["expires_on"], body["handed_over_on"]) == (
            "2019-07-01",
            "2029-06-30",
            "2019-07-10",
        )

    async def test_a_number_typed_with_arabic_digits_and_lower_case_is_found(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        issued = await issued_passport(docs, fake_intake.add("woman"))
        number = issued["document"]["passport_number"]
        typed = number.lower().translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        r = await docs.http.get(f"/v1/documents/passport/{typed}", headers=docs.auth(Role.case_worker))
        assert r.status_code == 200
        assert r.json()["number"] == number

    async def test_a_certificate_is_found_by_number_and_series(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        issued = await issued_certificate(docs, fake_intake.add("child"))
        number = issued["document"]["certificate_number"]
        r = await docs.http.get(
            f"/v1/documents/birth_certificate/{number}",
            params={"series": "i-аж"},
            headers=docs.auth(Role.registrar),
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["series"], body["number"], body["handed_to"]) == ("I-АЖ", number, "mother")
        assert body["civil_act_record_number"] == issued["document"]["civil_act_record_number"]
        assert body["holder"]["latin_name"] is None

    async def test_a_certificate_number_in_two_series_needs_the_series(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        first = await issued_certificate(docs, fake_intake.add("child"))
        number = first["document"]["certificate_number"]
        second = (await open_request(docs, fake_intake.add("child"))).json()["id"]
        steps = cert_steps()
        steps[2] = ("registered", {**(steps[2][1] or {}), "iin": fresh_iin()})
        steps[3] = ("printed", {"certificate_series": "II-АЖ", "certificate_number": number})
        await walk(docs, second, steps)
        r = await docs.http.get(
            f"/v1/documents/birth_certificate/{number}", headers=docs.auth(Role.registrar)
        )
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("series", "series_needed")]
        r = await docs.http.get(
            f"/v1/documents/birth_certificate/{number}",
            params={"series": "II-АЖ"},
            headers=docs.auth(Role.registrar),
        )
        assert r.json()["request_id"] == second

    async def test_a_number_never_issued_is_404(self, docs: ServiceClient) -> None:
        r = await docs.http.get(
            "/v1/documents/passport/N99999999", headers={"Accept-Language": "ru", **docs.auth(Role.registrar)}
        )
        assert r.status_code == 404
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.json()["type"].endswith(":document-not-found")
        assert "N99999999" in r.json()["detail"]

    async def test_a_produced_but_not_handed_over_passport_is_not_issued(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        from tests.docs_service.walk import confirm_latin, passport_steps

        request_id = (
            await open_request(docs, fake_intake.add("woman", iin="920411400012"), "passport")
        ).json()["id"]
        await confirm_latin(docs, request_id)
        produced = (await walk(docs, request_id, passport_steps()[:3])).json()
        r = await docs.http.get(
            f"/v1/documents/passport/{produced['document']['passport_number']}",
            headers=docs.auth(Role.registrar),
        )
        assert r.status_code == 404

    async def test_the_kind_must_match(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        issued = await issued_passport(docs, fake_intake.add("woman"))
        r = await docs.http.get(
            f"/v1/documents/birth_certificate/{issued['document']['passport_number']}",
            headers=docs.auth(Role.registrar),
        )
        assert r.status_code == 404

    async def test_a_replaced_document_shows_withdrawn_with_its_replacement(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        first = await issued_certificate(docs, person_id)
        reissue = (await open_request(docs, person_id, reissue_of=first["id"], reissue_reason="lost")).json()
        await walk(docs, reissue["id"], [cert_steps()[0], cert_steps()[3], cert_steps()[4]])
        r = await docs.http.get(
            f"/v1/documents/birth_certificate/{first['document']['certificate_number']}",
            headers=docs.auth(Role.registrar),
        )
        body = r.json()
        assert (body["state"], body["withdrawn_on"], body["replaced_by"]) == (
            "withdrawn",
            "2019-07-15",
            reissue["id"],
        )

    @pytest.mark.parametrize("role", [Role.partner, Role.field_worker, Role.auditor])
    async def test_roles_without_need_may_not_look_up(self, docs: ServiceClient, role: Role) -> None:
        r = await docs.http.get("/v1/documents/passport/N12345678", headers=docs.auth(role))
        assert r.status_code == 403

    async def test_a_look_up_is_audited(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        person_id = fake_intake.add("woman")
        issued = await issued_passport(docs, person_id)
        r = await docs.http.get(
            f"/v1/documents/passport/{issued['document']['passport_number']}",
            headers=docs.auth(Role.registrar),
        )
        table = platform.audit_event
        async with docs.db.transaction() as session:
            rows = (await session.execute(select(table).where(table.c.action == "document.read"))).all()
        [row] = rows
        assert (row.subject_id, row.request_id) == (person_id, r.headers["x-request-id"])


class TestSummaryPDF:
    async def test_a_passport_summary_carries_names_numbers_and_mrz(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        issued = await issued_passport(docs, fake_intake.add("woman", iin="920411400012"))
        number = issued["document"]["passport_number"]
        r = await docs.http.get(
            f"/v1/documents/passport/{number}",
            headers={"Accept": PDF, "Accept-Language": "kk", **docs.auth(Role.registrar)},
        )
        assert r.status_code == 200
        assert r.headers["content-type"] == PDF
        assert r.headers["content-language"] == "kk"
        assert r.content.startswith(b"%PDF-")
        text = pdf_text(r.content)
        for expected in (
            "Жұмабаева",
            "Айша",
            "Нұрланқызы",
            "ZHUMABAEVA",
            "AISHA",
            number,
            *issued["document"]["mrz"],
        ):
            assert nfkc(expected) in text, expected
        assert nfkc(SUMMARY_LABELS["kk"]["kind_passport"]) in text
        assert nfkc(SUMMARY_LABELS["kk"]["expires_on"]) in text

    @pytest.mark.parametrize("language", ["kk", "ru", "ar"])
    async def test_labels_follow_accept_language(
        self, docs: ServiceClient, fake_intake: FakeIntake, language: str
    ) -> None:
        issued = await issued_certificate(docs, fake_intake.add("child"))
        r = await docs.http.get(
            f"/v1/documents/birth_certificate/{issued['document']['certificate_number']}",
            headers={"Accept": PDF, "Accept-Language": language, **docs.auth(Role.registrar)},
        )
        assert r.status_code == 200
        text = pdf_text(r.content)
        labels = SUMMARY_LABELS[language]  # type: ignore[index]
        assert nfkc(labels["kind_birth_certificate"]) in text
        assert nfkc(labels["civil_act_record_number"]) in text
        assert nfkc("Сейітқызы") in text
        assert issued["document"]["civil_act_record_number"] in text

    async def test_json_stays_the_default(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        issued = await issued_passport(docs, fake_intake.add("woman"))
        r = await docs.http.get(
            f"/v1/documents/passport/{issued['document']['passport_number']}",
            headers={"Accept": "application/json, application/pdf;q=0.5", **docs.auth(Role.registrar)},
        )
        assert r.headers["content-type"].startswith("application/json")

    async def test_printing_is_audited_as_such(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        issued = await issued_passport(docs, fake_intake.add("woman"))
        await docs.http.get(
            f"/v1/documents/passport/{issued['document']['passport_number']}",
            headers={"Accept": PDF, **docs.auth(Role.registrar)},
        )
        table = platform.audit_event
        async with docs.db.transaction() as session:
            actions = [r.action for r in (await session.execute(select(table))).all()]
        assert "document.summary_printed" in actions

    async def test_a_missing_number_is_a_problem_not_a_pdf(self, docs: ServiceClient) -> None:
        r = await docs.http.get(
            "/v1/documents/passport/N00000000", headers={"Accept": PDF, **docs.auth(Role.registrar)}
        )
        assert r.status_code == 404
        assert r.headers["content-type"].startswith(PROBLEM)


class TestWantsPdf:
    @pytest.mark.parametrize(
        ("accept", "expected"),
        [
            (None, False),
            ("application/json", False),
            ("*/*", False),
            ("application/pdf", True),
            ("application/pdf, */*;q=0.1", True),
            ("application/json, application/pdf", False),
            ("application/json;q=0.4, application/pdf", True),
            ("application/pdf;q=0", False),
            ("application/pdf;q=oops", False),
        ],
    )
    def test_pdf_only_when_preferred(self, accept: str | None, expected: bool) -> None:
        assert wants_pdf(accept) is expected


class TestRegisterList:
    async def test_lists_issued_documents_in_hand_over_order(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        cert = await issued_certificate(docs, fake_intake.add("child"))
        passport = await issued_passport(docs, fake_intake.add("woman"))
        await open_request(docs, fake_intake.add("child"))  # not issued: not in the register
        r = await docs.http.get("/v1/documents", headers=docs.auth(Role.registrar))
        assert r.status_code == 200
        assert [(i["kind"], i["request_id"]) for i in r.json()["items"]] == [
            ("birth_certificate", cert["id"]),
            ("passport", passport["id"]),
        ]

    async def test_filters_by_kind_person_and_state_and_pages(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        first = await issued_certificate(docs, person_id)
        reissue = (
            await open_request(docs, person_id, reissue_of=first["id"], reissue_reason="damaged")
        ).json()
        await walk(docs, reissue["id"], [cert_steps()[0], cert_steps()[3], cert_steps()[4]])
        await issued_passport(docs, fake_intake.add("woman"))
        headers = docs.auth(Role.case_worker)
        mine = await docs.http.get(
            "/v1/documents", params={"person_id": str(person_id), "limit": "1"}, headers=headers
        )
        assert [i["request_id"] for i in mine.json()["items"]] == [first["id"]]
        following = await docs.http.get(
            "/v1/documents",
            params={"person_id": str(person_id), "limit": "1", "cursor": mine.json()["next_cursor"]},
            headers=headers,
        )
        assert [i["request_id"] for i in following.json()["items"]] == [reissue["id"]]
        assert following.json()["next_cursor"] is None
        withdrawn = await docs.http.get("/v1/documents", params={"state": "withdrawn"}, headers=headers)
        assert [i["request_id"] for i in withdrawn.json()["items"]] == [first["id"]]
        passports = await docs.http.get("/v1/documents", params={"kind": "passport"}, headers=headers)
        assert [i["kind"] for i in passports.json()["items"]] == ["passport"]

    async def test_every_holder_listed_is_audited(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        person_id = fake_intake.add("woman")
        await issued_passport(docs, person_id)
        await docs.http.get("/v1/documents", headers=docs.auth(Role.service))
        table = platform.audit_event
        async with docs.db.transaction() as session:
            rows = (await session.execute(select(table).where(table.c.action == "document.listed"))).all()
        assert [r.subject_id for r in rows] == [person_id]

    async def test_partner_may_not_list(self, docs: ServiceClient) -> None:
        assert (await docs.http.get("/v1/documents", headers=docs.auth(Role.partner))).status_code == 403

    async def test_unknown_person_filter_is_empty(self, docs: ServiceClient) -> None:
        r = await docs.http.get(
            "/v1/documents", params={"person_id": str(uuid.uuid4())}, headers=docs.auth(Role.registrar)
        )
        assert r.json() == {"items": [], "next_cursor": None}
