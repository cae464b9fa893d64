"""Printable summary of an issued document: text extracted back from the PDF, fonts, one page.

Text is extracted with pypdf (test-only). With the fonts the summary uses, pypdf returns Arabic
in logical order and as base letters (U+0600 block), not presentation forms; the comparison is
still made after NFKC, which would fold presentation forms (U+FB50-U+FEFF) back to base letters.
pdfminer.six was tried as well: it returns right-to-left runs in visual order (reversed), so it
cannot check the logical text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import unicodedata

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, PdfObject, StreamObject

from docs_service.documents.pdf import (
    LABEL_KEYS,
    SUMMARY_LABELS,
    DocumentSummary,
    HolderName,
    SummaryLanguage,
    render_document_summary,
)

MRZ = (
    "P<KAZABDIRAKHMANOVA<<AISHA<<<<<<<<<<<<<<<<<<",
    "N123456785KAZ9001011F3602140900101400003<<20",
)
KAZAKH_LETTERS = "әғқңөұүһі"
ARABIC_SURNAME = "العلاوي"  # lam-alef ligature inside
ARABIC_GIVEN = "عائشة"  # yeh with hamza, teh marbuta


def _certificate(language: SummaryLanguage = "en") -> DocumentSummary:
    return DocumentSummary(
        kind="birth_certificate",
        number="0012345",
        series="I-ЖК",
        holder_names=(
            HolderName("Cyrl", "Әбдірахманова", "Айгүл", "Мұхаммедқызы"),
            HolderName("Latn", "ABDIRAKHMANOVA", "AIGUL"),
            HolderName("Arab", ARABIC_SURNAME, ARABIC_GIVEN),
        ),
        birth_date="2018-03",
        issued_on=dt.date(2026, 11, 29),
        issuing_office="Шаһар тіркеу бөлімі, Оңтүстік өңір, Ғ. Мұратбаев көшесі",
        labels=SUMMARY_LABELS[language],
        language=language,
        civil_act_record_number="217",
        civil_act_record_office="Түркістан облысы Әділет департаменті",
    )


def _passport(language: SummaryLanguage = "en") -> DocumentSummary:
    return DocumentSummary(
        kind="passport",
        number="N12345678",
        holder_names=(
            HolderName("Cyrl", "Әбдірахманова", "Айша"),
            HolderName("Latn", "ABDIRAKHMANOVA", "AISHA"),
        ),
        birth_date="1990-01-01",
        issued_on=dt.date(2026, 2, 15),
        expires_on=dt.date(2036, 2, 14),
        issuing_office="Көші-қон қызметі, Алматы",
        labels=SUMMARY_LABELS[language],
        language=language,
        mrz=MRZ,
    )


def _reader(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def _text(pdf: bytes) -> str:
    reader = _reader(pdf)
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in reader.pages))


def _dictionary(value: object) -> DictionaryObject:
    resolved = value.get_object() if isinstance(value, PdfObject) else value
    assert isinstance(resolved, DictionaryObject)
    return resolved


def _page_fonts(pdf: bytes) -> list[tuple[str, DictionaryObject]]:
    """(BaseFont, FontDescriptor) of each font used on the first page (fpdf2 writes Type0 fonts)."""
    page = _reader(pdf).pages[0]
    fonts = []
    for reference in _dictionary(_dictionary(page["/Resources"])["/Font"]).values():
        font = _dictionary(reference)
        descendants = font["/DescendantFonts"]
        assert isinstance(descendants, ArrayObject)
        descriptor = _dictionary(_dictionary(descendants[0])["/FontDescriptor"])
        fonts.append((str(font["/BaseFont"]), descriptor))
    return fonts


def _embedded_fonts(pdf: bytes) -> dict[str, bool]:
    """BaseFont of each font on the first page, and whether its program is embedded."""
    return {
        name: any(key in descriptor for key in ("/FontFile2", "/FontFile3"))
        for name, descriptor in _page_fonts(pdf)
    }


def _embedded_cmaps(pdf: bytes) -> dict[str, set[int]]:
    """Code points mapped by each embedded font subset, by family (no subset tag, no Bold)."""
    cmaps: dict[str, set[int]] = {}
    for name, descriptor in _page_fonts(pdf):
        stream = descriptor["/FontFile2"].get_object()
        assert isinstance(stream, StreamObject)
        program = TTFont(io.BytesIO(stream.get_data()))
        family = name.split("+", 1)[-1].removesuffix("Bold")
        cmaps.setdefault(family, set()).update(program.getBestCmap())
    return cmaps


class TestCertificateSummary:
    def test_is_one_pdf_page(self) -> None:
        pdf = render_document_summary(_certificate())
        assert pdf.startswith(b"%PDF-")
        assert len(_reader(pdf).pages) == 1

    @pytest.mark.parametrize(
        "expected",
        [
            "Birth certificate",
            "Document number 0012345",
            "Series I-ЖК",
            "Surname Әбдірахманова",
            "Given names Айгүл",
            "Patronymic Мұхаммедқызы",
            "Surname ABDIRAKHMANOVA",
            "Date of birth 2018-03",
            "Date of issue 2026-11-29",
            "Civil act record number 217",
            "Registry office Түркістан облысы Әділет департаменті",
        ],
    )
    def test_latin_and_kazakh_cyrillic_text_extracts_as_written(self, expected: str) -> None:
        assert unicodedata.normalize("NFKC", expected) in _text(render_document_summary(_certificate()))

    def test_every_kazakh_letter_survives_the_round_trip(self) -> None:
        text = _text(render_document_summary(_certificate())).lower()
        assert set(KAZAKH_LETTERS) <= set(text)

    @pytest.mark.parametrize("name", [ARABIC_SURNAME, ARABIC_GIVEN])
    def test_arabic_name_extracts_in_logical_order(self, name: str) -> None:
        lines = _text(render_document_summary(_certificate())).splitlines()
        assert unicodedata.normalize("NFKC", name) in [line.rsplit(" ", 1)[-1] for line in lines]
        assert name[::-1] not in "\n".join(lines)  # not the visual (reversed) order

    def test_arabic_is_shaped_into_contextual_forms(self) -> None:
        # HarfBuzz picks initial, medial and final forms and the lam-alef ligature; the embedded
        # subset of the Arabic font then holds those glyphs (its cmap maps them to the
        # Arabic Presentation Forms-B code points), and not the isolated forms.
        cmap = _embedded_cmaps(render_document_summary(_certificate()))["IBMPlexSansArabic"]
        contextual = {
            0xFECB,  # ain, initial (عائشة)
            0xFE8B,  # yeh with hamza above, initial
            0xFEB8,  # sheen, medial
            0xFE94,  # teh marbuta, final
            0xFEDF,  # lam, initial (العلاوي)
            0xFEFC,  # lam with alef, final ligature
        }
        assert contextual <= cmap
        assert not {0x0639, 0x0626, 0x0634} & cmap  # ain, yeh with hamza, sheen never isolated here

    def test_fonts_are_embedded(self) -> None:
        fonts = _embedded_fonts(render_document_summary(_certificate()))
        assert fonts
        assert all(fonts.values()), fonts

    def test_arabic_labels_lay_the_page_right_to_left(self) -> None:
        pdf = render_document_summary(_certificate("ar"))
        text = _text(pdf)
        assert len(_reader(pdf).pages) == 1
        for label in ("شهادة ميلاد", "رقم الوثيقة", "اسم العائلة", "بالأحرف العربية"):
            assert unicodedata.normalize("NFKC", label) in text
        assert "Әбдірахманова" in text


class TestPassportSummary:
    def test_mrz_lines_extract_exactly(self) -> None:
        lines = _text(render_document_summary(_passport())).splitlines()
        assert MRZ[0] in lines
        assert MRZ[1] in lines
        assert lines.index(MRZ[1]) == lines.index(MRZ[0]) + 1

    def test_mrz_is_set_in_the_monospace_font(self) -> None:
        fonts = _embedded_fonts(render_document_summary(_passport()))
        assert any("RobotoMono" in name for name in fonts)
        assert all(fonts.values()), fonts

    @pytest.mark.parametrize("language", ["kk", "ru", "ar", "en"])
    def test_each_label_language_renders_one_page_with_expiry(self, language: SummaryLanguage) -> None:
        pdf = render_document_summary(_passport(language))
        text = _text(pdf)
        assert len(_reader(pdf).pages) == 1
        assert unicodedata.normalize("NFKC", SUMMARY_LABELS[language]["expires_on"]) in text
        assert "2036-02-14" in text


class TestRefusals:
    def test_missing_label_is_named(self) -> None:
        labels = {key: value for key, value in SUMMARY_LABELS["en"].items() if key != "mrz"}
        summary = dataclasses.replace(_passport(), labels=labels)
        with pytest.raises(ValueError, match="mrz"):
            render_document_summary(summary)

    @pytest.mark.parametrize("line2", [MRZ[1][:-1], MRZ[1] + "<", MRZ[1].lower(), MRZ[1][:-1] + " "])
    def test_mrz_line_that_is_not_44_mrz_characters_is_refused(self, line2: str) -> None:
        summary = dataclasses.replace(_passport(), mrz=(MRZ[0], line2))
        with pytest.raises(ValueError, match="44"):
            render_document_summary(summary)

    def test_summary_without_names_is_refused(self) -> None:
        summary = dataclasses.replace(_passport(), holder_names=())
        with pytest.raises(ValueError, match="name"):
            render_document_summary(summary)

    def test_content_longer_than_a_page_is_refused(self) -> None:
        summary = dataclasses.replace(_passport(), issuing_office="Алматы " * 600)
        with pytest.raises(ValueError, match="one page"):
            render_document_summary(summary)


def test_every_label_language_has_every_key() -> None:
    for language, labels in SUMMARY_LABELS.items():
        assert set(labels) == set(LABEL_KEYS), language
