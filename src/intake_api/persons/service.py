"""Registering and reading returnees."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from apicore.audit import AuditTrail
from apicore.db import utcnow
from apicore.i18n import _l, current_locale
from apicore.identifiers.iin import iin_birth_facts
from apicore.outbox import enqueue
from apicore.pagination import decode_cursor, encode_cursor
from apicore.partial_dates import PartialDate, age_in_full_years_range
from apicore.problems import FieldError, Problem, ValidationFailed, register_field_message
from apicore.tables import PlatformTables
from intake_api.operations import service as operation_service
from intake_api.operations.models import Operation
from intake_api.persons.models import DocumentNeed, Person, PersonName
from intake_api.persons.names import derive_name_keys, mixed_script_words
from intake_api.persons.schemas import (
    BirthPlace,
    DocumentNeedRead,
    NameRead,
    PersonCreate,
    PersonRead,
    Warning,
)

ADULT_AGE = 18
NEED_TOPIC = "document_need.created"


class PersonExists(Problem):
    status = 409
    slug = "person-exists"
    title = _l("Person already registered")
    detail = _l("A person with id {person_id} already exists.")
    example_params = {"person_id": "5a110000-0000-4000-8000-000000000001"}


class IINTaken(Problem):
    status = 409
    slug = "iin-taken"
    title = _l("IIN already registered")
    detail = _l("Another person is already registered with this IIN.")


class PersonNotFound(Problem):
    status = 404
    slug = "person-not-found"
    title = _l("Person not found")
    detail = _l("No person with id {person_id} is registered.")
    example_params = {"person_id": "5a110000-0000-4000-8000-000000000001"}


register_field_message("unknown_operation", _l("No operation with this code exists."))
register_field_message(
    "child_too_old",
    _l("A child must be under 18 on the arrival day; by this birth date the person is an adult."),
)
register_field_message(
    "adult_too_young",
    _l("An adult must be 18 or older on the arrival day; by this birth date the person is a child."),
)
register_field_message("category_sex", _l("This category does not match the sex given."))
register_field_message("born_after_arrival", _l("The birth date is after the arrival date."))
register_field_message("arrival_in_future", _l("The arrival date is in the future."))

_WARNING_MESSAGES = {
    "mixed_script": _l("A word mixes Cyrillic and Latin letters: check for a keyboard slip."),
    "iin_mismatch": _l(
        "The IIN's digits do not match the birth date or sex. "
        "This has been allowed since 2013, but check the number."
    ),
}


def _needed_document(category: str) -> str | None:
    # The programme: children get Kazakh birth certificates, women clean passports (BRIEF.md).
    return {"child": "birth_certificate", "woman": "passport"}.get(category)


def check_category(body: PersonCreate) -> list[FieldError]:
    """Cross-field rules a schema cannot state; returns the field errors (empty when fine).

    A category is refused only when no day within the birth date's precision fits it.
    """
    errors: list[FieldError] = []
    birth: PartialDate = body.birth_date
    arrival = body.arrival_date
    if arrival > utcnow().date():
        errors.append(FieldError("arrival_date", "arrival_in_future"))
    if birth.earliest() > arrival:
        errors.append(FieldError("birth_date", "born_after_arrival"))
        return errors
    youngest, oldest = age_in_full_years_range(birth, arrival)
    if body.category == "child" and youngest >= ADULT_AGE:
        errors.append(FieldError("category", "child_too_old"))
    if body.category in {"woman", "man"} and oldest < ADULT_AGE:
        errors.append(FieldError("category", "adult_too_young"))
    if (body.category, body.sex) in {("woman", "male"), ("man", "female")}:
        errors.append(FieldError("category", "category_sex"))
    return errors


def find_warnings(body: PersonCreate) -> list[dict[str, str]]:
    """Warnings to show with the person: `[{code, field}]`."""
    found: list[dict[str, str]] = []
    for i, name in enumerate(body.names):
        for part in ("given", "family", "patronymic"):
            value = getattr(name, part)
            if value and mixed_script_words(value):
                found.append({"code": "mixed_script", "field": f"names.{i}.{part}"})
    if body.iin is not None:
        facts = iin_birth_facts(body.iin)
        birth = body.birth_date
        date_fits = facts.birth_date is not None and birth.earliest() <= facts.birth_date <= birth.latest()
        if not date_fits or facts.sex != body.sex:
            found.append({"code": "iin_mismatch", "field": "iin"})
    return found


@dataclass(frozen=True, slots=True)
class PersonFilters:
    """Filters of the person list."""

    operation: str | None = None
    category: str | None = None


async def register(
    session: AsyncSession, tables: PlatformTables, body: PersonCreate, *, audit: AuditTrail
) -> tuple[Person, Operation]:
    """Store a new returnee with names, document needs and their outbox events.

    Raises:
        ValidationFailed: unknown operation, or category, sex and dates that do not fit.
        PersonExists: the client-chosen id is taken.
        IINTaken: another person holds this IIN.
    """
    operation = await operation_service.by_code(session, body.operation)
    errors = check_category(body)
    if operation is None:
        errors.insert(0, FieldError("operation", "unknown_operation"))
    if errors:
        raise ValidationFailed(errors=errors)
    assert operation is not None
    person_id = body.id or uuid.uuid4()
    if await session.get(Person, person_id) is not None:
        raise PersonExists(person_id=str(person_id))
    if (
        body.iin is not None
        and (await session.execute(select(Person.id).where(Person.iin == body.iin))).first() is not None
    ):
        raise IINTaken(errors=[FieldError("iin", "iin_taken")])
    now = utcnow()
    person = Person(
        id=person_id,
        operation_id=operation.id,
        category=body.category,
        sex=body.sex,
        birth_on=body.birth_date.earliest(),
        birth_precision=body.birth_date.precision,
        birth_date_estimated=body.birth_date_estimated,
        birth_place=body.birth_place.model_dump(exclude_none=True) if body.birth_place else None,
        iin=body.iin,
        languages=list(body.languages),
        arrival_on=body.arrival_date,
        status="arrived",
        warnings=find_warnings(body),
        version=1,
        created_at=now,
        updated_at=now,
    )
    for position, name in enumerate(body.names):
        keys = derive_name_keys(name.given, name.family, name.patronymic, name.script, name.lang)
        person.names.append(
            PersonName(
                id=uuid.uuid4(),
                position=position,
                script=name.script,
                lang=name.lang,
                kind=name.kind,
                given=name.given,
                family=name.family,
                patronymic=name.patronymic,
                latin=keys.latin,
                search_key=keys.key,
                skeleton=keys.skeleton,
            )
        )
    kind = _needed_document(body.category)
    if kind is not None:
        need_id = uuid.uuid4()
        event_id = await enqueue(
            session,
            tables,
            NEED_TOPIC,
            {"need_id": str(need_id), "person_id": str(person_id), "kind": kind},
            aggregate_id=person_id,
        )
        person.needs.append(
            DocumentNeed(
                id=need_id,
                kind=kind,
                reason="derived",
                delivery="pending",
                outbox_event_id=event_id,
                created_at=now,
            )
        )
    try:
        async with session.begin_nested():  # a savepoint, so we can look after a failed insert
            session.add(person)
    except IntegrityError as exc:
        # A concurrent request took the id or the IIN between our checks and the insert.
        if await session.get(Person, person_id, populate_existing=True) is not None:
            raise PersonExists(person_id=str(person_id)) from exc
        raise IINTaken(errors=[FieldError("iin", "iin_taken")]) from exc
    await audit.record(
        session,
        "person.created",
        subject_type="person",
        subject_id=person_id,
        fields=sorted(body.model_fields_set),
    )
    return person, operation


register_field_message("iin_taken", _l("This IIN is already registered to another person."))


async def get(session: AsyncSession, person_id: uuid.UUID) -> tuple[Person, str]:
    """A person with names and needs, and the operation's code.

    Raises:
        PersonNotFound: no such person.
    """
    row = (
        await session.execute(
            select(Person, Operation.code)
            .join(Operation, Operation.id == Person.operation_id)
            .where(Person.id == person_id)
            .options(selectinload(Person.names), selectinload(Person.needs))
        )
    ).first()
    if row is None:
        raise PersonNotFound(person_id=str(person_id))
    return row[0], row[1]


async def page(
    session: AsyncSession, filters: PersonFilters, *, limit: int, cursor: str | None
) -> tuple[list[tuple[Person, str]], str | None]:
    """Persons oldest first, filtered, `limit` at a time (keyset on `(created_at, id)`)."""
    query = (
        select(Person, Operation.code)
        .join(Operation, Operation.id == Person.operation_id)
        .options(selectinload(Person.names), selectinload(Person.needs))
        .order_by(Person.created_at, Person.id)
        .limit(limit + 1)
    )
    if filters.operation is not None:
        query = query.where(Operation.code == filters.operation)
    if filters.category is not None:
        query = query.where(Person.category == filters.category)
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


def read(person: Person, operation_code: str) -> PersonRead:
    """The public form of a person, warnings in the request's language."""
    locale = current_locale()
    birth = PartialDate.from_stored(person.birth_on, person.birth_precision)  # type: ignore[arg-type]
    return PersonRead(
        id=person.id,
        operation=operation_code,
        category=person.category,
        sex=person.sex,
        birth_date=birth.iso(),
        birth_date_estimated=person.birth_date_estimated,
        birth_place=BirthPlace.model_validate(person.birth_place) if person.birth_place else None,
        iin=person.iin,
        names=[
            NameRead(
                script=n.script,
                lang=n.lang,
                kind=n.kind,
                given=n.given,
                family=n.family,
                patronymic=n.patronymic,
                latin_suggested=n.latin,
            )
            for n in person.names
        ],
        languages=person.languages,
        arrival_date=person.arrival_on,
        status=person.status,
        document_needs=[
            DocumentNeedRead(
                kind=need.kind,
                reason=need.reason,
                delivery=need.delivery,
                request_id=need.request_id,
                delivered_at=need.delivered_at,
            )
            for need in person.needs
        ],
        warnings=[
            Warning(code=w["code"], field=w["field"], message=_WARNING_MESSAGES[w["code"]].render(locale))
            for w in person.warnings
        ],
        version=person.version,
        created_at=person.created_at,
        updated_at=person.updated_at,
    )
