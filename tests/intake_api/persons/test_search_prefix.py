"""The key range a `q` word searches: every key starting with the word, and no other."""

from __future__ import annotations

import itertools

import pytest

from intake_api.persons.repository import _after_prefix

ALPHABET = "09amz"


@pytest.mark.parametrize(
    ("prefix", "upper"),
    [("aisha", "aishb"), ("abz", "ac"), ("ab9", "aba"), ("zz", None), ("z9", "za"), ("", None)],
)
def test_the_bound_just_above_a_prefix(prefix: str, upper: str | None) -> None:
    assert _after_prefix(prefix) == upper


def test_the_range_holds_exactly_the_keys_with_the_prefix() -> None:
    keys = ["".join(p) for n in range(1, 4) for p in itertools.product(ALPHABET, repeat=n)]
    for prefix in keys[:40]:
        upper = _after_prefix(prefix)
        in_range = {k for k in keys if k >= prefix and (upper is None or k < upper)}
        assert in_range == {k for k in keys if k.startswith(prefix)}, prefix
