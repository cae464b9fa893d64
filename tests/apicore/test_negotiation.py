import contextvars

import pytest

from apicore.i18n import current_locale, negotiate_locale, set_locale, use_locale
from apicore.i18n.context import reset_locale
from apicore.i18n.negotiation import LanguageRange, parse_accept_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # plain languages and the fallback
        ("kk", "kk"),
        ("ru", "ru"),
        ("ar", "ar"),  # Babel's default aliases would look for ar_SY
        ("en", "en"),
        (None, "en"),
        ("", "en"),
        ("   ", "en"),
        ("fr", "en"),
        ("fr, de;q=0.9", "en"),
        # regions and scripts fall back to the language
        ("ar-SA", "ar"),
        ("ru-RU", "ru"),
        ("kk-KZ", "kk"),
        ("kk-Cyrl-KZ", "kk"),
        ("en-GB", "en"),
        ("ar-SA,ar;q=0.9,en;q=0.8", "ar"),
        # case-insensitive, tags and the q parameter
        ("RU", "ru"),
        ("AR-sa", "ar"),
        ("KK-kz;Q=0.5, fr", "kk"),
        # q-values decide, header order breaks ties
        ("fr, ru;q=0.5", "ru"),
        ("en;q=0.1, kk;q=0.9", "kk"),
        ("ru;q=0.8, ar;q=0.8", "ru"),
        ("ar;q=0.8, ru;q=0.8", "ar"),
        ("en;q=0.5, ar", "ar"),
        ("ru;q=1.000, kk;q=0.999", "ru"),
        # q=0 means "not this one"
        ("kk;q=0, ru", "ru"),
        ("ar;q=0", "en"),
        ("ru;q=0.0, kk;q=0.001", "kk"),
        # * stands for the fallback unless the header refused it
        ("*", "en"),
        ("fr, *;q=0.5", "en"),
        ("*;q=0.1, ru;q=0.2", "ru"),
        ("en;q=0, *", "kk"),
        ("en;q=0, kk;q=0, *", "ru"),
        # malformed elements are skipped, the rest still counts
        ("ru;q=2, kk", "kk"),
        ("ru;q=abc, ar", "ar"),
        ("ru;q=0.1234, ar", "ar"),
        ("ru;q=-1, ar", "ar"),
        ("ru;q, ar", "ar"),
        ("ru;level=1, ar", "ar"),
        ("ru;q=0.5;q=0.9, ar;q=0.1", "ar"),
        ("ru_RU, kk", "kk"),
        ("русский, ar", "ar"),
        ("toolonglanguage, ru", "ru"),
        ("r u, kk", "kk"),
        (",,;, ru", "ru"),
        (";q=1", "en"),
        ("\x00\xff", "en"),
        ("kz", "kk"),  # a country code some clients send for Kazakh
    ],
)
def test_negotiation_table(header: str | None, expected: str) -> None:
    assert negotiate_locale(header) == expected


def test_parse_keeps_header_order_and_weights() -> None:
    assert parse_accept_language("ru-RU, ru;q=0.9, *;q=0, bad tag") == [
        LanguageRange("ru-ru", 1.0),
        LanguageRange("ru", 0.9),
        LanguageRange("*", 0.0),
    ]


def test_long_header_is_parsed_quickly() -> None:
    header = ", ".join(f"x{i % 1000:03d};q=0.{i % 1000:03d}" for i in range(20_000)) + ", ar;q=0.001"
    assert negotiate_locale(header) == "ar"


class TestLocaleContext:
    def test_default_is_english(self) -> None:
        assert contextvars.Context().run(current_locale) == "en"

    def test_use_locale_restores_the_previous_locale(self) -> None:
        before = current_locale()
        with use_locale("kk"):
            assert current_locale() == "kk"
            with use_locale("ar"):
                assert current_locale() == "ar"
            assert current_locale() == "kk"
        assert current_locale() == before

    def test_set_locale_returns_a_token_that_undoes_it(self) -> None:
        before = current_locale()
        token = set_locale("ru")
        try:
            assert current_locale() == "ru"
        finally:
            reset_locale(token)
        assert current_locale() == before

    def test_locale_set_in_a_copied_context_stays_there(self) -> None:
        before = current_locale()
        contextvars.copy_context().run(set_locale, "ar")
        assert current_locale() == before

    def test_unsupported_locale_is_refused(self) -> None:
        before = current_locale()
        with pytest.raises(ValueError, match="unsupported locale"):
            set_locale("fr")
        with pytest.raises(ValueError, match="unsupported locale"), use_locale("ar_SA"):
            pass
        assert current_locale() == before
