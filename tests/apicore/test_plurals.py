"""The Plural-Forms of each catalog must choose the form written for the number's CLDR category."""

from collections.abc import Iterator

import pytest
from babel import Locale
from babel.messages.catalog import Catalog

from apicore.i18n import _nl, ngettext, use_locale
from apicore.i18n.catalogs import compile_catalog, read_catalog

NUMBERS = (0, 1, 2, 3, 5, 11, 12, 14, 21, 22, 100, 101, 102, 111, 1000)
REQUIRED = {0, 1, 2, 5, 11, 21, 100, 101}  # DOMAIN.md
# The category each gettext form is written for, in form order. ru folds CLDR `other` (used
# for fractions only) into `many`; ar follows CLDR order, as Babel 2.19 writes it.
FORMS = {
    "kk": ("one", "other"),
    "ru": ("one", "few", "many"),
    "ar": ("zero", "one", "two", "few", "many", "other"),
    "en": ("one", "other"),
}
FIELDS = ("{count} field is invalid.", "{count} fields are invalid.")
MARKER = ("{count} marker", "{count} markers")


@pytest.fixture(autouse=True)
def english_by_default() -> Iterator[None]:
    # Tests below that render "in the current locale" outside use_locale() expect English,
    # whatever another test left in this thread's context.
    with use_locale("en"):
        yield


def field_forms(lang: str) -> tuple[str, ...]:
    entry = read_catalog(lang).get(FIELDS[0])
    assert entry is not None
    assert isinstance(entry.string, tuple)
    return entry.string


def category(lang: str, n: int) -> str:
    return Locale.parse(lang).plural_form(n)


def with_category_markers(catalog: Catalog, lang: str) -> Catalog:
    """Add a message whose forms name their category, so a test sees which form was chosen."""
    catalog.add(MARKER, tuple(f"{{count}} {c}" for c in FORMS[lang]))
    return catalog


def test_numbers_cover_the_required_ones() -> None:
    assert set(NUMBERS) >= REQUIRED


@pytest.mark.parametrize("n", NUMBERS)
@pytest.mark.parametrize("lang", list(FORMS))
def test_catalog_chooses_the_form_of_the_cldr_category(lang: str, n: int) -> None:
    compiled = compile_catalog(with_category_markers(read_catalog(lang), lang))
    assert compiled.ngettext(*MARKER, n) == f"{{count}} {category(lang, n)}"


@pytest.mark.parametrize("n", NUMBERS)
@pytest.mark.parametrize("lang", list(FORMS))
def test_field_count_message_uses_the_translation_for_the_category(lang: str, n: int) -> None:
    written = dict(zip(FORMS[lang], field_forms(lang), strict=True))
    english = FIELDS[0] if category(lang, n) == "one" else FIELDS[1]
    expected = written[category(lang, n)] or english  # en: empty means as written
    with use_locale(lang):
        assert ngettext(*FIELDS, n) == expected.format(count=n)
    assert _nl(*FIELDS).render(n, lang) == expected.format(count=n)


@pytest.mark.parametrize(
    ("lang", "n", "expected"),
    [
        ("ru", 1, "1 поле заполнено неверно."),
        ("ru", 2, "2 поля заполнены неверно."),
        ("ru", 5, "5 полей заполнено неверно."),
        ("ru", 11, "11 полей заполнено неверно."),
        ("ru", 21, "21 поле заполнено неверно."),
        ("ru", 101, "101 поле заполнено неверно."),
        ("ar", 2, "2 حقلان غير صالحين."),
        ("ar", 5, "5 حقول غير صالحة."),
        ("ar", 11, "11 حقلًا غير صالح."),
        ("ar", 21, "21 حقلًا غير صالح."),
        ("ar", 100, "100 حقل غير صالح."),
        ("ar", 101, "101 حقل غير صالح."),
        ("kk", 21, "21 өріс қате толтырылған."),
        ("en", 1, "1 field is invalid."),
        ("en", 0, "0 fields are invalid."),
    ],
)
def test_field_count_message_reads_right(lang: str, n: int, expected: str) -> None:
    assert _nl(*FIELDS).render(n, lang) == expected


def test_forms_differ_where_the_grammar_differs() -> None:
    # ru: one/few/many all differ. ar: two, few, many and other differ (zero and one take the
    # singular genitive after a numeral, as other does); many vs other is the form that Babel
    # 2.18 and 2.19 disagree on. kk does not inflect a noun after a numeral: both forms agree.
    ru = field_forms("ru")
    assert len(set(ru)) == 3
    ar = field_forms("ar")
    assert len({ar[2], ar[3], ar[4], ar[5]}) == 4


def test_babel_2_18_arabic_expression_would_be_caught() -> None:
    # The expression Babel 2.18.0 wrote for ar (DOMAIN.md): other at index 4, many at index 5.
    catalog = with_category_markers(read_catalog("ar"), "ar")
    catalog.mime_headers = [
        (
            "Plural-Forms",
            "nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : "
            "n % 100 >= 3 && n % 100 <= 10 ? 3 : n % 100 >= 11 && n % 100 <= 99 ? 5 : 4);",
        )
    ]
    compiled = compile_catalog(catalog)
    assert compiled.ngettext(*MARKER, 11) == "{count} other"  # CLDR says many
    assert compiled.ngettext(*MARKER, 100) == "{count} many"  # CLDR says other
