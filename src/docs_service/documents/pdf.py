"""One-page PDF summary of an issued document, for a clerk to print or attach.

Pure function of its input (no I/O besides reading the font files). Rendering uses fpdf2, which
shapes text with HarfBuzz (uharfbuzz) and embeds subsets of TrueType fonts with a ToUnicode map,
so the text can be searched and extracted (fpdf2 documentation, "Text Shaping" and "Fonts and
Unicode"). Fonts come from PyPI packages the project installs (OFL-1.1, from google/fonts via
`fontpkg`):

- PT Sans (ParaType, made for the Cyrillic alphabets of Russia and its neighbours): Latin and
  Cyrillic, Kazakh letters ә ғ қ ң ө ұ ү һ і included, static regular and bold files. (Noto
  Sans ships only as a variable font there; instancing its bold weight takes seconds per page.)
- IBM Plex Sans Arabic: Arabic. Noto Sans Arabic draws a letter as a dotless base plus separate
  dot glyphs shared between letters, so its text cannot be mapped back to characters one glyph at
  a time; IBM Plex Sans Arabic has one glyph per letter form, and the text extracts as written;
- Roboto Mono: the MRZ. ICAO Doc 9303 Part 3 §4.2 and §4.4 print the MRZ in OCR-B (ISO 1073-2)
  at 10 characters per inch; no OCR-B font is on PyPI, so this summary, which is not a travel
  document, uses a plain monospace face at the same pitch. Pass `SummaryFonts(mrz=...)` to use
  OCR-B where it is installed (Debian `fonts-ocr-b`).

The renderer does not translate: the caller passes the labels already in the reader's language
(`SUMMARY_LABELS` holds a small set for kk, ru, ar and en until the catalogs carry them). Arabic
labels lay the page out right to left.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, cast

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from docs_service.document_requests.workflow import DocumentKind

Script = Literal["Cyrl", "Latn", "Arab"]
"""ISO 15924 code of the script a name is written in."""
SummaryLanguage = Literal["kk", "ru", "ar", "en"]

MRZ_LINE_LENGTH: Final = 44
_MRZ_LINE_TEXT: Final = re.compile(rf"[A-Z0-9<]{{{MRZ_LINE_LENGTH}}}", re.ASCII)

LABEL_KEYS: Final = (
    "kind_birth_certificate",
    "kind_passport",
    "names_Cyrl",
    "names_Latn",
    "names_Arab",
    "surname",
    "given_names",
    "patronymic",
    "birth_date",
    "document_number",
    "series",
    "issued_on",
    "expires_on",
    "issuing_office",
    "civil_act_record_number",
    "civil_act_record_office",
    "mrz",
    "note",
)
"""Keys a `DocumentSummary.labels` mapping must hold."""

SUMMARY_LABELS: Final[Mapping[SummaryLanguage, Mapping[str, str]]] = {
    "kk": {
        "kind_birth_certificate": "Туу туралы куәлік",
        "kind_passport": "Паспорт",
        "names_Cyrl": "Кирилл жазуымен",
        "names_Latn": "Латын жазуымен",
        "names_Arab": "Араб жазуымен",
        "surname": "Тегі",
        "given_names": "Аты",
        "patronymic": "Әкесінің аты",
        "birth_date": "Туған күні",
        "document_number": "Құжат нөмірі",
        "series": "Сериясы",
        "issued_on": "Берілген күні",
        "expires_on": "Жарамдылық мерзімі",
        "issuing_office": "Берген орган",
        "civil_act_record_number": "Акт жазбасының нөмірі",
        "civil_act_record_office": "Тіркеген орган",
        "mrz": "Машинамен оқылатын аймақ",
        "note": "Анықтама. Жеке басты куәландыратын құжат емес.",
    },
    "ru": {
        "kind_birth_certificate": "Свидетельство о рождении",
        "kind_passport": "Паспорт",
        "names_Cyrl": "Кириллицей",
        "names_Latn": "Латиницей",
        "names_Arab": "Арабским письмом",
        "surname": "Фамилия",
        "given_names": "Имя",
        "patronymic": "Отчество",
        "birth_date": "Дата рождения",
        "document_number": "Номер документа",
        "series": "Серия",
        "issued_on": "Дата выдачи",
        "expires_on": "Действителен до",
        "issuing_office": "Орган выдачи",
        "civil_act_record_number": "Номер актовой записи",
        "civil_act_record_office": "Орган регистрации",
        "mrz": "Машиносчитываемая зона",
        "note": "Справка. Не является документом, удостоверяющим личность.",
    },
    "ar": {
        "kind_birth_certificate": "شهادة ميلاد",
        "kind_passport": "جواز سفر",
        "names_Cyrl": "بالأحرف السيريلية",
        "names_Latn": "بالأحرف اللاتينية",
        "names_Arab": "بالأحرف العربية",
        "surname": "اسم العائلة",
        "given_names": "الاسم",
        "patronymic": "اسم الأب",
        "birth_date": "تاريخ الميلاد",
        "document_number": "رقم الوثيقة",
        "series": "السلسلة",
        "issued_on": "تاريخ الإصدار",
        "expires_on": "تاريخ الانتهاء",
        "issuing_office": "جهة الإصدار",
        "civil_act_record_number": "رقم قيد الأحوال المدنية",
        "civil_act_record_office": "جهة التسجيل",
        "mrz": "المنطقة المقروءة آليا",
        "note": "ملخص للاطلاع فقط، وليس وثيقة هوية.",
    },
    "en": {
        "kind_birth_certificate": "Birth certificate",
        "kind_passport": "Passport",
        "names_Cyrl": "In Cyrillic",
        "names_Latn": "In Latin",
        "names_Arab": "In Arabic script",
        "surname": "Surname",
        "given_names": "Given names",
        "patronymic": "Patronymic",
        "birth_date": "Date of birth",
        "document_number": "Document number",
        "series": "Series",
        "issued_on": "Date of issue",
        "expires_on": "Date of expiry",
        "issuing_office": "Issuing authority",
        "civil_act_record_number": "Civil act record number",
        "civil_act_record_office": "Registry office",
        "mrz": "Machine-readable zone",
        "note": "Summary for reference; not an identity document.",
    },
}
"""Labels for now, per language; the caller may pass its own (from the catalogs) instead."""


@dataclass(frozen=True, slots=True)
class HolderName:
    """The holder's name as the document prints it in one script.

    Attributes:
        script: `Cyrl` (Kazakh Cyrillic), `Latn` (the confirmed Latin form) or `Arab`.
        surname: the surname as printed.
        given_names: the given name(s) as printed.
        patronymic: the patronymic (-ұлы, -қызы, -ович), when the document carries one.
    """

    script: Script
    surname: str
    given_names: str
    patronymic: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentSummary:
    """What the printable summary of an issued document shows.

    Attributes:
        kind: `birth_certificate` or `passport`.
        number: the document number as stored (normalised).
        holder_names: the holder's names, one per script the document carries, in print order.
        birth_date: the date of birth as text, formatted by the caller (a partial date is
            printed as it is known: `2016`, `2018-03`).
        issued_on: the date of issue, printed as ISO 8601 (`2026-11-29`).
        issuing_office: the registry or migration-service office that issued the document.
        labels: the captions, already in the reader's language, for every key in `LABEL_KEYS`.
        language: the language of `labels`; `ar` lays the page out right to left.
        series: the certificate series, when the document has one.
        expires_on: the date of expiry (passports).
        civil_act_record_number: the civil act record number (birth certificates).
        civil_act_record_office: the registry office that holds the civil act record.
        mrz: the two MRZ lines of a passport, 44 characters each.
    """

    kind: DocumentKind
    number: str
    holder_names: tuple[HolderName, ...]
    birth_date: str
    issued_on: dt.date
    issuing_office: str
    labels: Mapping[str, str]
    language: SummaryLanguage
    series: str | None = None
    expires_on: dt.date | None = None
    civil_act_record_number: str | None = None
    civil_act_record_office: str | None = None
    mrz: tuple[str, str] | None = None


class FontsUnavailable(RuntimeError):
    """A font the summary needs is not installed."""


@dataclass(frozen=True, slots=True)
class SummaryFonts:
    """Font files for the summary; `default_fonts()` takes them from the installed packages.

    Attributes:
        text: Latin and Cyrillic text; a variable font with a `wght` axis, or a static regular.
        text_bold: bold Latin and Cyrillic; the same file as `text` when it is variable.
        arabic: Arabic text.
        arabic_bold: bold Arabic text.
        mrz: the machine-readable zone (monospace; OCR-B where available).
    """

    text: Path
    text_bold: Path
    arabic: Path
    arabic_bold: Path
    mrz: Path


# (family, weight) -> the package that ships it.
_FONT_PACKAGES: Final = {
    ("PT Sans", 400): "fontpkg-pt-sans",
    ("PT Sans", 700): "fontpkg-pt-sans",
    ("IBM Plex Sans Arabic", 400): "fontpkg-ibm-plex-sans-arabic",
    ("IBM Plex Sans Arabic", 700): "fontpkg-ibm-plex-sans-arabic",
    ("Roboto Mono", 400): "fontpkg-roboto-mono",
}


def default_fonts() -> SummaryFonts:
    """Locate the fonts shipped by the PyPI packages the project depends on.

    Returns:
        PT Sans for Latin and Cyrillic, IBM Plex Sans Arabic for Arabic, Roboto Mono for the MRZ.

    Raises:
        FontsUnavailable: when a font package is not installed; the message names it.
    """
    try:
        import fontpkg  # type: ignore[import-untyped]
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise FontsUnavailable("install the Python package fontpkg and the font packages") from exc
    paths: dict[tuple[str, int], Path] = {}
    for (family, weight), package in _FONT_PACKAGES.items():
        try:
            paths[family, weight] = Path(fontpkg.path(family, weight=weight))
        except LookupError as exc:
            raise FontsUnavailable(f"the font {family!r} is missing: install the package {package}") from exc
    return SummaryFonts(
        text=paths["PT Sans", 400],
        text_bold=paths["PT Sans", 700],
        arabic=paths["IBM Plex Sans Arabic", 400],
        arabic_bold=paths["IBM Plex Sans Arabic", 700],
        mrz=paths["Roboto Mono", 400],
    )


# Layout, in millimetres and points (A4 portrait).
_MARGIN: Final = 18.0
_LABEL_WIDTH: Final = 62.0
_LINE: Final = 6.0
_ROW_GAP: Final = 1.2
_TEXT_SIZE: Final = 11.0
_TITLE_SIZE: Final = 18.0
# Roboto Mono advances 1229/2048 em: at 12 pt that is 2.54 mm a character, the OCR-B pitch of
# Doc 9303 Part 3 §4.4 (10 characters per 25.4 mm).
_MRZ_SIZE: Final = 12.0
_MRZ_LINE: Final = 7.0
_GREY: Final = (90, 90, 90)
_BLACK: Final = (0, 0, 0)


def _strong_directions(text: str) -> set[str]:
    # UAX #9 strong types: L left-to-right; R and AL right-to-left.
    found = set()
    for ch in text:
        bidi = unicodedata.bidirectional(ch)
        if bidi == "L":
            found.add("ltr")
        elif bidi in ("R", "AL"):
            found.add("rtl")
    return found


class _Page:
    """One A4 page and the fonts registered on it."""

    def __init__(self, fonts: SummaryFonts, rtl: bool) -> None:
        self.rtl = rtl
        pdf = FPDF(orientation="portrait", unit="mm", format="A4")
        pdf.set_auto_page_break(auto=False)
        pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
        pdf.add_font("text", "", fonts.text, variations=_weight(fonts.text, 400))
        pdf.add_font("text", "B", fonts.text_bold, variations=_weight(fonts.text_bold, 700))
        pdf.add_font("arabic", "", fonts.arabic, variations=_weight(fonts.arabic, 400))
        pdf.add_font("arabic", "B", fonts.arabic_bold, variations=_weight(fonts.arabic_bold, 700))
        pdf.add_font("mrz", "", fonts.mrz, variations=_weight(fonts.mrz, 400))
        pdf.set_fallback_fonts(["arabic"])
        pdf.add_page()
        self.pdf = pdf

    def text(self, x: float, y: float, width: float, text: str, *, size: float, bold: bool = False) -> float:
        """Write `text` in a box at (x, y); returns the height used."""
        pdf = self.pdf
        directions = _strong_directions(text)
        style = "B" if bold else ""
        if directions == {"rtl"}:
            # Arabic only: one shaped right-to-left run in the Arabic font, so the glyphs form one
            # text object that extractors read back in logical order.
            pdf.set_font("arabic", style, size)
            pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="ar")
        elif directions == {"ltr", "rtl"}:
            # Mixed scripts: fpdf2 applies the Unicode bidirectional algorithm (UAX #9) itself.
            pdf.set_font("text", style, size)
            pdf.set_text_shaping(use_shaping_engine=True)
        else:
            pdf.set_font("text", style, size)
            pdf.set_text_shaping(use_shaping_engine=True, direction="ltr")
        pdf.set_xy(x, y)
        height = pdf.multi_cell(
            width,
            _LINE * size / _TEXT_SIZE,
            text,
            align="R" if self.rtl else "L",
            new_x="LMARGIN",
            new_y="NEXT",
            output=MethodReturnValue.HEIGHT,
        )
        return cast(float, height)  # multi_cell returns the height alone with output=HEIGHT

    def row(self, label: str, value: str) -> None:
        pdf = self.pdf
        y = pdf.get_y()
        value_width = pdf.epw - _LABEL_WIDTH
        if self.rtl:
            label_x, value_x = _MARGIN + value_width, _MARGIN
        else:
            label_x, value_x = _MARGIN, _MARGIN + _LABEL_WIDTH
        pdf.set_text_color(*_GREY)
        label_height = self.text(label_x, y, _LABEL_WIDTH, label, size=_TEXT_SIZE)
        pdf.set_text_color(*_BLACK)
        value_height = self.text(value_x, y, value_width, value, size=_TEXT_SIZE, bold=True)
        pdf.set_y(y + max(label_height, value_height) + _ROW_GAP)

    def heading(self, text: str, *, size: float, gap_before: float) -> None:
        pdf = self.pdf
        y = pdf.get_y() + gap_before
        height = self.text(_MARGIN, y, pdf.epw, text, size=size, bold=True)
        pdf.set_y(y + height + _ROW_GAP)


def _weight(path: Path, weight: int) -> dict[str, float] | None:
    """The `wght` variation to apply, or None for a static font or a default instance of `weight`.

    Instancing a variable font (fontTools) costs time in proportion to its glyphs, so the default
    instance is used as it is whenever it already has the wanted weight.
    """
    with TTFont(path, lazy=True) as font:
        if "fvar" not in font:
            return None
        axes = {axis.axisTag: axis for axis in font["fvar"].axes}
    axis = axes.get("wght")
    if axis is None or axis.defaultValue == weight:
        return None
    return {"wght": float(min(max(weight, axis.minValue), axis.maxValue))}


def _check(summary: DocumentSummary) -> None:
    missing = [key for key in LABEL_KEYS if not summary.labels.get(key)]
    if missing:
        raise ValueError(f"labels missing for: {', '.join(missing)}")
    if not summary.holder_names:
        raise ValueError("a summary shows at least one name of the holder")
    if summary.mrz is not None and any(_MRZ_LINE_TEXT.fullmatch(line) is None for line in summary.mrz):
        raise ValueError(f"each MRZ line has {MRZ_LINE_LENGTH} characters of A-Z, 0-9 and <")


def render_document_summary(summary: DocumentSummary, *, fonts: SummaryFonts | None = None) -> bytes:
    """Render the one-page PDF summary of an issued document.

    The page shows the kind of document, its number (and series), the holder's names in each
    script the document carries (Arabic shaped right to left with HarfBuzz), the date of birth,
    the dates of issue and expiry, the issuing office, the civil act record of a certificate, and
    the MRZ of a passport in a monospace font. Fonts are embedded (subsets), so the PDF prints
    and extracts the same anywhere.

    Args:
        summary: what to show, with the labels already in the reader's language.
        fonts: font files to use; by default those of the installed font packages
            (`default_fonts()`).

    Returns:
        The PDF document, one A4 page.

    Raises:
        ValueError: when a label is missing, the summary has no holder name, an MRZ line is not
            44 characters, or the content does not fit on one page.
        FontsUnavailable: when `fonts` is not given and a font package is not installed.
    """
    _check(summary)
    labels = summary.labels
    page = _Page(fonts or default_fonts(), rtl=summary.language == "ar")
    pdf = page.pdf
    pdf.set_lang(summary.language)
    pdf.set_title(labels[f"kind_{summary.kind}"])

    page.heading(labels[f"kind_{summary.kind}"], size=_TITLE_SIZE, gap_before=0)
    page.row(labels["document_number"], summary.number)
    if summary.series:
        page.row(labels["series"], summary.series)

    for name in summary.holder_names:
        page.heading(labels[f"names_{name.script}"], size=_TEXT_SIZE + 1, gap_before=3)
        page.row(labels["surname"], name.surname)
        page.row(labels["given_names"], name.given_names)
        if name.patronymic:
            page.row(labels["patronymic"], name.patronymic)

    pdf.set_y(pdf.get_y() + 3)
    page.row(labels["birth_date"], summary.birth_date)
    page.row(labels["issued_on"], summary.issued_on.isoformat())
    if summary.expires_on is not None:
        page.row(labels["expires_on"], summary.expires_on.isoformat())
    page.row(labels["issuing_office"], summary.issuing_office)
    if summary.civil_act_record_number:
        page.row(labels["civil_act_record_number"], summary.civil_act_record_number)
    if summary.civil_act_record_office:
        page.row(labels["civil_act_record_office"], summary.civil_act_record_office)

    bottom = pdf.h - _MARGIN
    note_top = bottom - _LINE
    mrz_top = note_top - 4 - 2 * _MRZ_LINE - _LINE - 4
    if pdf.get_y() > (mrz_top if summary.mrz else note_top) - 4:
        raise ValueError("the summary does not fit on one page")
    if summary.mrz is not None:
        pdf.set_text_color(*_GREY)
        page.text(_MARGIN, mrz_top, pdf.epw, labels["mrz"], size=_TEXT_SIZE - 1)
        pdf.set_text_color(*_BLACK)
        pdf.set_font("mrz", "", _MRZ_SIZE)
        pdf.set_text_shaping(use_shaping_engine=False)  # one glyph per character, no ligatures
        box_top = mrz_top + _LINE
        pdf.rect(_MARGIN, box_top, pdf.epw, 2 * _MRZ_LINE + 4)
        for i, line in enumerate(summary.mrz):
            pdf.set_xy(_MARGIN, box_top + 2 + i * _MRZ_LINE)
            pdf.cell(pdf.epw, _MRZ_LINE, line, align="C")
    pdf.set_text_color(*_GREY)
    page.text(_MARGIN, note_top, pdf.epw, labels["note"], size=_TEXT_SIZE - 2)
    return bytes(pdf.output())
