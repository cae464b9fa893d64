import pytest
from pydantic import TypeAdapter, ValidationError

from apicore.schemas import NameText
from apicore.text import TextProblem, fold_digits, has_bidi_controls, storable_text_problem


class TestFoldDigits:
    @pytest.mark.parametrize(
        ("typed", "folded"),
        [
            ("٨٥٠٥١٥٣٠٠١٢٥", "850515300125"),  # Arabic-Indic, U+0660..U+0669
            ("۸۵۰۵۱۵۳۰۰۱۲۵", "850515300125"),  # Extended Arabic-Indic (Persian keyboard)
            ("８５０５１５３００１２５", "850515300125"),  # fullwidth
            ("٢٠١٨-١٢-٠٢", "2018-12-02"),
            ("۲۰۱۶", "2016"),
            ("85٠5١5", "850515"),  # mixed on one keyboard switch
            ("Мұхаммед 12", "Мұхаммед 12"),
            ("", ""),
        ],
    )
    def test_folds_the_three_digit_ranges_to_ascii(self, typed: str, folded: str) -> None:
        assert fold_digits(typed) == folded

    @pytest.mark.parametrize(
        "other",
        [
            "²",  # superscript two: unicodedata.digit gives 2, but it is no typed digit
            "①",  # circled one
            "५",  # Devanagari five
            "৫",  # Bengali five
            "٫",  # Arabic decimal separator is not a digit
        ],
    )
    def test_leaves_other_digit_like_characters_alone(self, other: str) -> None:
        assert fold_digits(other) == other

    def test_every_digit_of_each_range_maps_to_its_value(self) -> None:
        for first in (0x0660, 0x06F0, 0xFF10):
            typed = "".join(chr(first + n) for n in range(10))
            assert fold_digits(typed) == "0123456789"


class TestStorableTextProblem:
    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("Әлия\x00", "nul_character"),
            ("\x00", "nul_character"),
            ("Ali\ud800", "surrogate"),  # what json.loads makes of "\ud800"
            ("\udfff", "surrogate"),
            ("Али\x07", "control_character"),  # BEL
            ("Али\x1b[31m", "control_character"),  # ESC
            ("Али\x7f", "control_character"),  # DEL
            ("Али\x85", "control_character"),  # C1 NEXT LINE
            ("Али\x9f", "control_character"),
            ("Ali\tAhmed", "control_character"),
            ("Ali\nAhmed", "control_character"),
            ("Ali\r\nAhmed", "control_character"),
        ],
    )
    def test_names_refuse(self, text: str, problem: TextProblem) -> None:
        assert storable_text_problem(text) == problem

    @pytest.mark.parametrize(
        "text",
        [
            "Мұхаммед Әбдірахманұлы",
            "عائشة",
            "O'Brien-Smith",
            "Ahmed\u00a0Ali",  # no-break space is a space, not a control
            "\u200f",  # RIGHT-TO-LEFT MARK: category Cf, left to has_bidi_controls' callers
            "",
        ],
    )
    def test_accepts_printable_text(self, text: str) -> None:
        assert storable_text_problem(text) is None

    @pytest.mark.parametrize("text", ["line one\nline two", "a\tb", "windows\r\nline"])
    def test_notes_may_allow_newlines_and_tabs(self, text: str) -> None:
        assert storable_text_problem(text, allow_newlines=True) is None

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("a\nb\x00", "nul_character"),
            ("a\nb\ud83d", "surrogate"),
            ("a\n\x0b", "control_character"),
        ],
    )
    def test_allowing_newlines_still_refuses_the_rest(self, text: str, problem: TextProblem) -> None:
        assert storable_text_problem(text, allow_newlines=True) == problem

    def test_first_offending_character_decides(self) -> None:
        assert storable_text_problem("a\x01b\x00") == "control_character"
        assert storable_text_problem("a\x00b\x01") == "nul_character"


class TestHasBidiControls:
    @pytest.mark.parametrize(
        "text",
        [
            "\u202aAli",  # LRE
            "Ali\u202b",  # RLE
            "A\u202cli",  # PDF
            "\u202dAli",  # LRO
            "\u202eilA",  # RLO: shows "Ali" backwards
            "\u2066Ali",  # LRI
            "\u2067علي\u2069",  # RLI ... PDI
            "\u2068Ali",  # FSI
        ],
    )
    def test_finds_embeddings_overrides_and_isolates(self, text: str) -> None:
        assert has_bidi_controls(text)

    @pytest.mark.parametrize(
        "text",
        [
            "علي",
            "Мұхаммед",
            "\u200eAli",  # LRM, a mark, not an embedding
            "\u200fعلي",  # RLM
            "\u061cعلي",  # ARABIC LETTER MARK
            "\u2029",  # paragraph separator, next to the range
            "\u2065",  # unassigned, just below the isolates
            "\u206a",  # just above
            "",
        ],
    )
    def test_ignores_text_and_marks(self, text: str) -> None:
        assert not has_bidi_controls(text)


class TestNameSpaces:
    def test_every_space_in_a_name_becomes_a_plain_space(self) -> None:
        # No-break, ideographic and en spaces look like U+0020: kept, they make alike names differ.
        names = TypeAdapter(NameText)
        assert names.validate_python("Ай\u00a0Гүл\u3000Бек\u2002Ұлы") == "Ай Гүл Бек Ұлы"

    def test_a_name_of_spaces_alone_is_blank(self) -> None:
        with pytest.raises(ValidationError, match="blank"):
            TypeAdapter(NameText).validate_python("\u00a0\u3000")
