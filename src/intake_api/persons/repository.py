"""Person list queries: filters, text search across scripts (`search`), keyset pages."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from apicore.pagination import decode_cursor, encode_cursor
from intake_api.operations.models import Operation
from intake_api.persons import search
from intake_api.persons.models import DocumentNeed, Person, PersonNameToken
from intake_api.persons.search import query_words as query_words  # the baselines' import


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
    """A select of person ids to keep (a household's members, say)."""
    hide_custody: bool = False
    """Leave out persons in custody (a partner filtering by status or facility)."""

    def narrows(self) -> bool:
        """Whether any filter but `q` is set."""
        return any(getattr(self, f.name) not in (None, False) for f in fields(self) if f.name != "q")


_S = TypeVar("_S", bound=Select[*tuple[Any, ...]])


def _filtered(query: _S, f: PersonFilters) -> _S:
    """The query (over `person`, joined to `operation` when `f.operation` is set) with every
    filter but `q`."""
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
    return query


async def page(
    session: AsyncSession, filters: PersonFilters, *, limit: int, cursor: str | None
) -> tuple[list[tuple[Person, str]], str | None]:
    """Persons oldest registration first, filtered, `limit` at a time (keyset on `(created_at, id)`).

    With `q`, every word must match a word of one of the person's names (retired names too):
    the same word in any script through the romanised key, or the same consonant skeleton; a
    word of `MIN_PREFIX` letters or more (romanised: Жұ is `zhu`) also matches the words it
    starts, a shorter one whole words only (`search`).

    Raises:
        InvalidCursor: a cursor this service did not issue.
    """
    after = decode_cursor(cursor) if cursor is not None else None
    query = select(Person, Operation.code).options(selectinload(Person.names), selectinload(Person.needs))
    if filters.q is not None:
        words = await search.rank_words(session, filters.q)
        if not words:
            return [], None  # nothing searchable in the text, or a word nobody has

        def filtered(branch: Select[dt.datetime, uuid.UUID]) -> Select[dt.datetime, uuid.UUID]:
            if not filters.narrows():
                return branch  # no other filter: the tokens alone say who
            joined = branch.join(Person, Person.id == PersonNameToken.person_id)
            if filters.operation is not None:
                joined = joined.join(Operation, Operation.id == Person.operation_id)
            return _filtered(joined, filters)

        # The page's ids first, under a LIMIT of their own (`search.page_ids`), then their rows.
        ids = search.page_ids(words, after, limit + 1, filtered)
        query = (
            query.join(ids, Person.id == ids.c.person_id)
            .join(Operation, Operation.id == Person.operation_id)
            .order_by(ids.c.at, ids.c.person_id)
        )
    else:
        query = _filtered(query.join(Operation, Operation.id == Person.operation_id), filters)
        query = query.order_by(Person.created_at, Person.id).limit(limit + 1)
        if after is not None:
            after_at, after_id = after
            query = query.where(
                (Person.created_at > after_at) | ((Person.created_at == after_at) & (Person.id > after_id))
            )
    rows = [(r[0], r[1]) for r in (await session.execute(query)).all()]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(last.created_at, last.id)
    return rows[:limit], next_cursor
