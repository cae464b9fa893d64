"""A birth date known to the year, the month or the day.

Returnees often know only the year or the month of a birth. Storage keeps the earliest day the
date can stand for plus its precision; `PartialDate.from_stored` rebuilds the value. Text is the
ISO 8601 calendar date reduced to the known part (`2016`, `2018-03`, `2018-12-02`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Final, Literal

from apicore.text import fold_digits

DatePrecision = Literal["year", "month", "day"]
PartialDateErrorCode = Literal["date_format", "date_impossible", "date_out_of_range"]

MIN_YEAR: Final = 1900
MAX_YEAR: Final = 2100

# ASCII digits only: `\d` would also match Arabic-Indic digits (DOMAIN.md), and they are folded
# on purpose before this pattern runs.
_PARTIAL_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


class PartialDateError(ValueError):
    """A partial date that cannot be accepted, with a machine-readable `code`.

    Attributes:
        code: `"date_format"` (not `YYYY`, `YYYY-MM` or `YYYY-MM-DD`), `"date_impossible"`
            (no such month or day) or `"date_out_of_range"` (year outside 1900..2100).
    """

    def __init__(self, code: PartialDateErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: PartialDateErrorCode = code


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date of which the year, the year and month, or the full day is known.

    Raises:
        PartialDateError: on construction, `"date_format"` for a day without a month,
            `"date_out_of_range"` for a year outside 1900..2100 and `"date_impossible"` for a
            month outside 1..12 or a day that month does not have (2019-02-29).
    """

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.day is not None and self.month is None:
            raise PartialDateError("date_format", "a day needs a month")
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise PartialDateError("date_out_of_range", f"year {self.year} is outside {MIN_YEAR}..{MAX_YEAR}")
        if self.month is not None and not 1 <= self.month <= 12:
            raise PartialDateError("date_impossible", f"there is no month {self.month}")
        if self.month is not None and self.day is not None:
            last = calendar.monthrange(self.year, self.month)[1]
            if not 1 <= self.day <= last:
                raise PartialDateError(
                    "date_impossible", f"{self.year:04d}-{self.month:02d} has no day {self.day}"
                )

    @property
    def precision(self) -> DatePrecision:
        """`"year"`, `"month"` or `"day"`: how much of the date is known."""
        if self.month is None:
            return "year"
        if self.day is None:
            return "month"
        return "day"

    def earliest(self) -> dt.date:
        """The first day this date can stand for (1 January, or the 1st of the month)."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> dt.date:
        """The last day this date can stand for (31 December, or the month's last day)."""
        if self.month is None:
            return dt.date(self.year, 12, 31)
        if self.day is None:
            return dt.date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])
        return dt.date(self.year, self.month, self.day)

    def iso(self) -> str:
        """ISO 8601 text reduced to the known part: `2016`, `2018-03` or `2018-12-02`."""
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @classmethod
    def from_stored(cls, first_day: dt.date, precision: DatePrecision) -> PartialDate:
        """Rebuild a partial date from its stored earliest day and precision.

        Args:
            first_day: the stored `earliest()` of the value.
            precision: the stored precision.

        Returns:
            The partial date whose `earliest()` is `first_day`.

        Raises:
            ValueError: when `first_day` is not the first day of its year (precision `"year"`)
                or month (precision `"month"`), or the precision is unknown: the row is corrupt.
            PartialDateError: when the year is outside 1900..2100.
        """
        if precision == "day":
            return cls(first_day.year, first_day.month, first_day.day)
        if precision == "month":
            if first_day.day != 1:
                raise ValueError(f"{first_day} is not the first day of its month")
            return cls(first_day.year, first_day.month)
        if precision == "year":
            if (first_day.month, first_day.day) != (1, 1):
                raise ValueError(f"{first_day} is not the first day of its year")
            return cls(first_day.year)
        raise ValueError(f"unknown precision {precision!r}")


def parse_partial_date(text: str) -> PartialDate:
    """Parse `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, as typed on any phone keyboard.

    Args:
        text: the date; Arabic-Indic, Extended Arabic-Indic and fullwidth digits are folded to
            ASCII and surrounding whitespace is ignored. Months and days take two digits.

    Returns:
        The partial date, with the precision the text gives.

    Raises:
        PartialDateError: `"date_format"` when the text has another shape (`2018-3`,
            `02.12.2018`, `2018-12-02T00:00`); `"date_out_of_range"` for a year before 1900 or
            after 2100; `"date_impossible"` for a month or day that does not exist
            (`2016-13-40`, `2019-02-29`).
    """
    match = _PARTIAL_DATE.fullmatch(fold_digits(text).strip())
    if match is None:
        raise PartialDateError("date_format", "expected YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    return PartialDate(
        int(year),
        None if month is None else int(month),
        None if day is None else int(day),
    )


def _age_in_full_years(born: dt.date, on: dt.date) -> int:
    # Completed years: the year count drops by one until (month, day) of the birth is reached.
    # A 29 February birth is reached on 1 March in a common year, the rule written into e.g.
    # Maryland law ("an individual born on February 29 attains a specified age on March 1 of any
    # year that is not a leap year", Md. Code, computation of age, § 1-303(b)).
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_in_full_years_range(birth: PartialDate, on: dt.date) -> tuple[int, int]:
    """The least and greatest age in completed years a person born on `birth` can have on `on`.

    Args:
        birth: the birth date, known to the year, month or day.
        on: the day the age is wanted for, not before `birth.earliest()`.

    Returns:
        `(minimum, maximum)`: the age of someone born on the latest, then the earliest, day
        `birth` stands for; a birth later than `on` is not possible, so the minimum is never
        below 0. Both are equal for a day-precision date. A 29 February birth turns a year older
        on 1 March in a common year.

    Raises:
        ValueError: when `on` is before every day `birth` can stand for.
    """
    earliest = birth.earliest()
    if on < earliest:
        raise ValueError(f"{on} is before the birth date {birth.iso()}")
    latest = min(birth.latest(), on)
    return _age_in_full_years(latest, on), _age_in_full_years(earliest, on)
