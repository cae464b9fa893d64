"""Kazakh individual identification number (IIN, ЖСН / ИИН).

Source: Government Decree No. 406 of 2007 (adilet P070000406); since Decree No. 853 of 2013 the
digits need not match the holder's birth date and sex.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

_FIRST_WEIGHTS = tuple(range(1, 12))
_SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# Decree No. 406: the 7th digit carries century and sex, odd = male.
_CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}


def iin_check_digit(first_eleven: str) -> int | None:
    """Return the IIN check digit for 11 ASCII digits, or None when such a number is never issued.

    Args:
        first_eleven: the first 11 digits, ASCII only.

    Returns:
        0..9, or None when both weighted sums leave 10 (Decree No. 406: never issued).

    Raises:
        ValueError: when the argument is not exactly 11 ASCII digits.
    """
    if len(first_eleven) != 11 or not first_eleven.isascii() or not first_eleven.isdigit():
        raise ValueError("expected 11 ASCII digits")
    digits = [int(c) for c in first_eleven]
    for weights in (_FIRST_WEIGHTS, _SECOND_WEIGHTS):
        s = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if s != 10:
            return s
    return None


def is_valid_iin(iin: str) -> bool:
    """True when `iin` is 12 ASCII digits whose last digit is the Decree No. 406 check digit."""
    if len(iin) != 12 or not iin.isascii() or not iin.isdigit():
        return False
    return iin_check_digit(iin[:11]) == int(iin[11])


@dataclass(frozen=True, slots=True)
class IINBirthFacts:
    """Birth date and sex encoded in an IIN (digits 1-7); `birth_date` is None when invalid."""

    birth_date: dt.date | None
    sex: Literal["male", "female"] | None


def iin_birth_facts(iin: str) -> IINBirthFacts:
    """Read the birth date and sex encoded in a valid IIN.

    Args:
        iin: 12 ASCII digits, already checked with `is_valid_iin`.

    Returns:
        The encoded facts; a part that cannot be read (century digit 0, 7-9; an impossible
        date) is None. Since Decree No. 853 (2013) a mismatch with the person is legal.
    """
    century_digit = int(iin[6])
    century = _CENTURY.get(century_digit)
    sex: Literal["male", "female"] | None = None
    if century is not None:
        sex = "male" if century_digit % 2 else "female"
    birth: dt.date | None = None
    if century is not None:
        try:
            birth = dt.date(century + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
        except ValueError:
            birth = None
    return IINBirthFacts(birth_date=birth, sex=sex)
