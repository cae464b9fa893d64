"""`q` on the person list: which persons match every word, read in page order from an index.

Each name word is stored as tokens (`names.search_tokens`) in `person_name_token`, each row
with its person's `created_at`, under the index `(kind, token, person_created_at, person_id)`:
the persons having a token come out of one index range already in the list's order
`(created_at, id)`. A search reads the rarest word's tokens that way and checks the other words
on those persons only ("blocking"): a page of one word costs about the same at a thousand
persons and at a million, common or rare; with several words, at most about the driving word's
rows (bench/README.md, "Findings" §2).

Where a database stores whole words only (SQLite, `names.prefixes_stored`), a word of
`MIN_PREFIX` letters or more reads the range of the stored words it starts (`PREFIX_END`), its
persons sorted to the list's order, and a person is checked for it through the person's own
tokens (bench/README.md, "Findings" §12).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from apicore.schemas import DEFAULT_IGNORABLE
from intake_api.persons.models import PersonNameToken
from intake_api.persons.names import (
    KIND_KEY,
    KIND_PREFIX,
    KIND_SKELETON,
    MAX_TOKEN,
    MIN_PREFIX,
    PREFIX_END,
    consonant_skeleton,
    prefixes_stored,
    search_key,
)

Q_DESCRIPTION: Final = (
    "A name in any script: `Айша`, `Aisha` and `عائشة` find the same child. Every word (at most 6,"
    " split at spaces and punctuation; more are refused with 422) must match a word of one of the"
    " person's names, retired names included. A word of three"
    " letters or more (counted in Latin: `Жұ` is `zhu`) also finds the names it starts (`Жұм`"
    " finds Жұмабаева), and the name words with the same consonants, vowels left out as Arabic"
    " script often writes them (`Айша` finds عائشة, `Ян` finds Иван: both `n`); one or two"
    " letters find whole words only. Matches come in registration order, not by closeness."
)
"""The OpenAPI description of the list's `q` parameter."""
MAX_QUERY_WORDS: Final = 6
WORD_COUNT_CAP: Final = 1000
"""Rows counted per token at most to rank words where PostgreSQL's statistics are missing."""
SET_CHECK_MAX_ROWS: Final = 20_000
"""A word with at most this many token rows (and not far more than the driving word's) is
checked against the set of its persons, read once; a commoner one by a probe per person."""
SET_CHECK_MAX_RATIO: Final = 4


@dataclass(frozen=True, slots=True)
class Word:
    """One word of `q`: its romanised key and consonant skeleton, and how many token rows match
    it (an estimate; `inf` when unknown)."""

    key: str
    skeleton: str
    rows: float = math.inf

    def tokens(self) -> list[tuple[str, str]]:
        """The `(kind, token)` pairs the word matches: its key as the start of a name word (`pfx`,
        the whole word included) and its skeleton as a whole word (`skel`) when it has
        `MIN_PREFIX` letters or more; a shorter word only as a whole word (`key`): the skeleton
        of one or two letters (`Ми` -> `m`) would find every name with that one consonant. A
        person matches the word when it has any of them."""
        if len(self.key) < MIN_PREFIX:
            return [(KIND_KEY, self.key)]
        found = [(KIND_PREFIX, self.key)]
        if self.skeleton:
            found.append((KIND_SKELETON, self.skeleton))
        return found


# What separates the words of a search, as it separates the words of a stored name: anything but
# letters, digits, combining marks and apostrophes (`search_key` drops apostrophes inside words).
_WORD_BREAK: Final = re.compile(r"[^\w\u0300-\u036f\u064b-\u065f\u0670'’ʼ‘]+|_")


def query_parts(q: str) -> list[str]:
    """The words of a search text as typed, split where a stored name's words are split: at
    spaces and at punctuation (`Айша,Абдуллаева` is two words), after NFKC (the ligature ﷺ
    is four words, as it is stored).

    Invisible characters (format controls, Unicode category Cf: joiners, direction marks, soft
    hyphens; and the other default-ignorables: variation selectors, Hangul fillers, the
    combining grapheme joiner) are dropped first, not split at: stored names refuse them, and a
    keyboard or a copy from a document that put a zero-width joiner inside `Ива‍нов` still
    means one word."""
    visible = "".join(ch for ch in q if ch not in DEFAULT_IGNORABLE and unicodedata.category(ch) != "Cf")
    return [part for part in _WORD_BREAK.split(unicodedata.normalize("NFKC", visible)) if part]


