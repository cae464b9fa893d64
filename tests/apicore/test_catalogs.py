import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural

from apicore.i18n import (
    LazyText,
    SourceMessage,
    _l,
    _nl,
    extract_messages,
    format_date,
    gettext,
    ngettext,
    placeholders,
    translations,
    use_locale,
)
from apicore.i18n.catalogs import LOCALES_DIR, compile_catalog, po_path, read_catalog
from apicore.i18n.maintenance import NPLURALS, catalog_problems, main, update_catalogs

SRC = Path(__file__).resolve().parents[2] / "src"
TRANSLATED = ("kk", "ru", "ar")
FIELDS = ("{count} field is invalid.", "{count} fields are invalid.")
# Messages every service uses: translated from the start, whether or not code uses them yet.
SHARED = [
    "Not found",
    "The resource you asked for does not exist.",
    "Method not allowed",
    "Request body too large",
    "The request body is larger than {limit} bytes.",
    "Validation failed",
    "Some fields are invalid.",
    "Authentication required",
    "Send a valid API key as 'Authorization: Bearer <key>'.",
    "Forbidden",
    "Your role may not do this.",
    "Internal error",
    "Something went wrong on our side. Quote request id {request_id} when reporting it.",
    "Service unavailable",
    FIELDS[0],
]


