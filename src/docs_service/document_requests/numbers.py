"""Formats of the numbers a document carries: passport, birth certificate, civil act record.

Pure code, no I/O. Each format is a regular expression the deployment can replace
(`NumberFormats(passport=...)`, built from settings), matched against the whole normalised value.

What the defaults rest on (searched 2026-11; no official text giving the number formats was
found, so every default below is an assumption, kept permissive where sources disagree):

- passport: one Latin letter and 7 or 8 digits. The biometric passport of Kazakhstan (issued
  since 5 January 2009; sample approved by Government Decree No. 684 of 4 July 2013, since
  replaced by Decree No. 758 of 1 September 2023) is commonly described as `N` and 8 digits;
  validator.js (`isPassportNumber`, locale `KZ`) accepts one letter and 7 digits, for older
  books. Either fits the 9 positions of the MRZ (ICAO Doc 9303 Part 4 §4.2.2.2). Not confirmed
  from the decree's text.
- birth certificate series: one to four letters or digits, optionally a hyphen and one to four
  more, Latin or Cyrillic (Kazakh letters included). This admits the Soviet-style series still
  seen on older certificates (a Roman numeral, a hyphen, two Cyrillic letters: `I-ЖК`) and short
  alphanumeric series. The current form is set by Government Decree No. 560 of 13 July 2023
  (rules for the birth certificate) and Minister of Justice Order No. 428 of 29 June 2023
  (protection of the form; amended by Order No. 922 of 6 November 2024, which adds a serial
  number to the form); neither text we could read states the series format.
- birth certificate number: 6 to 10 digits (assumption: the form's serial number).
- civil act record: 1 to 12 digits (assumption: the act record number the registry office
  assigns, printed on the certificate as "актовая запись №"; Code on Marriage (Matrimony) and
  Family, Chapter 24, on state registration of civil acts, does not fix its format).

Configure a format when the registry or migration service confirms the blank in use; the
database keeps the normalised value, unique per kind.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, fields
from typing import Final, Literal

from apicore.text import fold_digits

NumberKind = Literal["passport", "birth_certificate_series", "birth_certificate_number", "civil_act_record"]
"""What a number identifies: the field of `NumberFormats` that holds its format."""

NUMBER_KINDS: Final[tuple[NumberKind, ...]] = (
    "passport",
    "birth_certificate_series",
    "birth_certificate_number",
    "civil_act_record",
)

NumberErrorCode = Literal["number_empty", "number_format"]

# Letters of the Kazakh Cyrillic alphabet beyond Russian (DOMAIN.md), upper case.
_CYRILLIC_UPPER: Final = "А-ЯЁӘҒҚҢӨҰҮҺІ"

DEFAULT_PASSPORT: Final = r"[A-Z][0-9]{7,8}"
DEFAULT_BIRTH_CERTIFICATE_SERIES: Final = (
    rf"[0-9A-Z{_CYRILLIC_UPPER}]{{1,4}}(?:-[0-9A-Z{_CYRILLIC_UPPER}]{{1,4}})?"
)
DEFAULT_BIRTH_CERTIFICATE_NUMBER: Final = r"[0-9]{6,10}"
DEFAULT_CIVIL_ACT_RECORD: Final = r"[0-9]{1,12}"


class InvalidDocumentNumber(ValueError):
    """A document number that does not have the format configured for its kind.

    Attributes:
        code: `"number_empty"` (nothing left after normalisation) or `"number_format"` (the
            normalised value does not match the kind's format).
        kind: the kind of number that was checked.
    """

    def __init__(self, code: NumberErrorCode, kind: NumberKind, message: str) -> None:
        super().__init__(message)
        self.code: NumberErrorCode = code
        self.kind: NumberKind = kind


def normalise_number(value: str) -> str:
    """Normalise a document number as typed: digits folded, case and width unified.

    Args:
        value: the number as typed, e.g. `" n١٢٣٤٥٦٧٨ "` on an Arabic keyboard.

    Returns:
        `value` with Arabic-Indic, Extended Arabic-Indic and fullwidth digits folded to ASCII
        (`apicore.text.fold_digits`), fullwidth Latin letters folded by NFKC, upper-cased, and
        surrounding whitespace removed; inner characters are kept, so a stray space still fails
        the format.
    """
    folded = unicodedata.normalize("NFKC", fold_digits(value))
    return folded.strip().upper()


@dataclass(frozen=True)
class NumberFormats:
    """The format of each kind of number, as regular expressions over the normalised value.

    Each pattern must match the whole value (`re.fullmatch`) and is compiled with `re.ASCII`,
    so `\\d` means 0-9 only: write Cyrillic letters as explicit ranges. The defaults and what they
    rest on are described in the module docstring; a passport format must not admit more than
    9 characters, the room in the MRZ (ICAO Doc 9303 Part 4 §4.2.2.2).

    Raises:
        re.error: on construction, when a pattern is not a valid regular expression.
    """

    passport: str = DEFAULT_PASSPORT
    birth_certificate_number: str = DEFAULT_BIRTH_CERTIFICATE_NUMBER
    birth_certificate_series: str = DEFAULT_BIRTH_CERTIFICATE_SERIES
    civil_act_record: str = DEFAULT_CIVIL_ACT_RECORD
    _compiled: dict[str, re.Pattern[str]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        compiled = {f.name: re.compile(getattr(self, f.name), re.ASCII) for f in fields(self) if f.init}
        object.__setattr__(self, "_compiled", compiled)

    def validate(self, kind: NumberKind, value: str) -> str:
        """Normalise a number and check it against the format of its kind.

        Args:
            kind: which format applies.
            value: the number as typed (see `normalise_number`).

        Returns:
            The normalised number, the form to store and to compare for uniqueness.

        Raises:
            InvalidDocumentNumber: `"number_empty"` when nothing is left after normalisation,
                `"number_format"` when the value does not match the format of `kind`.
            KeyError: for a kind that is not one of `NUMBER_KINDS` (a programming error).
        """
        pattern = self._compiled[kind]
        normalised = normalise_number(value)
        if not normalised:
            raise InvalidDocumentNumber("number_empty", kind, f"the {kind} number is empty")
        if pattern.fullmatch(normalised) is None:
            raise InvalidDocumentNumber(
                "number_format", kind, f"the {kind} number does not match the format {pattern.pattern}"
            )
        return normalised
