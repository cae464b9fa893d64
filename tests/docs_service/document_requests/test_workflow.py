"""The workflow as pure functions: paths, allowed moves, data per move, prerequisites."""

from __future__ import annotations

import itertools

import pytest

from docs_service.document_requests import workflow
from docs_service.document_requests.workflow import (
    CLOSED_STATUSES,
    DOCUMENT_KINDS,
    STATUSES,
    IllegalTransition,
    allowed_from,
    check_transition,
    missing_prerequisites,
    path,
    prerequisites,
    transition_data,
)

BIRTH = ("requested", "documents_collected", "parentage_confirmed", "registered", "printed", "issued")
PASSPORT = ("requested", "biometrics_taken", "approved", "produced", "issued")


def every_move() -> list[tuple[str, bool, str, str]]:
    """(kind, reissue, from, to) for every pair of statuses."""
    return [
        (kind, reissue, current, target)
        for kind in DOCUMENT_KINDS
        for reissue in (False, True)
        for current in STATUSES
        for target in STATUSES
    ]


class TestPaths:
    def test_birth_certificate_path_is_the_issue_order(self) -> None:
        assert path("birth_certificate") == BIRTH

    def test_passport_path_is_the_issue_order(self) -> None:
        assert path("passport") == PASSPORT

    def test_certificate_reissue_skips_parentage_and_registration(self) -> None:
        assert path("birth_certificate", reissue=True) == (
            "requested",
            "documents_collected",
            "printed",
            "issued",
        )

    def test_passport_reissue_takes_the_whole_path(self) -> None:
        assert path("passport", reissue=True) == PASSPORT


class TestAllowedFrom:
    @pytest.mark.parametrize(("kind", "steps"), [("birth_certificate", BIRTH), ("passport", PASSPORT)])
    def test_each_open_state_allows_next_step_rejection_and_cancellation(
        self, kind: workflow.DocumentKind, steps: tuple[str, ...]
    ) -> None:
        for current, following in itertools.pairwise(steps):
            assert allowed_from(kind, current) == (following, "rejected", "cancelled")

    @pytest.mark.parametrize("kind", DOCUMENT_KINDS)
    @pytest.mark.parametrize("closed", sorted(CLOSED_STATUSES))
    def test_closed_states_allow_nothing(self, kind: workflow.DocumentKind, closed: str) -> None:
        assert allowed_from(kind, closed) == ()

    def test_a_state_of_the_other_kind_allows_nothing(self) -> None:
        assert allowed_from("passport", "parentage_confirmed") == ()
        assert allowed_from("birth_certificate", "produced") == ()


class TestCheckTransition:
    @pytest.mark.parametrize(("kind", "reissue", "current", "target"), every_move())
    def test_every_move_is_allowed_exactly_when_listed(
        self, kind: workflow.DocumentKind, reissue: bool, current: str, target: str
    ) -> None:
        steps = path(kind, reissue=reissue)
        is_next = target in steps and current in steps and steps.index(target) == steps.index(current) + 1
        legal = (
            current in steps
            and current not in CLOSED_STATUSES
            and (is_next or target in {"rejected", "cancelled"})
        )
        if legal:
            check_transition(kind, current, target, reissue=reissue)
        else:
            with pytest.raises(IllegalTransition) as caught:
                check_transition(kind, current, target, reissue=reissue)
            assert caught.value.allowed == allowed_from(kind, current, reissue=reissue)
            assert (caught.value.current, caught.value.target) == (current, target)

    def test_skipping_a_step_names_the_next_one(self) -> None:
        with pytest.raises(IllegalTransition) as caught:
            check_transition("birth_certificate", "requested", "registered")
        assert caught.value.allowed == ("documents_collected", "rejected", "cancelled")

    def test_going_back_is_illegal(self) -> None:
        with pytest.raises(IllegalTransition):
            check_transition("passport", "approved", "biometrics_taken")


class TestTransitionData:
    def test_parentage_needs_evidence_reference_and_date(self) -> None:
        assert transition_data("birth_certificate", "parentage_confirmed").required == {
            "evidence",
            "reference",
            "evidence_date",
        }

    def test_registration_takes_the_civil_act_record_and_an_optional_iin(self) -> None:
        spec = transition_data("birth_certificate", "registered")
        assert spec.required == {"civil_act_record_number", "registry_office", "registered_on"}
        assert spec.optional == {"iin"}

    def test_production_takes_number_dates_and_an_optional_iin(self) -> None:
        spec = transition_data("passport", "produced")
        assert spec.required == {"passport_number", "issued_on", "expires_on"}
        assert spec.optional == {"iin"}

    @pytest.mark.parametrize("kind", DOCUMENT_KINDS)
    def test_rejection_needs_a_reason_cancellation_does_not(self, kind: workflow.DocumentKind) -> None:
        assert transition_data(kind, "rejected").reason_required
        assert not transition_data(kind, "cancelled").reason_required
        assert transition_data(kind, "cancelled").accepted == frozenset()


class TestPrerequisites:
    def test_birth_certificate_needs_kazakh_name_record_and_iin(self) -> None:
        assert prerequisites("birth_certificate") == ("kazakh_name", "civil_act_record", "iin")

    def test_passport_needs_names_birth_date_sex_and_iin(self) -> None:
        assert prerequisites("passport") == ("cyrillic_name", "latin_name", "birth_date", "sex", "iin")

    def test_missing_ones_come_in_order(self) -> None:
        assert missing_prerequisites("passport", "produced", {"cyrillic_name", "sex"}) == (
            "latin_name",
            "birth_date",
            "iin",
        )

    def test_moves_without_prerequisites_miss_nothing(self) -> None:
        assert missing_prerequisites("passport", "biometrics_taken", set()) == ()
