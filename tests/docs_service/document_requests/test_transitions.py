"""POST /v1/requests/{id}/transitions: both workflows end to end, every illegal move, If-Match,
idempotency, the data each move takes, prerequisites, numbers, IINs, reissues."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from apicore.auth import Role
from apicore.versioning import PreconditionFailed, PreconditionRequired
from docs_service.document_requests.models import DocumentRequestEvent
from docs_service.document_requests.transitions import IllegalTransition
from docs_service.document_requests.workflow import STATUSES, allowed_from, path
from docs_service.models import platform
from docs_service.passports.mrz import parse_td3_mrz
from tests.conftest import ServiceClient
from tests.docs_service.conftest import FakeIntake
from tests.docs_service.walk import (
    PROBLEM,
    cert_steps,
    confirm_latin,
    fresh_iin,
    issued_certificate,
    issued_passport,
    move,
    open_request,
    passport_steps,
    patch,
    read,
    unique_digits,
    walk,
)


async def history(docs: ServiceClient, request_id: str, role: Role = Role.registrar) -> list[dict[str, Any]]:
    r = await docs.http.get(f"/v1/requests/{request_id}/history", headers=docs.auth(role))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def new_certificate(docs: ServiceClient, fake_intake: FakeIntake, **person: Any) -> str:
    r = await open_request(docs, fake_intake.add("child", **person))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def new_passport(
    docs: ServiceClient, fake_intake: FakeIntake, *, latin: bool = True, **person: Any
) -> str:
    r = await open_request(docs, fake_intake.add("woman", **person), "passport")
    assert r.status_code == 201, r.text
    request_id = str(r.json()["id"])
    if latin:
        await confirm_latin(docs, request_id)
    return request_id


def with_iin(
    steps: list[tuple[str, dict[str, Any] | None]], at: str, iin: str
) -> list[tuple[str, dict[str, Any] | None]]:
    return [(to, {**(data or {}), "iin": iin} if to == at else data) for to, data in steps]


class TestBirthCertificateEndToEnd:
    async def test_walks_from_requested_to_issued_recording_each_step(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        iin = fresh_iin()
        steps = with_iin(cert_steps(), "registered", iin)
        versions = []
        for to, data in steps:
            r = await move(docs, request_id, to, data)
            assert r.status_code == 200, r.text
            assert r.json()["status"] == to
            assert r.headers["etag"] == f'"{r.json()["version"]}"'
            versions.append(r.json()["version"])
        assert versions == [2, 3, 4, 5, 6]
        body = r.json()
        document = body["document"]
        assert document["parentage_evidence"] == "dna_test"
        assert document["parentage_evidence_date"] == "2019-06-03"
        assert document["civil_act_record_number"] == steps[2][1]["civil_act_record_number"]  # type: ignore[index]
        assert (document["certificate_series"], document["handed_to"]) == ("I-АЖ", "mother")
        assert (body["holder"]["iin"], body["holder"]["iin_issued"]) == (iin, True)
        assert body["allowed_transitions"] == []
        assert body["deadline"]["target_days"] is None
        assert all(p["met"] for p in body["prerequisites"])

    async def test_history_has_one_entry_per_move_with_who_when_and_data(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        issued = await issued_certificate(docs, person_id)
        entries = await history(docs, issued["id"])
        assert [(e["action"], e["from_status"], e["to_status"]) for e in entries] == [
            ("created", None, "requested"),
            *[
                ("transition", a, b)
                for a, b in zip(path("birth_certificate"), path("birth_certificate")[1:], strict=False)
            ],
        ]
        assert [e["version"] for e in entries] == [1, 2, 3, 4, 5, 6]
        assert {e["actor_role"] for e in entries[1:]} == {"registrar"}
        assert {e["actor_name"] for e in entries[1:]} == {"test-registrar"}
        assert entries[2]["data"] == {
            "evidence": "dna_test",
            "reference": "ДНҚ-2019/0412",
            "evidence_date": "2019-06-03",
        }
        assert entries[-1]["data"] == {"handed_to": "mother", "handed_over_on": "2019-07-15"}
        assert all(e["at"] for e in entries)

    async def test_issuing_tells_intake_through_the_outbox(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        issued = await issued_certificate(docs, person_id)
        table = platform.outbox_event
        async with docs.db.transaction() as session:
            events = (await session.execute(select(table).order_by(table.c.created_at))).all()
        # One `document_request.changed` event for the opening and one per move, the last one
        # the hand-over.
        assert {e.topic for e in events} == {"document_request.changed"}
        assert [e.payload["version"] for e in events] == [1, 2, 3, 4, 5, 6]
        assert events[0].payload["status"] == "requested"
        event = events[-1]
        assert event.payload["status"] == "issued"
        assert event.payload["request_id"] == issued["id"]
        assert event.payload["iin"] == issued["holder"]["iin"]
        assert event.payload["certificate_number"] == issued["document"]["certificate_number"]
        assert event.state == "pending"


class TestPassportEndToEnd:
    async def test_walks_to_issued_with_an_mrz_whose_five_check_digits_hold(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_passport(docs, fake_intake, iin="920411400012")
        number = "N" + unique_digits(8)
        produced = None
        for to, data in passport_steps(number):
            r = await move(docs, request_id, to, data)
            assert r.status_code == 200, r.text
            if to == "produced":
                produced = r.json()
        assert produced is not None
        line1, line2 = produced["document"]["mrz"]
        fields = parse_td3_mrz(line1, line2)
        assert fields.check_digits_valid
        assert (fields.surname, fields.given_names, fields.document_number) == ("ZHUMABAEVA", "AISHA", number)
        assert (fields.nationality, fields.issuing_state, fields.sex) == ("KAZ", "KAZ", "female")
        assert (fields.birth_date, fields.expiry_date, fields.personal_number) == (
            "920411",
            "290630",
            "920411400012",
        )

    async def test_mrz_agrees_with_the_independent_oracle(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        td3 = pytest.importorskip("mrz.checker.td3")
        request_id = await new_passport(docs, fake_intake, iin="920411400012")
        r = await walk(docs, request_id, passport_steps()[:3])
        line1, line2 = r.json()["document"]["mrz"]
        assert bool(td3.TD3CodeChecker(f"{line1}\n{line2}"))

    async def test_unknown_birth_day_is_written_with_fillers(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_passport(docs, fake_intake, birth_date="1990", iin="900101400003")
        r = await walk(docs, request_id, passport_steps()[:3])
        fields = parse_td3_mrz(*r.json()["document"]["mrz"])
        assert fields.birth_date == "90<<<<"
        assert fields.check_digits_valid

    async def test_former_passport_is_recorded_withdrawn_on_hand_over(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        r = await open_request(
            docs, fake_intake.add("woman", iin="920411400012"), "passport", former_passport_number="N07345112"
        )
        request_id = r.json()["id"]
        await confirm_latin(docs, request_id)
        issued = (await walk(docs, request_id, passport_steps())).json()
        assert issued["document"]["former_passport_number"] == "N07345112"
        assert issued["document"]["former_passport_withdrawn_on"] == "2019-07-10"
        assert (await history(docs, request_id))[-1]["data"]["former_passport_withdrawn_on"] == "2019-07-10"

    async def test_without_former_passport_nothing_is_withdrawn(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        issued = await issued_passport(docs, fake_intake.add("woman"))
        assert issued["document"]["former_passport_withdrawn_on"] is None

    async def test_iin_issued_with_the_passport_when_the_person_had_none(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("woman")
        issued = await issued_passport(docs, person_id)
        assert issued["holder"]["iin_issued"] is True
        assert parse_td3_mrz(*issued["document"]["mrz"]).personal_number == issued["holder"]["iin"]


class TestIllegalTransitions:
    @pytest.mark.parametrize("kind", ["birth_certificate", "passport"])
    async def test_every_illegal_move_from_every_state_is_409_naming_the_allowed_ones(
        self, docs: ServiceClient, fake_intake: FakeIntake, kind: str
    ) -> None:
        if kind == "passport":
            request_id = await new_passport(docs, fake_intake, iin="920411400012")
            steps = passport_steps()
        else:
            request_id = await new_certificate(docs, fake_intake)
            steps = with_iin(cert_steps(), "registered", fresh_iin())
        states = path(kind)  # type: ignore[arg-type]
        for state, (to, data) in zip(states, steps, strict=False):
            allowed = allowed_from(kind, state)  # type: ignore[arg-type]
            version = (await read(docs, request_id)).json()["version"]
            for target in STATUSES:
                if target in allowed:
                    continue
                r = await move(docs, request_id, target, version=version)
                assert r.status_code == 409, f"{state} -> {target}: {r.status_code}"
                problem = r.json()
                assert problem["type"].endswith(":illegal-transition")
                assert (problem["current"], problem["to"], problem["allowed"]) == (
                    state,
                    target,
                    list(allowed),
                )
            assert (await read(docs, request_id)).json()["version"] == version
            assert (await move(docs, request_id, to, data, version=version)).status_code == 200
        for target in STATUSES:
            r = await move(docs, request_id, target)
            assert r.status_code == 409
            assert r.json()["allowed"] == []

    @pytest.mark.parametrize("closing", ["rejected", "cancelled"])
    async def test_nothing_moves_a_closed_request(
        self, docs: ServiceClient, fake_intake: FakeIntake, closing: str
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        assert (await move(docs, request_id, closing, reason="duplicate")).status_code == 200
        for target in STATUSES:
            r = await move(docs, request_id, target, reason="again")
            assert r.status_code == 409
            assert r.json()["allowed"] == []

    async def test_illegal_move_is_localised(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await move(docs, request_id, "printed", headers={"Accept-Language": "ar"})
        assert r.status_code == 409
        assert r.headers["content-type"].startswith(PROBLEM)
        assert r.headers["content-language"] == "ar"
        assert r.json()["title"] == IllegalTransition.title.render("ar")
        # The statuses are named in Arabic, listed with the Arabic comma; the codes are in `allowed`.
        assert "تم جمع الوثائق، مرفوض، ملغى" in r.json()["detail"]
        assert r.json()["allowed"] == ["documents_collected", "rejected", "cancelled"]


class TestRejectAndCancel:
    @pytest.mark.parametrize("steps_done", [0, 1, 2, 3, 4])
    async def test_a_certificate_can_be_cancelled_from_any_open_state(
        self, docs: ServiceClient, fake_intake: FakeIntake, steps_done: int
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        await walk(docs, request_id, with_iin(cert_steps(), "registered", fresh_iin())[:steps_done])
        r = await move(docs, request_id, "cancelled")
        assert r.status_code == 200
        assert r.json()["status"] == "cancelled"

    @pytest.mark.parametrize("steps_done", [0, 1, 2, 3])
    async def test_a_passport_can_be_rejected_from_any_open_state(
        self, docs: ServiceClient, fake_intake: FakeIntake, steps_done: int
    ) -> None:
        request_id = await new_passport(docs, fake_intake, iin="920411400012")
        await walk(docs, request_id, passport_steps()[:steps_done])
        r = await move(docs, request_id, "rejected", reason="Документы не подтвердили гражданство")
        assert r.status_code == 200
        assert r.json()["closed_reason"] == "Документы не подтвердили гражданство"

    async def test_rejection_without_reason_is_422_naming_reason(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await move(docs, request_id, "rejected")
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("reason", "missing")]

    async def test_partner_sees_the_closing_without_its_reason(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        await move(docs, request_id, "rejected", reason="Ата-анасы расталмады")
        body = (await read(docs, request_id, Role.partner)).json()
        assert body["status"] == "rejected"
        assert "closed_reason" not in body
        entries = await history(docs, request_id, Role.partner)
        assert [set(e) for e in entries] == [
            {"version", "action", "from_status", "to_status", "at", "actor_role"}
        ] * 2
        assert "Ата-анасы" not in str(entries)


class TestPreconditions:
    async def test_without_if_match_is_428(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await docs.http.post(
            f"/v1/requests/{request_id}/transitions",
            json={"to": "cancelled"},
            headers={"Accept-Language": "ru", **docs.auth(Role.registrar)},
        )
        assert r.status_code == 428
        assert r.json()["title"] == PreconditionRequired.title.render("ru")
        assert (await read(docs, request_id)).json()["status"] == "requested"

    async def test_stale_if_match_is_412_naming_the_current_version(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        await walk(docs, request_id, cert_steps()[:1])
        r = await move(docs, request_id, "cancelled", version=1, headers={"Accept-Language": "kk"})
        assert r.status_code == 412
        assert r.json()["title"] == PreconditionFailed.title.render("kk")
        assert "2" in r.json()["detail"]
        assert (await read(docs, request_id)).json()["status"] == "documents_collected"

    @pytest.mark.parametrize("if_match", ["*", '"7", "1"'])
    async def test_star_and_listed_tags_match(
        self, docs: ServiceClient, fake_intake: FakeIntake, if_match: str
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        assert (await move(docs, request_id, "cancelled", version=if_match)).status_code == 200

    async def test_a_weak_tag_never_matches(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        # RFC 9110 §13.1.1: If-Match uses the strong comparison.
        request_id = await new_certificate(docs, fake_intake)
        assert (await move(docs, request_id, "cancelled", version='W/"1"')).status_code == 412

    async def test_two_editors_from_one_version_one_wins(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        first = await move(docs, request_id, "documents_collected", {"documents": ["other"]}, version=1)
        second = await move(docs, request_id, "cancelled", version=1)
        assert (first.status_code, second.status_code) == (200, 412)


class TestIdempotency:
    async def test_same_key_replays_the_first_answer_and_moves_once(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        key = {"Idempotency-Key": "move-1-" + request_id}
        data = {"documents": ["medical_birth_record"]}
        first = await move(docs, request_id, "documents_collected", data, version=1, headers=key)
        again = await move(docs, request_id, "documents_collected", data, version=1, headers=key)
        assert first.status_code == again.status_code == 200
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.json() == first.json()
        assert again.headers["etag"] == first.headers["etag"] == '"2"'
        assert [e["to_status"] for e in await history(docs, request_id)] == [
            "requested",
            "documents_collected",
        ]

    async def test_replay_holds_after_the_request_moved_on(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        key = {"Idempotency-Key": "move-a-" + request_id}
        data = {"documents": ["other"]}
        first = await move(docs, request_id, "documents_collected", data, version=1, headers=key)
        await move(docs, request_id, "cancelled")
        again = await move(docs, request_id, "documents_collected", data, version=1, headers=key)
        assert (again.status_code, again.json()["status"]) == (200, "documents_collected")
        assert again.json() == first.json()
        assert (await read(docs, request_id)).json()["status"] == "cancelled"

    async def test_same_key_with_another_body_is_422(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        key = {"Idempotency-Key": "move-b-" + request_id}
        await move(docs, request_id, "documents_collected", {"documents": ["other"]}, version=1, headers=key)
        r = await move(docs, request_id, "cancelled", version=1, headers=key)
        assert r.status_code == 422
        assert r.json()["type"].endswith(":idempotency-key-reused")
        assert (await read(docs, request_id)).json()["status"] == "documents_collected"

    async def test_a_refused_move_keeps_the_key_free_for_a_corrected_retry(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        key = {"Idempotency-Key": "move-c-" + request_id}
        assert (
            await move(docs, request_id, "documents_collected", None, version=1, headers=key)
        ).status_code == 422
        r = await move(docs, request_id, "documents_collected", None, version=1, headers=key)
        assert r.status_code == 422
        assert r.headers.get("idempotent-replayed") is None

    async def test_a_retry_without_key_is_stopped_by_if_match(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        data = {"documents": ["other"]}
        assert (await move(docs, request_id, "documents_collected", data, version=1)).status_code == 200
        assert (await move(docs, request_id, "documents_collected", data, version=1)).status_code == 412
        assert len(await history(docs, request_id)) == 2


class TestTransitionData:
    @pytest.mark.parametrize(
        ("to", "missing"),
        [
            ("documents_collected", ["data.documents"]),
        ],
    )
    async def test_missing_data_is_422_naming_each_field(
        self, docs: ServiceClient, fake_intake: FakeIntake, to: str, missing: list[str]
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await move(docs, request_id, to, {}, headers={"Accept-Language": "ru"})
        assert r.status_code == 422
        assert [e["field"] for e in r.json()["errors"]] == missing
        assert r.headers["content-language"] == "ru"

    async def test_parentage_needs_evidence_reference_and_date(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        await walk(docs, request_id, cert_steps()[:1])
        r = await move(docs, request_id, "parentage_confirmed", {"evidence": "court_decision"})
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("data.evidence_date", "missing"),
            ("data.reference", "missing"),
        ]

    async def test_a_field_of_another_move_is_refused(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await move(
            docs, request_id, "documents_collected", {"documents": ["other"], "passport_number": "N12345678"}
        )
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("data.passport_number", "not_for_this_transition")
        ]

    async def test_an_unknown_field_is_refused(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await move(docs, request_id, "documents_collected", {"documents": ["other"], "colour": "blue"})
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("data.colour", "extra_forbidden")]

    async def test_unknown_evidence_is_422(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        request_id = await new_certificate(docs, fake_intake)
        await walk(docs, request_id, cert_steps()[:1])
        r = await move(
            docs,
            request_id,
            "parentage_confirmed",
            {"evidence": "neighbours", "reference": "x", "evidence_date": "2019-01-01"},
        )
        assert [e["field"] for e in r.json()["errors"]] == ["data.evidence"]

    async def test_a_date_in_the_future_is_refused(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_passport(docs, fake_intake)
        next_month = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=30)).isoformat()
        r = await move(docs, request_id, "biometrics_taken", {"biometrics_taken_on": next_month})
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("data.biometrics_taken_on", "date_in_future")
        ]

    async def test_arabic_indic_dates_are_read(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        request_id = await new_passport(docs, fake_intake)
        r = await move(docs, request_id, "biometrics_taken", {"biometrics_taken_on": "٢٠١٩-٠٥-٢٠"})
        assert r.status_code == 200
        assert r.json()["document"]["biometrics_taken_on"] == "2019-05-20"

    async def test_expiry_before_issue_is_refused(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        request_id = await new_passport(docs, fake_intake, iin="920411400012")
        await walk(docs, request_id, passport_steps()[:2])
        r = await move(
            docs,
            request_id,
            "produced",
            {"passport_number": "N11111111", "issued_on": "2019-07-01", "expires_on": "2019-07-01"},
        )
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("data.expires_on", "expiry_before_issue")
        ]

    @pytest.mark.parametrize("number", ["12345678", "N1234", "N123456789", "NN1234567", "N 1234567"])
    async def test_passport_number_out_of_format_is_422(
        self, docs: ServiceClient, fake_intake: FakeIntake, number: str
    ) -> None:
        request_id = await new_passport(docs, fake_intake, iin="920411400012")
        await walk(docs, request_id, passport_steps()[:2])
        r = await move(
            docs,
            request_id,
            "produced",
            {"passport_number": number, "issued_on": "2019-07-01", "expires_on": "2029-06-30"},
        )
        assert r.status_code == 422
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("data.passport_number", "number_format")
        ]

    async def test_passport_number_as_typed_on_a_phone_is_normalised(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_passport(docs, fake_intake, iin="920411400012")
        await walk(docs, request_id, passport_steps()[:2])
        digits = unique_digits(8)
        arabic = digits.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        r = await move(
            docs,
            request_id,
            "produced",
            {"passport_number": f" n{arabic} ", "issued_on": "2019-07-01", "expires_on": "2029-06-30"},
        )
        assert r.status_code == 200, r.text
        assert r.json()["document"]["passport_number"] == f"N{digits}"

    async def test_a_certificate_is_handed_to_the_mother_or_a_guardian(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        await walk(docs, request_id, with_iin(cert_steps(), "registered", fresh_iin())[:4])
        r = await move(docs, request_id, "issued", {"handed_to": "holder", "handed_over_on": "2019-07-15"})
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("data.handed_to", "handed_to_parent_or_guardian")
        ]
        assert (
            await move(docs, request_id, "issued", {"handed_to": "guardian", "handed_over_on": "2019-07-15"})
        ).status_code == 200

    async def test_configured_formats_replace_the_defaults(
        self, docs_db_url: str, fake_intake: FakeIntake
    ) -> None:
        from docs_service.settings import DocsSettings

        settings = DocsSettings(database_url=docs_db_url, number_formats={"passport": "KZ[0-9]{7}"})
        assert settings.formats().validate("passport", "kz1234567") == "KZ1234567"


class TestPrerequisites:
    async def test_registration_without_a_kazakh_name_is_409_listing_it(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add(
            "child", names=[{"script": "Arab", "lang": "ar", "kind": "birth", "given": "عائشة"}]
        )
        request_id = (await open_request(docs, person_id)).json()["id"]
        steps = with_iin(cert_steps(), "registered", fresh_iin())
        await walk(docs, request_id, steps[:2])
        r = await move(docs, request_id, *steps[2])
        assert r.status_code == 409
        assert r.json()["type"].endswith(":prerequisites-missing")
        assert r.json()["missing"] == ["kazakh_name"]
        assert (
            await patch(docs, request_id, {"names": {"family": "Сейітқызы", "given": "Айару"}})
        ).status_code == 200
        assert (await move(docs, request_id, *steps[2])).status_code == 200

    async def test_printing_without_an_iin_is_409_listing_it(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        steps = cert_steps()
        await walk(docs, request_id, steps[:3])
        r = await move(docs, request_id, *steps[3])
        assert (r.status_code, r.json()["missing"]) == (409, ["iin"])

    async def test_approval_without_a_confirmed_latin_name_is_409(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_passport(docs, fake_intake, latin=False, iin="920411400012")
        await walk(docs, request_id, passport_steps()[:1])
        r = await move(docs, request_id, "approved")
        assert (r.status_code, r.json()["missing"]) == (409, ["latin_name"])

    async def test_production_without_an_iin_is_409_until_one_is_issued_with_it(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_passport(docs, fake_intake)
        steps = passport_steps()
        await walk(docs, request_id, steps[:2])
        r = await move(docs, request_id, *steps[2])
        assert (r.status_code, r.json()["missing"]) == (409, ["iin"])
        iin = fresh_iin("920411", "4")
        r = await move(docs, request_id, "produced", {**(steps[2][1] or {}), "iin": iin})
        assert r.status_code == 200, r.text
        assert (r.json()["holder"]["iin"], r.json()["holder"]["iin_issued"]) == (iin, True)


class TestIIN:
    async def test_another_iin_than_the_persons_is_422(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_passport(docs, fake_intake, iin="920411400012")
        steps = passport_steps()
        await walk(docs, request_id, steps[:2])
        r = await move(docs, request_id, "produced", {**(steps[2][1] or {}), "iin": "900101400003"})
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("data.iin", "iin_already_known")]

    async def test_an_iin_with_a_wrong_check_digit_is_422(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_passport(docs, fake_intake)
        steps = passport_steps()
        await walk(docs, request_id, steps[:2])
        r = await move(docs, request_id, "produced", {**(steps[2][1] or {}), "iin": "920411400013"})
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [("data.iin", "iin_check_digit")]

    async def test_an_iin_of_another_person_is_409(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        first = await issued_certificate(docs, fake_intake.add("child"))
        request_id = await new_certificate(docs, fake_intake)
        r = await move(docs, request_id, "documents_collected", {"documents": ["other"]})
        steps = with_iin(cert_steps(), "registered", first["holder"]["iin"])
        await walk(docs, request_id, steps[1:2])
        r = await move(docs, request_id, *steps[2])
        assert r.status_code == 409
        assert r.json()["type"].endswith(":iin-taken")
        assert [e["field"] for e in r.json()["errors"]] == ["data.iin"]

    async def test_a_later_request_of_the_person_carries_the_issued_iin(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        first = await issued_certificate(docs, person_id)
        r = await open_request(docs, person_id, reissue_of=first["id"], reissue_reason="damaged")
        assert r.status_code == 201, r.text
        assert (r.json()["holder"]["iin"], r.json()["holder"]["iin_issued"]) == (
            first["holder"]["iin"],
            False,
        )


class TestNumbersAreUniquePerKind:
    async def test_a_passport_number_used_before_is_409_naming_it(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        number = "N" + unique_digits(8)
        await issued_passport(docs, fake_intake.add("woman"), number)
        request_id = await new_passport(docs, fake_intake, iin="920411400012")
        await walk(docs, request_id, passport_steps()[:2])
        r = await move(docs, request_id, *passport_steps(number)[2], headers={"Accept-Language": "ru"})
        assert r.status_code == 409
        assert r.json()["type"].endswith(":number-taken")
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("data.passport_number", "number_taken")
        ]
        assert (await read(docs, request_id)).json()["status"] == "approved"

    async def test_a_certificate_number_is_unique_within_its_series(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        first = await issued_certificate(docs, fake_intake.add("child"))
        number = first["document"]["certificate_number"]
        request_id = await new_certificate(docs, fake_intake)
        await walk(docs, request_id, with_iin(cert_steps(), "registered", fresh_iin())[:3])
        same = await move(
            docs, request_id, "printed", {"certificate_series": "I-АЖ", "certificate_number": number}
        )
        assert [e["field"] for e in same.json()["errors"]] == ["data.certificate_number"]
        other_series = await move(
            docs, request_id, "printed", {"certificate_series": "II-АЖ", "certificate_number": number}
        )
        assert other_series.status_code == 200, other_series.text

    async def test_a_civil_act_record_number_is_made_once(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        first = await issued_certificate(docs, fake_intake.add("child"))
        request_id = await new_certificate(docs, fake_intake)
        steps = cert_steps()
        await walk(docs, request_id, steps[:2])
        data = {
            **(steps[2][1] or {}),
            "civil_act_record_number": first["document"]["civil_act_record_number"],
            "iin": fresh_iin(),
        }
        r = await move(docs, request_id, "registered", data)
        assert [e["field"] for e in r.json()["errors"]] == ["data.civil_act_record_number"]

    async def test_a_passport_number_does_not_clash_with_a_certificate_number(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        cert = await issued_certificate(docs, fake_intake.add("child"))
        assert cert["status"] == "issued"
        passport = await issued_passport(docs, fake_intake.add("woman"))
        assert passport["status"] == "issued"


class TestReissue:
    async def test_a_lost_passport_is_replaced_and_withdrawn_on_hand_over(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("woman", iin="920411400012")
        first = await issued_passport(docs, person_id)
        r = await open_request(docs, person_id, "passport", reissue_of=first["id"], reissue_reason="lost")
        assert r.status_code == 201, r.text
        reissue = r.json()
        assert (reissue["reissue_of"], reissue["reissue_reason"]) == (first["id"], "lost")
        assert reissue["holder"]["latin_name"] == first["holder"]["latin_name"]
        assert reissue["document"]["former_passport_number"] == first["document"]["passport_number"]
        issued = (await walk(docs, reissue["id"], passport_steps())).json()
        assert issued["document"]["former_passport_withdrawn_on"] == "2019-07-10"
        original = (await read(docs, first["id"])).json()
        assert original["replaced_by"] == reissue["id"]

    async def test_a_certificate_reissue_is_printed_from_the_same_act_record(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        first = await issued_certificate(docs, person_id)
        reissue = (
            await open_request(docs, person_id, reissue_of=first["id"], reissue_reason="damaged")
        ).json()
        assert reissue["allowed_transitions"] == ["documents_collected", "rejected", "cancelled"]
        assert reissue["document"]["civil_act_record_number"] == first["document"]["civil_act_record_number"]
        steps = [cert_steps()[0], cert_steps()[3], cert_steps()[4]]
        issued = (await walk(docs, reissue["id"], steps)).json()
        assert issued["status"] == "issued"
        assert [e["to_status"] for e in await history(docs, reissue["id"])] == [
            "requested",
            "documents_collected",
            "printed",
            "issued",
        ]

    async def test_a_name_corrected_reissue_takes_the_new_name(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        first = await issued_certificate(docs, person_id)
        fake_intake.persons[person_id]["names"][1]["given"] = "Әйгерім"
        reissue = (
            await open_request(docs, person_id, reissue_of=first["id"], reissue_reason="name_corrected")
        ).json()
        assert reissue["holder"]["names"]["given"] == "Әйгерім"

    @pytest.mark.parametrize(
        ("body", "field", "code"),
        [
            ({"reissue_reason": "lost"}, "reissue_of", "reissue_of_needed"),
            ({"reissue_of": "{open}"}, "reissue_reason", "reissue_reason_needed"),
        ],
    )
    async def test_reissue_of_and_reason_go_together(
        self, docs: ServiceClient, fake_intake: FakeIntake, body: dict[str, str], field: str, code: str
    ) -> None:
        values = {k: v.replace("{open}", str(uuid.uuid4())) for k, v in body.items()}
        body_sent = {"person_id": str(fake_intake.add("child")), "kind": "birth_certificate", **values}
        r = await docs.http.post("/v1/requests", json=body_sent, headers=docs.auth(Role.case_worker))
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [(field, code)]

    async def test_only_an_issued_document_is_reissued(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        open_one = (await open_request(docs, person_id)).json()
        await move(docs, open_one["id"], "cancelled")
        r = await open_request(docs, person_id, reissue_of=open_one["id"], reissue_reason="lost")
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("reissue_of", "reissue_of_not_issued")
        ]

    async def test_another_persons_document_is_not_reissued(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        first = await issued_certificate(docs, fake_intake.add("child"))
        r = await open_request(docs, fake_intake.add("child"), reissue_of=first["id"], reissue_reason="lost")
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("reissue_of", "reissue_of_mismatch")
        ]

    async def test_a_replaced_document_is_not_reissued_again(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        person_id = fake_intake.add("child")
        first = await issued_certificate(docs, person_id)
        reissue = (await open_request(docs, person_id, reissue_of=first["id"], reissue_reason="lost")).json()
        await walk(docs, reissue["id"], [cert_steps()[0], cert_steps()[3], cert_steps()[4]])
        r = await open_request(docs, person_id, reissue_of=first["id"], reissue_reason="lost")
        assert [(e["field"], e["code"]) for e in r.json()["errors"]] == [
            ("reissue_of", "reissue_of_replaced")
        ]


class TestWhoMoves:
    @pytest.mark.parametrize("role", [Role.case_worker, Role.partner, Role.field_worker, Role.auditor])
    async def test_only_registrars_move_requests(
        self, docs: ServiceClient, fake_intake: FakeIntake, role: Role
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await move(
            docs, request_id, "documents_collected", {"documents": ["other"]}, version=1, role=role
        )
        assert r.status_code == 403

    async def test_the_intake_service_may_cancel(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await move(docs, request_id, "cancelled", version="*", reason="need cancelled", role=Role.service)
        assert r.status_code == 200
        assert (await history(docs, request_id))[-1]["actor_role"] == "service"

    async def test_the_intake_service_may_not_move_otherwise(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await move(
            docs, request_id, "documents_collected", {"documents": ["other"]}, version=1, role=Role.service
        )
        assert r.status_code == 403

    async def test_a_move_is_audited_with_field_names_only(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await move(docs, request_id, "documents_collected", {"documents": ["other"]})
        table = platform.audit_event
        async with docs.db.transaction() as session:
            rows = (
                await session.execute(select(table).where(table.c.action == "document_request.transitioned"))
            ).all()
        [row] = rows
        assert row.fields == ["status", "documents"]
        assert row.request_id == r.headers["x-request-id"]

    async def test_the_history_entry_keeps_the_request_id(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await move(docs, request_id, "cancelled")
        async with docs.db.transaction() as session:
            events = (
                (await session.execute(select(DocumentRequestEvent).order_by(DocumentRequestEvent.version)))
                .scalars()
                .all()
            )
        assert events[-1].request_id == r.headers["x-request-id"]


class TestHistoryEndpoint:
    async def test_unknown_request_is_404(self, docs: ServiceClient) -> None:
        r = await docs.http.get(f"/v1/requests/{uuid.uuid4()}/history", headers=docs.auth(Role.registrar))
        assert r.status_code == 404

    async def test_reading_the_history_is_audited(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        request_id = await new_certificate(docs, fake_intake)
        await history(docs, request_id, Role.case_worker)
        table = platform.audit_event
        async with docs.db.transaction() as session:
            actions = [r.action for r in (await session.execute(select(table))).all()]
        assert "document_request.history_read" in actions

    async def test_auditor_may_not_read_it(self, docs: ServiceClient, fake_intake: FakeIntake) -> None:
        request_id = await new_certificate(docs, fake_intake)
        r = await docs.http.get(f"/v1/requests/{request_id}/history", headers=docs.auth(Role.auditor))
        assert r.status_code == 403


class TestHolderReadLater:
    async def test_a_request_opened_unchecked_reads_the_person_at_its_first_move(
        self, docs: ServiceClient, fake_intake: FakeIntake
    ) -> None:
        from sqlalchemy import update

        from docs_service.document_requests.models import DocumentRequest

        request_id = await new_certificate(docs, fake_intake)
        async with docs.db.transaction() as session:  # as if intake's key had not been configured
            await session.execute(
                update(DocumentRequest)
                .where(DocumentRequest.id == uuid.UUID(request_id))
                .values(holder_checked_at=None, holder_sex=None, family_name=None, given_name=None)
            )
        calls = len(fake_intake.calls)
        r = await move(docs, request_id, "documents_collected", {"documents": ["other"]})
        assert r.status_code == 200, r.text
        assert len(fake_intake.calls) == calls + 1
        holder = r.json()["holder"]
        assert holder["checked_at"] is not None
        assert (holder["sex"], holder["names"]["family"]) == ("female", "Сейітқызы")
