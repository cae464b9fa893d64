"""Document number formats: normalisation as phones type, defaults, configured formats."""

from __future__ import annotations

import re

import pytest

from docs_service.document_requests.numbers import (
    NUMBER_KINDS,
    InvalidDocumentNumber,
    NumberFormats,
    NumberKind,
    normalise_number,
)

DEFAULTS = NumberFormats()


@pytest.mark.parametrize(
    ("kind", "typed", "stored"),
    [
        ("passport", "N12345678", "N12345678"),
        ("passport", " n12345678\t", "N12345678"),
        ("passport", "N١٢٣٤٥٦٧٨", "N12345678"),  # Arabic-Indic digits (DOMAIN.md)
        ("passport", "N۱۲۳۴۵۶۷۸", "N12345678"),  # Extended Arabic-Indic (Persian keyboards)
        ("passport", "Ｎ１２３４５６７８", "N12345678"),  # fullwidth letter and digits
        ("passport", "N1234567", "N1234567"),  # older books: a letter and 7 digits
        ("birth_certificate_series", "I-ЖК", "I-ЖК"),
        ("birth_certificate_series", "ii-жк", "II-ЖК"),
        ("birth_certificate_series", "ІІ-ӘҚ", "ІІ-ӘҚ"),  # Kazakh letters
        ("birth_certificate_series", "AB", "AB"),
        ("birth_certificate_number", "0012345", "0012345"),
        ("birth_certificate_number", "٠٠١٢٣٤٥", "0012345"),
        ("civil_act_record", "217", "217"),
        ("civil_act_record", " 000217 ", "000217"),
    ],
)
def test_typed_number_is_normalised_and_accepted(kind: NumberKind, typed: str, stored: str) -> None:
    assert DEFAULTS.validate(kind, typed) == stored


@pytest.mark.parametrize(
    ("kind", "typed"),
    [
        ("passport", "N123456789"),  # 9 digits: 10 characters, more than the MRZ holds
        ("passport", "N123456"),
        ("passport", "12345678"),
        ("passport", "N 12345678"),  # an inner space is not silently removed
        ("passport", "Н12345678"),  # Cyrillic Н, a look-alike of Latin N
        ("passport", "N1234567८"),  # Devanagari digit: not folded, so refused
        ("birth_certificate_series", "I ЖК"),
        ("birth_certificate_series", "I--ЖК"),
        ("birth_certificate_series", "ABCDEFGHIJ"),
        ("birth_certificate_number", "12345"),
        ("birth_certificate_number", "12345A"),
        ("civil_act_record", "12-3"),
        ("civil_act_record", "1234567890123"),
    ],
)
def test_number_outside_the_format_is_refused_with_a_code(kind: NumberKind, typed: str) -> None:
    with pytest.raises(InvalidDocumentNumber) as raised:
        DEFAULTS.validate(kind, typed)
    assert raised.value.code == "number_format"
    assert raised.value.kind == kind
    assert typed not in str(raised.value)  # messages name the format, not the person's number


@pytest.mark.parametrize("kind", NUMBER_KINDS)
@pytest.mark.parametrize("typed", ["", "   ", "\u3000"])
def test_empty_number_is_refused_as_empty(kind: NumberKind, typed: str) -> None:
    with pytest.raises(InvalidDocumentNumber) as raised:
        DEFAULTS.validate(kind, typed)
    assert raised.value.code == "number_empty"


def test_invalid_number_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="passport"):
        DEFAULTS.validate("passport", "?")


def test_configured_format_replaces_the_default() -> None:
    formats = NumberFormats(passport=r"N[0-9]{8}", civil_act_record=r"[0-9]{4}-[0-9]{1,6}")
    assert formats.validate("passport", "n00000001") == "N00000001"
    assert formats.validate("civil_act_record", "2024-217") == "2024-217"
    with pytest.raises(InvalidDocumentNumber):
        formats.validate("passport", "A00000001")
    assert formats.validate("birth_certificate_number", "0012345") == "0012345"  # default kept


def test_backslash_d_means_ascii_digits_in_a_configured_format() -> None:
    formats = NumberFormats(birth_certificate_number=r"\d{6}")
    assert formats.validate("birth_certificate_number", "١٢٣٤٥٦") == "123456"  # folded first
    with pytest.raises(InvalidDocumentNumber):
        formats.validate("birth_certificate_number", "१२३४५६")  # Devanagari: not folded, not \d


def test_broken_pattern_fails_when_the_formats_are_built() -> None:
    with pytest.raises(re.error):
        NumberFormats(passport="[A-Z")


def test_formats_compare_by_their_patterns() -> None:
    assert NumberFormats() == NumberFormats()
    assert NumberFormats(passport=r"N\d{8}") != NumberFormats()


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [(" ab-٣ ", "AB-3"), ("ｎ１", "N1"), ("i-жк", "I-ЖК"), ("a b", "A B")],
)
def test_normalise_number(typed: str, normalised: str) -> None:
    assert normalise_number(typed) == normalised
