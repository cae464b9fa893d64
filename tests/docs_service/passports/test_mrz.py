"""TD3 machine-readable zone against ICAO Doc 9303 and, as an independent oracle, the `mrz` package.

Name fields are quoted from Doc 9303 Part 4 §4.2.3 (Eighth Edition); the specimen MRZ is the one
in DOMAIN.md. The `mrz` package (PyPI, GPL-3.0) is a test-only oracle: it writes names that fit
the field, full dates and 9-character passport numbers, so the generated documents stay inside
what it implements (it refuses names longer than 39 characters instead of truncating them and
dates with `<`); the truncation and unknown-date rules are tested against ICAO's text instead.
"""

from __future__ import annotations

import datetime as dt
import random
import string
from typing import Literal

import pytest
from mrz.generator.td3 import TD3CodeGenerator  # type: ignore[import-untyped]

from apicore.identifiers.iin import iin_check_digit
from apicore.partial_dates import PartialDate
from docs_service.passports.mrz import (
    PassportMRZ,
    build_td3_mrz,
    mrz_check_digit,
    mrz_name_field,
    parse_td3_mrz,
)

SPECIMEN_LINE_1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
SPECIMEN_LINE_2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"


def _specimen() -> PassportMRZ:
    return build_td3_mrz(
        document_number="L898902C3",
        surname="Eriksson",
        given_names="Anna Maria",
        nationality="UTO",
        issuing_state="UTO",
        birth_date=PartialDate(1974, 8, 12),
        sex="female",
        expiry_date=dt.date(2012, 4, 15),
        personal_number="ZE184226B",
    )


class TestCheckDigit:
    @pytest.mark.parametrize(
        ("field", "digit"),
        [
            ("L898902C3", 6),  # the specimen's fields (DOMAIN.md)
            ("740812", 2),
            ("120415", 9),
            ("ZE184226B<<<<<", 1),
            ("L898902C3674081221204159ZE184226B<<<<<1", 0),  # composite
            ("<<<<<<<<<<<<<<", 0),
            ("", 0),
            ("9001<<", 0),  # 9x7 + 1x7 = 70: fillers count as zero (Part 3 §4.9)
            ("90<<<<", 3),
            ("Z", 5),  # 35 x 7 = 245
        ],
    )
    def test_weights_7_3_1_over_values_of_digits_letters_and_filler(self, field: str, digit: int) -> None:
        assert mrz_check_digit(field) == digit

    @pytest.mark.parametrize("field", ["l898902c3", "A B", "N-1", "Ä", "١٢٣"])
    def test_character_outside_the_mrz_set_is_refused(self, field: str) -> None:
        with pytest.raises(ValueError, match="cannot appear in an MRZ"):
            mrz_check_digit(field)


