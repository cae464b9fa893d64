"""Registering and finding returnees."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from apicore.audit import AuditTrail
from apicore.auth import Principal
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.outbox import enqueue
from apicore.problems import FieldError, Problem, ValidationFailed, register_field_message
from apicore.tables import PlatformTables
from intake_api.operations import service as operation_service
from intake_api.operations.models import Operation
from intake_api.persons import rules
from intake_api.persons.models import DocumentNeed, Person, PersonName, PersonNameToken, StatusEvent
from intake_api.persons.names import derive_name_keys
from intake_api.persons.schemas import NameIn, PersonCreate

NEED_TOPIC = "document_need.created"
NEED_CANCELLED_TOPIC = "document_need.cancelled"


class PersonExists(Problem):
    status = 409
    slug = "person-exists"
    title = _l("Person already registered")
    detail = _l("A person with id {person_id} is already registered with other data.")
    example_params = {"person_id": "5a110000-0000-4000-8000-000000000001"}

    def __init__(self, person_id: uuid.UUID) -> None:
        super().__init__(
            person_id=str(person_id),
            errors=[FieldError("id", "person_exists")],
            extensions={"existing": f"/v1/persons/{person_id}"},
        )


class IINTaken(Problem):
    status = 409
    slug = "iin-taken"
    title = _l("IIN already registered")
    detail = _l("Another person is already registered with this IIN.")

    def __init__(self) -> None:
        super().__init__(errors=[FieldError("iin", "iin_taken")])


class PersonNotFound(Problem):
    status = 404
    slug = "person-not-found"
    title = _l("Person not found")
    detail = _l("No person with id {person_id} is registered.")
    example_params = {"person_id": "5a110000-0000-4000-8000-000000000001"}


register_field_message("unknown_operation", _l("No operation with this code exists."))
register_field_message("iin_taken", _l("This IIN is already registered to another person."))
register_field_message(
    "person_exists", _l("A person with this id exists with other data: read it, then change it with PATCH.")
)


def body_fingerprint(raw: Any) -> str:
    """SHA-256 of a registration body as parsed JSON (key order and spacing ignored)."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def name_tokens(person_id: uuid.UUID, name: PersonName) -> list[PersonNameToken]:
    """The searchable words of a name: romanised keys and consonant skeletons, once each."""
    seen = {("key", word) for word in name.search_key.split()} | {("skel", s) for s in name.skeleton.split()}
    return [
        PersonNameToken(person_id=person_id, name_id=name.id, kind=kind, token=token[:100])
        for kind, token in sorted(seen)
    ]


def build_name(person_id: uuid.UUID, position: int, name: NameIn) -> tuple[PersonName, list[PersonNameToken]]:
    """A stored name with its derived Latin form, search key, skeleton and tokens."""
    keys = derive_name_keys(name.given, name.family, name.patronymic, name.script, name.lang)
    stored = PersonName(
        id=uuid.uuid4(),
        person_id=person_id,
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
        current=False,
        created_at=utcnow(),
    )
    return stored, name_tokens(person_id, stored)


def choose_current(names: Sequence[PersonName], marked: Sequence[bool]) -> None:
    """Mark one active name current: the one marked, else the Kazakh name, else the first."""
    active = [(n, m) for n, m in zip(names, marked, strict=True) if n.retired_at is None]
    if not active:
        return
    chosen = next((n for n, m in active if m), None)
    chosen = chosen or next((n for n, _ in active if n.kind == "kazakh"), None) or active[0][0]
    for name in names:
        name.current = name is chosen


async def add_need(
    session: AsyncSession, tables: PlatformTables, person_id: uuid.UUID, kind: str, *, reason: str
) -> DocumentNeed:
    """A new active need and its outbox event, in the caller's transaction."""
    need_id = uuid.uuid4()
    event_id = await enqueue(
        session,
        tables,
        NEED_TOPIC,
        {"need_id": str(need_id), "person_id": str(person_id), "kind": kind},
        aggregate_id=person_id,
    )
    return DocumentNeed(
        id=need_id,
        person_id=person_id,
        kind=kind,
        reason=reason,
        state="active",
        delivery="pending",
        outbox_event_id=event_id,
        created_at=utcnow(),
    )


