"""Registering and finding returnees."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import BindParameter, Select, Table, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from apicore import driver, outbox
from apicore.audit import AuditTrail
from apicore.auth import Principal
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.outbox import enqueue_rows, event_row
from apicore.problems import FieldError, Problem, ValidationFailed, register_field_message
from apicore.tables import PlatformTables
from intake_api.operations import service as operation_service
from intake_api.operations.models import Operation
from intake_api.persons import rules
from intake_api.persons.models import DocumentNeed, Person, PersonName, PersonNameToken, StatusEvent
from intake_api.persons.names import derive_name_keys, search_tokens
from intake_api.persons.schemas import NameIn, PersonCreate
from intake_api.persons.search import stores_prefixes
from intake_api.relations.models import HouseholdMember

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


def token_rows(
    person_id: uuid.UUID,
    person_created_at: dt.datetime,
    name_id: uuid.UUID,
    search_key: str,
    skeleton: str,
    *,
    prefixes: bool,
) -> list[dict[str, Any]]:
    """The searchable words of a name as `person_name_token` rows (`names.search_tokens`:
    romanised keys, their prefixes where `prefixes` (`names.prefixes_stored`) and consonant
    skeletons, once each), carrying the person's `created_at` so that the search index returns
    them in page order."""
    return [
        {
            "person_id": person_id,
            "name_id": name_id,
            "kind": kind,
            "token": token,
            "person_created_at": person_created_at,
        }
        for kind, token in search_tokens(search_key, skeleton, prefixes=prefixes)
    ]


def name_tokens(person: Person, name: PersonName, *, prefixes: bool) -> list[PersonNameToken]:
    """`token_rows` of a stored name, as ORM objects."""
    rows = token_rows(
        person.id, person.created_at, name.id, name.search_key, name.skeleton, prefixes=prefixes
    )
    return [PersonNameToken(**row) for row in rows]


def name_row(person_id: uuid.UUID, position: int, name: NameIn) -> dict[str, Any]:
    """A `person_name` row with its derived Latin form, search key and skeleton."""
    keys = derive_name_keys(name.given, name.family, name.patronymic, name.script, name.lang)
    return {
        "id": uuid.uuid4(),
        "person_id": person_id,
        "position": position,
        "script": name.script,
        "lang": name.lang,
        "kind": name.kind,
        "given": name.given,
        "family": name.family,
        "patronymic": name.patronymic,
        "latin": keys.latin,
        "search_key": keys.key,
        "skeleton": keys.skeleton,
        "current": False,
        "created_at": utcnow(),
        "retired_at": None,
        "retired_reason": None,
    }


def build_name(
    person: Person, position: int, name: NameIn, *, prefixes: bool
) -> tuple[PersonName, list[PersonNameToken]]:
    """A stored name (ORM) with its derived Latin form, search key, skeleton and tokens
    (`prefixes`: `names.prefixes_stored`)."""
    stored = PersonName(**name_row(person.id, position, name))
    return stored, name_tokens(person, stored, prefixes=prefixes)


def choose_current(names: Sequence[PersonName], marked: Sequence[bool]) -> None:
    """Mark one active name current: the one marked, else the Kazakh name, else the first."""
    active = [(n, m) for n, m in zip(names, marked, strict=True) if n.retired_at is None]
    if not active:
        return
    chosen = next((n for n, m in active if m), None)
    chosen = chosen or next((n for n, _ in active if n.kind == "kazakh"), None) or active[0][0]
    for name in names:
        name.current = name is chosen


def _new_need(person_id: uuid.UUID, kind: str, *, reason: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new active need as a `document_need` row, and the outbox row announcing it
    (`apicore.outbox.event_row`)."""
    need_id = uuid.uuid4()
    event = event_row(
        NEED_TOPIC,
        {"need_id": str(need_id), "person_id": str(person_id), "kind": kind},
        aggregate_id=person_id,
    )
    need = {
        "id": need_id,
        "person_id": person_id,
        "kind": kind,
        "reason": reason,
        "state": "active",
        "delivery": "pending",
        "outbox_event_id": event["id"],
        "request_id": None,
        "delivered_at": None,
        "created_at": utcnow(),
    }
    return need, event


async def add_need(
    session: AsyncSession, tables: PlatformTables, person_id: uuid.UUID, kind: str, *, reason: str
) -> DocumentNeed:
    """A new active need and its outbox event, in the caller's transaction."""
    need, event = _new_need(person_id, kind, reason=reason)
    await enqueue_rows(session, tables, [event])
    return DocumentNeed(**need)