def query_words(q: str) -> list[tuple[str, str]]:
    """`(romanised key, consonant skeleton)` of each word of a search text, at most 6 words
    (`query_parts`; the list refuses more, `MAX_QUERY_WORDS`).

    Each is the first word of the key and of the skeleton the word gives (a word of vowels only
    has no skeleton: ""), cut to the tokens' length (`MAX_TOKEN`).
    """
    words = []
    for word in query_parts(q)[:MAX_QUERY_WORDS]:
        key = search_key(word)
        if key:
            skeleton = consonant_skeleton(word)
            words.append((key.split()[0][:MAX_TOKEN], skeleton.split()[0][:MAX_TOKEN] if skeleton else ""))
    return words


def word_tokens(key: str, skeleton: str) -> list[tuple[str, str]]:
    """The `(kind, token)` pairs a query word matches (`Word.tokens`)."""
    return Word(key, skeleton).tokens()


def _starting(token: ColumnElement[str], start: Any, end: Any) -> ColumnElement[bool]:
    """`token` is a stored word that `start` begins: `start <= token < end`, `end` being
    `start + PREFIX_END` (a value or a bound parameter of it)."""
    return and_(token >= start, token < end)


def _token_of(t: Any, kind: str, token: str, *, ranged: bool) -> ColumnElement[bool]:
    if ranged and kind == KIND_PREFIX:
        return and_(t.kind == kind, _starting(t.token, token, token + PREFIX_END))
    return and_(t.kind == kind, t.token == token)


def stores_prefixes(session: AsyncSession) -> bool:
    """`names.prefixes_stored` for the database `session` is bound to: where it does not, a
    word's prefix is read as a range of whole words."""
    return prefixes_stored(session.get_bind().dialect.name)


# The planner's statistics of `token` (ANALYZE; target 1000, migration intake_0007): the most
# common tokens with their share of the rows, and the least of those shares. Tokens are a-z and
# 0-9, so the text form of the `anyarray` parses as text[].
_PLANNER_SHARES = text(
    "SELECT m.token, m.share, s.most_common_freqs[cardinality(s.most_common_freqs)] AS floor, c.reltuples"
    " FROM pg_stats AS s"
    " JOIN pg_class AS c ON c.oid = to_regclass(quote_ident(s.schemaname) || '.' || quote_ident(s.tablename))"
    " LEFT JOIN LATERAL unnest(s.most_common_vals::text::text[], s.most_common_freqs) AS m(token, share)"
    " ON m.token = ANY(:tokens)"
    " WHERE s.schemaname = current_schema() AND s.tablename = 'person_name_token'"
    " AND s.attname = 'token' AND s.most_common_vals IS NOT NULL"
)


async def _planner_rows(session: AsyncSession, words: list[Word]) -> list[float] | None:
    """Token rows of each word by PostgreSQL's statistics, or None without them (never analysed).

    A token outside the most common counts as the least common of them: an upper bound (the
    planner's own guess, the average of the rest, is far lower than the whole names people
    type). Such a word is cheap to drive with or to check anyway.
    """
    tokens = sorted({token for word in words for _kind, token in word.tokens()})
    rows = (await session.execute(_PLANNER_SHARES, {"tokens": tokens})).all()
    if not rows:
        return None
    floor, total = float(rows[0].floor), max(float(rows[0].reltuples), 0.0)
    share = {row.token: float(row.share) for row in rows if row.token is not None}
    return [sum(share.get(token, floor) for _kind, token in word.tokens()) * total for word in words]


async def _capped_rows(session: AsyncSession, words: list[Word]) -> list[float]:
    """Token rows of each word, each token counted up to `WORD_COUNT_CAP` (a few short index
    ranges whatever the words); `inf` for a word with a token past the cap."""
    t = PersonNameToken
    ranged = not stores_prefixes(session)
    counts = [
        select(func.count())
        .select_from(
            select(t.person_id)
            .where(_token_of(t, kind, token, ranged=ranged))
            .limit(WORD_COUNT_CAP)
            .subquery()
        )
        .scalar_subquery()
        for word in words
        for kind, token in word.tokens()
    ]
    found = iter((await session.execute(select(*counts))).one())
    rows = []
    for word in words:
        mine = [next(found) for _ in word.tokens()]
        rows.append(math.inf if max(mine) >= WORD_COUNT_CAP else float(sum(mine)))
    return rows