async def register(
    session: AsyncSession,
    tables: PlatformTables,
    body: PersonCreate,
    raw: Any,
    *,
    audit: AuditTrail,
) -> tuple[Person, bool]:
    """Store a new returnee with names, document needs and their outbox events.

    A client-chosen id posted again with an identical body (as parsed JSON) returns the
    existing person and creates nothing (`created` is False): a phone that lost the answer and
    has no idempotency key still gets one person.

    Returns:
        `(person, created)`.

    Raises:
        ValidationFailed: unknown operation, or category, sex and dates that do not fit.
        PersonExists: the client-chosen id is taken by a different body.
        IINTaken: another person holds this IIN.
    """
    fingerprint = body_fingerprint(raw)
    if body.id is not None:
        existing = await find(session, body.id)
        if existing is not None:
            return _same_or_conflict(existing, fingerprint), False
    operation = await operation_service.by_code(session, body.operation)
    errors = rules.category_errors(
        category=body.category,
        sex=body.sex,
        birth=body.birth_date,
        arrival=body.arrival_date,
        today=utcnow().date(),
    )
    if operation is None:
        errors.insert(0, FieldError("operation", "unknown_operation"))
    if errors:
        raise ValidationFailed(errors=errors)
    assert operation is not None
    if (
        body.iin is not None
        and (await session.execute(select(Person.id).where(Person.iin == body.iin))).first() is not None
    ):
        raise IINTaken
    person = _new_person(body, operation, fingerprint)
    tokens: list[PersonNameToken] = []
    for position, name in enumerate(body.names):
        stored, name_tokens_ = build_name(person.id, position, name)
        person.names.append(stored)
        tokens.extend(name_tokens_)
    choose_current(person.names, [n.current for n in body.names])
    kind = rules.needed_document(body.category)
    if kind is not None:
        person.needs.append(await add_need(session, tables, person.id, kind, reason="derived"))
    try:
        async with session.begin_nested():  # a savepoint, so we can look after a failed insert
            session.add(person)
            await session.flush()
            # One executemany for the ~10 search words instead of an ORM INSERT each (the ORM
            # cannot batch rows whose autoincrement ids it must read back): bench/README.md.
            if tokens:
                await session.execute(
                    insert(PersonNameToken),
                    [
                        {"person_id": t.person_id, "name_id": t.name_id, "kind": t.kind, "token": t.token}
                        for t in tokens
                    ],
                )
    except IntegrityError as exc:
        # A concurrent request took the id or the IIN between our checks and the insert.
        existing = await find(session, person.id)
        if existing is not None:
            raise PersonExists(person.id) from exc
        raise IINTaken from exc
    record_status(
        session, person, audit.principal, from_status=None, facility=person.facility, at=person.created_at
    )
    await audit.record(
        session,
        "person.created",
        subject_type="person",
        subject_id=person.id,
        fields=sorted(body.model_fields_set),
    )
    return person, True


def record_status(
    session: AsyncSession,
    person: Person,
    principal: Principal | None,
    *,
    from_status: str | None,
    reason: str | None = None,
    host_relative_id: uuid.UUID | None = None,
    facility: str | None = None,
    at: dt.datetime | None = None,
) -> StatusEvent:
    """Append the event of the person's move to its current status (from nothing to `arrived`
    at registration); `at` defaults to now. Added to the session, not flushed."""
    event = StatusEvent(
        id=uuid.uuid4(),
        person_id=person.id,
        from_status=from_status,
        to_status=person.status,
        reason=reason,
        host_relative_id=host_relative_id,
        facility=facility,
        actor_name=principal.name if principal else "system",
        actor_role=principal.role.value if principal else "system",
        at=at or utcnow(),
    )
    session.add(event)
    return event


def _same_or_conflict(existing: Person, fingerprint: str) -> Person:
    if existing.intake_fingerprint != fingerprint:
        raise PersonExists(existing.id)
    return existing


def _new_person(body: PersonCreate, operation: Operation, fingerprint: str) -> Person:
    now = utcnow()
    consent = body.consent
    return Person(
        id=body.id or uuid.uuid4(),
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
        facility=body.facility,
        notes=body.notes,
        consent_tracing=consent.tracing if consent else None,
        consent_sharing=consent.sharing if consent else None,
        consent_given_by=consent.given_by if consent else None,
        warnings=rules.name_warnings([(n.given, n.family, n.patronymic) for n in body.names])
        + rules.iin_warnings(body.iin, body.birth_date, body.sex),
        intake_fingerprint=fingerprint,
        version=1,
        created_at=now,
        updated_at=now,
        names=[],
        needs=[],
    )


def _with_children() -> tuple[Any, ...]:
    return (selectinload(Person.names), selectinload(Person.needs))


async def find(session: AsyncSession, person_id: uuid.UUID) -> Person | None:
    """A person with names and needs, or None."""
    return (
        await session.execute(
            select(Person)
            .where(Person.id == person_id)
            .options(*_with_children())
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()


async def get(session: AsyncSession, person_id: uuid.UUID) -> Person:
    """A person with names and needs.

    Raises:
        PersonNotFound: no such person.
    """
    person = await find(session, person_id)
    if person is None:
        raise PersonNotFound(person_id=str(person_id))
    return person


async def operation_codes(session: AsyncSession, operation_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Operation codes by id."""
    if not operation_ids:
        return {}
    rows = await session.execute(select(Operation.id, Operation.code).where(Operation.id.in_(operation_ids)))
    return {row.id: row.code for row in rows}
