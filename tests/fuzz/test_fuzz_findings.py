"""What schemathesis found, each pinned by a plain test that fails without its fix.

The fuzzing itself runs derandomized (`test_schemathesis.py`), so these tests keep each finding
even if a later change of schema or Hypothesis makes the fuzzer draw other examples.
Found with it and pinned elsewhere: `PATCH /v1/persons/batch` answered 422 for the person id
`batch` instead of 405 (`tests/apicore/test_hostile_input.py::TestBatchPathIsNotAPerson`).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from apicore.auth import Role
from apicore.openapi import build_openapi
from apicore.schemas import IIN_PATTERN
from tests.conftest import ServiceClient
from tests.fuzz.expectations import discovery_seed, schemathesis_config


class TestTimesAreTextNotNumbers:
    """Pydantic's lax `date`/`datetime` read `0` or `0.5` as Unix time: a filter that meant 1970."""

    @pytest.mark.parametrize("value", ["0", "0.5", "1700000000", "2019-05-09T00:00"])
    async def test_arrival_filters_take_only_yyyy_mm_dd(self, intake: ServiceClient, value: str) -> None:
        for name in ("arrived_from", "arrived_to"):
            r = await intake.http.get(
                "/v1/persons", params={name: value}, headers=intake.auth(Role.case_worker)
            )
            assert r.status_code == 422, (name, value, r.text)
            assert [e["field"] for e in r.json()["errors"]] == [name]

    async def test_arrival_filters_still_take_arabic_indic_digits(self, intake: ServiceClient) -> None:
        r = await intake.http.get(
            "/v1/persons", params={"arrived_from": "٢٠١٩-٠٥-٠٩"}, headers=intake.auth(Role.case_worker)
        )
        assert r.status_code == 200, r.text

    @pytest.mark.parametrize("value", ["0.5", "1700000000", "2026-13-01T00:00:00Z", "2019-02-30T10:00:00Z"])
    async def test_audit_times_take_only_iso_8601(self, intake: ServiceClient, value: str) -> None:
        for name in ("since", "until"):
            r = await intake.http.get("/v1/audit", params={name: value}, headers=intake.auth(Role.auditor))
            assert r.status_code == 422, (name, value, r.text)
            assert [e["field"] for e in r.json()["errors"]] == [name]

    @pytest.mark.parametrize("value", ["2026-11-01T09:30:00+05:00", "2026-11-01T09:30Z", "2026-11-01T09:30"])
    async def test_audit_times_in_iso_8601_are_taken(self, intake: ServiceClient, value: str) -> None:
        r = await intake.http.get("/v1/audit", params={"since": value}, headers=intake.auth(Role.auditor))
        assert r.status_code == 200, r.text


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]


@pytest.fixture(params=["intake", "docs"])
def spec(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "intake":
        from intake_api.app import create_app as create_intake

        return build_openapi(create_intake())
    from docs_service.app import create_app as create_docs

    return build_openapi(create_docs())


class TestTheSpecSaysWhatTheServiceAnswers:
    """The fuzzer met 400, 413 and 415 problems no operation documented, and 428s for a header
    the spec did not declare."""

    def test_every_body_can_be_refused_as_unreadable_too_large_or_not_json(
        self, spec: dict[str, Any]
    ) -> None:
        for method, path, operation in _operations(spec):
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= set(operation["responses"]), (method, path)

    def test_an_update_that_answers_428_declares_if_match(self, spec: dict[str, Any]) -> None:
        updates = [(m, p, o) for m, p, o in _operations(spec) if "428" in o["responses"]]
        assert updates
        for method, path, operation in updates:
            headers = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "header"}
            assert headers["If-Match"]["required"] is True, (method, path)

    def test_every_post_declares_its_idempotency_key(self, spec: dict[str, Any]) -> None:
        for method, path, operation in _operations(spec):
            if method == "post":
                names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "header"]
                assert "Idempotency-Key" in names, path
                assert "400" in operation["responses"], path


class TestTheSchemaCarriesTheRulesItCan:
    @pytest.mark.parametrize(
        ("iin", "matches"),
        [
            ("920411412076", True),
            ("٩٢٠٤١١٤١٢٠٧٦", True),  # Arabic-Indic digits, folded by the service
            (" 920411412076 ", True),  # surrounding spaces are stripped
            ("921311412076", False),  # month 13
            ("920432412076", False),  # day 32
            ("920411712076", False),  # century-and-sex digit 7
            ("92041141207", False),
            ("92041141207x", False),
        ],
    )
    def test_the_iin_pattern_is_the_shape_decree_406_gives(self, iin: str, matches: bool) -> None:
        assert (re.fullmatch(IIN_PATTERN, iin) is not None) is matches


class TestDiscoveryRuns:
    """`FUZZ_SEED` turns the derandomized gate into a discovery run that can be replayed."""

    def test_no_seed_is_the_gate(self) -> None:
        assert discovery_seed(None) is None
        assert discovery_seed("") is None

    def test_a_number_replays_and_random_draws_a_new_one(self) -> None:
        assert discovery_seed("1234") == 1234
        drawn = {discovery_seed("random") for _ in range(5)}
        assert all(isinstance(s, int) and 0 <= s < 2**32 for s in drawn)
        assert len(drawn) > 1

    def test_the_seed_reaches_schemathesis_only_in_discovery(self) -> None:
        assert schemathesis_config({}, max_examples=1, seed=99).seed == 99
        assert not schemathesis_config({}, max_examples=1).has_explicit_seed

    def test_anything_else_is_refused(self) -> None:
        with pytest.raises(ValueError, match="invalid literal"):
            discovery_seed("often")
