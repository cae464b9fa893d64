"""Text as phones type it and as both databases can store it.

Pure functions, no I/O. Sources: the Unicode Character Database (general categories, digit
values, the bidirectional formatting characters of UAX #9) and the storage limits in DOMAIN.md:
PostgreSQL refuses NUL in text; a lone surrogate passes pydantic and fails the SQLite insert.
"""

from __future__ import annotations

import unicodedata
from typing import Final, Literal

TextProblem = Literal["nul_character", "surrogate", "replacement_character", "control_character"]
"""Error code of `storable_text_problem`."""

# Python's int() and re's \d accept these digits (DOMAIN.md: "Input as phones type it"); we fold
# them on purpose and only them, so other digit-like characters (superscripts, circled digits,
# Devanagari) still fail the ASCII validation that follows.
_FOLDED_DIGIT_RANGES: Final = (
    (0x0660, 0x0669),  # ARABIC-INDIC DIGIT ZERO..NINE
    (0x06F0, 0x06F9),  # EXTENDED ARABIC-INDIC DIGIT ZERO..NINE (Persian, Urdu keyboards)
    (0xFF10, 0xFF19),  # FULLWIDTH DIGIT ZERO..NINE
)
_DIGIT_FOLDING: Final[dict[int, str]] = {
    code: str(unicodedata.digit(chr(code)))
    for first, last in _FOLDED_DIGIT_RANGES
    for code in range(first, last + 1)
}

# UAX #9: the embedding and override controls LRE, RLE, PDF, LRO, RLO (U+202A..U+202E) and the
# isolates LRI, RLI, FSI, PDI (U+2066..U+2069). They can reorder what a reader sees of a name.
_BIDI_CONTROLS: Final = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))

_LINE_CONTROLS: Final = frozenset("\t\n\r")


def fold_digits(text: str) -> str:
    """Replace Arabic-Indic, Extended Arabic-Indic and fullwidth digits with ASCII digits.

    Args:
        text: any text, e.g. an IIN or a date typed on an Arabic or Persian phone keyboard.

    Returns:
        `text` with U+0660..U+0669, U+06F0..U+06F9 and U+FF10..U+FF19 replaced by `0`..`9`
        (value from the Unicode Character Database, `unicodedata.digit`); every other character
        unchanged, so callers still have to check that the result is ASCII.
    """
    return text.translate(_DIGIT_FOLDING)


def storable_text_problem(text: str, *, allow_newlines: bool = False) -> TextProblem | None:
    """Say why `text` cannot be stored alike on SQLite and PostgreSQL, or has no place in a field.

    Args:
        text: the value as decoded from the request.
        allow_newlines: accept tab, line feed and carriage return (free-text notes); names and
            other one-line fields keep the default and refuse them.

    Returns:
        The code of the first offending character in `text`, or None when the text is fine:
        `"nul_character"` for U+0000 (PostgreSQL refuses it in text, SQLite stores it);
        `"surrogate"` for a lone surrogate U+D800..U+DFFF (valid JSON escapes, not encodable as
        UTF-8, so the SQLite insert fails); `"replacement_character"` for U+FFFD, which a decoder
        puts where the bytes were not UTF-8 (a query string with `%FF` or an encoded surrogate
        arrives so): the text is already lost; `"control_character"` for any other character of
        general category Cc: C0 (U+0001..U+001F), DEL (U+007F) and C1 (U+0080..U+009F).
    """
    for ch in text:
        if ch == "\x00":
            return "nul_character"
        if ch == "\ufffd":
            return "replacement_character"
        category = unicodedata.category(ch)
        if category == "Cs":
            return "surrogate"
        if category == "Cc" and not (allow_newlines and ch in _LINE_CONTROLS):
            return "control_character"
    return None


def has_bidi_controls(text: str) -> bool:
    """True when `text` holds a bidirectional embedding, override or isolate control.

    Args:
        text: any text; callers refuse such names (the marks LRM, RLM and ALM are not counted).

    Returns:
        Whether any of U+202A..U+202E or U+2066..U+2069 (Unicode UAX #9) occurs in `text`.
    """
    return not _BIDI_CONTROLS.isdisjoint(text)