@dataclass(slots=True)
class Registration:
    """A new returnee's rows, built in memory before any is written (`prepare_registration`).

    Plain rows, not ORM objects: registration is the hottest write path, and building and
    inspecting instrumented objects was most of a batch's time (bench/README.md).
    """

    person: dict[str, Any]
    names: list[SimpleNamespace]
    """`person_name` rows, as objects so that `choose_current` and `views.read` take them."""
    tokens: list[dict[str, Any]]
    needs: list[dict[str, Any]]
    events: list[dict[str, Any]]
    """Outbox rows (`apicore.outbox.event_row`) announcing the needs."""
    status: dict[str, Any]
    fields: list[str]
    """The fields posted, for the audit event."""

    @property
    def shown(self) -> Person:
        """The new person for `views.read` (a read-only `PersonShown`)."""
        needs = [SimpleNamespace(**need) for need in self.needs]
        return cast(Person, PersonShown(self.person, self.names, needs))


def prepare_registration(
    body: PersonCreate,
    operation_id: uuid.UUID | None,
    fingerprint: str,
    principal: Principal | None,
    *,
    prefixes: bool,
) -> Registration:
    """The rows of a registration: the person, its names and search words, the document need
    its category calls for with the outbox event announcing it, and its first status event.
    No I/O. `operation_id` None: `register` reads it as it inserts the person row. `prefixes`:
    whether the database stores word prefixes as tokens (`names.prefixes_stored`)."""
    person = _new_person(body, operation_id, fingerprint)
    person_id = person["id"]
    names = [
        SimpleNamespace(**name_row(person_id, position, name)) for position, name in enumerate(body.names)
    ]
    created_at = person["created_at"]
    tokens = [
        t
        for n in names
        for t in token_rows(person_id, created_at, n.id, n.search_key, n.skeleton, prefixes=prefixes)
    ]
    choose_current(cast(list[PersonName], names), [n.current for n in body.names])
    needs, events = [], []
    kind = rules.needed_document(body.category)
    if kind is not None:
        need, event = _new_need(person_id, kind, reason="derived")
        needs.append(need)
        events.append(event)
    status = status_row(
        person_id,
        person["status"],
        principal,
        from_status=None,
        facility=person["facility"],
        at=person["created_at"],
    )
    return Registration(person, names, tokens, needs, events, status, sorted(body.model_fields_set))


async def store_registrations(
    session: AsyncSession,
    tables: PlatformTables,
    registrations: Sequence[Registration],
    *,
    audit: AuditTrail,
) -> None:
    """Write prepared registrations (a batch's, checked first) and their `person.created` audit
    events: the person rows (one INSERT, an executemany for several), then the rest of every
    table in one `driver.insert_tables` (on PostgreSQL one statement; the tables in the order
    their foreign keys need on SQLite). A batch of 500 persons takes the same statements as one.

    Raises:
        IntegrityError: an id, IIN or name row collided with a concurrent writer; the caller's
            savepoint decides what follows.
    """
    await driver.insert_rows(session, _table(Person), [r.person for r in registrations])
    await driver.insert_tables(session, _rows_after_person(tables, registrations, audit))
    _note_events(session, registrations)


def _note_events(session: AsyncSession, registrations: Sequence[Registration]) -> None:
    """Once `registrations` are written: if they announced needs, the outbox dispatcher is woken
    when the session commits."""
    if any(r.events for r in registrations):
        outbox.written(session)


