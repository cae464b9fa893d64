"""Households: a mother and the children who travelled with her, kept as one group.

A household is a connected group of mother ↔ child links (a grandmother, her daughter and the
daughter's children form one). Linking a mother and a child puts them in one household: the
mother's, or the child's, or a new one; two households are merged when the link joins them.
Removing such a link splits the group again. Fathers do not form households: in this programme
the men were mostly convicted on return (BRIEF.md).

The persons feature reads membership through `households_of` and `person_ids_in_household`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.i18n import _l
from apicore.pagination import decode_cursor, encode_cursor
from apicore.problems import Problem
from intake_api.relations.models import Household, HouseholdMember, PersonRelation
from intake_api.relations.repository import person_facts
from intake_api.relations.schemas import HouseholdMemberRead, HouseholdRead, MemberRole


class HouseholdNotFound(Problem):
    status = 404
    slug = "household-not-found"
    title = _l("Household not found")
    detail = _l("No household with id {household_id} exists.")
    example_params = {"household_id": "4b0a0000-0000-4000-8000-000000000001"}


async def households_of(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """The household of each of `person_ids` that belongs to one: `{person_id: household_id}`.

    Persons in no household are absent from the answer.
    """
    ids = list(set(person_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(HouseholdMember.person_id, HouseholdMember.household_id).where(
            HouseholdMember.person_id.in_(ids)
        )
    )
    return {person_id: household_id for person_id, household_id in rows.all()}


def person_ids_in_household(household_id: uuid.UUID) -> Select[uuid.UUID]:
    """A select of the ids of the persons in a household, for `Person.id.in_(...)` filters."""
    return select(HouseholdMember.person_id).where(HouseholdMember.household_id == household_id)


@dataclass(frozen=True, slots=True)
class MembershipChange:
    """Who joined or left which household, for the audit trail."""

    household_id: uuid.UUID | None
    joined: list[uuid.UUID]
    left: list[uuid.UUID]


async def join(
    session: AsyncSession, mother_id: uuid.UUID, child_id: uuid.UUID, now: dt.datetime
) -> MembershipChange:
    """Put a mother and her child in one household (call with the family lock held)."""
    current = await households_of(session, [mother_id, child_id])
    mothers, childs = current.get(mother_id), current.get(child_id)
    if mothers is not None and mothers == childs:
        return MembershipChange(mothers, [], [])
    if mothers is not None and childs is not None:
        moved = await _members(session, childs)
        await session.execute(
            update(HouseholdMember)
            .where(HouseholdMember.household_id == childs)
            .values(household_id=mothers, joined_at=now)
        )
        await session.execute(delete(Household).where(Household.id == childs))
        await _touch(session, mothers, now)
        return MembershipChange(mothers, moved, [])
    if mothers is not None or childs is not None:
        target = mothers if mothers is not None else childs
        assert target is not None
        newcomer = child_id if mothers is not None else mother_id
        await _add(session, target, [newcomer], now)
        await _touch(session, target, now)
        return MembershipChange(target, [newcomer], [])
    household_id = uuid.uuid4()
    await session.execute(insert(Household).values(id=household_id, created_at=now, updated_at=now))
    await _add(session, household_id, [mother_id, child_id], now)
    return MembershipChange(household_id, [mother_id, child_id], [])


async def split(
    session: AsyncSession, mother_id: uuid.UUID, child_id: uuid.UUID, now: dt.datetime
) -> MembershipChange:
    """Regroup a household after a mother ↔ child link between two of its members was removed.

    The mother's part keeps the household; another part of two persons or more gets a new one;
    a person left alone belongs to no household. Call after deleting the link, with the lock held.
    """
    current = await households_of(session, [mother_id, child_id])
    household_id = current.get(mother_id)
    if household_id is None or current.get(child_id) != household_id:
        return MembershipChange(None, [], [])
    members = await _members(session, household_id)
    groups = _connected(members, await _mother_links(session, members))
    left: list[uuid.UUID] = []
    joined: list[uuid.UUID] = []
    for group in groups:
        if mother_id in group:
            if len(group) < 2:
                left += group
            continue
        if len(group) < 2:
            left += group
            continue
        new_id = uuid.uuid4()
        await session.execute(insert(Household).values(id=new_id, created_at=now, updated_at=now))
        await session.execute(
            update(HouseholdMember)
            .where(HouseholdMember.person_id.in_(group))
            .values(household_id=new_id, joined_at=now)
        )
        joined += group
    if left:
        await session.execute(delete(HouseholdMember).where(HouseholdMember.person_id.in_(left)))
    if len(await _members(session, household_id)) == 0:
        await session.execute(delete(Household).where(Household.id == household_id))
    else:
        await _touch(session, household_id, now)
    return MembershipChange(household_id, joined, left)


async def get(session: AsyncSession, household_id: uuid.UUID) -> HouseholdRead:
    """A household with its members.

    Raises:
        HouseholdNotFound: no such household.
    """
    household = await session.get(Household, household_id, populate_existing=True)
    if household is None:
        raise HouseholdNotFound(household_id=str(household_id))
    return (await _read_many(session, [household]))[0]


@dataclass(frozen=True, slots=True)
class HouseholdFilters:
    """Filters of the household list."""

    person_id: uuid.UUID | None = None
    operation_id: uuid.UUID | None = None
    member_status: str | None = None


async def page(
    session: AsyncSession, filters: HouseholdFilters, *, limit: int, cursor: str | None
) -> tuple[list[HouseholdRead], str | None]:
    """Households oldest first, filtered, `limit` at a time (keyset on `(created_at, id)`)."""
    query = select(Household).order_by(Household.created_at, Household.id).limit(limit + 1)
    if filters.person_id is not None:
        query = query.where(
            Household.id.in_(
                select(HouseholdMember.household_id).where(HouseholdMember.person_id == filters.person_id)
            )
        )
    member_conditions = []
    if filters.operation_id is not None:
        member_conditions.append(person_facts.c.operation_id == filters.operation_id)
    if filters.member_status is not None:
        member_conditions.append(person_facts.c.status == filters.member_status)
    for condition in member_conditions:
        query = query.where(
            Household.id.in_(
                select(HouseholdMember.household_id)
                .join(person_facts, person_facts.c.id == HouseholdMember.person_id)
                .where(condition)
            )
        )
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(
            (Household.created_at > after_at)
            | ((Household.created_at == after_at) & (Household.id > after_id))
        )
    rows = list((await session.execute(query)).scalars())
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
    return await _read_many(session, rows[:limit]), next_cursor


async def _read_many(session: AsyncSession, households: Sequence[Household]) -> list[HouseholdRead]:
    ids = [h.id for h in households]
    if not ids:
        return []
    rows = (
        await session.execute(
            select(
                HouseholdMember.household_id,
                HouseholdMember.person_id,
                HouseholdMember.joined_at,
                person_facts.c.category,
                person_facts.c.sex,
                person_facts.c.birth_on,
            )
            .join(person_facts, person_facts.c.id == HouseholdMember.person_id)
            .where(HouseholdMember.household_id.in_(ids))
        )
    ).all()
    member_ids = [r.person_id for r in rows]
    links = await _mother_links(session, member_ids)
    mothers = {mother for _, mother in links}
    with_mother = {child for child, _ in links}
    by_household: dict[uuid.UUID, list[tuple[tuple[int, dt.date, str], HouseholdMemberRead]]] = {
        i: [] for i in ids
    }
    for r in rows:
        role: MemberRole = (
            "mother" if r.person_id in mothers else "child" if r.person_id in with_mother else "member"
        )
        member = HouseholdMemberRead(
            person_id=r.person_id, role=role, category=r.category, sex=r.sex, joined_at=r.joined_at
        )
        order = (0 if role == "mother" else 1, r.birth_on, str(r.person_id))
        by_household[r.household_id].append((order, member))
    return [
        HouseholdRead(
            id=h.id,
            size=len(by_household[h.id]),
            members=[m for _, m in sorted(by_household[h.id], key=lambda t: t[0])],
            created_at=h.created_at,
            updated_at=h.updated_at,
        )
        for h in households
    ]


async def _members(session: AsyncSession, household_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        (
            await session.execute(
                select(HouseholdMember.person_id).where(HouseholdMember.household_id == household_id)
            )
        ).scalars()
    )


async def _mother_links(
    session: AsyncSession, person_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """`(child, mother)` of every mother link among `person_ids`."""
    if not person_ids:
        return []
    rows = await session.execute(
        select(PersonRelation.person_id, PersonRelation.related_person_id).where(
            PersonRelation.relation == "mother",
            PersonRelation.person_id.in_(person_ids),
            PersonRelation.related_person_id.in_(person_ids),
        )
    )
    return [(child, mother) for child, mother in rows.all()]


def _connected(
    members: Sequence[uuid.UUID], links: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> list[list[uuid.UUID]]:
    """The groups of `members` joined by `links` (union-find), each in the members' order."""
    parent = {m: m for m in members}

    def root(m: uuid.UUID) -> uuid.UUID:
        while parent[m] != m:
            parent[m] = parent[parent[m]]
            m = parent[m]
        return m

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[uuid.UUID, list[uuid.UUID]] = {}
    for m in members:
        groups.setdefault(root(m), []).append(m)
    return list(groups.values())


async def _add(
    session: AsyncSession, household_id: uuid.UUID, person_ids: Sequence[uuid.UUID], now: dt.datetime
) -> None:
    await session.execute(
        insert(HouseholdMember),
        [{"person_id": p, "household_id": household_id, "joined_at": now} for p in person_ids],
    )


async def _touch(session: AsyncSession, household_id: uuid.UUID, now: dt.datetime) -> None:
    await session.execute(update(Household).where(Household.id == household_id).values(updated_at=now))