class TestNameField:
    @pytest.mark.parametrize(
        ("surname", "given_names", "field"),
        [
            # Doc 9303 Part 4 §4.2.3.1 a) to f), positions 6-44 of the upper line.
            ("Eriksson", "Anna Maria", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"),
            ("Heng", "Deborah Ming Lo", "HENG<<DEBORAH<MING<LO<<<<<<<<<<<<<<<<<<"),
            ("Smith-Jones", "Susie Margaret", "SMITH<JONES<<SUSIE<MARGARET<<<<<<<<<<<<"),
            ("O'Connor", "Enya Siobhan", "OCONNOR<<ENYA<SIOBHAN<<<<<<<<<<<<<<<<<<"),
            ("Van Der Muellen", "Martin", "VAN<DER<MUELLEN<<MARTIN<<<<<<<<<<<<<<<<"),
            ("Al-Basri", "Huda Muhammad Jawad", "AL<BASRI<<HUDA<MUHAMMAD<JAWAD<<<<<<<<<<"),
            ("Vilarchao Fernandez", "Jose Ramon", "VILARCHAO<FERNANDEZ<<JOSE<RAMON<<<<<<<<"),
            ("Arkfreith", "", "ARKFREITH<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<"),
            ("Satriya Sudarpa", "", "SATRIYA<SUDARPA<<<<<<<<<<<<<<<<<<<<<<<<"),
            # Part 4 §4.2.3.4: exactly 39 characters, not truncated, yet ends with a letter.
            ("Papandropoulous", "Jonathon Warren Trevor", "PAPANDROPOULOUS<<JONATHON<WARREN<TREVOR"),
        ],
    )
    def test_icao_examples_are_written_as_doc_9303_shows(
        self, surname: str, given_names: str, field: str
    ) -> None:
        assert mrz_name_field(surname, given_names) == field

    @pytest.mark.parametrize(
        ("surname", "given_names", "field"),
        [
            # Part 4 §4.2.3.2 a) and b): the secondary identifier is cut, the primary kept whole.
            ("Nilavadhanananda", "Chayapa Dejthamrong Krasuang", "NILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K"),
            ("Nilavadhanananda", "Arnpol Petch Charonguang", "NILAVADHANANANDA<<ARNPOL<PETCH<CHARONGU"),
        ],
    )
    def test_given_names_are_truncated_first_as_in_doc_9303(
        self, surname: str, given_names: str, field: str
    ) -> None:
        assert mrz_name_field(surname, given_names) == field

    def test_long_surname_frees_three_positions_for_filler_pair_and_first_initial(self) -> None:
        # Part 4 §4.2.2.1: characters are removed from the primary identifier until "<<" and the
        # first character of the secondary identifier fit. (§4.2.3.3 shows optional further cuts.)
        field = mrz_name_field("Bennelong Wooloomooloo Warrandyte Warnambool", "Dingo Potoroo")
        assert field == "BENNELONG<WOOLOOMOOLOO<WARRANDYTE<WA<<D"

    def test_surname_alone_too_long_is_cut_to_end_with_a_letter(self) -> None:
        field = mrz_name_field("Bennelong Wooloomooloo Warrandyte Warnambool Kunanurra", "")
        assert field == "BENNELONG<WOOLOOMOOLOO<WARRANDYTE<WARNA"

    def test_cut_on_a_separator_gives_the_next_initial_a_place(self) -> None:
        # Cutting at 39 would end on "<": the last long component gives up a letter for "B".
        field = mrz_name_field("Abcdefghij", "A" * 26 + " Bb")
        assert field == "ABCDEFGHIJ<<" + "A" * 25 + "<B"

    def test_surname_cut_on_a_separator_still_ends_the_primary_with_a_letter(self) -> None:
        # 35 letters, a space, more: the primary part must not end in "<" before "<<".
        field = mrz_name_field("K" * 35 + " Bekova", "Aisha")
        assert field == "K" * 34 + "<B<<A"

    @pytest.mark.parametrize(
        ("surname", "given_names"),
        [
            ("Kenzhebekova-Zhumabayeva", "Nurgul Aisulu Nazerke Zhanna"),
            ("Abdirakhmanova", "Aisha Madina Nurlanqyzy Saltanat Gulnar"),
            ("A" * 60, "B"),
            ("Bennelong Wooloomooloo Warrandyte Warnambool", "Dingo Potoroo"),
            ("Q" * 50, ""),
            ("Ospanova Abdikarimova Zhumabaeva Nurlanqyzy", "Ai"),
        ],
    )
    def test_every_truncated_field_is_39_characters_ending_with_a_letter(
        self, surname: str, given_names: str
    ) -> None:
        field = mrz_name_field(surname, given_names)
        assert len(field) == 39
        assert field[-1] in string.ascii_uppercase
        assert set(field) <= set(string.ascii_uppercase + "<")
        assert "<<<" not in field

    def test_name_of_initials_only_that_cannot_end_with_a_letter_is_refused(self) -> None:
        # 24 one-letter components: every cut of the surname that leaves room for the given names
        # "A B" ends on a separator or leaves the given names ending on one.
        with pytest.raises(ValueError, match="cannot be truncated"):
            mrz_name_field("X Y Z W V U T S R Q P O N M L K J I H G F E D C", "A B")

    @pytest.mark.parametrize(
        ("surname", "given_names", "field"),
        [
            ("  zhumabaeva ", "  aisha   nurlanovna ", "ZHUMABAEVA<<AISHA<NURLANOVNA".ljust(39, "<")),
            ("D\u2019Artagnan", "Jean.", "DARTAGNAN<<JEAN".ljust(39, "<")),
            ("Smith - Jones", "Anna, Maria", "SMITH<JONES<<ANNA<MARIA".ljust(39, "<")),
            ("-Bekov-", "Ali", "BEKOV<<ALI".ljust(39, "<")),
        ],
    )
    def test_case_spacing_and_punctuation_are_normalised(
        self, surname: str, given_names: str, field: str
    ) -> None:
        assert mrz_name_field(surname, given_names) == field

    def test_td1_width_is_supported(self) -> None:
        assert mrz_name_field("Arkfreith", "", width=30) == "ARKFREITH" + "<" * 21

    @pytest.mark.parametrize(
        ("surname", "given_names", "culprit"),
        [
            ("Жұмабаева", "Aisha", "Ж"),
            ("Zhumabaeva", "Äisha", "Ä"),
            ("Abdallah", "محمد", "م"),
            ("Bekov II", "Ali 2", "2"),
            ("Bekov<", "Ali", "<"),
            ("Straße", "Anna", "ß"),
        ],
    )
    def test_character_that_is_not_a_latin_letter_is_refused_by_name(
        self, surname: str, given_names: str, culprit: str
    ) -> None:
        with pytest.raises(ValueError, match="not a Latin letter") as raised:
            mrz_name_field(surname, given_names)
        assert repr(culprit) in str(raised.value)

    @pytest.mark.parametrize("surname", ["", "   ", "'-"])
    def test_surname_without_letters_is_refused(self, surname: str) -> None:
        with pytest.raises(ValueError, match="at least one letter"):
            mrz_name_field(surname, "Aisha")


class TestBuildTD3MRZ:
    def test_icao_specimen_is_reproduced_exactly(self) -> None:
        assert _specimen() == PassportMRZ(line1=SPECIMEN_LINE_1, line2=SPECIMEN_LINE_2)

    def test_kazakh_passport_carries_the_iin_in_the_optional_data(self) -> None:
        # Confirmed Latin of Әбдірахманова Айша (DOMAIN.md: Kazakh letters to base letters).
        mrz = build_td3_mrz(
            document_number="N12345678",
            surname="Abdirakhmanova",
            given_names="Aisha",
            birth_date=PartialDate(1990, 1, 1),
            sex="female",
            expiry_date=dt.date(2036, 2, 14),
            personal_number="900101400003",
        )
        assert mrz.line1 == "P<KAZABDIRAKHMANOVA<<AISHA<<<<<<<<<<<<<<<<<<"
        assert mrz.line2 == "N123456785KAZ9001011F3602140900101400003<<20"

    def test_kazakh_names_with_hyphen_and_several_given_names(self) -> None:
        mrz = build_td3_mrz(
            document_number="N00000001",
            surname="Zhumabaeva-Nurlanqyzy",
            given_names="Aigerim Madina",
            birth_date=PartialDate(2001, 12, 31),
            sex="female",
            expiry_date=dt.date(2035, 6, 30),
        )
        assert mrz.line1 == "P<KAZZHUMABAEVA<NURLANQYZY<<AIGERIM<MADINA<<"
        assert mrz.line2 == "N000000012KAZ0112318F3506307<<<<<<<<<<<<<<06"

    @pytest.mark.parametrize(
        ("birth_date", "field"),
        [
            (PartialDate(1990, 1), "9001<<0"),  # unknown day
            (PartialDate(1990), "90<<<<3"),  # unknown month and day
            (PartialDate(2016, 2, 29), "1602294"),
        ],
    )
    def test_unknown_birth_day_or_month_is_written_with_fillers(
        self, birth_date: PartialDate, field: str
    ) -> None:
        # Doc 9303 Part 3 §4.8: the unknown part is completed with "<"; §4.9: "<" counts as 0.
        mrz = build_td3_mrz(
            document_number="N12345678",
            surname="Bekova",
            given_names="Aisha",
            birth_date=birth_date,
            sex="female",
            expiry_date=dt.date(2036, 2, 14),
        )
        assert mrz.line2[13:20] == field
        assert parse_td3_mrz(mrz.line1, mrz.line2).check_digits_valid

    @pytest.mark.parametrize(("sex", "code"), [("male", "M"), ("female", "F"), (None, "<")])
    def test_sex_is_m_f_or_filler(self, sex: Literal["male", "female"] | None, code: str) -> None:
        mrz = build_td3_mrz(
            document_number="N12345678",
            surname="Bekov",
            given_names="Ali",
            birth_date=PartialDate(1985, 5, 15),
            sex=sex,
            expiry_date=dt.date(2030, 1, 1),
        )
        assert mrz.line2[20] == code

    def test_long_name_is_truncated_in_line_1(self) -> None:
        mrz = build_td3_mrz(
            document_number="N12345678",
            surname="Nilavadhanananda",
            given_names="Chayapa Dejthamrong Krasuang",
            birth_date=PartialDate(1985, 5, 15),
            sex="male",
            expiry_date=dt.date(2030, 1, 1),
        )
        assert mrz.line1 == "P<KAZNILAVADHANANANDA<<CHAYAPA<DEJTHAMRONG<K"
        assert parse_td3_mrz(mrz.line1, mrz.line2).name_possibly_truncated

    def test_national_passport_type_letter_goes_into_the_document_code(self) -> None:
        mrz = build_td3_mrz(
            document_number="N12345678",
            surname="Bekov",
            given_names="Ali",
            birth_date=PartialDate(1985, 5, 15),
            sex="male",
            expiry_date=dt.date(2030, 1, 1),
            document_code="PP",
        )
        assert mrz.line1.startswith("PPKAZBEKOV<<ALI<")

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"document_number": "N123456789"}, "at most 9 characters"),
            ({"document_number": "N-1234567"}, "letters A-Z and digits"),
            ({"document_number": ""}, "letters A-Z and digits"),
            ({"personal_number": "900101400003000"}, "at most 14 characters"),
            ({"personal_number": "9001 0140"}, "letters A-Z and digits"),
            ({"nationality": "KZ1"}, "nationality"),
            ({"issuing_state": "KAZA"}, "issuing State"),
            ({"document_code": "V"}, "document code"),
            ({"surname": "Жұмабаева"}, "not a Latin letter"),
        ],
    )
    def test_values_that_cannot_be_written_are_refused(self, overrides: dict[str, str], message: str) -> None:
        values: dict[str, str] = {
            "document_number": "N12345678",
            "surname": "Bekova",
            "given_names": "Aisha",
            "nationality": "KAZ",
            "issuing_state": "KAZ",
            "personal_number": "",
            "document_code": "P",
        } | overrides
        with pytest.raises(ValueError, match=message):
            build_td3_mrz(
                **values,
                birth_date=PartialDate(1990, 1, 1),
                sex="female",
                expiry_date=dt.date(2036, 2, 14),
            )


