"""`q` word by word: prefixes, short words, several words, scripts mixed, pages, edited names."""

from __future__ import annotations

import uuid
from typing import Any, cast

import pytest
from sqlalchemy import text
from tests.conftest import ServiceClient
from tests.intake_api.persons.helpers import fixture_body, post_person, seed_operations

from apicore.auth import Role
from intake_api.persons.search import _planner_rows, rank_words

AISHA = "5a110000-0000-4000-8000-000000000002"
MOTHER = "5a110000-0000-4000-8000-000000000001"


def _person(given: str, family: str | None = None, *, script: str = "Cyrl", **extra: Any) -> dict[str, Any]:
    name = {"script": script, "kind": "kazakh" if script == "Cyrl" else "alias", "given": given}
    if script == "Cyrl":
        name["lang"] = "kk"
    if family is not None:
        name["family"] = family
    return {
        "id": str(uuid.uuid4()),
        "operation": "zhusan-2",
        "category": "child",
        "sex": "female",
        "birth_date": "2015",
        "names": [name],
        "languages": ["kk"],
        "arrival_date": "2019-05-09",
        **extra,
    }


async def _register(intake: ServiceClient, *bodies: dict[str, Any]) -> list[str]:
    ids = []
    for body in bodies:
        r = await post_person(intake, body)
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    return ids


async def search(intake: ServiceClient, q: str, **params: str) -> list[str]:
    r = await intake.http.get(
        "/v1/persons", params={"q": q, "limit": "200", **params}, headers=intake.auth(Role.case_worker)
    )
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()["items"]]


@pytest.fixture
async def kazakh_family(intake: ServiceClient) -> ServiceClient:
    """The mother Айгерім Жұмабаева and her children Айша, Омар, Юсуф (Arabic names only)."""
    await seed_operations(intake)
    await _register(intake, *(fixture_body("kk", i) for i in range(4)))
    return intake


