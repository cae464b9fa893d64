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


def _has_invisible(value: str) -> bool:
    return any(
        unicodedata.category(ch) in _INVISIBLE_CATEGORIES
        or (ord(ch) & 0xFFFE) == 0xFFFE
        or 0xFDD0 <= ord(ch) <= 0xFDEF
        for ch in value
    )


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
    AfterValidator(_storable),
    AfterValidator(_not_blank),
    AfterValidator(_name_characters),
]
"""A name part as typed: 1–100 characters, NFC, letters with spaces, hyphens and apostrophes;
no digits, symbols, control or direction characters."""
ShortText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200),
    AfterValidator(_storable),
    AfterValidator(_not_blank),
]
"""A short label: 1–200 characters."""

# ASCII and Arabic-Indic digits alike: phones type both (DOMAIN.md); the value is folded to ASCII.
_ANY_DIGIT = "[0-9\u0660-\u0669\u06f0-\u06f9]"


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
            "pattern": f"^{_ANY_DIGIT}{{12}}$",
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
            "pattern": f"^{_ANY_DIGIT}{{4}}(-{_ANY_DIGIT}{{2}}){{0,2}}$",
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
            "pattern": f"^{_ANY_DIGIT}{{4}}-{_ANY_DIGIT}{{2}}-{_ANY_DIGIT}{{2}}$",
            "description": "A date as YYYY-MM-DD (Arabic-Indic digits accepted).",
            "examples": ["2019-05-09"],
        },
        mode="validation",
    ),
    WithJsonSchema({"type": "string", "format": "date"}, mode="serialization"),
]

# BCP 47 as phones send it: a primary language and optional subtags (`kk`, `ar-SY`, `sr-Latn`).
_BCP47 = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}", re.ASCII)


def _language_tag(value: str) -> str:
    if _BCP47.fullmatch(value) is None:
        raise PydanticCustomError("language_tag", "not a BCP 47 tag")
    return value


register_field_message("language_tag", _l("Must be a language tag such as kk, ru or ar."))

LanguageTag = Annotated[
    str,
    StringConstraints(min_length=2, max_length=35, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$"),
    AfterValidator(_language_tag),
]
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
    str, StringConstraints(pattern=r"^[A-Z]{2}$", min_length=2, max_length=2), AfterValidator(_country)
]
"""ISO 3166-1 alpha-2 country code, upper case (`SY`, `IQ`, `KZ`)."""

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: `next_cursor` is null on the last page."""

    items: list[ItemT]
    next_cursor: str | None = Field(default=None, description="Pass as `cursor` for the next page.")