class TestParseTD3MRZ:
    def test_specimen_fields_are_read_back(self) -> None:
        fields = parse_td3_mrz(SPECIMEN_LINE_1, SPECIMEN_LINE_2)
        assert (fields.document_code, fields.issuing_state, fields.surname, fields.given_names) == (
            "P",
            "UTO",
            "ERIKSSON",
            "ANNA MARIA",
        )
        assert (fields.document_number, fields.nationality, fields.birth_date, fields.sex) == (
            "L898902C3",
            "UTO",
            "740812",
            "female",
        )
        assert (fields.expiry_date, fields.personal_number) == ("120415", "ZE184226B")
        assert fields.check_digits_valid
        assert not fields.name_possibly_truncated

    @pytest.mark.parametrize(
        ("position", "flag"),
        [
            (3, "document_number_check"),
            (15, "birth_date_check"),
            (23, "expiry_date_check"),
            (30, "personal_number_check"),
        ],
    )
    def test_a_changed_character_fails_its_own_check_and_the_composite(
        self, position: int, flag: str
    ) -> None:
        original = SPECIMEN_LINE_2[position]
        changed = "7" if original != "7" else "8"
        line2 = SPECIMEN_LINE_2[:position] + changed + SPECIMEN_LINE_2[position + 1 :]
        fields = parse_td3_mrz(SPECIMEN_LINE_1, line2)
        assert not getattr(fields, flag)
        assert not fields.composite_check
        assert not fields.check_digits_valid

    def test_nationality_and_sex_are_outside_the_composite(self) -> None:
        line2 = SPECIMEN_LINE_2[:10] + "KAZ" + SPECIMEN_LINE_2[13:20] + "M" + SPECIMEN_LINE_2[21:]
        assert parse_td3_mrz(SPECIMEN_LINE_1, line2).check_digits_valid

    def test_filler_check_digit_is_accepted_for_empty_optional_data(self) -> None:
        # Part 4 §4.2.2.2: with fillers in 29-42 the check digit may be 0 or "<".
        line2 = "N123456785KAZ9001011F3602140" + "<" * 14 + "<"
        line2 += str(mrz_check_digit(line2[0:10] + line2[13:20] + line2[21:43]))
        fields = parse_td3_mrz("P<KAZBEKOVA<<AISHA" + "<" * 26, line2)
        assert fields.personal_number_check
        assert fields.check_digits_valid

    @pytest.mark.parametrize(
        ("line1", "line2"),
        [
            (SPECIMEN_LINE_1[:-1], SPECIMEN_LINE_2),
            (SPECIMEN_LINE_1, SPECIMEN_LINE_2 + "<"),
            (SPECIMEN_LINE_1.lower(), SPECIMEN_LINE_2),
            ("I" + SPECIMEN_LINE_1[1:], SPECIMEN_LINE_2),
            (SPECIMEN_LINE_1, SPECIMEN_LINE_2[:20] + "X" + SPECIMEN_LINE_2[21:]),
        ],
    )
    def test_malformed_lines_are_refused(self, line1: str, line2: str) -> None:
        with pytest.raises(ValueError, match=r"MRZ|TD3|sex"):
            parse_td3_mrz(line1, line2)