class TestPrefixes:
    @pytest.mark.parametrize("q", ["Жұм", "жұма", "Zhum", "Жұмабаев"])
    async def test_three_letters_or_more_find_the_words_they_start(
        self, kazakh_family: ServiceClient, q: str
    ) -> None:
        assert await search(kazakh_family, q) == [MOTHER, AISHA]

    async def test_a_whole_word_is_found_as_itself(self, kazakh_family: ServiceClient) -> None:
        assert await search(kazakh_family, "Жұмабаева") == [MOTHER, AISHA]

    async def test_a_longer_word_than_the_name_finds_nothing(self, kazakh_family: ServiceClient) -> None:
        assert await search(kazakh_family, "Жұмабаевалар") == []

    # Letters of the romanised key: Жұ is `zhu`, three of them, a prefix.
    @pytest.mark.parametrize("q", ["Ай", "ж", "A", "ai"])
    async def test_one_or_two_letters_do_not_find_longer_words(
        self, kazakh_family: ServiceClient, q: str
    ) -> None:
        assert await search(kazakh_family, q) == []

    async def test_one_or_two_letters_find_a_whole_word_of_that_length(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        [li, lina] = await _register(intake, _person("Ли", "Ахметова"), _person("Лина", "Ахметова"))
        assert await search(intake, "Ли") == [li]
        assert await search(intake, "Li") == [li]
        assert await search(intake, "Лин") == [lina]

    async def test_one_or_two_letters_do_not_match_by_their_consonants(self, intake: ServiceClient) -> None:
        # `Ми` has the skeleton `m`, as `Има` and `Ами` have: a short word matches whole words by
        # its letters only, not every name that has that one consonant (found by a newcomer).
        await seed_operations(intake)
        [mi, _ima] = await _register(intake, _person("Ми", "Ахметова"), _person("Има", "Батчева"))
        assert await search(intake, "Ми") == [mi]
        assert await search(intake, "Mi") == [mi]


class TestSeveralWords:
    async def test_every_word_must_match_in_any_order(self, kazakh_family: ServiceClient) -> None:
        assert await search(kazakh_family, "Айша Жұмабаева") == [AISHA]
        assert await search(kazakh_family, "Жұмабаева Айша") == [AISHA]
        assert await search(kazakh_family, "Айгерім Айша") == []

    async def test_a_rare_word_and_a_common_one_meet_on_the_few_who_have_both(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        common = [_person("Айша", f"Сейітова{chr(0x430 + i)}") for i in range(12)]
        [*_others, rare] = await _register(intake, *common, _person("Айша", "Құрманғалиева"))
        assert await search(intake, "Айша Құрманғалиева") == [rare]
        assert await search(intake, "Құрм Айша") == [rare]
        assert await search(intake, "Айша Брунгильда") == []

    async def test_a_prefix_and_a_whole_word_together(self, kazakh_family: ServiceClient) -> None:
        assert await search(kazakh_family, "Айг Жұм") == [MOTHER]


class TestStatementsOfOneShape:
    async def test_searches_sharing_a_statement_each_get_their_own_answer(
        self, kazakh_family: ServiceClient
    ) -> None:
        # One word of three letters or more, no cursor: one statement, built once, serves both.
        omar = await search(kazakh_family, "Омар")
        assert await search(kazakh_family, "Айша") == [AISHA]
        assert len(omar) == 1
        assert omar != [AISHA]
        assert await search(kazakh_family, "Омар") == omar
        # Two words, in both orders and with a filter (a statement built for the request).
        assert await search(kazakh_family, "Айша عبد") == [AISHA]
        assert await search(kazakh_family, "Омар عبد") == omar
        assert await search(kazakh_family, "Омар عبد", category="child") == omar
        assert await search(kazakh_family, "Омар عبد", category="woman") == []


class TestWordsOfASearch:
    async def test_punctuation_separates_words_as_in_a_stored_name(
        self, kazakh_family: ServiceClient
    ) -> None:
        # Before, only the part before the comma was searched: every Айша came back.
        assert await search(kazakh_family, "Айша,Жұмабаева") == [AISHA]
        assert await search(kazakh_family, "Айша;Брунгильда") == []
        assert await search(kazakh_family, "Жұмабаева/Айша") == [AISHA]

    async def test_invisible_format_characters_inside_a_word_do_not_split_it(
        self, kazakh_family: ServiceClient
    ) -> None:
        # A joiner from an Arabic keyboard, a soft hyphen or a direction mark from a copied
        # document: before, `Жұма\u200dбаева` was searched as the words `Жұма` and `баева`.
        for q in ("Айша Жұма\u200dбаева", "Ай\u00adша Жұмабаева", "\u202eАйша\u200f Жұмабаева"):
            assert await search(kazakh_family, q) == [AISHA], q

    async def test_six_words_are_searched_and_a_seventh_is_refused_naming_q(
        self, kazakh_family: ServiceClient
    ) -> None:
        assert await search(kazakh_family, " ".join(["Айша"] * 6)) == [AISHA]
        for q in (" ".join(["Айша"] * 6 + ["Брунгильда"]), ",".join(["Айша"] * 7)):
            r = await kazakh_family.http.get(
                "/v1/persons",
                params={"q": q},
                headers={**kazakh_family.auth(Role.case_worker), "Accept-Language": "ru"},
            )
            assert r.status_code == 422, r.text
            assert r.headers["content-language"] == "ru"
            [error] = r.json()["errors"]
            assert (error["field"], error["code"]) == ("q", "too_many_words")
            assert "6" in error["message"]


class TestScripts:
    @pytest.mark.parametrize("q", ["Aisha Жұмабаева", "عائشة Zhumabaeva", "Айша عبد"])
    async def test_words_of_different_scripts_in_one_search(
        self, kazakh_family: ServiceClient, q: str
    ) -> None:
        assert await search(kazakh_family, q) == [AISHA]

    async def test_a_person_matching_a_word_in_several_names_and_ways_is_listed_once(
        self, kazakh_family: ServiceClient
    ) -> None:
        # Айша matches the Cyrillic name by key and skeleton, and عائشة by skeleton.
        assert await search(kazakh_family, "Айша") == [AISHA]
        # عبد الله is the family name of three children, in one name each.
        found = await search(kazakh_family, "عبد الله")
        assert len(found) == len(set(found)) == 3


class TestPagesWithQ:
    async def test_pages_cover_every_match_once_in_list_order(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        bodies = [_person("Айша", "Ахметова") for _ in range(7)] + [_person("Мадина", "Ахметова")]
        bodies += [_person("Айша", "Серікова", script="Cyrl"), _person("Aisha", script="Latn")]
        await _register(intake, *bodies)
        listed = await intake.http.get(
            "/v1/persons", params={"limit": "200"}, headers=intake.auth(Role.case_worker)
        )
        expected = [p["id"] for p in listed.json()["items"] if p["id"] != bodies[7]["id"]]
        assert len(expected) == 9
        seen: list[str] = []
        cursor = None
        while True:
            params = {"q": "Айша", "limit": "3", **({"cursor": cursor} if cursor else {})}
            r = await intake.http.get("/v1/persons", params=params, headers=intake.auth(Role.case_worker))
            assert r.status_code == 200, r.text
            page = r.json()
            assert len(page["items"]) <= 3
            seen += [p["id"] for p in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected

    async def test_q_with_other_filters(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        girl = _person("Айша", "Ахметова")
        woman = _person("Айша", "Ахметова", category="woman", birth_date="1990")
        await _register(intake, girl, woman)
        assert await search(intake, "Айша", category="woman") == [woman["id"]]
        assert await search(intake, "Айша Ахм", category="child") == [girl["id"]]
        assert await search(intake, "Айша", operation="rusafa") == []


class TestEditedNames:
    async def test_a_corrected_name_is_found_by_its_new_words_only(
        self, kazakh_family: ServiceClient
    ) -> None:
        intake = kazakh_family
        read = (await intake.http.get(f"/v1/persons/{MOTHER}", headers=intake.auth(Role.case_worker))).json()
        r = await intake.http.patch(
            f"/v1/persons/{MOTHER}/names/{read['names'][0]['id']}",
            json={"family": "Тоқтарова"},
            headers={
                "Content-Type": "application/merge-patch+json",
                "If-Match": f'"{read["version"]}"',
                **intake.auth(Role.case_worker),
            },
        )
        assert r.status_code == 200, r.text
        assert await search(intake, "Тоқтарова") == [MOTHER]
        assert await search(intake, "Тоқ") == [MOTHER]
        assert await search(intake, "Жұмабаева") == [AISHA]

    async def test_an_added_name_is_found_at_the_persons_place_in_the_list(
        self, kazakh_family: ServiceClient
    ) -> None:
        intake = kazakh_family
        omar = "5a110000-0000-4000-8000-000000000003"
        r = await intake.http.post(
            f"/v1/persons/{omar}/names",
            json={"script": "Cyrl", "lang": "kk", "kind": "kazakh", "given": "Омар", "family": "Жұмабаев"},
            headers=intake.auth(Role.registrar),
        )
        assert r.status_code == 201, r.text
        assert await search(intake, "Жұмабаев") == [MOTHER, AISHA, omar]

    async def test_a_retired_name_is_still_found(self, kazakh_family: ServiceClient) -> None:
        intake = kazakh_family
        read = (await intake.http.get(f"/v1/persons/{MOTHER}", headers=intake.auth(Role.case_worker))).json()
        kazakh = next(n for n in read["names"] if n["kind"] == "kazakh")
        r = await intake.http.delete(
            f"/v1/persons/{MOTHER}/names/{kazakh['id']}",
            headers={"If-Match": f'"{read["version"]}"', **intake.auth(Role.case_worker)},
        )
        assert r.status_code == 200, r.text
        assert await search(intake, "Айгерім Жұмабаева") == [MOTHER]


class TestWhichWordDrives:
    async def test_the_rarest_word_comes_first_counted_or_from_planner_statistics(
        self, intake: ServiceClient
    ) -> None:
        await seed_operations(intake)
        await _register(intake, *(_person("Айша", "Ахметова") for _ in range(12)), _person("Ая", "Ахметова"))
        async with intake.db.transaction() as session:
            # SQLite counts the tokens; PostgreSQL reads the statistics ANALYZE leaves.
            await session.execute(text("ANALYZE person_name_token"))
            words = await rank_words(session, "Айша Ая")
            if session.get_bind().dialect.name == "postgresql":  # the statistics, not counts
                assert await _planner_rows(session, words) is not None
        # Ая has one token (a key, no consonant), Айша two, each far commoner.
        assert [w.key for w in words] == ["aya", "aisha"]
        assert words[0].rows < words[1].rows

    async def test_a_word_nobody_has_ends_the_search_or_drives_it(self, intake: ServiceClient) -> None:
        await seed_operations(intake)
        await _register(intake, *(_person("Айша", "Ахметова") for _ in range(3)))
        assert await search(intake, "Айша Брунгильда") == []
        assert await search(intake, "Брунгильда Айша") == []


async def _no_words_error(client: ServiceClient, q: str, language: str) -> dict[str, Any]:
    """The one error of a list with `q` that has no word to search; fails unless it is 422
    `no_words` naming `q`."""
    r = await client.http.get(
        "/v1/persons",
        params={"q": q},
        headers={**client.auth(Role.case_worker), "Accept-Language": language},
    )
    assert r.status_code == 422, r.text
    [error] = r.json()["errors"]
    assert (error["field"], error["code"]) == ("q", "no_words")
    return cast(dict[str, Any], error)


class TestSearchesWithoutAWord:
    @pytest.mark.parametrize("q", [" ", "\u200d", "!?", "Ай\ufe0fша"[2:3]])
    async def test_a_q_with_nothing_to_match_is_422_naming_q(
        self, kazakh_family: ServiceClient, q: str
    ) -> None:
        await _no_words_error(kazakh_family, q, "kk")

    @pytest.mark.parametrize("q", ["ا", "ع", "عا", "ь"])
    async def test_letters_never_searched_alone_are_422_saying_so(
        self, kazakh_family: ServiceClient, q: str
    ) -> None:
        # They romanise to nothing; the answer must not claim that no letters were given.
        error = await _no_words_error(kazakh_family, q, "ru")
        assert "ь, ъ" in error["message"], error
        assert "отдельно" in error["message"], error

    async def test_a_variation_selector_inside_a_word_does_not_split_it(
        self, kazakh_family: ServiceClient
    ) -> None:
        assert await search(kazakh_family, "Ай\ufe0fша Жұмабаева") == [AISHA]