def _rows_after_person(
    tables: PlatformTables, registrations: Sequence[Registration], audit: AuditTrail
) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Every row of `registrations` but the persons', by table, in the order their foreign keys
    need."""
    events = [e for r in registrations for e in r.events]
    return [
        (_table(PersonName), [vars(n) for r in registrations for n in r.names]),
        (_table(PersonNameToken), [t for r in registrations for t in r.tokens]),
        (tables.outbox_event, events),
        (_table(DocumentNeed), [n for r in registrations for n in r.needs]),
        (_table(StatusEvent), [r.status for r in registrations]),
        (
            audit.table,
            audit.rows_each("person.created", "person", [(r.person["id"], r.fields) for r in registrations]),
        ),
    ]


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
    has no idempotency key still gets one person. A new person is returned read-only
    (`Registration.shown`).

    Statements: the person row, its operation's id read by the same INSERT (`INSERT ...
    SELECT ... FROM operation`, `ON CONFLICT DO NOTHING`), then, only if it was written, one
    INSERT per table of the rest; on PostgreSQL all of them one statement
    (`driver.insert_after`). Only when the person row is not written is the operation looked
    up on its own, to tell an unknown operation from a taken id or IIN.

    Returns:
        `(person, created)`.

    Raises:
        ValidationFailed: unknown operation, or category, sex and dates that do not fit.
        PersonExists: the client-chosen id is taken by a different body.
        IINTaken: another person holds this IIN.
    """
    fingerprint = body_fingerprint(raw)
    errors = _rule_errors(body)
    if errors:
        # Refused before any write; an unknown operation is named beside the other errors.
        operation_id = await operation_service.id_of(session, body.operation)
        raise ValidationFailed(errors=_with_operation(errors, operation_id))
    registration = prepare_registration(
        body, None, fingerprint, audit.principal, prefixes=stores_prefixes(session)
    )
    # The person row, unless its id or IIN is taken, and only then the rest: no SELECT before,
    # no savepoint around, and a concurrent registration of the same id waits for ours, then
    # finds it. On PostgreSQL all of it is one statement (`driver.insert_after`).
    operation_id = await _insert_person(
        session,
        registration.person,
        body.operation,
        _rows_after_person(tables, [registration], audit),
    )
    if operation_id is None:
        if await operation_service.id_of(session, body.operation) is None:
            raise ValidationFailed(errors=_with_operation([], None))
        existing = await find(session, body.id) if body.id is not None else None
        if existing is not None:
            return _same_or_conflict(existing, fingerprint), False
        raise IINTaken
    registration.person["operation_id"] = operation_id
    _note_events(session, [registration])
    return registration.shown, True


async def _insert_person(
    session: AsyncSession,
    person: dict[str, Any],
    operation: str,
    after: list[tuple[Table, list[dict[str, Any]]]],
) -> uuid.UUID | None:
    """Insert `person` (its `operation_id` aside) under the operation with code `operation` and,
    if it was written, the rows `after` (`driver.insert_after`); the operation's id, or None
    when nothing was written (no such operation, or the id or IIN is taken)."""
    keys = tuple(k for k in person if k != "operation_id")
    statement = _person_under_operation(session.get_bind().dialect.name, keys)
    params = {f"p_{k}": person[k] for k in keys} | {"p__operation": operation}
    rows = await driver.insert_after(session, statement, params, after)
    return rows[0][0] if rows else None


@functools.cache
def _person_under_operation(dialect: str, keys: tuple[str, ...]) -> Any:
    """`INSERT INTO person (keys..., operation_id) SELECT :p_key..., operation.id FROM operation
    WHERE code = :p__operation ON CONFLICT DO NOTHING RETURNING operation_id`, built once per
    dialect and key set. The WHERE clause is also what SQLite needs to read `ON CONFLICT` as
    the upsert clause of an `INSERT ... SELECT` (SQLite's documentation, "UPSERT")."""
    person = _table(Person)
    source = select(*(bindparam(f"p_{k}", type_=person.c[k].type) for k in keys), _OPERATION.c.id).where(
        _OPERATION.c.code == bindparam("p__operation", type_=_OPERATION.c.code.type)
    )
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (
        insert(person)
        .from_select([*keys, "operation_id"], source)
        .on_conflict_do_nothing()
        .returning(person.c.operation_id)
    )


def registration_errors(body: PersonCreate, operation_id: uuid.UUID | None) -> list[FieldError]:
    """What refuses a registration before the database is asked about its id and IIN: an
    unknown operation, or category, sex and dates that do not fit (`rules.category_errors`)."""
    return _with_operation(_rule_errors(body), operation_id)


def _rule_errors(body: PersonCreate) -> list[FieldError]:
    """Category, sex and dates that do not fit (`rules.category_errors`); no I/O."""
    return rules.category_errors(
        category=body.category,
        sex=body.sex,
        birth=body.birth_date,
        arrival=body.arrival_date,
        today=utcnow().date(),
    )


def _with_operation(errors: list[FieldError], operation_id: uuid.UUID | None) -> list[FieldError]:
    """`errors`, led by `unknown_operation` when the operation was not found."""
    return errors if operation_id is not None else [FieldError("operation", "unknown_operation"), *errors]


