"""Translate messages into the current locale, now (`gettext`) or when rendered (`_l`)."""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from apicore.i18n.catalogs import translations
from apicore.i18n.context import resolve_locale


class _KeepMissing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(text: str, params: Mapping[str, object]) -> str:
    # A placeholder without a value stays as written: a forgotten parameter must not turn an
    # error response into a 500.
    return text.format_map(_KeepMissing(params))


def placeholders(text: str) -> frozenset[str]:
    """The `{name}` placeholders of a message.

    Raises:
        ValueError: when braces are unbalanced or a placeholder is positional (`{}`, `{0}`).
    """
    names = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    if any(not name.isidentifier() for name in names):
        raise ValueError(f"only named placeholders are allowed: {text!r}")
    return frozenset(names)


def gettext(message: str, /, **params: object) -> str:
    """Translate `message` into the current locale and fill its `{name}` placeholders."""
    return _format(translations(resolve_locale(None)).gettext(message), params)


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    """Translate the form of a plural message that `n` takes in the current locale.

    The `{count}` placeholder is `n` unless `count` is passed.
    """
    params.setdefault("count", n)
    return _format(translations(resolve_locale(None)).ngettext(singular, plural, n), params)


@dataclass(frozen=True, slots=True)
class LazyText:
    """A message marked with `_l`, translated only when rendered."""

    msgid: str

    def render(self, locale: str | None = None, **params: object) -> str:
        """Translate into `locale` (default: the current locale) and fill the placeholders.

        Raises:
            ValueError: when `locale` is not supported.
        """
        return _format(translations(resolve_locale(locale)).gettext(self.msgid), params)

    def __str__(self) -> str:
        """The translation into the current locale, placeholders left as written."""
        return self.render()


@dataclass(frozen=True, slots=True)
class LazyPluralText:
    """A plural message marked with `_nl`, translated only when rendered."""

    msgid: str
    msgid_plural: str

    def render(self, n: int, locale: str | None = None, **params: object) -> str:
        """Translate the form `n` takes in `locale` (default: current); `{count}` is `n`.

        Raises:
            ValueError: when `locale` is not supported.
        """
        params.setdefault("count", n)
        text = translations(resolve_locale(locale)).ngettext(self.msgid, self.msgid_plural, n)
        return _format(text, params)


def _l(message: str) -> LazyText:
    """Mark `message` for translation at render time (module-level titles, details)."""
    return LazyText(message)


def _nl(singular: str, plural: str) -> LazyPluralText:
    """Mark a plural message for translation at render time."""
    return LazyPluralText(singular, plural)
