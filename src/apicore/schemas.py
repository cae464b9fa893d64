"""Building blocks of request and response models, shared by both services.

Request models forbid unknown fields and bound every string; strictness is per field
(`StrictBool`, ...) because FastAPI validates bodies in Python mode, where a model-wide
`strict=True` refuses ISO dates and UUID strings (DOMAIN.md). Text that either database cannot
store (NUL, lone surrogates) or that hides its direction (bidi controls) is refused here, on
both databases alike.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from babel import Locale
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from apicore.i18n import _l
from apicore.identifiers.iin import is_valid_iin
from apicore.partial_dates import PartialDate, PartialDateError, parse_partial_date
from apicore.problems import register_field_message
from apicore.text import fold_digits, has_bidi_controls, storable_text_problem


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are refused, not silently dropped."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False)


class ResponseModel(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(from_attributes=True)


# Characters that change how text looks or reads without being letters: format controls (Cf,
# zero-width joiners and BOM included), line/paragraph separators, private use, noncharacters.
# In a name they only hide spoofing or typing accidents.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zl", "Zp", "Co"})
# Default-ignorable code points outside those categories (Unicode's DerivedCoreProperties.txt,
# Default_Ignorable_Code_Point): Hangul fillers (letters that draw nothing), the combining
# grapheme joiner, Khmer inherent vowels, Mongolian variation selectors, variation selectors.
# A newcomer trial registered "Ali" with U+3164 inside, found by `q=Ali` and shown as "Ali".
DEFAULT_IGNORABLE = frozenset(
    chr(c)
    for c in (
        *(0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0),
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    )
)


def _has_invisible(value: str) -> bool:
    return any(
        unicodedata.category(ch) in _INVISIBLE_CATEGORIES
        or ch in DEFAULT_IGNORABLE
        or (ord(ch) & 0xFFFE) == 0xFFFE
        or 0xFDD0 <= ord(ch) <= 0xFDEF
        for ch in value
    )


# What a text `pattern` lists of the characters text fields refuse (the code refuses more: every
# format, private-use and noncharacter code point). Kept to the ones that matter in practice and
# to short ranges: generators such as Hypothesis expand a character class one code point at a
# time, and a class with the private-use planes made the fuzzer spend minutes on it.
_PATTERN_REFUSED_LINE_CONTROLS = r"\u0009\u000a\u000d"
_PATTERN_REFUSED = (
    r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"  # C0 (less tab and newlines), DEL, C1
    r"\u00ad\u061c\u180e"  # soft hyphen, Arabic letter mark, Mongolian vowel separator
    r"\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"  # zero-width, separators, bidi
    r"\ufeff\ufff9-\ufffb\ufffd-\uffff"  # BOM, interlinear annotation, U+FFFD, noncharacters
    r"\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0"  # ignorables (DEFAULT_IGNORABLE)
)
# ASCII digits and symbols a name does not take (letters, space, - ' . are kept), escaped so
# that Python's `re` sees no nested set and ECMA-262 sees syntax characters.
_NAME_REFUSED_ASCII = r"0-9!-&(-,/:-@\[-\^_`{-~"


def _text_pattern(*, allow_newlines: bool = False, name: bool = False) -> Callable[[dict[str, Any]], None]:
    """`json_schema_extra` writing the refused characters the schema can list as a `pattern`.

    Validation stays in code, with a message for each kind of fault (`apicore.text`).
    """
    refused = _PATTERN_REFUSED if allow_newlines else _PATTERN_REFUSED_LINE_CONTROLS + _PATTERN_REFUSED
    pattern = f"^[^{_NAME_REFUSED_ASCII if name else ''}{refused}]*$"

    def add(schema: dict[str, Any]) -> None:
        schema["pattern"] = pattern

    return add


def _storable(value: str) -> str:
    problem = storable_text_problem(value)
    if problem is not None:
        raise PydanticCustomError(problem, "text cannot be stored")
    if has_bidi_controls(value):
        raise PydanticCustomError("bidi_control", "text-direction control characters")
    if _has_invisible(value):
        raise PydanticCustomError("invisible_character", "invisible or formatting characters")
    return unicodedata.normalize("NFC", value)


def not_nil_uuid(value: uuid.UUID) -> uuid.UUID:
    """Refuse the nil UUID (all zeros): a phone that sends it has not made an id."""
    if value.int == 0:
        raise PydanticCustomError("nil_uuid", "the nil UUID is not an id")
    return value


register_field_message("nil_uuid", _l("The nil UUID is not an id: make a random one (UUID version 4)."))


def storable_multiline(value: str) -> str:
    """Validator of free text: like names, but newlines and tabs are allowed (NFC)."""
    problem = storable_text_problem(value, allow_newlines=True)
    if problem is not None:
        raise PydanticCustomError(problem, "text cannot be stored")
    if has_bidi_controls(value):
        raise PydanticCustomError("bidi_control", "text-direction control characters")
    if _has_invisible(value):
        raise PydanticCustomError("invisible_character", "invisible or formatting characters")
    return unicodedata.normalize("NFC", value)


def _plain_spaces(value: str) -> str:
    """Every space of a name as U+0020: a no-break, ideographic or en space looks the same and
    would make two names that read alike differ."""
    return "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in value)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be blank")
    return value.strip()


register_field_message("blank", _l("Must not be blank."))

# Inside a name: letters and their marks (harakat, tatweel), spaces, and the punctuation names
# carry (Abd-al, O'Neil, St.); at least one real letter. Digits, emoji and symbols are slips.
_NAME_PUNCTUATION = frozenset("-'\u2019\u02bc.")
_REAL_LETTER = frozenset({"Lu", "Ll", "Lt", "Lo"})


def _name_characters(value: str) -> str:
    categories = [unicodedata.category(ch) for ch in value]
    allowed = all(
        cat[0] in "LM" or cat == "Zs" or ch in _NAME_PUNCTUATION
        for ch, cat in zip(value, categories, strict=True)
    )
    if not allowed or not _REAL_LETTER & set(categories):
        raise PydanticCustomError("name_characters", "a name is letters")
    return value


register_field_message(
    "name_characters",
    _l("A name is made of letters (with spaces, hyphens or apostrophes): no digits or symbols."),
)

NameText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100),
    Field(json_schema_extra=_text_pattern(name=True)),
    AfterValidator(_storable),
    AfterValidator(_plain_spaces),
    AfterValidator(_not_blank),
    AfterValidator(_name_characters),
]
"""A name part as typed: 1–100 characters, NFC, letters with spaces, hyphens and apostrophes;
no digits, symbols, control or direction characters."""
ShortText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    Field(json_schema_extra=_text_pattern()),
    AfterValidator(_storable),
    AfterValidator(_not_blank),
]
"""A short label: 1–200 characters."""

DocumentNumberText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(json_schema_extra=_text_pattern()),
    AfterValidator(_storable),
    AfterValidator(_not_blank),
]
"""A document number as typed (1–64 characters; a field may bound it further): no control,
text-direction or invisible character, which PostgreSQL would refuse (NUL) or a reader could
not see. Its format, where one is configured, is checked by the service that issues it."""


def _plain(value: str) -> str:
    problem = storable_text_problem(value)
    if problem is not None:
        raise PydanticCustomError(problem, "text cannot be stored")
    return value


PlainText = Annotated[
    str,
    Field(json_schema_extra={"pattern": r"^[^\u0000-\u001f\u007f-\u009f\ufffd]*$"}),
    AfterValidator(_plain),
]
"""Text of a query or path parameter (a search, a filter, a number as typed): no NUL, lone
surrogate, control character or U+FFFD (what decoding left of bytes that were not UTF-8), which
PostgreSQL refuses (NUL) or no one types; bound its length
where used. Without it, `?actor=a%00b` reached PostgreSQL and came back as a 500."""
FreeText = Annotated[
    str,
    Field(json_schema_extra=_text_pattern(allow_newlines=True)),
    AfterValidator(storable_multiline),
]
"""Free text: like a short label, but tab and newlines allowed (NFC); bound its length where used."""

# The zero of each digit system `fold_digits` folds to ASCII: phones type them all (DOMAIN.md).
_DIGIT_ZEROS = (0x30, 0x660, 0x6F0, 0xFF10)


def digit_class(low: int = 0, high: int = 9) -> str:
    """A regex class (ECMA-262 and Python alike) of the digits `low`..`high` in ASCII and in every
    digit system `fold_digits` folds: what a JSON Schema `pattern` of a digit field says."""
    items = []
    for zero in _DIGIT_ZEROS:
        first = chr(zero + low) if zero == 0x30 else f"\\u{zero + low:04x}"
        last = chr(zero + high) if zero == 0x30 else f"\\u{zero + high:04x}"
        items.append(first if low == high else f"{first}-{last}")
    return f"[{''.join(items)}]"


_ANY_DIGIT = digit_class()
# Both parsers strip surrounding whitespace (Python's `str.strip`, which `\s` matches).
_D = digit_class
_MONTH = f"({_D(0, 0)}{_D(1, 9)}|{_D(1, 1)}{_D(0, 2)})"
_DAY = f"({_D(0, 0)}{_D(1, 9)}|{_D(1, 2)}{_ANY_DIGIT}|{_D(3, 3)}{_D(0, 1)})"
_YEAR = (  # 1900..2100 (apicore.partial_dates)
    f"({_D(1, 1)}{_D(9, 9)}{_ANY_DIGIT}{{2}}|{_D(2, 2)}{_D(0, 0)}{_ANY_DIGIT}{{2}}"
    f"|{_D(2, 2)}{_D(1, 1)}{_D(0, 0)}{_D(0, 0)})"
)
IIN_PATTERN = f"^\\s*{_ANY_DIGIT}{{2}}{_MONTH}{_DAY}{_D(1, 6)}{_ANY_DIGIT}{{5}}\\s*$"
"""What an IIN's shape allows (Decree No. 406: YYMMDD, a century-and-sex digit 1-6, a serial, a
check digit) in any digit system phones type; the check digit itself is checked in code."""


def _parse_iin(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "must be text")
    folded = fold_digits(value.strip())
    if len(folded) != 12 or not folded.isascii() or not folded.isdigit():
        raise PydanticCustomError("iin_format", "an IIN is 12 digits")
    # Decree No. 406: YYMMDD, then a century-and-sex digit 1-6. Since 2013 the date need not be
    # the holder's, but it is still a month and a day, and the 7th digit is still 1-6.
    if not ("01" <= folded[2:4] <= "12" and "01" <= folded[4:6] <= "31" and folded[6] in "123456"):
        raise PydanticCustomError("iin_shape", "not the shape of an IIN")
    if not is_valid_iin(folded):
        raise PydanticCustomError("iin_check_digit", "the IIN check digit does not match")
    return folded


register_field_message("iin_format", _l("An IIN is 12 digits."))
register_field_message(
    "iin_shape", _l("This is not an IIN: its first six digits are a date (YYMMDD) and the seventh is 1 to 6.")
)
register_field_message(
    "iin_check_digit", _l("This IIN's check digit is wrong: check the number for a typing slip.")
)

IINText = Annotated[
    str,
    PlainValidator(_parse_iin),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": IIN_PATTERN,
            "description": "Individual identification number: 12 digits with a valid check digit "
            "(Government Decree No. 406 of 2007). Arabic-Indic digits are accepted and stored as ASCII.",
            "examples": ["920411412076"],
        }
    ),
]


def _parse_birth_date(value: Any) -> PartialDate:
    if isinstance(value, PartialDate):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "must be text")
    try:
        return parse_partial_date(value)
    except PartialDateError as exc:
        raise PydanticCustomError(exc.code, "invalid date") from exc


register_field_message("date_format", _l("Write the date as YYYY, YYYY-MM or YYYY-MM-DD."))
register_field_message("date_impossible", _l("This date does not exist in the calendar."))
register_field_message("date_out_of_range", _l("The year must be between 1900 and 2100."))

PartialDateText = Annotated[
    PartialDate,
    PlainValidator(_parse_birth_date),
    PlainSerializer(lambda d: d.iso(), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^\\s*{_YEAR}(-{_MONTH}(-{_DAY})?)?\\s*$",
            "description": "A date known to the year (`2016`), month (`2018-03`) or day "
            "(`2018-12-02`); read back in the same form. Arabic-Indic digits are accepted.",
            "examples": ["2016", "2018-03", "2018-12-02"],
        },
        mode="validation",
    ),
    WithJsonSchema({"type": "string", "examples": ["2016", "2018-03", "2018-12-02"]}, mode="serialization"),
]


def _parse_full_date(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "must be text")
    try:
        parsed = parse_partial_date(value)
    except PartialDateError as exc:
        raise PydanticCustomError(exc.code, "invalid date") from exc
    if parsed.precision != "day":
        raise PydanticCustomError("date_format_day", "a full date is needed")
    return parsed.earliest()


register_field_message("date_format_day", _l("Write the full date as YYYY-MM-DD."))

DateText = Annotated[
    dt.date,
    PlainValidator(_parse_full_date),
    PlainSerializer(lambda d: d.isoformat(), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": f"^\\s*{_YEAR}-{_MONTH}-{_DAY}\\s*$",
            "description": "A date as YYYY-MM-DD (Arabic-Indic digits accepted).",
            "examples": ["2019-05-09"],
        },
        mode="validation",
    ),
    WithJsonSchema({"type": "string", "format": "date"}, mode="serialization"),
]

# RFC 3339 times as machines send them (a zone is optional: read as UTC). Pydantic's lax
# datetime would also take `0.5` or `1700000000` as Unix time: a filter that means nothing.
_TIME = r"([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
_ASCII_DATE = r"(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"  # 1900..2100
DATETIME_PATTERN = rf"^{_ASCII_DATE}T{_TIME}(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?$"


def _parse_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or re.fullmatch(DATETIME_PATTERN, value, re.ASCII) is None:
        raise PydanticCustomError("datetime_format", "not an ISO 8601 time")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:  # 2019-02-30
        raise PydanticCustomError("date_impossible", "no such day") from None


register_field_message(
    "datetime_format", _l("Write the time as ISO 8601, such as 2026-11-01T09:30:00+05:00.")
)

DateTimeText = Annotated[
    dt.datetime,
    PlainValidator(_parse_datetime),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DATETIME_PATTERN,
            "description": "ISO 8601 time `YYYY-MM-DDTHH:MM[:SS[.ffffff]]` with `Z` or `+05:00`; "
            "without a zone, UTC.",
            "examples": ["2026-11-01T09:30:00+05:00"],
        }
    ),
]
"""A time as an ISO 8601 string (never a number); without a zone it is naive (callers read UTC)."""

# BCP 47 as phones send it: a primary language and optional subtags (`kk`, `ar-SY`, `sr-Latn`).
_BCP47 = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}", re.ASCII)


def _language_tag(value: str) -> str:
    """The tag in BCP 47's canonical case (RFC 5646, 2.1.1; tags are case-insensitive):
    `ar-sy` and `AR-SY` are kept as `ar-SY`, `kk-cyrl` as `kk-Cyrl`, so that one language is
    stored one way."""
    if _BCP47.fullmatch(value) is None:
        raise PydanticCustomError("language_tag", "not a BCP 47 tag")
    primary, *subtags = value.split("-")
    cased = [
        s.title() if len(s) == 4 and s.isalpha() else s.upper() if len(s) == 2 and s.isalpha() else s.lower()
        for s in subtags
    ]
    return "-".join([primary.lower(), *cased])


def _distinct_languages(tags: list[str]) -> list[str]:
    # After canonical casing, so `ar-SY` and `ar-sy` are one language given twice.
    if len(set(tags)) != len(tags):
        raise PydanticCustomError("duplicate_language", "a language given twice")
    return tags


register_field_message("duplicate_language", _l("Give each language once."))


register_field_message("language_tag", _l("Must be a language tag such as kk, ru or ar."))

LanguageTag = Annotated[
    str,
    StringConstraints(min_length=2, max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"),
    AfterValidator(_language_tag),
]
LanguageList = Annotated[
    list[LanguageTag],
    Field(max_length=10, json_schema_extra={"uniqueItems": True}),
    AfterValidator(_distinct_languages),
]
"""Up to 10 BCP 47 tags, each once (`duplicate_language` otherwise)."""
# ISO 3166-1 alpha-2 codes as CLDR (through Babel) knows them, less its non-country codes.
_COUNTRIES = frozenset(
    code
    for code in map(str, Locale("en").territories)
    if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "EZ", "UN", "QO"}
)


def _country(value: str) -> str:
    if value not in _COUNTRIES:
        raise PydanticCustomError("country_code", "not an ISO 3166-1 alpha-2 country")
    return value


register_field_message("country_code", _l("Must be an ISO 3166 country code such as KZ, SY or IQ."))

CountryCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{2}$", min_length=2, max_length=2),
    AfterValidator(_country),
    WithJsonSchema({"type": "string", "enum": sorted(_COUNTRIES), "examples": ["SY", "IQ", "KZ"]}),
]
"""ISO 3166-1 alpha-2 country code, upper case (`SY`, `IQ`, `KZ`)."""

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: `next_cursor` is null on the last page."""

    items: list[ItemT]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page.")