def _table(model: type[Any]) -> Table:
    """A mapped class's table, for Core statements."""
    return cast(Table, model.__table__)


_OPERATION = _table(Operation)


def status_row(
    person_id: uuid.UUID,
    to_status: str,
    principal: Principal | None,
    *,
    from_status: str | None,
    reason: str | None = None,
    host_relative_id: uuid.UUID | None = None,
    facility: str | None = None,
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    """A `status_event` row: the person's move to `to_status` (from nothing to `arrived` at
    registration), by `principal` (None: the system); `at` defaults to now."""
    return {
        "id": uuid.uuid4(),
        "person_id": person_id,
        "from_status": from_status,
        "to_status": to_status,
        "reason": reason,
        "host_relative_id": host_relative_id,
        "facility": facility,
        "actor_name": principal.name if principal else "system",
        "actor_role": principal.role.value if principal else "system",
        "at": at or utcnow(),
    }


def _same_or_conflict(existing: Person, fingerprint: str) -> Person:
    if existing.intake_fingerprint != fingerprint:
        raise PersonExists(existing.id)
    return existing


def _new_person(body: PersonCreate, operation_id: uuid.UUID | None, fingerprint: str) -> dict[str, Any]:
    """The `person` row of a registration."""
    now = utcnow()
    consent = body.consent
    return {
        "id": body.id or uuid.uuid4(),
        "operation_id": operation_id,
        "category": body.category,
        "sex": body.sex,
        "birth_on": body.birth_date.earliest(),
        "birth_precision": body.birth_date.precision,
        "birth_date_estimated": body.birth_date_estimated,
        "birth_place": body.birth_place.model_dump(exclude_none=True) if body.birth_place else None,
        "iin": body.iin,
        "languages": list(body.languages),
        "arrival_on": body.arrival_date,
        "status": "arrived",
        "facility": body.facility,
        "notes": body.notes,
        "consent_tracing": consent.tracing if consent else None,
        "consent_sharing": consent.sharing if consent else None,
        "consent_given_by": consent.given_by if consent else None,
        "warnings": rules.name_warnings([(n.script, n.given, n.family, n.patronymic) for n in body.names])
        + rules.iin_warnings(body.iin, body.birth_date, body.sex),
        "intake_fingerprint": fingerprint,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }


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


@dataclass(frozen=True, slots=True)
class PersonShown:
    """A person as read for showing: the attributes `views.read` uses, nothing the ORM tracks."""

    values: dict[str, Any]
    names: list[SimpleNamespace]
    needs: list[SimpleNamespace]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name]
        except KeyError:
            raise AttributeError(name) from None


def _prefixed(table: Table, prefix: str) -> list[Any]:
    return [column.label(prefix + column.name) for column in table.c]


@dataclass(frozen=True, slots=True)
class _ReadingLayout:
    """Where each part of a row of `_reading_statement` is: `(position, column name)` pairs."""

    person: list[tuple[int, str]]
    name: list[tuple[int, str]]
    need: list[tuple[int, str]]
    operation: int
    household: int

    @property
    def name_id(self) -> int:
        return next(i for i, k in self.name if k == "id")

    @property
    def need_id(self) -> int:
        return next(i for i, k in self.need if k == "id")


@functools.cache
def _reading_layout() -> _ReadingLayout:
    keys = list(_reading_statement().selected_columns.keys())
    person = {c.name for c in _table(Person).c}
    return _ReadingLayout(
        person=[(i, k) for i, k in enumerate(keys) if k in person],
        name=[(i, k[3:]) for i, k in enumerate(keys) if k.startswith("n__")],
        need=[(i, k[3:]) for i, k in enumerate(keys) if k.startswith("d__")],
        operation=keys.index("_operation"),
        household=keys.index("_household"),
    )


@functools.cache
def _reading_statement() -> Select[Any]:
    """The SELECT of `find_for_reading`, built once (building it cost more than running it)."""
    p, operation, member = _table(Person), _table(Operation), _table(HouseholdMember)
    names_table, needs_table = _table(PersonName), _table(DocumentNeed)
    return (
        select(
            p,
            operation.c.code.label("_operation"),
            member.c.household_id.label("_household"),
            *_prefixed(names_table, "n__"),
            *_prefixed(needs_table, "d__"),
        )
        .join(operation, operation.c.id == p.c.operation_id)
        .outerjoin(member, member.c.person_id == p.c.id)
        .outerjoin(names_table, names_table.c.person_id == p.c.id)
        .outerjoin(needs_table, needs_table.c.person_id == p.c.id)
        .where(p.c.id == bindparam("person_id"))
        .order_by(names_table.c.position, needs_table.c.kind, needs_table.c.created_at)
    )


