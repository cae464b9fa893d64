"""Which name a document prints, and the Latin form suggested for the MRZ."""

from __future__ import annotations

import pytest

from docs_service.document_requests.names import (
    LATIN_PART_MAX,
    document_name,
    is_kazakh_cyrillic,
    suggest_latin_name,
)
from docs_service.intake_client import IntakeName


def name(
    kind: str,
    given: str,
    family: str | None = None,
    *,
    script: str = "Cyrl",
    latin: str = "",
    current: bool = True,
) -> IntakeName:
    return IntakeName(
        script=script,
        lang="kk",
        kind=kind,
        given=given,
        family=family,
        latin_suggested=latin,
        current=current,
    )


class TestSuggestLatinName:
    @pytest.mark.parametrize(
        ("family", "given", "expected"),
        [
            ("Жұмабаева", "Айша", ("ZHUMABAEVA", "AISHA")),
            ("Әбдірахманов", "Нұр Сұлтан", ("ABDIRAKHMANOV", "NUR SULTAN")),
            ("Кузнецова-Жанова", "Мария", ("KUZNETSOVA-ZHANOVA", "MARIIA")),
            (None, "Айару", ("AIARU", None)),  # a mononym is the primary identifier
        ],
    )
    def test_derives_surname_and_given_names_for_the_registrar(
        self, family: str | None, given: str, expected: tuple[str, str | None]
    ) -> None:
        assert suggest_latin_name(family, given) == expected


class TestIsKazakhCyrillic:
    @pytest.mark.parametrize("text", ["Әйгерім", "Сейітқызы", "Нұр-Сұлтан", "Өмірзақ", "Һарун", "Ольга"])
    def test_kazakh_and_russian_cyrillic_pass(self, text: str) -> None:
        assert is_kazakh_cyrillic(text)

    @pytest.mark.parametrize(
        "text",
        ["Aisha", "عائشة", "Aйша", "Ай2ша", "Ўрал", "---", ""],
        ids=["latin", "arabic", "latin-a-lookalike", "digit", "uzbek-letter", "no-letter", "empty"],
    )
    def test_other_scripts_and_signs_fail(self, text: str) -> None:
        assert not is_kazakh_cyrillic(text)


class TestDocumentName:
    def test_birth_certificate_takes_the_kazakh_name(self) -> None:
        names = [
            name("birth", "عائشة", script="Arab"),
            name("alias", "Айша"),
            name("kazakh", "Айару", "Сейітқызы"),
        ]
        chosen = document_name("birth_certificate", names)
        assert chosen is not None
        assert (chosen.family, chosen.given) == ("Сейітқызы", "Айару")
        assert (chosen.latin_surname, chosen.latin_given_names) == (None, None)

    def test_birth_certificate_without_a_kazakh_name_has_none_yet(self) -> None:
        assert document_name("birth_certificate", [name("birth", "Айша"), name("document", "Айша")]) is None

    def test_passport_prefers_the_document_name_and_splits_its_latin(self) -> None:
        names = [
            name("kazakh", "Айша", "Нұрланқызы", latin="AISHA NURLANKYZY"),
            name("document", "Айша", "Жұмабаева", latin="AISHA ZHUMABAEVA"),
        ]
        chosen = document_name("passport", names)
        assert chosen is not None
        assert (chosen.family, chosen.latin_surname, chosen.latin_given_names) == (
            "Жұмабаева",
            "ZHUMABAEVA",
            "AISHA",
        )

    def test_a_retired_name_is_passed_over(self) -> None:
        names = [name("document", "Айша", "Старая", current=False), name("kazakh", "Айша", "Жұмабаева")]
        chosen = document_name("passport", names)
        assert chosen is not None
        assert chosen.family == "Жұмабаева"

    def test_a_name_with_latin_lookalikes_is_passed_over(self) -> None:
        assert document_name("birth_certificate", [name("kazakh", "Aйару")]) is None

    def test_a_single_part_passport_name_is_the_primary_identifier(self) -> None:
        chosen = document_name("passport", [name("document", "Айша", latin="AISHA")])
        assert chosen is not None
        assert (chosen.latin_surname, chosen.latin_given_names) == ("AISHA", None)


class TestLongLatinSuggestions:
    def test_each_part_fits_its_column_cut_after_a_whole_word(self) -> None:
        # 51 × Щ is 204 letters once romanised: the request's row refused it on PostgreSQL (500),
        # and the need it answers stayed undelivered.
        surname, given = suggest_latin_name("Щ" * 51, "Айша " + "Щ" * 60)
        assert surname == "SHCH" * 50
        assert given == "AISHA"
        assert len(surname) <= LATIN_PART_MAX
