"""Linking returnees as family, reading and removing links.

Every link is written from both sides at once (mother ↔ child, guardian ↔ ward, sibling ↔
sibling, ...); a mother ↔ child link also puts both in one household (`households.py`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.audit import AuditTrail
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.problems import FieldError, Problem, ValidationFailed, register_field_message
from intake_api.persons import service as person_service
from intake_api.relations import households, kinship
from intake_api.relations.kinship import RELATION_LABELS, Relation
from intake_api.relations.models import PersonRelation
from intake_api.relations.repository import parties, person_facts, serialise_family_changes
from intake_api.relations.schemas import PersonRelationsRead, RelationCreate, RelationRead

MAX_RELATIONS = 100
"""Links per person: far above any family, low enough to keep one answer small."""


class RelationExists(Problem):
    status = 409
    slug = "relation-exists"
    title = _l("These persons are already linked")
    detail = _l("Person {related_person_id} is already recorded as this person's {relation}.")
    example_params = {"related_person_id": "5a110000-0000-4000-8000-000000000001", "relation": "mother"}


class ParentAlreadyRecorded(Problem):
    status = 409
    slug = "parent-already-recorded"
    title = _l("Parent already recorded")
    detail = _l("Person {person_id} already has a {relation} recorded: person {parent_id}.")
    example_params = {
        "person_id": "5a110000-0000-4000-8000-00000000000c",
        "relation": "mother",
        "parent_id": "5a110000-0000-4000-8000-000000000001",
    }


class TooManyRelations(Problem):
    status = 409
    slug = "too-many-relations"
    title = _l("Too many family links")
    detail = _l("A person can have at most {limit} family links.")
    example_params = {"limit": MAX_RELATIONS}


class RelationNotFound(Problem):
    status = 404
    slug = "relation-not-found"
    title = _l("Family link not found")
    detail = _l("Person {related_person_id} is not linked to this person.")
    example_params = {"related_person_id": "5a110000-0000-4000-8000-000000000001"}


register_field_message("self_relation", _l("A person cannot be linked to themself."))
register_field_message("unknown_person", _l("No person with this id is registered."))
register_field_message("mother_not_female", _l("A mother must be female; this person is registered as male."))
register_field_message("father_not_male", _l("A father must be male; this person is registered as female."))
register_field_message(
    "parent_too_young",
    _l("By their birth dates the parent would be less than 12 years older than the child."),
)
register_field_message(
    "guardian_is_child", _l("A guardian must be an adult; this person is registered as a child.")
)


async def link(
    session: AsyncSession, person_id: uuid.UUID, body: RelationCreate, *, audit: AuditTrail
) -> RelationRead:
    """Record a family link from both sides, and the household a mother link forms.

    Raises:
        person_service.PersonNotFound: no person `person_id`.
        ValidationFailed: unknown or same related person; a link that cannot be true.
        RelationExists: the two are linked already (in either direction).
        ParentAlreadyRecorded: the child has another mother (or father) already.
        TooManyRelations: either person has `MAX_RELATIONS` links.
    """
    await serialise_family_changes(session)
    related_id = body.related_person_id
    found = await parties(session, {person_id, related_id})
    if person_id not in found:
        raise person_service.PersonNotFound(person_id=str(person_id))
    if related_id == person_id:
        raise ValidationFailed(errors=[FieldError("related_person_id", "self_relation")])
    if related_id not in found:
        raise ValidationFailed(errors=[FieldError("related_person_id", "unknown_person")])
    person, related = found[person_id], found[related_id]
    problems = kinship.link_problems(body.relation, person, related)
    if problems:
        raise ValidationFailed(errors=[FieldError("relation", code) for code in problems])
    inverse = kinship.inverse(body.relation, person.sex)

    existing = await _relation(session, person_id, related_id)
    if existing is not None:
        raise RelationExists(related_person_id=str(related_id), relation=RELATION_LABELS[existing.relation])
    for child_id, parent_relation in ((person_id, body.relation), (related_id, inverse)):
        if parent_relation in kinship.PARENTS:
            parent_id = await _parent(session, child_id, parent_relation)
            if parent_id is not None:
                raise ParentAlreadyRecorded(
                    person_id=str(child_id),
                    relation=RELATION_LABELS[parent_relation],
                    parent_id=str(parent_id),
                )
    counts = await _link_counts(session, [person_id, related_id])
    if max(counts.values(), default=0) >= MAX_RELATIONS:
        raise TooManyRelations(limit=MAX_RELATIONS)

    now = utcnow()
    rows = [
        PersonRelation(
            id=uuid.uuid4(),
            person_id=person_id,
            related_person_id=related_id,
            relation=body.relation,
            created_at=now,
        ),
        PersonRelation(
            id=uuid.uuid4(),
            person_id=related_id,
            related_person_id=person_id,
            relation=inverse,
            created_at=now,
        ),
    ]
    try:
        async with session.begin_nested():
            session.add_all(rows)
    except IntegrityError as exc:
        # Only reachable if the lock was bypassed; the unique indexes still hold the line.
        raise RelationExists(
            related_person_id=str(related_id), relation=RELATION_LABELS[body.relation]
        ) from exc
    await audit.record_many(
        session,
        "relation.created",
        subject_type="person",
        subject_ids=[person_id, related_id],
        fields=["relations"],
    )

    household_id: uuid.UUID | None = None
    mother_and_child = _mother_and_child(person_id, related_id, body.relation, inverse)
    if mother_and_child is not None:
        change = await households.join(session, *mother_and_child, now)
        household_id = change.household_id
        if change.joined:
            await audit.record_many(
                session,
                "household.joined",
                subject_type="person",
                subject_ids=change.joined,
                fields=["household"],
            )
    return RelationRead(
        person_id=person_id,
        related_person_id=related_id,
        relation=body.relation,
        inverse_relation=inverse,
        related_category=related.category,
        related_sex=related.sex,
        household_id=household_id,
        created_at=now,
    )


async def relations_of(
    session: AsyncSession, person_id: uuid.UUID, *, audit: AuditTrail
) -> PersonRelationsRead:
    """Every link of a person, with the household.

    Raises:
        person_service.PersonNotFound: no person `person_id`.
    """
    sex = await _sex(session, person_id)
    rows = (
        await session.execute(
            select(PersonRelation, person_facts.c.category, person_facts.c.sex)
            .join(person_facts, person_facts.c.id == PersonRelation.related_person_id)
            .where(PersonRelation.person_id == person_id)
            .order_by(PersonRelation.created_at, PersonRelation.related_person_id)
        )
    ).all()
    homes = await households.households_of(session, [person_id, *(r[0].related_person_id for r in rows)])
    own = homes.get(person_id)
    # Each relative listed is shown too (id, category, sex, household): a read of that person,
    # as a household's members are each audited.
    await audit.record_many(
        session,
        "relations.read",
        subject_type="person",
        subject_ids=[person_id, *dict.fromkeys(r[0].related_person_id for r in rows)],
        fields=["relations"],
    )
    return PersonRelationsRead(
        person_id=person_id,
        household_id=own,
        items=[
            _read(relation, sex, category, related_sex, own, homes)
            for relation, category, related_sex in rows
        ],
    )


async def get(
    session: AsyncSession, person_id: uuid.UUID, related_person_id: uuid.UUID, *, audit: AuditTrail
) -> RelationRead:
    """One link of a person.

    Raises:
        person_service.PersonNotFound: no person `person_id`.
        RelationNotFound: the two are not linked.
    """
    sex = await _sex(session, person_id)
    row = (
        await session.execute(
            select(PersonRelation, person_facts.c.category, person_facts.c.sex)
            .join(person_facts, person_facts.c.id == PersonRelation.related_person_id)
            .where(
                PersonRelation.person_id == person_id, PersonRelation.related_person_id == related_person_id
            )
        )
    ).first()
    if row is None:
        raise RelationNotFound(related_person_id=str(related_person_id))
    homes = await households.households_of(session, [person_id, related_person_id])
    await audit.record_many(
        session,
        "relations.read",
        subject_type="person",
        subject_ids=[person_id, related_person_id],
        fields=["relations"],
    )
    return _read(row[0], sex, row[1], row[2], homes.get(person_id), homes)


async def unlink(
    session: AsyncSession, person_id: uuid.UUID, related_person_id: uuid.UUID, *, audit: AuditTrail
) -> None:
    """Remove a link from both sides; a removed mother link regroups the household.

    Raises:
        person_service.PersonNotFound: no person `person_id`.
        RelationNotFound: the two are not linked.
    """
    await serialise_family_changes(session)
    await _sex(session, person_id)
    relation = await _relation(session, person_id, related_person_id)
    if relation is None:
        raise RelationNotFound(related_person_id=str(related_person_id))
    inverse = await _relation(session, related_person_id, person_id)
    await session.execute(
        delete(PersonRelation).where(
            (
                (PersonRelation.person_id == person_id)
                & (PersonRelation.related_person_id == related_person_id)
            )
            | (
                (PersonRelation.person_id == related_person_id)
                & (PersonRelation.related_person_id == person_id)
            )
        )
    )
    await audit.record_many(
        session,
        "relation.deleted",
        subject_type="person",
        subject_ids=[person_id, related_person_id],
        fields=["relations"],
    )
    mother_and_child = _mother_and_child(
        person_id, related_person_id, relation.relation, inverse.relation if inverse else relation.relation
    )
    if mother_and_child is not None:
        change = await households.split(session, *mother_and_child, utcnow())
        if change.left or change.joined:
            await audit.record_many(
                session,
                "household.changed",
                subject_type="person",
                subject_ids=[*change.left, *change.joined],
                fields=["household"],
            )


def _mother_and_child(
    person_id: uuid.UUID, related_id: uuid.UUID, relation: str, inverse: str
) -> tuple[uuid.UUID, uuid.UUID] | None:
    if relation == "mother":
        return related_id, person_id
    if inverse == "mother":
        return person_id, related_id
    return None


def _read(
    relation: PersonRelation,
    person_sex: str,
    related_category: str,
    related_sex: str,
    own_household: uuid.UUID | None,
    homes: dict[uuid.UUID, uuid.UUID],
) -> RelationRead:
    shared = (
        own_household
        if own_household is not None and homes.get(relation.related_person_id) == own_household
        else None
    )
    code: Relation = relation.relation  # type: ignore[assignment]
    return RelationRead(
        person_id=relation.person_id,
        related_person_id=relation.related_person_id,
        relation=code,
        inverse_relation=kinship.inverse(code, person_sex),
        related_category=related_category,
        related_sex=related_sex,
        household_id=shared,
        created_at=relation.created_at,
    )


async def _sex(session: AsyncSession, person_id: uuid.UUID) -> str:
    sex = (await session.execute(select(person_facts.c.sex).where(person_facts.c.id == person_id))).scalar()
    if sex is None:
        raise person_service.PersonNotFound(person_id=str(person_id))
    return str(sex)


async def _relation(
    session: AsyncSession, person_id: uuid.UUID, related_person_id: uuid.UUID
) -> PersonRelation | None:
    return (
        await session.execute(
            select(PersonRelation).where(
                PersonRelation.person_id == person_id, PersonRelation.related_person_id == related_person_id
            )
        )
    ).scalar_one_or_none()


async def _parent(session: AsyncSession, child_id: uuid.UUID, relation: str) -> uuid.UUID | None:
    return (
        await session.execute(
            select(PersonRelation.related_person_id).where(
                PersonRelation.person_id == child_id, PersonRelation.relation == relation
            )
        )
    ).scalar_one_or_none()


async def _link_counts(session: AsyncSession, person_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = await session.execute(
        select(PersonRelation.person_id, func.count())
        .where(PersonRelation.person_id.in_(person_ids))
        .group_by(PersonRelation.person_id)
    )
    return {person_id: int(n) for person_id, n in rows.all()}


async def are_linked(session: AsyncSession, person_id: uuid.UUID, other_id: uuid.UUID) -> bool:
    """Whether two persons are linked as family (in any relation)."""
    return await _relation(session, person_id, other_id) is not None
