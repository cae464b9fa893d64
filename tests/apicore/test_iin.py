import datetime as dt

import pytest

from apicore.identifiers.iin import iin_birth_facts, iin_check_digit, is_valid_iin

# DOMAIN.md: computed examples; 850515300701 needs the second pass of weights.
VALID = [
    "850515300125",
    "900101400003",
    "051215600018",
    "850515300701",
    "061211600012",
    "920411412076",
    "890923433103",
    "950130408849",
    "870305344109",
]


@pytest.mark.parametrize("iin", VALID)
def test_valid_examples_pass(iin: str) -> None:
    assert is_valid_iin(iin)


@pytest.mark.parametrize("iin", VALID)
def test_every_other_last_digit_fails(iin: str) -> None:
    for d in "0123456789":
        if d != iin[-1]:
            assert not is_valid_iin(iin[:-1] + d)


def test_second_pass_is_used_when_first_sum_is_ten() -> None:
    digits = [int(c) for c in "85051530070"]
    assert sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11 == 10
    assert iin_check_digit("85051530070") == 1


def test_number_is_never_issued_when_both_passes_give_ten() -> None:
    never = [f"{n:011d}" for n in range(10**10, 10**10 + 5000) if iin_check_digit(f"{n:011d}") is None]
    assert never, "some 11-digit prefixes must have no check digit"
    assert not any(is_valid_iin(p + d) for p in never[:20] for d in "0123456789")


@pytest.mark.parametrize(
    "iin", ["٩٥٠١٣٠٤٠٨٨٤٩", "９５０１３０４０８８４９", "95013040884", "9501304088490", ""]
)
def test_non_ascii_or_wrong_length_is_refused(iin: str) -> None:
    assert not is_valid_iin(iin)


def test_check_digit_refuses_bad_argument() -> None:
    with pytest.raises(ValueError, match="11 ASCII digits"):
        iin_check_digit("١٢٣٤٥٦٧٨٩٠١")


def test_birth_facts_read_century_and_sex() -> None:
    assert iin_birth_facts("850515300125").birth_date == dt.date(1985, 5, 15)
    assert iin_birth_facts("850515300125").sex == "male"
    assert iin_birth_facts("051215600018").birth_date == dt.date(2005, 12, 15)
    assert iin_birth_facts("051215600018").sex == "female"
