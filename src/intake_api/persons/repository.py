"""Person list queries: filters, text search across scripts, keyset pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from apicore.pagination import decode_cursor, encode_cursor
from intake_api.operations.models import Operation
from intake_api.persons.models import DocumentNeed, Person, PersonNameToken
from intake_api.persons.names import consonant_skeleton, search_key

MAX_QUERY_WORDS = 6


@dataclass(frozen=True, slots=True)
class PersonFilters:
    """Filters of the person list; None means "any"."""

    operation: str | None = None
    category: str | None = None
    status: str | None = None
    facility: str | None = None
    needs_document: str | None = None
    arrived_from: dt.date | None = None
    arrived_to: dt.date | None = None
    q: str | None = None
    person_ids: Select[Any] | None = None
    hide_custody: bool = False
    """Leave out persons in custody (a partner filtering by status or facility)."""
    """A select of person ids to keep (a household's members, say)."""


def query_words(q: str) -> list[tuple[str, str]]:
    """`(romanised key, consonant skeleton)` of each word of a search text, at most 6 words."""
    words = []
    for word in q.split()[:MAX_QUERY_WORDS]:
        key = search_key(word)
        if key:
            skeleton = consonant_skeleton(word)
            words.append((key.split()[0], skeleton.split()[0] if skeleton else ""))
    return words


_KEY_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _after_prefix(prefix: str) -> str | None:
    """The least key (of `[0-9a-z]`, as `search_key` makes them) above every key starting with
    `prefix` ("abz" -> "ac"), or None when there is none ("zz"). Digits sort before letters and
    such keys compare character by character in the C collation and in the usual locales alike."""
    chars = list(prefix)
    while chars:
        position = _KEY_ALPHABET.find(chars[-1])
        if 0 <= position < len(_KEY_ALPHABET) - 1:
            chars[-1] = _KEY_ALPHABET[position + 1]
            return "".join(chars)
        chars.pop()
    return None


def _word_matches(key: str, skeleton: str) -> Select[Any]:
    """Persons with a name word starting with this key, or with this consonant skeleton.

    The key catches the same spelling in any script (Айша / Aisha); the skeleton catches
    spellings that differ in vowels only (Мұхаммед / Muhammad / محمد → `mhmd`), DOMAIN.md.
    """
    t = PersonNameToken
    prefix = key.replace("\\", "").replace("%", "").replace("_", "")
    # A range the (kind, token) index can serve on both databases (neither uses an ordinary
    # index for LIKE: SQLite's LIKE ignores case, PostgreSQL's needs pattern_ops); LIKE stays
    # as the exact test.
    in_range = [t.token >= prefix]
    if (upper := _after_prefix(prefix)) is not None:
        in_range.append(t.token < upper)
    conditions = [and_(t.kind == "key", *in_range, t.token.like(prefix + "%"))]
    if skeleton:
        conditions.append(and_(t.kind == "skel", t.token == skeleton))
    return select(t.person_id).where(or_(*conditions))


async def page(
    session: AsyncSession, filters: PersonFilters, *, limit: int, cursor: str | None
) -> tuple[list[tuple[Person, str]], str | None]:
    """Persons oldest registration first, filtered, `limit` at a time (keyset on `(created_at, id)`).

    Raises:
        InvalidCursor: a cursor this service did not issue.
    """
    query = (
        select(Person, Operation.code)
        .join(Operation, Operation.id == Person.operation_id)
        .options(selectinload(Person.names), selectinload(Person.needs))
        .order_by(Person.created_at, Person.id)
        .limit(limit + 1)
    )
    f = filters
    if f.operation is not None:
        query = query.where(Operation.code == f.operation)
    if f.category is not None:
        query = query.where(Person.category == f.category)
    if f.status is not None:
        query = query.where(Person.status == f.status)
    if f.hide_custody:
        query = query.where(Person.status != "in_custody")
    if f.facility is not None:
        query = query.where(Person.facility == f.facility)
    if f.arrived_from is not None:
        query = query.where(Person.arrival_on >= f.arrived_from)
    if f.arrived_to is not None:
        query = query.where(Person.arrival_on <= f.arrived_to)
    if f.needs_document is not None:
        query = query.where(
            Person.id.in_(
                select(DocumentNeed.person_id).where(
                    DocumentNeed.kind == f.needs_document, DocumentNeed.state == "active"
                )
            )
        )
    if f.person_ids is not None:
        query = query.where(Person.id.in_(f.person_ids))
    if f.q is not None:
        words = query_words(f.q)
        if not words:
            query = query.where(false())  # nothing searchable in the text: nothing matches
        for key, skeleton in words:
            query = query.where(Person.id.in_(_word_matches(key, skeleton)))
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(
            (Person.created_at > after_at) | ((Person.created_at == after_at) & (Person.id > after_id))
        )
    rows = [(r[0], r[1]) for r in (await session.execute(query)).all()]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(last.created_at, last.id)
    return rows[:limit], next_cursor
