"""Person list queries: filters, text search across scripts (`search`), keyset pages."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, TypeVar, cast

from sqlalchemy import Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.pagination import decode_cursor, encode_cursor
from intake_api.operations.models import Operation
from intake_api.persons import search, service
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


def _persons() -> Select[Any]:
    """Person rows with their operation's code (`_operation`): plain rows, made into persons by
    `service.shown_many`, not loaded as ORM objects."""
    return select(cast(Table, Person.__table__), Operation.code.label("_operation"))


def _searching(
    shape: search.Shape,
    filtered: Callable[[Select[dt.datetime, uuid.UUID]], Select[dt.datetime, uuid.UUID]] | None = None,
) -> Select[Any]:
    """The page's ids first, under a LIMIT of their own (`search.page_ids`), then their rows."""
    ids = search.page_ids(shape, filtered)
    return (
        _persons()
        .join(ids, Person.id == ids.c.person_id)
        .join(Operation, Operation.id == Person.operation_id)
        .order_by(ids.c.at, ids.c.person_id)
    )


@functools.lru_cache(maxsize=256)
def _searching_by_names_only(shape: search.Shape) -> Select[Any]:
    """`_searching` without other filters, built once per shape (a few dozen in all)."""
    return _searching(shape)


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
    values: dict[str, Any] = {}
    if filters.q is not None:
        words = await search.rank_words(session, filters.q)
        if not words:
            return [], None  # nothing searchable in the text, or a word nobody has
        shape, values = search.search_parameters(
            words, after, limit + 1, ranges=not search.stores_prefixes(session)
        )
        if filters.narrows():

            def filtered(branch: Select[dt.datetime, uuid.UUID]) -> Select[dt.datetime, uuid.UUID]:
                joined = branch.join(Person, Person.id == PersonNameToken.person_id)
                if filters.operation is not None:
                    joined = joined.join(Operation, Operation.id == Person.operation_id)
                return _filtered(joined, filters)

            query = _searching(shape, filtered)
        else:
            query = _searching_by_names_only(shape)  # the tokens alone say who: built once
    else:
        query = _filtered(_persons().join(Operation, Operation.id == Person.operation_id), filters)
        query = query.order_by(Person.created_at, Person.id).limit(limit + 1)
        if after is not None:
            after_at, after_id = after
            query = query.where(
                (Person.created_at > after_at) | ((Person.created_at == after_at) & (Person.id > after_id))
            )
    found = [dict(r) for r in (await session.execute(query, values)).mappings()]
    next_cursor = None
    if len(found) > limit:
        last = found[limit - 1]
        next_cursor = encode_cursor(last["created_at"], last["id"])
    found = found[:limit]
    persons = await service.shown_many(session, found)
    return [(p, r["_operation"]) for p, r in zip(persons, found, strict=True)], next_cursor