# --- Independent oracle: the `mrz` package over generated documents --------------------------

_GIVEN = ["Aisha", "Madina", "Aigerim", "Nurlan", "Yerlan", "Askar", "Dana", "Gulnar", "Saltanat", "Ali"]
_FAMILY = ["Abdirakhmanova", "Zhumabaeva", "Nurlanov", "Kenzhebekov", "Iskakova", "Tulegenov", "Bekova"]
_DOCUMENTS = 400
_SEXES: dict[str, Literal["male", "female"]] = {"M": "male", "F": "female"}


def _generated_iin(rng: random.Random, born: dt.date, sex: str) -> str:
    # Decree No. 406 (DOMAIN.md): YYMMDD, century-and-sex digit, serial, check digit.
    while True:
        century = {1900: 3, 2000: 5}[born.year // 100 * 100] + (sex == "F")
        first_eleven = f"{born:%y%m%d}{century}{rng.randrange(10_000):04d}"
        check = iin_check_digit(first_eleven)
        if check is not None:
            return first_eleven + str(check)


def _generated_name(rng: random.Random, pool: list[str]) -> str:
    parts = [rng.choice(pool) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.2:
        parts[0] = parts[0][:1] + "'" + parts[0][1:]
    separator = rng.choice([" ", "-"])
    return separator.join(parts)


def _generated_documents() -> list[dict[str, object]]:
    rng = random.Random(20261129)  # a fixed seed: the same documents on every run
    documents: list[dict[str, object]] = []
    while len(documents) < _DOCUMENTS:
        born = dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(365 * 95))
        sex = rng.choice(["M", "F", "<"])
        surname = _generated_name(rng, _FAMILY)
        given = _generated_name(rng, _GIVEN) if rng.random() < 0.9 else ""
        if len(mrz_name_field(surname, given).rstrip("<")) >= 39:
            continue  # the oracle refuses names it would have to truncate
        number = rng.choice(
            [
                "N" + "".join(rng.choices(string.digits, k=8)),
                "".join(rng.choices(string.ascii_uppercase + string.digits, k=rng.randint(1, 9))),
            ]
        )
        personal = rng.choice(
            [
                "",
                _generated_iin(rng, born, sex),
                "".join(rng.choices(string.ascii_uppercase + string.digits, k=rng.randint(1, 14))),
            ]
        )
        documents.append(
            {
                "number": number,
                "surname": surname,
                "given": given,
                "born": born,
                "sex": sex,
                "expiry": dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365 * 12)),
                "personal": personal,
            }
        )
    return documents


@pytest.mark.parametrize("document", _generated_documents())
def test_generated_document_matches_the_mrz_package(document: dict[str, object]) -> None:
    born = document["born"]
    expiry = document["expiry"]
    assert isinstance(born, dt.date)
    assert isinstance(expiry, dt.date)
    sex_code = str(document["sex"])
    sex = _SEXES.get(sex_code)
    ours = build_td3_mrz(
        document_number=str(document["number"]),
        surname=str(document["surname"]),
        given_names=str(document["given"]),
        birth_date=PartialDate(born.year, born.month, born.day),
        sex=sex,
        expiry_date=expiry,
        personal_number=str(document["personal"]),
    )
    oracle = TD3CodeGenerator(
        "P",
        "KAZ",
        str(document["surname"]),
        str(document["given"]),
        str(document["number"]),
        "KAZ",
        f"{born:%y%m%d}",
        sex_code,
        f"{expiry:%y%m%d}",
        str(document["personal"]),
    )
    assert [ours.line1, ours.line2] == str(oracle).split("\n")
    assert parse_td3_mrz(ours.line1, ours.line2).check_digits_valid