def forms(string: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if string is None:
        return ("",)
    return (string,) if isinstance(string, str) else tuple(string)


@pytest.fixture(autouse=True)
def english_by_default() -> Iterator[None]:
    # Tests below that render "in the current locale" outside use_locale() expect English,
    # whatever another test left in this thread's context.
    with use_locale("en"):
        yield


def entry_of(catalog: Catalog, msgid: str) -> Message:
    entry = catalog.get(msgid)
    assert entry is not None, msgid
    return entry


@pytest.fixture(scope="module")
def source_messages() -> dict[str, SourceMessage]:
    return extract_messages([SRC])


class TestCompleteness:
    @pytest.mark.parametrize("lang", TRANSLATED)
    def test_every_message_in_src_has_a_translation(
        self, source_messages: dict[str, SourceMessage], lang: str
    ) -> None:
        catalog = read_catalog(lang)
        gaps = []
        for m in source_messages.values():
            entry = catalog.get(m.msgid)
            if entry is None or entry.fuzzy or not all(forms(entry.string)):
                gaps.append(f"{m.msgid!r} ({m.locations[0]})")
            elif isinstance(entry.id, tuple) != (m.msgid_plural is not None):
                gaps.append(f"{m.msgid!r} is plural in one of code and catalog only")
        assert not gaps, (
            f"untranslated in {lang} (run `python -m apicore.i18n update`, then translate):\n"
            + "\n".join(gaps)
        )

    @pytest.mark.parametrize("lang", TRANSLATED)
    def test_shared_messages_are_translated(self, lang: str) -> None:
        catalog = read_catalog(lang)
        for msgid in SHARED:
            entry = catalog.get(msgid)
            assert entry is not None, msgid
            assert all(forms(entry.string)), msgid
            assert forms(entry.string)[0] != msgid

    @pytest.mark.parametrize("lang", ["kk", "ru", "ar", "en"])
    def test_translations_have_the_placeholders_of_their_msgid(self, lang: str) -> None:
        mismatched = []
        for entry in list(read_catalog(lang))[1:]:
            expected = frozenset().union(*(placeholders(i) for i in forms(entry.id)))
            for i, form in enumerate(forms(entry.string)):
                if form and placeholders(form) != expected:
                    mismatched.append(f"form {i} of {forms(entry.id)[0]!r}: {form!r}")
        assert not mismatched, "\n".join(mismatched)


class TestPluralFormsHeader:
    @pytest.mark.parametrize(("lang", "nplurals"), [("kk", 2), ("ru", 3), ("ar", 6), ("en", 2)])
    def test_header_and_every_plural_entry_have_the_right_number_of_forms(
        self, lang: str, nplurals: int
    ) -> None:
        catalog = read_catalog(lang)
        assert catalog.num_plurals == nplurals == NPLURALS[lang]
        plural_entries = [e for e in catalog if isinstance(e.id, tuple)]
        assert plural_entries
        assert all(len(forms(e.string)) == nplurals for e in plural_entries)

    def test_ar_header_is_explicit_and_in_cldr_order(self) -> None:
        # DOMAIN.md: Babel 2.18 swapped many (11-99) and other (100-102); 2.19 follows CLDR.
        text = po_path("ar").read_text(encoding="utf-8")
        assert '"Plural-Forms: nplurals=6;' in text
        expr = read_catalog("ar").plural_expr
        assert expr == (
            "(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : "
            "n % 100 >= 11 && n % 100 <= 99 ? 4 : 5)"
        )
        assert expr == get_plural("ar").plural_expr  # what Babel 2.19.0 writes

    @pytest.mark.parametrize("lang", ["kk", "ru", "ar", "en"])
    def test_po_files_are_as_babel_writes_them(self, lang: str, tmp_path: Path) -> None:
        # `update` rewrites a file through Babel: a hand edit in another layout would churn.
        shutil.copytree(LOCALES_DIR, tmp_path, dirs_exist_ok=True)
        update_catalogs({"x": SourceMessage("x", None, ("t.py:1",), ())}, tmp_path, [lang])
        before = po_path(lang).read_text(encoding="utf-8")
        after = po_path(lang, tmp_path).read_text(encoding="utf-8")
        assert after == before + 'msgid "x"\nmsgstr ""\n\n'


class TestTranslation:
    def test_gettext_uses_the_current_locale(self) -> None:
        with use_locale("ru"):
            assert gettext("Not found") == "Не найдено"
        with use_locale("kk"):
            assert gettext("Not found") == "Табылмады"
        with use_locale("ar"):
            assert gettext("Not found") == "غير موجود"
        assert gettext("Not found") == "Not found"

    def test_gettext_fills_placeholders(self) -> None:
        msgid = "The request body is larger than {limit} bytes."
        with use_locale("ru"):
            assert gettext(msgid, limit=1048576) == "Размер тела запроса превышает 1048576 байт."
        assert gettext(msgid, limit=10) == "The request body is larger than 10 bytes."

    def test_missing_parameter_leaves_the_placeholder(self) -> None:
        with use_locale("ar"):
            assert "{request_id}" in gettext(SHARED[12])

    def test_parameter_values_are_not_interpreted(self) -> None:
        assert gettext(SHARED[12], request_id="{0.__class__}") == (
            "Something went wrong on our side. Quote request id {0.__class__} when reporting it."
        )

    def test_unknown_msgid_comes_back_as_written(self) -> None:
        with use_locale("kk"):
            assert gettext("No such message {x}", x=1) == "No such message 1"

    def test_ngettext_gives_count_by_default(self) -> None:
        with use_locale("ru"):
            assert ngettext(*FIELDS, 3) == "3 поля заполнены неверно."
            assert ngettext(*FIELDS, 3, count="три") == "три поля заполнены неверно."

    def test_lazy_text_is_translated_when_rendered(self) -> None:
        with use_locale("kk"):
            lazy = _l("Forbidden")
        assert isinstance(lazy, LazyText)
        assert lazy.msgid == "Forbidden"
        assert lazy.render() == "Forbidden"
        assert lazy.render("ru") == "Доступ запрещён"
        with use_locale("ar"):
            assert lazy.render() == "الوصول مرفوض"
            assert str(lazy) == "الوصول مرفوض"

    def test_lazy_text_fills_placeholders(self) -> None:
        lazy = _l(SHARED[12])
        assert lazy.render("kk", request_id="r-1").endswith("көрсетіңіз: r-1.")

    def test_lazy_plural_text_picks_the_form(self) -> None:
        lazy = _nl(*FIELDS)
        assert lazy.msgid == FIELDS[0]
        assert lazy.render(21, "ru") == "21 поле заполнено неверно."
        assert lazy.render(11, "ar") == "11 حقلًا غير صالح."
        assert lazy.render(1) == "1 field is invalid."

    def test_unsupported_locale_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unsupported locale"):
            _l("Forbidden").render("fr")
        with pytest.raises(ValueError, match="unsupported locale"):
            translations("ar_SY")

    def test_catalog_is_compiled_once(self) -> None:
        assert translations("ar") is translations("ar")

    def test_empty_plural_form_falls_back_to_english(self) -> None:
        catalog = read_catalog("ru")
        catalog.add(("{count} day", "{count} days"), ("{count} день", "", "{count} дней"))
        compiled = compile_catalog(catalog)
        assert compiled.ngettext("{count} day", "{count} days", 2) == "{count} days"
        assert compiled.ngettext("{count} day", "{count} days", 5) == "{count} дней"


class TestFormatDate:
    # Babel 2.19.0 (CLDR 49) puts U+202F NARROW NO-BREAK SPACE, not a plain space, between the
    # year and the kk and ru year abbreviations; DOMAIN.md writes them with a plain space.
    @pytest.mark.parametrize(
        ("lang", "expected"),
        [
            ("kk", "2024\u202fж. 21 наурыз"),
            ("ru", "21 марта 2024\u202fг."),
            ("ar", "21 مارس 2024"),
            ("en", "March 21, 2024"),
        ],
    )
    def test_long_date(self, lang: str, expected: str) -> None:
        assert format_date(dt.date(2024, 3, 21), lang) == expected
        with use_locale(lang):
            assert format_date(dt.date(2024, 3, 21)) == expected

    def test_matches_domain_notes_up_to_the_narrow_space(self) -> None:
        written = {"kk": "2024 ж. 21 наурыз", "ru": "21 марта 2024 г.", "ar": "21 مارس 2024"}
        for lang, text in written.items():
            assert format_date(dt.date(2024, 3, 21), lang).replace("\u202f", " ") == text


SAMPLE = """
from apicore.i18n import _l, _nl, gettext, ngettext

TITLE = _l("Sample title")
DETAIL = _l("Sample detail about {thing}.")
# Translators: "seat" is a place in a bus.
SEATS = _nl("{count} seat left", "{count} seats left")


def f(n: int) -> str:
    return gettext("Sample now {a}", a=1) + ngettext("{count} bus", "{count} buses", n, count=n)


def g(name: str) -> object:
    return _l(name)  # not a literal: skipped
"""


@pytest.fixture
def sample_src(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    (src / "pkg" / "_internal").mkdir(parents=True)
    (src / "pkg" / "views.py").write_text(SAMPLE, encoding="utf-8")
    (src / "pkg" / "_internal" / "deep.py").write_text(
        'from apicore.i18n import _l\nX = _l("Sample from an underscore package")\n',
        encoding="utf-8",
    )
    return src


@pytest.fixture
def locales(tmp_path: Path) -> Path:
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, copy)
    return copy


class TestExtraction:
    def test_finds_every_keyword_with_its_argument_spec(self, sample_src: Path) -> None:
        found = extract_messages([sample_src])
        assert {m.msgid: m.msgid_plural for m in found.values()} == {
            "Sample title": None,
            "Sample detail about {thing}.": None,
            "{count} seat left": "{count} seats left",
            "Sample now {a}": None,
            "{count} bus": "{count} buses",
            "Sample from an underscore package": None,
        }
        assert found["Sample title"].locations == ("src/pkg/views.py:4",)
        assert found["{count} seat left"].comments == ('"seat" is a place in a bus.',)

    def test_finds_the_shared_messages_in_src(self, source_messages: dict[str, SourceMessage]) -> None:
        assert "Not found" in source_messages


class TestMaintenance:
    def test_update_adds_missing_msgids_and_keeps_translations(self, sample_src: Path, locales: Path) -> None:
        assert main(["update", str(sample_src), "--locales", str(locales)]) == 0
        for lang in ("kk", "ru", "ar", "en"):
            catalog = read_catalog(lang, locales)
            assert entry_of(catalog, "Sample title").string == ""
            plural = entry_of(catalog, "{count} bus")
            assert plural.string == ("",) * NPLURALS[lang]
            assert not plural.fuzzy
            assert catalog.num_plurals == read_catalog(lang).num_plurals
            assert catalog.plural_expr == read_catalog(lang).plural_expr
            for entry in list(read_catalog(lang))[1:]:  # nothing lost, nothing changed
                kept = catalog.get(entry.id if isinstance(entry.id, str) else entry.id[0])
                assert kept is not None
                assert kept.string == entry.string
                assert not kept.fuzzy
        ru = read_catalog("ru", locales)
        assert entry_of(ru, "{count} seat left").auto_comments == ['"seat" is a place in a bus.']

    def test_update_twice_changes_nothing_the_second_time(self, sample_src: Path, locales: Path) -> None:
        main(["update", str(sample_src), "--locales", str(locales)])
        before = {p: p.read_bytes() for p in locales.rglob("*.po")}
        added = update_catalogs(extract_messages([sample_src]), locales)
        assert added == {"kk": [], "ru": [], "ar": [], "en": []}
        assert {p: p.read_bytes() for p in locales.rglob("*.po")} == before

    def test_check_lists_untranslated_messages(
        self, sample_src: Path, locales: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["check", str(sample_src), "--locales", str(locales)]) == 1
        out = capsys.readouterr().out
        assert "kk: missing 'Sample title' (src/pkg/views.py:4)" in out
        assert "en:" not in out  # English needs no entry: the msgid is the text
        main(["update", str(sample_src), "--locales", str(locales)])
        capsys.readouterr()
        assert main(["check", str(sample_src), "--locales", str(locales)]) == 1
        out = capsys.readouterr().out
        assert "ar: empty translation of '{count} bus'" in out
        assert "en:" not in out  # an empty English msgstr means "as written"

    def test_check_passes_when_everything_is_translated(
        self, tmp_path: Path, locales: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        src = tmp_path / "only_shared"
        src.mkdir()
        (src / "m.py").write_text(
            "".join(f"_l({m!r})\n" for m in SHARED[:-1]) + f"ngettext({FIELDS[0]!r}, {FIELDS[1]!r}, n)\n",
            encoding="utf-8",
        )
        assert main(["check", str(src), "--locales", str(locales)]) == 0
        assert "0 problem(s)" in capsys.readouterr().out

    def test_check_finds_placeholder_mismatches(self, locales: Path) -> None:
        path = po_path("ru", locales)
        text = path.read_text(encoding="utf-8")
        text = text.replace("превышает {limit} байт", "превышает {limt} байт")
        text = text.replace('msgstr[1] "{count} поля', 'msgstr[1] "поля')
        path.write_text(text, encoding="utf-8")
        problems = catalog_problems({}, locales)
        assert problems == [
            "ru: translation of 'The request body is larger than {limit} bytes.' has "
            "placeholders ['limt'], msgid has ['limit']",
            "ru: form 1 of translation of '{count} field is invalid.' has placeholders [], "
            "msgid has ['count']",
        ]

    def test_check_finds_a_wrong_plural_count(self, locales: Path) -> None:
        path = po_path("ar", locales)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("nplurals=6", "nplurals=7"), encoding="utf-8")
        # read_po pads every plural entry with empty forms up to nplurals, so only the header
        # shows the mistake (and an empty form for messages the code uses).
        assert catalog_problems({}, locales, ["ar"]) == ["ar: Plural-Forms has nplurals=7, expected 6"]

    def test_check_reports_a_catalog_babel_cannot_read(self, locales: Path) -> None:
        path = po_path("ar", locales)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("nplurals=6", "nplurals=5"), encoding="utf-8")
        assert catalog_problems({}, locales, ["ar"]) == [
            "ar: cannot read messages.po: msg has more translations than num_plurals of catalog on 69"
        ]
