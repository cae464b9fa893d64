"""Pick one of our languages from an `Accept-Language` header (RFC 9110, section 12.5.4)."""

from __future__ import annotations

import re
from typing import Final, NamedTuple

import babel

SUPPORTED: Final = ("kk", "ru", "ar", "en")
DEFAULT_LOCALE: Final = "en"

# RFC 9110 12.5.4 and RFC 4647 2.1: language-range = 1*8ALPHA *("-" 1*8alphanum) / "*".
_LANGUAGE_RANGE = re.compile(r"\*|[a-z]{1,8}(?:-[a-z0-9]{1,8})*")
# RFC 9110 12.4.2: qvalue = ("0" ["." 0*3DIGIT]) / ("1" ["." 0*3("0")]).
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
# Babel's default aliases send bare languages to regional locales we do not have (ar -> ar_SY,
# ru -> ru_RU). Ours only catch "kz", the country code some clients send for Kazakh.
_ALIASES: Final = {"kz": "kk"}


class LanguageRange(NamedTuple):
    """One element of `Accept-Language`: a lower-cased range and its weight."""

    tag: str
    q: float


def parse_accept_language(header: str) -> list[LanguageRange]:
    """Parse `Accept-Language` into ranges, in header order, q=0 included.

    Args:
        header: the field value; elements that do not follow RFC 9110 are skipped.

    Returns:
        Lower-cased ranges with their weights (1.0 when absent).
    """
    ranges: list[LanguageRange] = []
    for element in header.split(","):
        tag, *params = (part.strip() for part in element.split(";"))
        tag = tag.lower()
        if not _LANGUAGE_RANGE.fullmatch(tag):
            continue
        q: float | None = 1.0
        if params:
            # The only parameter Accept-Language has is one weight ("q" is case-insensitive).
            name, _, value = params[0].partition("=")
            valid = len(params) == 1 and name.strip().lower() == "q"
            q = float(value.strip()) if valid and _QVALUE.fullmatch(value.strip()) else None
        if q is not None:
            ranges.append(LanguageRange(tag, q))
    return ranges


def negotiate_locale(accept_language: str | None) -> str:
    """Choose the response language for an `Accept-Language` header.

    Ranges are tried by descending weight (header order among equal weights); q=0 ranges are
    refused; a region or script is dropped when only the language matches (`ar-SA` -> `ar`);
    `*` stands for the fallback (or the first language the header did not refuse).

    Args:
        accept_language: the header value, or None when the request had none.

    Returns:
        One of `SUPPORTED`; `DEFAULT_LOCALE` when nothing in the header matches.
    """
    if not accept_language:
        return DEFAULT_LOCALE
    ranges = parse_accept_language(accept_language)
    refused = {r.tag for r in ranges if r.q == 0}
    wanted = sorted((r for r in ranges if r.q > 0), key=lambda r: -r.q)  # sorted() is stable
    for r in wanted:
        if r.tag == "*":
            for code in (DEFAULT_LOCALE, *SUPPORTED):
                if code not in refused:
                    return code
            continue
        match = babel.negotiate_locale([r.tag], SUPPORTED, sep="-", aliases=_ALIASES)
        if match is not None:
            # Babel answers with the caller's spelling of the match ("AR" for "AR").
            return match.lower()
    return DEFAULT_LOCALE