async def rank_words(session: AsyncSession, q: str) -> list[Word]:
    """The words of `q`, the one with the fewest token rows first: it drives the search, the
    others are checked on its persons only, so a wrong estimate costs a longer walk, never a
    wrong answer. [] when nothing in `q` can match: no searchable word, or (where counted) a
    word nobody has.

    One word needs no estimate. Several: on PostgreSQL the planner's statistics tell, with no
    scan at all; elsewhere, or before the first ANALYZE, capped counts (`WORD_COUNT_CAP`).
    Between words of equal estimate, the longer key first: surnames are longer and rarer.
    """
    words = [Word(key, skeleton) for key, skeleton in query_words(q)]
    if len(words) < 2:
        return words
    rows = await _planner_rows(session, words) if session.get_bind().dialect.name == "postgresql" else None
    if rows is None:
        rows = await _capped_rows(session, words)
        if min(rows) == 0:
            return []
    ranked = [Word(w.key, w.skeleton, n) for w, n in zip(words, rows, strict=True)]
    return sorted(ranked, key=lambda w: (w.rows, -len(w.key)))


@dataclass(frozen=True, slots=True)
class Shape:
    """What the structure of a `q` statement depends on; its words, cursor and size are bound
    parameters (`search_parameters`). Statements of one shape are built once (`page_ids`):
    building one cost more than running it (bench/README.md)."""

    tokens: tuple[int, ...]
    """Tokens of each word, the driving word first."""
    as_set: tuple[bool, ...]
    """For each other word: checked as a set of its persons (else by a probe per person)."""
    after: bool
    """Whether the page starts after a cursor."""
    ranged: tuple[bool, ...] = ()
    """For each word: its first token (`pfx`) is read as the range of the words it starts
    (`stores_prefixes`); empty where no word is."""


def search_parameters(
    words: list[Word], after: tuple[dt.datetime, uuid.UUID] | None, size: int, *, ranges: bool = False
) -> tuple[Shape, dict[str, Any]]:
    """The shape of the statement finding a page of `size` persons having every word, and the
    values of its parameters.

    Args:
        words: from `rank_words`, at least one, the driving word first.
        after: the cursor's `(created_at, id)`, or None for the first page.
        size: persons wanted (the page's limit plus one, to tell whether a next page exists).
        ranges: the database stores whole words only (`stores_prefixes`): a `pfx` token is the
            start of a range, which ends at `end_{word}` (`PREFIX_END`).
    """
    driver, *others = words
    values: dict[str, Any] = {"page_size": size}
    ranged = []
    for i, word in enumerate(words):
        tokens = word.tokens()
        for j, (kind, token) in enumerate(tokens):
            values[f"kind_{i}_{j}"] = kind
            values[f"token_{i}_{j}"] = token
        ranged.append(ranges and tokens[0][0] == KIND_PREFIX)
        if ranged[-1]:
            values[f"end_{i}"] = tokens[0][1] + PREFIX_END
    if after is not None:
        values["after_at"], values["after_id"] = after
    shape = Shape(
        tokens=tuple(len(w.tokens()) for w in words),
        as_set=tuple(_checks(driver, w) for w in others),
        after=after is not None,
        ranged=tuple(ranged) if any(ranged) else (),
    )
    return shape, values


def _is_range(shape: Shape, word: int, token: int) -> bool:
    return token == 0 and bool(shape.ranged) and shape.ranged[word]


def _token_is(t: Any, word: int, token: int, ranged: bool = False) -> ColumnElement[bool]:
    if ranged:
        return and_(
            t.kind == bindparam(f"kind_{word}_{token}"),
            _starting(t.token, bindparam(f"token_{word}_{token}"), bindparam(f"end_{word}")),
        )
    return and_(t.kind == bindparam(f"kind_{word}_{token}"), t.token == bindparam(f"token_{word}_{token}"))


_NO_INDEX: Final[ColumnElement[str]] = literal_column("''")
"""Appended to a column (`x || ''`), keeps SQLite from using an index for the term: SQLite,
"The SQLite Query Optimizer Overview", disqualifying WHERE clause terms."""