async def find_for_reading(
    session: AsyncSession, person_id: uuid.UUID, *, audit: AuditTrail | None = None
) -> tuple[Person, str, uuid.UUID | None] | None:
    """A person to show, or None: `(person, operation code, household id or None)`.

    One Core SELECT: the person joined with its operation's code, its household, its names and
    its needs (a row per name × need: a handful), sorted out here into a read-only `PersonShown`
    typed as the `Person` it stands for. The read is the most frequent request: through the ORM
    (`selectinload`, identity map, instrumented objects) it took six statements and most of the
    time (bench/README.md). Nothing returned here can be changed or flushed.

    `audit`: the read's `person.read` event is written, only if the person was found, with the
    SELECT (`driver.insert_after`: on PostgreSQL one statement, one round trip fewer).
    """
    after = (
        []
        if audit is None
        else [(audit.table, audit.rows_each("person.read", "person", [(person_id, None)]))]
    )
    rows = await driver.insert_after(session, _reading_statement(), {"person_id": person_id}, after)
    if not rows:
        return None
    # Each row by position: a dict of every row's 60-odd columns cost more than the SELECT.
    at = _reading_layout()
    name_id, need_id = at.name_id, at.need_id
    names: dict[Any, SimpleNamespace] = {}
    needs: dict[Any, SimpleNamespace] = {}
    for row in rows:
        if row[name_id] is not None and row[name_id] not in names:
            names[row[name_id]] = SimpleNamespace(**{k: row[i] for i, k in at.name})
        if row[need_id] is not None and row[need_id] not in needs:
            needs[row[need_id]] = SimpleNamespace(**{k: row[i] for i, k in at.need})
    first = rows[0]
    # Sorted here, not by the rows' order: on PostgreSQL the SELECT is a `WITH` query of the
    # statement that writes the audit event, and only the outer query's order would hold.
    ordered_names = sorted(names.values(), key=lambda n: n.position)
    ordered_needs = sorted(needs.values(), key=lambda n: (n.kind, n.created_at))
    shown = PersonShown({k: first[i] for i, k in at.person}, ordered_names, ordered_needs)
    return cast(Person, shown), first[at.operation], first[at.household]


@functools.cache
def _children_statements() -> tuple[Select[Any], Select[Any]]:
    """The SELECTs of `shown_many`: names, then needs, of a set of persons, built once."""
    names_table, needs_table = _table(PersonName), _table(DocumentNeed)
    ids: BindParameter[list[uuid.UUID]] = bindparam("person_ids", expanding=True)
    return (
        select(names_table).where(names_table.c.person_id.in_(ids)).order_by(names_table.c.position),
        select(needs_table)
        .where(needs_table.c.person_id.in_(ids))
        .order_by(needs_table.c.kind, needs_table.c.created_at),
    )


async def shown_many(session: AsyncSession, persons: Sequence[dict[str, Any]]) -> list[Person]:
    """Persons to show, from their rows (`person` columns by name), in the same order.

    Their names and needs come in two Core SELECTs for the whole set, whatever its size, sorted
    as `find_for_reading` sorts them; each person is a read-only `PersonShown` typed as the
    `Person` it stands for. Through the ORM (`selectinload`, identity map, instrumented
    objects) a page of 20 spent most of its time building objects (bench/README.md).
    """
    if not persons:
        return []
    ids = [p["id"] for p in persons]
    names_of: dict[Any, list[SimpleNamespace]] = {i: [] for i in ids}
    needs_of: dict[Any, list[SimpleNamespace]] = {i: [] for i in ids}
    names_statement, needs_statement = _children_statements()
    for row in (await session.execute(names_statement, {"person_ids": ids})).mappings():
        names_of[row["person_id"]].append(SimpleNamespace(**row))
    for row in (await session.execute(needs_statement, {"person_ids": ids})).mappings():
        needs_of[row["person_id"]].append(SimpleNamespace(**row))
    columns = [c.name for c in _table(Person).c]
    return [
        cast(Person, PersonShown({c: p[c] for c in columns}, names_of[p["id"]], needs_of[p["id"]]))
        for p in persons
    ]


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
