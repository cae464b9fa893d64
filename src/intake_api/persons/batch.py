"""Batch registration: a phone syncing a backlog of up to 500 persons in one request.

Each item is validated and stored on its own: a bad item does not stop the good ones, and each
is whole or absent. An item's `idempotency_key` behaves exactly as the `Idempotency-Key` of a
single `POST /v1/persons` with the same body (one key space), so a phone may retry an item
singly or in a batch. A field worker's item with case notes is refused as a single POST is.

How (bench/README.md, "batch"): every item is checked first, with one query each for the
batch's idempotency keys, operations, client-chosen ids and IINs; the items that are new and
collide with nothing are then written together, one executemany per table, in one savepoint.
The rest (a key, id or IIN that repeats an earlier item, an id already registered, an item
refused by its own checks under a key an earlier item sent: `_Refused`) and, should
the bulk write meet a concurrent writer, every item go one by one, each in its own savepoint,
in the order sent: the outcome is the same as posting the items one after another.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.audit import AuditTrail
from apicore.auth import Principal, Role
from apicore.db import utcnow
from apicore.i18n import current_locale
from apicore.idempotency import IdempotencyKeyReused, IdempotencyRequestInFlight, request_fingerprint
from apicore.problems import Problem, ValidationFailed, validation_problem
from apicore.tables import PlatformTables
from apicore.versioning import etag
from intake_api.operations.models import Operation
from intake_api.persons import service, views
from intake_api.persons.editing import FieldsNotEditable
from intake_api.persons.models import Person
from intake_api.persons.schemas import BatchItem, BatchResult, PersonCreate, PersonRead
from intake_api.persons.search import stores_prefixes

SINGLE_PATH = "/v1/persons"


def _problem_body(problem: Problem) -> dict[str, Any]:
    return problem.body(current_locale(), None)


@dataclass(slots=True)
class _Item:
    """An item that passed the checks that need no writing."""

    index: int
    key: str | None
    raw: Any
    fingerprint: str
    body: PersonCreate
    operation_id: uuid.UUID | None = None
    """Set when the item is found fit to be written together with others."""
    key_sent_before: bool = False
    """An earlier item of the batch, refused or not, sent the same key: this one waits its turn."""


@dataclass(slots=True)
class _Refused:
    """An item refused by a check that needs no database, whose key an earlier item of the
    batch also sent: it waits its turn, because a single POST would first meet the key (the
    earlier item's answer, if kept, makes it a replay or a 422 `idempotency-key-reused`)."""

    index: int
    key: str
    fingerprint: str
    problem: Problem


@dataclass(slots=True)
class _Context:
    session: AsyncSession
    tables: PlatformTables
    principal: Principal
    scope: str
    ttl: dt.timedelta
    audit: AuditTrail
    operation_code: Any
    created: set[int] = field(default_factory=set)
    """Indexes of the items this request created (201); every other person answered is a read."""


def _replay(index: int, row: Row[Any], fingerprint: str) -> BatchResult:
    """The stored answer of a key already used (the item's retry), or its problem.

    Raises:
        IdempotencyKeyReused: the key was used with another body.
        IdempotencyRequestInFlight: the key's request still runs.
    """
    if row.fingerprint != fingerprint:
        raise IdempotencyKeyReused
    if row.state != "completed":
        raise IdempotencyRequestInFlight
    stored = PersonRead.model_validate_json(row.response_body)
    return BatchResult(index=index, status=row.status_code, id=stored.id, person=stored)


def _fingerprint(item: BatchItem) -> str:
    """The fingerprint a single POST of this item's body would have."""
    # A lone surrogate is the item's own 422 (`_check`), not a failure of the whole batch.
    body = json.dumps(item.person, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return request_fingerprint("POST", SINGLE_PATH, body)


def _check(index: int, item: BatchItem, fingerprint: str, principal: Principal) -> _Item:
    """Parse an item and apply the rules that need no database.

    Raises:
        ValidationFailed: the body is not a valid registration.
        FieldsNotEditable: a field worker sent case notes.
    """
    raw = item.person
    try:
        body = PersonCreate.model_validate(raw)
    except ValidationError as exc:
        raise validation_problem(exc.errors()) from None
    if body.notes is not None and principal.role is Role.field_worker:
        raise FieldsNotEditable.of(["notes"])
    return _Item(index, item.idempotency_key, raw, fingerprint, body)


async def register_batch(
    session: AsyncSession,
    tables: PlatformTables,
    items: list[BatchItem],
    principal: Principal,
    *,
    scope: str,
    ttl: dt.timedelta,
    audit: AuditTrail,
    operation_code: Any,
) -> list[BatchResult]:
    """Store the items (see the module); returns one result per item, in order.

    Args:
        scope: the caller's key space for `idempotency_key` (SHA-256 of its API key).
        ttl: how long a created item's answer is kept under its key.
        operation_code: `async (person) -> str`, the code of a person's operation.
    """
    ctx = _Context(session, tables, principal, scope, ttl, audit, operation_code)
    results: dict[int, BatchResult] = {}
    t = tables.idempotency_record
    keys = {item.idempotency_key for item in items if item.idempotency_key is not None}
    records = (
        {
            row.key: row
            for row in (await session.execute(select(t).where(t.c.scope == scope, t.c.key.in_(keys)))).all()
        }
        if keys
        else {}
    )
    now = utcnow()
    checked: list[_Item] = []
    waiting: list[_Item | _Refused] = []
    sent_keys: set[str] = set()
    for index, item in enumerate(items):
        key = item.idempotency_key
        fingerprint = ""
        try:
            fingerprint = _fingerprint(item)
            row = records.get(key) if key is not None else None
            if row is not None and row.expires_at > now:
                results[index] = _replay(index, row, fingerprint)
                continue
            entry = _check(index, item, fingerprint, principal)
            entry.key_sent_before = key is not None and key in sent_keys
            checked.append(entry)
        except Problem as problem:
            if key is not None and key in sent_keys and fingerprint:
                waiting.append(_Refused(index, key, fingerprint, problem))
            else:
                results[index] = BatchResult(
                    index=index, status=problem.status, problem=_problem_body(problem)
                )
        finally:
            if key is not None:
                sent_keys.add(key)
    bulk, repeats = await _split(session, checked, results)
    one_by_one = sorted([*repeats, *waiting], key=lambda i: i.index)
    if bulk:
        try:
            async with session.begin_nested():
                results.update(await _store_together(ctx, bulk, expired=set(records)))
        except IntegrityError:
            # A concurrent writer took an id, IIN or key since we looked: go one by one.
            one_by_one = sorted([*bulk, *one_by_one], key=lambda i: i.index)
    for turn in one_by_one:
        results[turn.index] = await _register_one(ctx, turn)
    answered = [results[index] for index in range(len(items))]
    # A person sent back without being created here (already registered, or a key's stored
    # answer) is read, as by a single POST: audited like one.
    shown = [r.id for r in answered if r.person is not None and r.index not in ctx.created]
    await audit.record_many(session, "person.read", subject_type="person", subject_ids=shown)
    return answered


async def _split(
    session: AsyncSession, checked: list[_Item], results: dict[int, BatchResult]
) -> tuple[list[_Item], list[_Item]]:
    """Which checked items can be written together, and which go one by one; items refused by
    the registration rules get their result here.

    Together: a new person whose operation exists and whose key, id and IIN neither repeat an
    earlier item nor (id, IIN) belong to a registered person. An IIN already registered is
    refused (409) here; an id already registered goes one by one (it answers 200 or 409).
    """
    codes = {i.body.operation for i in checked}
    operations: dict[str, uuid.UUID] = {}
    if codes:
        found = await session.execute(select(Operation.code, Operation.id).where(Operation.code.in_(codes)))
        operations = {code: operation_id for code, operation_id in found.all()}
    ids = [i.body.id for i in checked if i.body.id is not None]
    registered = (
        set((await session.execute(select(Person.id).where(Person.id.in_(ids)))).scalars()) if ids else set()
    )
    iins = [i.body.iin for i in checked if i.body.iin is not None]
    taken = (
        set((await session.execute(select(Person.iin).where(Person.iin.in_(iins)))).scalars())
        if iins
        else set()
    )
    bulk: list[_Item] = []
    one_by_one: list[_Item] = []
    seen_keys: set[str] = set()
    seen_ids: set[uuid.UUID] = set()
    seen_iins: set[str] = set()
    for entry in checked:
        body = entry.body
        repeats = (
            entry.key_sent_before
            or (entry.key is not None and entry.key in seen_keys)
            or (body.id is not None and (body.id in seen_ids or body.id in registered))
            or (body.iin is not None and body.iin in seen_iins)
        )
        if entry.key is not None:
            seen_keys.add(entry.key)
        if body.id is not None:
            seen_ids.add(body.id)
        if body.iin is not None:
            seen_iins.add(body.iin)
        if repeats:
            one_by_one.append(entry)
            continue
        try:
            entry.operation_id = operations.get(body.operation)
            errors = service.registration_errors(body, entry.operation_id)
            if errors:
                raise ValidationFailed(errors=errors)
            if body.iin is not None and body.iin in taken:
                raise service.IINTaken
        except Problem as problem:
            results[entry.index] = BatchResult(
                index=entry.index, status=problem.status, problem=_problem_body(problem)
            )
            continue
        bulk.append(entry)
    return bulk, one_by_one


async def _store_together(ctx: _Context, bulk: list[_Item], *, expired: set[str]) -> dict[int, BatchResult]:
    """Write the bulk items' rows with one executemany per table, and their answers under their
    keys (`expired`: keys whose old record must go first).

    Raises:
        IntegrityError: a concurrent writer collided; the caller's savepoint undoes all of it.
    """
    session, t = ctx.session, ctx.tables.idempotency_record
    prepared = []
    prefixes = stores_prefixes(session)
    for entry in bulk:
        assert entry.operation_id is not None
        prepared.append(
            service.prepare_registration(
                entry.body,
                entry.operation_id,
                service.body_fingerprint(entry.raw),
                ctx.principal,
                prefixes=prefixes,
            )
        )
    await service.store_registrations(session, ctx.tables, prepared, audit=ctx.audit)
    results: dict[int, BatchResult] = {}
    records = []
    stale = [entry.key for entry in bulk if entry.key is not None and entry.key in expired]
    if stale:
        await session.execute(t.delete().where(t.c.scope == ctx.scope, t.c.key.in_(stale)))
    now = utcnow()
    for entry, registration in zip(bulk, prepared, strict=True):
        person = registration.shown
        read = views.read(person, entry.body.operation, ctx.principal)
        results[entry.index] = BatchResult(index=entry.index, status=201, id=person.id, person=read)
        ctx.created.add(entry.index)
        if entry.key is not None:
            records.append(_record(ctx, entry, person, read, 201, now))
    if records:
        await session.execute(t.insert(), records)
    return results


def _record(
    ctx: _Context, entry: _Item, person: Person, read: PersonRead, status: int, now: dt.datetime
) -> dict[str, Any]:
    """The completed idempotency record of a created item, as a single POST would store it."""
    return {
        "scope": ctx.scope,
        "key": entry.key,
        "fingerprint": entry.fingerprint,
        "method": "POST",
        "path": SINGLE_PATH,
        "state": "completed",
        "status_code": status,
        "response_headers": {
            "content-type": "application/json",
            "location": f"{SINGLE_PATH}/{person.id}",
            "etag": etag(person.version),
            "content-language": current_locale(),
        },
        "response_body": read.model_dump_json(exclude_unset=True).encode(),
        "created_at": now,
        "locked_until": now,
        "expires_at": now + ctx.ttl,
    }


async def _register_one(ctx: _Context, entry: _Item | _Refused) -> BatchResult:
    """One item in its own savepoint, exactly as a single POST with its key would go: the key
    first, then the item's own refusal (`_Refused`) or its registration."""
    session, t, index = ctx.session, ctx.tables.idempotency_record, entry.index
    try:
        if entry.key is not None:
            row = (
                await session.execute(select(t).where(t.c.scope == ctx.scope, t.c.key == entry.key))
            ).first()
            if row is not None and row.expires_at > utcnow():
                return _replay(index, row, entry.fingerprint)
        if isinstance(entry, _Refused):
            raise entry.problem
        try:
            async with session.begin_nested():
                person, created = await service.register(
                    session, ctx.tables, entry.body, entry.raw, audit=ctx.audit
                )
                read = views.read(person, await ctx.operation_code(person), ctx.principal)
                status = 201 if created else 200
                # A 200 (the person already there) is kept under the key too, as a single POST's
                # answer is: the key is then used, and another body under it is a 422.
                if entry.key is not None:
                    await session.execute(t.delete().where(t.c.scope == ctx.scope, t.c.key == entry.key))
                    await session.execute(t.insert(), [_record(ctx, entry, person, read, status, utcnow())])
        except IntegrityError:
            # A concurrent retry of this batch stored the same key first (PostgreSQL made us
            # wait for its commit): its answer is this item's, as for a single POST.
            row = (
                await session.execute(select(t).where(t.c.scope == ctx.scope, t.c.key == entry.key))
            ).first()
            if entry.key is None or row is None:
                raise
            return _replay(index, row, entry.fingerprint)
        if created:
            ctx.created.add(index)
        return BatchResult(index=index, status=status, id=person.id, person=read)
    except Problem as problem:
        return BatchResult(index=index, status=problem.status, problem=_problem_body(problem))
