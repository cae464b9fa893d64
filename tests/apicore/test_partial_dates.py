import datetime as dt

import pytest

from apicore.partial_dates import (
    DatePrecision,
    PartialDate,
    PartialDateError,
    PartialDateErrorCode,
    age_in_full_years_range,
    parse_partial_date,
)


class TestParsePartialDate:
    @pytest.mark.parametrize(
        ("text", "expected", "precision"),
        [
            ("2016", PartialDate(2016, None, None), "year"),
            ("2018-03", PartialDate(2018, 3, None), "month"),
            ("2018-12-02", PartialDate(2018, 12, 2), "day"),
            ("٢٠١٨-١٢-٠٢", PartialDate(2018, 12, 2), "day"),  # Arabic-Indic digits
            ("۲۰۱۶", PartialDate(2016, None, None), "year"),  # Extended Arabic-Indic
            ("２０１８-０３", PartialDate(2018, 3, None), "month"),  # fullwidth
            ("  2018-03 \n", PartialDate(2018, 3, None), "month"),
            ("2016-02-29", PartialDate(2016, 2, 29), "day"),  # leap year
            ("2000-02-29", PartialDate(2000, 2, 29), "day"),  # divisible by 400
            ("1900", PartialDate(1900, None, None), "year"),
            ("2100-12-31", PartialDate(2100, 12, 31), "day"),
        ],
    )
    def test_reads_each_precision(self, text: str, expected: PartialDate, precision: DatePrecision) -> None:
        parsed = parse_partial_date(text)
        assert parsed == expected
        assert parsed.precision == precision

    @pytest.mark.parametrize(
        ("text", "code"),
        [
            ("", "date_format"),
            ("16", "date_format"),
            ("2018-3", "date_format"),
            ("2018-03-2", "date_format"),
            ("02.12.2018", "date_format"),
            ("2018/12/02", "date_format"),
            ("2018-12-02T00:00", "date_format"),
            ("20181202", "date_format"),
            ("2018-12-", "date_format"),
            ("+2018", "date_format"),
            ("2018 12 02", "date_format"),
            ("२०१८", "date_format"),  # Devanagari digits are not folded
            ("2016-13", "date_impossible"),
            ("2016-00", "date_impossible"),
            ("2016-13-40", "date_impossible"),
            ("2018-04-31", "date_impossible"),
            ("2019-02-29", "date_impossible"),
            ("1900-02-29", "date_impossible"),  # divisible by 100, not by 400
            ("2018-12-00", "date_impossible"),
            ("1899-12-31", "date_out_of_range"),
            ("1899", "date_out_of_range"),
            ("2101", "date_out_of_range"),
            ("0000", "date_out_of_range"),
        ],
    )
    def test_refuses_with_a_code(self, text: str, code: PartialDateErrorCode) -> None:
        with pytest.raises(PartialDateError) as caught:
            parse_partial_date(text)
        assert caught.value.code == code
        assert isinstance(caught.value, ValueError)


class TestPartialDate:
    @pytest.mark.parametrize(
        ("value", "earliest", "latest", "iso"),
        [
            (PartialDate(2016), dt.date(2016, 1, 1), dt.date(2016, 12, 31), "2016"),
            (PartialDate(2018, 3), dt.date(2018, 3, 1), dt.date(2018, 3, 31), "2018-03"),
            (PartialDate(2019, 2), dt.date(2019, 2, 1), dt.date(2019, 2, 28), "2019-02"),
            (PartialDate(2020, 2), dt.date(2020, 2, 1), dt.date(2020, 2, 29), "2020-02"),
            (PartialDate(2018, 4), dt.date(2018, 4, 1), dt.date(2018, 4, 30), "2018-04"),
            (PartialDate(2018, 12, 2), dt.date(2018, 12, 2), dt.date(2018, 12, 2), "2018-12-02"),
        ],
    )
    def test_earliest_latest_and_iso(
        self, value: PartialDate, earliest: dt.date, latest: dt.date, iso: str
    ) -> None:
        assert value.earliest() == earliest
        assert value.latest() == latest
        assert value.iso() == iso

    @pytest.mark.parametrize("text", ["2016", "2018-03", "2018-12-02", "2020-02-29"])
    def test_iso_reads_back_to_the_same_value(self, text: str) -> None:
        assert parse_partial_date(text).iso() == text

    @pytest.mark.parametrize(
        ("args", "code"),
        [
            ((2018, None, 5), "date_format"),
            ((2018, 13, None), "date_impossible"),
            ((2019, 2, 29), "date_impossible"),
            ((1850, None, None), "date_out_of_range"),
        ],
    )
    def test_construction_refuses_what_parsing_refuses(
        self, args: tuple[int, int | None, int | None], code: PartialDateErrorCode
    ) -> None:
        with pytest.raises(PartialDateError) as caught:
            PartialDate(*args)
        assert caught.value.code == code

    @pytest.mark.parametrize("text", ["2016", "2018-03", "2018-12-02", "2020-02-29"])
    def test_storage_round_trip(self, text: str) -> None:
        value = parse_partial_date(text)
        assert PartialDate.from_stored(value.earliest(), value.precision) == value

    @pytest.mark.parametrize(
        ("first_day", "precision"),
        [
            (dt.date(2016, 3, 1), "year"),
            (dt.date(2016, 1, 2), "year"),
            (dt.date(2018, 3, 2), "month"),
        ],
    )
    def test_from_stored_refuses_a_day_that_is_not_the_first(
        self, first_day: dt.date, precision: DatePrecision
    ) -> None:
        with pytest.raises(ValueError, match="not the first day"):
            PartialDate.from_stored(first_day, precision)

    def test_from_stored_refuses_unknown_precision(self) -> None:
        with pytest.raises(ValueError, match="unknown precision"):
            PartialDate.from_stored(dt.date(2016, 1, 1), "week")  # type: ignore[arg-type]


