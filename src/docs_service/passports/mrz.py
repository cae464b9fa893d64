"""Machine-readable zone of a passport data page (ICAO Doc 9303, TD3: two lines of 44 characters).

Pure functions, no I/O. Sources, ICAO Doc 9303 Eighth Edition (2021) with its amendments:

- Part 3 §4.6 (name in the MRZ: `<<` between primary and secondary identifier, `<` between
  components; apostrophes omitted, hyphens and commas become `<`, other punctuation omitted,
  no digits), §4.8 (dates `YYMMDD`; an unknown part of the date of birth is written with
  filler characters `<`), §4.9 (check digits: weights 7, 3, 1; `0`-`9` as themselves,
  `A`-`Z` = 10-35, `<` = 0; sum mod 10).
- Part 4 §4.2.2.1 (upper line and the truncation of the name), §4.2.2.2 (lower line, notes p and
  the optional-data check digit), §4.2.3 (truncation examples), §4.2.4 (the five check digits),
  §4.4 (document codes).
- DOMAIN.md, "Passport machine-readable zone" (the ICAO specimen used in the tests).

The name comes in as the registrar-confirmed Latin form (DOMAIN.md, "Names and
transliteration"): this module writes it into the MRZ, it does not transliterate.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Final, Literal

from apicore.partial_dates import PartialDate

LINE_LENGTH: Final = 44
NAME_FIELD_WIDTH: Final = 39
"""Part 4 §4.2.2.1: positions 6 to 44 of the upper line."""
DOCUMENT_NUMBER_WIDTH: Final = 9
OPTIONAL_DATA_WIDTH: Final = 14
FILLER: Final = "<"

Sex = Literal["male", "female"]

# Part 3 §4.9: digits keep their value, A-Z are 10-35, the filler counts as zero.
_CHAR_VALUES: Final[dict[str, int]] = {
    **{str(d): d for d in range(10)},
    **{chr(ord("A") + i): 10 + i for i in range(26)},
    FILLER: 0,
}
_WEIGHTS: Final = (7, 3, 1)

# Part 3 §4.6: an apostrophe is omitted and the components it separated are joined.
_APOSTROPHES: Final = frozenset("'`\u2018\u2019\u02bc\u02b9")
# Part 3 §4.6: a hyphen between two components becomes one filler; so does a comma between two
# components. Spaces separate components (Part 4 §4.2.2.1, the Name row).
_SEPARATORS: Final = frozenset("-,\u2010\u2011")
_MRZ_TEXT = re.compile(r"[A-Z0-9<]+", re.ASCII)
_COUNTRY_CODE = re.compile(r"[A-Z]{1,3}", re.ASCII)
_ALPHANUMERIC = re.compile(r"[A-Z0-9]*", re.ASCII)
_MIN_NAME_WIDTH: Final = 4


def mrz_check_digit(field: str) -> int:
    """Compute the check digit of an MRZ field.

    Source: ICAO Doc 9303 Part 3 §4.9 (modulus 10, weights 7, 3, 1 repeating; `0`-`9` as
    themselves, `A`-`Z` as 10-35, the filler `<` as 0).

    Args:
        field: the characters the check digit covers, in MRZ form (`A`-`Z`, `0`-`9`, `<`).

    Returns:
        The check digit, 0 to 9. The ICAO specimen passport number `L898902C3` gives 6.

    Raises:
        ValueError: when `field` holds a character outside `A`-`Z`, `0`-`9` and `<`.
    """
    total = 0
    for i, ch in enumerate(field):
        value = _CHAR_VALUES.get(ch)
        if value is None:
            raise ValueError(f"{ch!r} cannot appear in an MRZ (only A-Z, 0-9 and <)")
        total += value * _WEIGHTS[i % 3]
    return total % 10


def _name_components(text: str, role: str) -> list[str]:
    """Split a confirmed Latin name into MRZ components (Part 3 §4.6)."""
    components: list[str] = []
    current: list[str] = []
    for ch in text:
        if ch.isascii() and ch.isalpha():
            current.append(ch.upper())
        elif ch.isspace() or ch in _SEPARATORS:
            if current:
                components.append("".join(current))
                current = []
        elif ch in _APOSTROPHES or unicodedata.category(ch).startswith("P"):
            continue  # omitted without a filler (Part 3 §4.6, "Other punctuation characters")
        else:
            raise ValueError(
                f"the {role} holds {ch!r} (U+{ord(ch):04X}), which is not a Latin letter A-Z: "
                "the MRZ is built from the Latin name the registrar confirmed, not transliterated here"
            )
    if current:
        components.append("".join(current))
    return components


def _fit(components: list[str], width: int) -> str | None:
    """Components joined by `<`, cut from the end to exactly `width` characters ending in a letter.

    Characters are removed from the end (Part 4 §4.2.3.2 a and b show this cut). When the cut
    falls on a separator, the last component of two or more letters loses its last letter so that
    the initial of the next component fits instead; None when that is not possible (every kept
    component is an initial) or when the components are shorter than `width`.
    """
    joined = FILLER.join(components)
    if len(joined) < width:
        return None
    if len(joined) == width or joined[width - 1] != FILLER:
        return joined[:width]
    kept = joined[: width - 1].split(FILLER)
    next_initial = components[len(kept)][0]
    for i in range(len(kept) - 1, -1, -1):
        if len(kept[i]) >= 2:
            kept[i] = kept[i][:-1]
            return FILLER.join([*kept, next_initial])
    return None


def _truncated_name(primary: list[str], secondary: list[str], width: int) -> str:
    if not secondary:
        # Part 4 §4.2.2.1: a name of only a primary identifier loses characters until the last
        # character of the field is a letter.
        only = _fit(primary, width)
        if only is None:
            raise ValueError("the name cannot be truncated to end with a letter as ICAO Doc 9303 requires")
        return only
    primary_joined = FILLER.join(primary)
    # Part 4 §4.2.2.1: the primary identifier keeps room for "<<" and at least the first letter of
    # the secondary identifier; the secondary identifier is cut first (§4.2.3.2), the primary
    # identifier only when it alone leaves less than three positions (§4.2.3.3).
    for primary_width in range(min(len(primary_joined), width - 3), 0, -1):
        kept_primary = (
            primary_joined if primary_width == len(primary_joined) else _fit(primary, primary_width)
        )
        if kept_primary is None:
            continue
        kept_secondary = _fit(secondary, width - primary_width - 2)
        if kept_secondary is not None:
            return kept_primary + FILLER * 2 + kept_secondary
    raise ValueError("the name cannot be truncated to end with a letter as ICAO Doc 9303 requires")


def mrz_name_field(surname: str, given_names: str, *, width: int = NAME_FIELD_WIDTH) -> str:
    """Write a holder's confirmed Latin name into the MRZ name field.

    Rules (ICAO Doc 9303 Part 3 §4.6): upper-case `A`-`Z`; the primary identifier (surname), then
    `<<`, then the secondary identifier (given names); components inside either are separated
    by one `<` (spaces, hyphens and commas between components become `<`); apostrophes and
    other punctuation are omitted; fillers complete the field.

    A name longer than the field is truncated (Part 4 §4.2.2.1, "Truncation of the name", and
    §4.2.3): the last character of a truncated field is a letter, signalling that truncation may
    have occurred. Of the methods ICAO leaves to the issuing State (Part 5 §4.2.3 says so for the
    same rule), this function applies one, deterministically:

    1. the given names are cut from the end, keeping the surname whole, as long as the surname
       leaves room for `<<` and one letter (Part 4 §4.2.3.2 a and b are reproduced exactly);
    2. otherwise the surname is cut to free three positions for `<<` and the first letter of the
       given names, the minimum Part 4 §4.2.2.1 prescribes (its further truncation is optional);
    3. a name with no given names is cut until the field ends with a letter.

    When a cut lands on a separator, the last component of two or more letters gives up its last
    letter so that the field still ends with the next component's initial.

    Args:
        surname: the primary identifier, e.g. `Zhumabaeva` or `Smith-Jones`; must hold a letter.
        given_names: the secondary identifier, e.g. `Aisha Nurlanovna`; may be empty.
        width: the number of positions of the name field: 39 in a TD3 passport (Part 4 §4.2.2.1),
            30 in the TD1 lower line, 31 in TD2.

    Returns:
        Exactly `width` characters of `A`-`Z` and `<`.

    Raises:
        ValueError: when a name holds a character that is not a Latin letter `A`-`Z` after the
            transforms above (digits, `Ä`, Cyrillic or Arabic letters: transliterate and confirm
            the Latin name first), when the surname has no letter, or when `width` is below 4.
    """
    if width < _MIN_NAME_WIDTH:
        raise ValueError(f"a name field needs at least {_MIN_NAME_WIDTH} positions")
    primary = _name_components(surname, "surname")
    secondary = _name_components(given_names, "given names")
    if not primary:
        raise ValueError("the surname (primary identifier) needs at least one letter")
    full = FILLER.join(primary)
    if secondary:
        full += FILLER * 2 + FILLER.join(secondary)
    if len(full) <= width:
        return full.ljust(width, FILLER)
    return _truncated_name(primary, secondary, width)


@dataclass(frozen=True, slots=True)
class PassportMRZ:
    """The two lines of a TD3 machine-readable zone, 44 characters each."""

    line1: str
    line2: str


def _birth_date_field(birth_date: PartialDate) -> str:
    # Part 3 §4.8: YYMMDD; the unknown month and/or day are written with fillers.
    month = FILLER * 2 if birth_date.month is None else f"{birth_date.month:02d}"
    day = FILLER * 2 if birth_date.day is None else f"{birth_date.day:02d}"
    return f"{birth_date.year % 100:02d}{month}{day}"


def _code_field(value: str, role: str) -> str:
    code = value.upper()
    if _COUNTRY_CODE.fullmatch(code) is None:
        raise ValueError(f"the {role} must be a code of one to three letters (Doc 9303 Part 3 §5)")
    return code.ljust(3, FILLER)


def _document_code_field(document_code: str) -> str:
    code = document_code.upper()
    # Part 4 §4.4: P, then a second letter for the passport type (PP national passport) or a filler.
    if re.fullmatch(r"P[A-Z]?", code, re.ASCII) is None:
        raise ValueError("the document code is P followed by at most one letter (Doc 9303 Part 4 §4.4)")
    return code.ljust(2, FILLER)


def _document_number_field(document_number: str) -> str:
    number = document_number.strip().upper()
    if not number or _ALPHANUMERIC.fullmatch(number) is None:
        raise ValueError("the passport number must be letters A-Z and digits 0-9")
    if len(number) > DOCUMENT_NUMBER_WIDTH:
        # Part 4 §4.2.2.2 gives the TD3 passport number 9 positions and no overflow; the overflow
        # into the optional data (filler instead of check digit) exists only for TD1 cards
        # (Part 5 §4.2.2.1 note j). A longer number cannot be written in a passport MRZ.
        raise ValueError(
            f"a passport number has at most {DOCUMENT_NUMBER_WIDTH} characters in the TD3 MRZ "
            "(Doc 9303 Part 4 §4.2.2.2); the long-number overflow exists for TD1 cards only"
        )
    return number.ljust(DOCUMENT_NUMBER_WIDTH, FILLER)


def _optional_data_field(personal_number: str) -> str:
    value = personal_number.strip().upper()
    if _ALPHANUMERIC.fullmatch(value) is None:
        raise ValueError("the personal number must be letters A-Z and digits 0-9")
    if len(value) > OPTIONAL_DATA_WIDTH:
        raise ValueError(
            f"the personal number has at most {OPTIONAL_DATA_WIDTH} characters "
            "(Doc 9303 Part 4 §4.2.2.2, positions 29 to 42)"
        )
    return value.ljust(OPTIONAL_DATA_WIDTH, FILLER)


def _composite(line2: str) -> int:
    # Part 4 §4.2.4: positions 1-10, 14-20 and 22-43 (nationality and sex are left out).
    return mrz_check_digit(line2[0:10] + line2[13:20] + line2[21:43])


def build_td3_mrz(
    *,
    document_number: str,
    surname: str,
    given_names: str,
    nationality: str = "KAZ",
    issuing_state: str = "KAZ",
    birth_date: PartialDate,
    sex: Sex | None,
    expiry_date: dt.date,
    personal_number: str = "",
    document_code: str = "P",
) -> PassportMRZ:
    """Build the machine-readable zone of a passport data page (TD3).

    Upper line (Doc 9303 Part 4 §4.2.2.1): document code, issuing State, name field
    (`mrz_name_field`). Lower line (§4.2.2.2): passport number and check digit, nationality,
    date of birth and check digit, sex, date of expiry and check digit, optional data and check
    digit, composite check digit (§4.2.4).

    Args:
        document_number: the passport number, at most 9 letters and digits (`N12345678`).
        surname: the confirmed Latin surname (primary identifier).
        given_names: the confirmed Latin given names (secondary identifier); may be empty.
        nationality: three-letter code of the holder's nationality (Part 3 §5).
        issuing_state: three-letter code of the issuing State.
        birth_date: the date of birth; an unknown month or day is written `<<` (Part 3 §4.8)
            and counts as zero in the check digit (Part 3 §4.9).
        sex: `"male"` (M), `"female"` (F) or None, written `<` for unspecified (Part 4 §4.2.2.2
            note p).
        expiry_date: the date of expiry.
        personal_number: optional data, at most 14 letters and digits; Kazakh passports carry the
            holder's 12-digit IIN here. When empty, positions 29-42 are fillers and their check
            digit is written `0` (Part 4 §4.2.2.2 lets the issuer choose `0` or `<`).
        document_code: `P`, or `P` and the type letter of Part 4 §4.4 (`PP` for a national
            passport; Part 4 §4.4 makes a type letter mandatory for passports issued from
            1 January 2028).

    Returns:
        The two lines, 44 characters each. For the ICAO specimen (DOMAIN.md):
        `P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<` and
        `L898902C36UTO7408122F1204159ZE184226B<<<<<10`.

    Raises:
        ValueError: for a name `mrz_name_field` refuses, a passport number longer than 9
            characters or not alphanumeric, a personal number longer than 14 characters or not
            alphanumeric, a country code that is not one to three letters, or a bad document code.
    """
    line1 = (
        _document_code_field(document_code)
        + _code_field(issuing_state, "issuing State")
        + mrz_name_field(surname, given_names)
    )
    number = _document_number_field(document_number)
    birth = _birth_date_field(birth_date)
    expiry = expiry_date.strftime("%y%m%d")
    optional = _optional_data_field(personal_number)
    sex_code = {"male": "M", "female": "F", None: FILLER}[sex]
    line2 = (
        f"{number}{mrz_check_digit(number)}"
        f"{_code_field(nationality, 'nationality')}"
        f"{birth}{mrz_check_digit(birth)}"
        f"{sex_code}"
        f"{expiry}{mrz_check_digit(expiry)}"
        f"{optional}{mrz_check_digit(optional)}"
    )
    line2 += str(_composite(line2))
    return PassportMRZ(line1=line1, line2=line2)


@dataclass(frozen=True, slots=True)
class TD3Fields:
    """The fields of a TD3 MRZ as read back, and which of its five check digits hold.

    Attributes:
        document_code: `P` or `P` and a type letter, fillers removed.
        issuing_state: the issuing State's code, fillers removed (`KAZ`, `D`).
        surname: components of the primary identifier joined by single spaces.
        given_names: components of the secondary identifier joined by single spaces.
        name_possibly_truncated: the name field ends with a letter, which Doc 9303 Part 4 §4.2.3
            says must be read as "truncation may have occurred".
        document_number: the passport number, fillers removed.
        nationality: the nationality code, fillers removed.
        birth_date: `YYMMDD` as written, with `<` for an unknown month or day.
        sex: `"male"`, `"female"` or None for `<`.
        expiry_date: `YYMMDD` as written.
        personal_number: the optional data, fillers removed.
        document_number_check: the passport number check digit holds.
        birth_date_check: the date of birth check digit holds.
        expiry_date_check: the date of expiry check digit holds.
        personal_number_check: the optional data check digit holds (`<` is accepted when the
            optional data are all fillers, Part 4 §4.2.2.2).
        composite_check: the composite check digit holds.
    """

    document_code: str
    issuing_state: str
    surname: str
    given_names: str
    name_possibly_truncated: bool
    document_number: str
    nationality: str
    birth_date: str
    sex: Sex | None
    expiry_date: str
    personal_number: str
    document_number_check: bool
    birth_date_check: bool
    expiry_date_check: bool
    personal_number_check: bool
    composite_check: bool

    @property
    def check_digits_valid(self) -> bool:
        """All five check digits hold."""
        return (
            self.document_number_check
            and self.birth_date_check
            and self.expiry_date_check
            and self.personal_number_check
            and self.composite_check
        )


def _digit_holds(field: str, check: str) -> bool:
    return check.isdigit() and mrz_check_digit(field) == int(check)


def _components(field: str) -> str:
    return " ".join(part for part in field.split(FILLER) if part)


def parse_td3_mrz(line1: str, line2: str) -> TD3Fields:
    """Read the fields of a TD3 MRZ and verify its check digits.

    Positions follow Doc 9303 Part 4 §4.2.2 and §4.2.4. A check digit that is not a digit counts
    as failing, except the optional-data one, which may be `<` when the optional data are all
    fillers (§4.2.2.2).

    Args:
        line1: the upper line, 44 characters.
        line2: the lower line, 44 characters.

    Returns:
        The fields and the result of each check.

    Raises:
        ValueError: when a line is not 44 characters of `A`-`Z`, `0`-`9` and `<`, or the upper
            line does not start with `P` (not a passport).
    """
    for number, line in ((1, line1), (2, line2)):
        if len(line) != LINE_LENGTH or _MRZ_TEXT.fullmatch(line) is None:
            raise ValueError(f"MRZ line {number} must be {LINE_LENGTH} characters of A-Z, 0-9 and <")
    if line1[0] != "P":
        raise ValueError("a TD3 passport MRZ starts with P (Doc 9303 Part 4 §4.4)")
    name = line1[5:LINE_LENGTH]
    primary, _, secondary = name.partition(FILLER * 2)
    optional = line2[28:42]
    optional_check = line2[42]
    sex_code = line2[20]
    if sex_code not in "MF<":
        raise ValueError("the sex in an MRZ is M, F or < (Doc 9303 Part 4 §4.2.2.2)")
    return TD3Fields(
        document_code=line1[0:2].rstrip(FILLER),
        issuing_state=line1[2:5].rstrip(FILLER),
        surname=_components(primary),
        given_names=_components(secondary),
        name_possibly_truncated=name[-1] != FILLER,
        document_number=line2[0:9].rstrip(FILLER),
        nationality=line2[10:13].rstrip(FILLER),
        birth_date=line2[13:19],
        sex="male" if sex_code == "M" else "female" if sex_code == "F" else None,
        expiry_date=line2[21:27],
        personal_number=optional.rstrip(FILLER),
        document_number_check=_digit_holds(line2[0:9], line2[9]),
        birth_date_check=_digit_holds(line2[13:19], line2[19]),
        expiry_date_check=_digit_holds(line2[21:27], line2[27]),
        personal_number_check=_digit_holds(optional, optional_check)
        or (optional_check == FILLER and optional == FILLER * OPTIONAL_DATA_WIDTH),
        composite_check=line2[43].isdigit() and _composite(line2) == int(line2[43]),
    )
