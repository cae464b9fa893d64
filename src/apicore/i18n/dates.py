"""Dates written the way each language writes them (CLDR, through Babel)."""

from __future__ import annotations

import datetime as dt

from babel import dates

from apicore.i18n.context import resolve_locale


def format_date(d: dt.date, locale: str | None = None) -> str:
    """Write a date in the CLDR long format of `locale` (default: the current locale).

    Digits are Latin in every language. In kk and ru a narrow no-break space (U+202F), not a
    plain space, comes before the year abbreviation ("ж.", "г.").

    Raises:
        ValueError: when `locale` is not supported.
    """
    return dates.format_date(d, format="long", locale=resolve_locale(locale))