def _probe(
    at: InstrumentedAttribute[dt.datetime],
    person_id: InstrumentedAttribute[uuid.UUID],
    word: int,
    tokens: int,
    ranged: bool = False,
) -> ColumnElement[bool]:
    """The person (`at`, `person_id` of a token row) has a token of word `word`: one exact
    probe of the index `(kind, token, person_created_at, person_id)` per token, read without
    the table, the next only when the first misses.

    Scalar subqueries with LIMIT 1 rather than EXISTS: PostgreSQL turns an EXISTS into a (hash)
    semi join that reads every token row of the word, the very scan the driving word avoids.

    `ranged` (SQLite, `stores_prefixes`): the first token is the start of a range of words, which
    no probe of that index can pin to one person; it is checked among the person's own tokens
    (the index on `person_id`, a few dozen rows). `|| ''` keeps SQLite's planner off the token
    index for it, which without statistics it would take for the likelier.
    """
    t = aliased(PersonNameToken)

    def has(j: int) -> ColumnElement[bool]:
        if ranged and j == 0:
            return and_(
                t.person_id == person_id,
                t.kind.concat(_NO_INDEX) == bindparam(f"kind_{word}_0"),
                _starting(t.token.concat(_NO_INDEX), bindparam(f"token_{word}_0"), bindparam(f"end_{word}")),
            )
        return and_(_token_is(t, word, j), t.person_created_at == at, t.person_id == person_id)

    return or_(
        *(select(t.person_id).where(has(j)).limit(1).scalar_subquery().is_not(None) for j in range(tokens))
    )


def _in_set(
    person_id: InstrumentedAttribute[uuid.UUID], word: int, tokens: int, ranged: bool = False
) -> ColumnElement[bool]:
    """The person is among those having a token of word `word`, a set read once for the whole
    statement (a CTE, so each branch of the driving word shares it): cheaper than a probe per
    person when the word has few rows and the driving word's persons rarely have it too.
    `ranged`: the first token is the start of a range of words (`stores_prefixes`)."""
    t = aliased(PersonNameToken)
    # One index range per token, read without the table (an OR would visit the table's rows).
    ranges = [select(t.person_id).where(_token_is(t, word, j, ranged and j == 0)) for j in range(tokens)]
    having = union_all(*ranges).cte(f"word_{word}")
    return person_id.in_(select(having.c.person_id))


def _checks(driver: Word, other: Word) -> bool:
    """Whether to check `other` as a set (else by probes) while walking `driver`'s persons."""
    return other.rows <= SET_CHECK_MAX_ROWS and other.rows <= SET_CHECK_MAX_RATIO * driver.rows


def page_ids(
    shape: Shape,
    filtered: Callable[[Select[dt.datetime, uuid.UUID]], Select[dt.datetime, uuid.UUID]] | None = None,
) -> Subquery:
    """`(at, person_id)` of the next `page_size` persons having every word, in page order, for
    the parameters of `search_parameters`.

    The first word drives: each of its tokens is one range of the index `(kind, token,
    person_created_at, person_id)`, read in page order with the other words checked on each
    person, and stopped after `page_size` persons by a LIMIT of its own; the page is the first
    `page_size` of their union (the first `page_size` distinct persons of the union are among
    the first `page_size` of some token's). So the work is about `page_size` matches per token
    of the driving word however common it is, and the planner never sees a reason to read
    every match. A word read as a range (`Shape.ranged`, SQLite) has its persons sorted
    instead: its branch reads every stored word it starts, a few thousand rows at most on the
    databases SQLite serves.

    Args:
        shape: from `search_parameters`.
        filtered: adds the list's other filters to a select over the token rows (joining
            `person` and `operation` as needed); called once per branch. None: no other filter.
    """
    t = PersonNameToken
    size = bindparam("page_size", type_=Integer)
    checks = [
        _in_set(t.person_id, i, n, _is_range(shape, i, 0))
        if as_set
        else _probe(t.person_created_at, t.person_id, i, n, _is_range(shape, i, 0))
        for i, (n, as_set) in enumerate(zip(shape.tokens[1:], shape.as_set, strict=True), start=1)
    ]
    branches = []
    for j in range(shape.tokens[0]):
        branch = (
            select(t.person_created_at.label("at"), t.person_id.label("person_id"))
            .distinct()  # one person may have the token in several names
            .where(_token_is(t, 0, j, _is_range(shape, 0, j)), *checks)
            .order_by(t.person_created_at, t.person_id)
            .limit(size)
        )
        if shape.after:
            # The first condition bounds the index range; the second finishes the keyset test.
            after_at: BindParameter[dt.datetime] = bindparam("after_at")
            after_id: BindParameter[uuid.UUID] = bindparam("after_id")
            branch = branch.where(
                t.person_created_at >= after_at, or_(t.person_created_at > after_at, t.person_id > after_id)
            )
        firsts = (filtered(branch) if filtered is not None else branch).subquery()
        branches.append(select(firsts.c.at, firsts.c.person_id))
    merged = union_all(*branches).subquery("word_matches")
    return (
        select(merged.c.at, merged.c.person_id)
        .distinct()
        .order_by(merged.c.at, merged.c.person_id)
        .limit(size)
        .subquery("page_ids")
    )
