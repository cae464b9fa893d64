"""The tokens a name word is stored as, and those a `q` word looks up: a word of 3 letters or
more finds every word it starts, a shorter one whole words only."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from intake_api.persons.names import MAX_TOKEN, PREFIX_END, search_tokens
from intake_api.persons.search import query_words, word_tokens

ALPHABET = "09amz"


def _finds(query_key: str, stored_key: str) -> bool:
    """The query word matches the stored word through its key tokens (skeletons left aside)."""
    return bool(set(word_tokens(query_key, "")) & set(search_tokens(stored_key, "")))


def test_a_name_is_stored_as_prefixes_and_skeletons_once_each() -> None:
    assert search_tokens("aisha aishabek", "x xbk") == [
        ("pfx", "ais"),
        ("pfx", "aish"),
        ("pfx", "aisha"),
        ("pfx", "aishab"),
        ("pfx", "aishabe"),
        ("pfx", "aishabek"),
        ("skel", "x"),
        ("skel", "xbk"),
    ]


def test_words_shorter_than_three_letters_are_stored_whole() -> None:
    assert search_tokens("ali nur ai a", "l nr") == [
        ("key", "a"),
        ("key", "ai"),
        ("pfx", "ali"),
        ("pfx", "nur"),
        ("skel", "l"),
        ("skel", "nr"),
    ]


def _finds_by_range(query_key: str, stored_key: str) -> bool:
    """The query word matches the stored word as SQLite's search reads it (whole words stored,
    `names.prefixes_stored`): its `pfx` token as the range [token, token + PREFIX_END) of the
    stored words, other kinds exactly."""
    stored = search_tokens(stored_key, "", prefixes=False)
    for kind, token in word_tokens(query_key, ""):
        if kind == "pfx" and any(k == kind and token <= t < token + PREFIX_END for k, t in stored):
            return True
        if kind != "pfx" and (kind, token) in stored:
            return True
    return False


@pytest.mark.parametrize("finds", [_finds, _finds_by_range], ids=["prefixes", "ranges"])
def test_a_query_word_finds_whole_words_and_from_three_letters_the_words_it_starts(
    finds: Callable[[str, str], bool],
) -> None:
    keys = ["".join(p) for n in range(1, 5) for p in itertools.product(ALPHABET, repeat=n)]
    for query in keys[:160]:
        for stored in keys:
            expected = stored == query or (len(query) >= 3 and stored.startswith(query))
            assert finds(query, stored) == expected, (query, stored)


@pytest.mark.parametrize(
    ("query", "found"),
    [("zhu", True), ("zhumabaev", True), ("zhumabaeva", True), ("zh", False), ("z", False)],
)
def test_a_surname_is_found_by_its_start(query: str, found: bool) -> None:
    assert _finds(query, "zhumabaeva") is found


def test_a_query_word_longer_than_a_token_is_cut_as_the_stored_word_is() -> None:
    long_word = "a" * (MAX_TOKEN + 20)
    [(key, _skeleton)] = query_words(long_word)
    assert len(key) == MAX_TOKEN
    assert _finds(key, long_word)
    assert _finds(key[:50], long_word)
