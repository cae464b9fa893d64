"""`DOCS_*` settings of the workflow: target days and number formats."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from docs_service.settings import DEFAULT_TARGET_DAYS, DocsSettings


class TestTargetDays:
    def test_defaults_cover_every_open_state(self) -> None:
        assert set(DocsSettings().target_days["birth_certificate"]) == {
            "requested",
            "documents_collected",
            "parentage_confirmed",
            "registered",
            "printed",
        }
        assert set(DocsSettings().target_days["passport"]) == {
            "requested",
            "biometrics_taken",
            "approved",
            "produced",
        }

    def test_a_configured_state_is_merged_into_the_defaults(self) -> None:
        days = DocsSettings(target_days={"passport": {"approved": 20}}).target_days
        assert days["passport"] == {**DEFAULT_TARGET_DAYS["passport"], "approved": 20}
        assert days["birth_certificate"] == DEFAULT_TARGET_DAYS["birth_certificate"]

    def test_read_from_the_environment_as_json(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DOCS_TARGET_DAYS", '{"birth_certificate": {"parentage_confirmed": 60}}')
        assert DocsSettings().target_days["birth_certificate"]["parentage_confirmed"] == 60

    @pytest.mark.parametrize(
        "value",
        [
            {"driving_licence": {"requested": 3}},
            {"passport": {"issued": 3}},
            {"passport": {"parentage_confirmed": 3}},
            {"passport": {"requested": 0}},
            {"passport": {"requested": True}},
            {"passport": 5},
        ],
        ids=["unknown-kind", "closed-state", "other-kinds-state", "zero", "bool", "not-an-object"],
    )
    def test_a_wrong_value_stops_the_service_naming_the_setting(self, value: object) -> None:
        with pytest.raises(ValidationError) as caught:
            DocsSettings(target_days=value)
        assert "target_days" in str(caught.value)


class TestNumberFormats:
    def test_a_configured_format_replaces_the_default_for_its_kind_only(self) -> None:
        formats = DocsSettings(number_formats={"passport": "KZ[0-9]{7}"}).formats()
        assert formats.validate("passport", "kz1234567") == "KZ1234567"
        assert formats.validate("civil_act_record", "٤٥") == "45"

    @pytest.mark.parametrize(
        "value", [{"passport_number": "N[0-9]{8}"}, {"passport": "N[0-9"}], ids=["unknown-kind", "bad-regex"]
    )
    def test_a_wrong_format_stops_the_service(self, value: dict[str, str]) -> None:
        with pytest.raises(ValidationError) as caught:
            DocsSettings(number_formats=value)
        assert "number_formats" in str(caught.value)