class TestAgeInFullYearsRange:
    @pytest.mark.parametrize(
        ("birth", "on", "ages"),
        [
            # day precision: one age, changing on the birthday
            ("2018-12-02", dt.date(2024, 12, 1), (5, 5)),
            ("2018-12-02", dt.date(2024, 12, 2), (6, 6)),
            ("2018-12-02", dt.date(2018, 12, 2), (0, 0)),
            # month precision: born 1..31 March 2018
            ("2018-03", dt.date(2024, 3, 15), (5, 6)),
            ("2018-03", dt.date(2024, 2, 28), (5, 5)),
            ("2018-03", dt.date(2024, 4, 1), (6, 6)),
            # year precision: born 1 January..31 December 2016
            ("2016", dt.date(2024, 6, 15), (7, 8)),
            ("2016", dt.date(2024, 1, 1), (7, 8)),
            ("2016", dt.date(2023, 12, 30), (6, 7)),
            ("2016", dt.date(2023, 12, 31), (7, 7)),  # the 31 December birthday itself
            ("2016", dt.date(2024, 12, 31), (8, 8)),
            # `on` inside the birth period: nobody is born after `on`
            ("2024", dt.date(2024, 6, 1), (0, 0)),
            ("2023", dt.date(2024, 6, 1), (0, 1)),
            ("2024-06", dt.date(2024, 6, 15), (0, 0)),
        ],
    )
    def test_range_of_completed_years(self, birth: str, on: dt.date, ages: tuple[int, int]) -> None:
        assert age_in_full_years_range(parse_partial_date(birth), on) == ages

    @pytest.mark.parametrize(
        ("on", "age"),
        [
            (dt.date(2023, 2, 28), 6),  # common year: not yet
            (dt.date(2023, 3, 1), 7),  # turns 7 on 1 March
            (dt.date(2024, 2, 28), 7),
            (dt.date(2024, 2, 29), 8),  # leap year: on the day itself
            (dt.date(2100, 2, 28), 83),  # 2100 is a common year
            (dt.date(2100, 3, 1), 84),
        ],
    )
    def test_29_february_births_turn_older_on_1_march_in_common_years(self, on: dt.date, age: int) -> None:
        assert age_in_full_years_range(PartialDate(2016, 2, 29), on) == (age, age)

    def test_february_2016_month_precision_includes_the_leap_day(self) -> None:
        # latest day is 29 February: on 28 February 2017 that child is still 0
        assert age_in_full_years_range(PartialDate(2016, 2), dt.date(2017, 2, 28)) == (0, 1)
        assert age_in_full_years_range(PartialDate(2016, 2), dt.date(2017, 3, 1)) == (1, 1)

    @pytest.mark.parametrize(
        ("birth", "on"),
        [("2018-12-02", dt.date(2018, 12, 1)), ("2016", dt.date(2015, 12, 31))],
    )
    def test_date_before_the_birth_is_refused(self, birth: str, on: dt.date) -> None:
        with pytest.raises(ValueError, match="before the birth date"):
            age_in_full_years_range(parse_partial_date(birth), on)
