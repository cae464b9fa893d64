"""Recording relatives, their decisions to host, and checking a host before a relocation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Uuid, column, select, table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.audit import AuditTrail
from apicore.auth import Principal
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.pagination import decode_cursor, encode_cursor
from apicore.problems import FieldError, Problem, ValidationFailed, register_field_message
from apicore.versioning import check_if_match
from intake_api.relations import households as household_service
from intake_api.relations import service as relation_service
from intake_api.relatives.access import SEES_CONTACT, SEES_DECISION_REASON
from intake_api.relatives.models import Relative, RelativeDecision
from intake_api.relatives.schemas import (
    DECISION_LABELS,
    REQUIRED_ON_PATCH,
    RelativeContactRead,
    RelativeCreate,
    RelativeDecisionRead,
    RelativeDecisionsRead,
    RelativeRead,
    RelativeUpdate,
)

# The persons feature's table, read for existence only (features do not import each other's models).
_person = table("person", column("id", Uuid))


class RelativeNotFound(Problem):
    status = 404
    slug = "relative-not-found"
    title = _l("Relative not found")
    detail = _l("No relative with id {relative_id} is registered.")
    example_params = {"relative_id": "9e1a0000-0000-4000-8000-000000000001"}


class RelativeExists(Problem):
    status = 409
    slug = "relative-exists"
    title = _l("Relative already registered")
    detail = _l("A relative with id {relative_id} already exists with other details.")
    example_params = {"relative_id": "9e1a0000-0000-4000-8000-000000000001"}


class HostNotWilling(Problem):
    status = 409
    slug = "host-not-willing"
    title = _l("The relative has not agreed to host")
    detail = _l(
        "This relative's decision is: {decision}. Only a relative willing to host can receive a returnee."
    )
    example_params = {"decision": "refused"}


register_field_message("unknown_person", _l("No person with this id is registered."))
register_field_message("reason_required", _l("Give the reason for a refusal."))
register_field_message("decided_in_future", _l("The decision date is in the future."))
register_field_message("pending_without_date", _l("A pending decision has no date: leave decided_on out."))
register_field_message("cannot_be_removed", _l("This field can be changed but not removed."))
register_field_message("unknown_relative", _l("No relative with this id is registered."))
register_field_message("host_not_willing", _l("This relative has not agreed to host."))
register_field_message(
    "host_not_related", _l("This relative is not related to this person or to anyone in their household.")
)


def read(relative: Relative, principal: Principal) -> RelativeRead:
    """The public form of a relative for this caller: fields the role may not see are absent."""
    values: dict[str, object] = {
        "id": relative.id,
        "person_id": relative.person_id,
        "name": relative.name,
        "relation": relative.relation,
        "region": relative.region,
        "locality": relative.locality,
        "decision": relative.decision,
        "decided_on": relative.decided_on,
        "refusals": relative.refusals,
        "version": relative.version,
        "created_at": relative.created_at,
        "updated_at": relative.updated_at,
    }
    if principal.role in SEES_CONTACT:
        values["contact"] = RelativeContactRead(phone=relative.phone, address=relative.address)
    if principal.role in SEES_DECISION_REASON:
        values["decision_reason"] = relative.decision_reason
    return RelativeRead.model_validate(values)


def _fingerprint(body: RelativeCreate) -> str:
    canonical = json.dumps(
        body.model_dump(mode="json", exclude={"id"}),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _decision_errors(
    decision: str, reason: str | None, explicit_date: dt.date | None, today: dt.date
) -> list[FieldError]:
    errors: list[FieldError] = []
    if decision == "refused" and reason is None:
        errors.append(FieldError("decision_reason", "reason_required"))
    if explicit_date is not None and decision == "pending":
        errors.append(FieldError("decided_on", "pending_without_date"))
    elif explicit_date is not None and explicit_date > today:
        errors.append(FieldError("decided_on", "decided_in_future"))
    return errors


async def create(
    session: AsyncSession, principal: Principal, body: RelativeCreate, *, audit: AuditTrail
) -> tuple[Relative, bool]:
    """Store a new relative with its first decision; returns `(relative, created)`.

    The same client-chosen id with the same body (as parsed JSON) is a retry: the stored
    relative is returned and nothing is created.

    Raises:
        ValidationFailed: unknown person; a refusal without a reason; a date in the future.
        RelativeExists: the id is taken by a relative with other details.
    """
    fingerprint = _fingerprint(body)
    if body.id is not None:
        existing = await session.get(Relative, body.id)
        if existing is not None:
            return _replay(existing, fingerprint), False
    today = utcnow().date()
    errors: list[FieldError] = []
    if (await session.execute(select(_person.c.id).where(_person.c.id == body.person_id))).first() is None:
        errors.append(FieldError("person_id", "unknown_person"))
    errors += _decision_errors(body.decision, body.decision_reason, body.decided_on, today)
    if errors:
        raise ValidationFailed(errors=errors)
    now = utcnow()
    decided_on = body.decided_on or (today if body.decision != "pending" else None)
    contact = body.contact
    relative = Relative(
        id=body.id or uuid.uuid4(),
        person_id=body.person_id,
        name=body.name,
        relation=body.relation,
        region=body.region,
        locality=body.locality,
        phone=contact.phone if contact else None,
        address=contact.address if contact else None,
        decision=body.decision,
        decision_reason=body.decision_reason,
        decided_on=decided_on,
        refusals=1 if body.decision == "refused" else 0,
        create_fingerprint=fingerprint,
        created_at=now,
        updated_at=now,
    )
    try:
        async with session.begin_nested():  # a savepoint, so we can look after a failed insert
            session.add(relative)
    except IntegrityError:
        # A concurrent request (a retry without Idempotency-Key) stored this id first.
        existing = await session.get(Relative, relative.id, populate_existing=True)
        if existing is None:
            raise
        return _replay(existing, fingerprint), False
    session.add(_event(relative.id, None, relative, principal, now))
    await session.flush()
    await audit.record(
        session,
        "relative.created",
        subject_type="relative",
        subject_id=relative.id,
        fields=sorted(body.model_fields_set),
    )
    return relative, True


def _replay(existing: Relative, fingerprint: str) -> Relative:
    if existing.create_fingerprint != fingerprint:
        raise RelativeExists(relative_id=str(existing.id))
    return existing


def _event(
    relative_id: uuid.UUID, previous: str | None, relative: Relative, principal: Principal, now: dt.datetime
) -> RelativeDecision:
    return RelativeDecision(
        id=uuid.uuid4(),
        relative_id=relative_id,
        from_decision=previous,
        to_decision=relative.decision,
        reason=relative.decision_reason,
        decided_on=relative.decided_on,
        actor_name=principal.name,
        actor_role=principal.role.value,
        at=now,
    )


async def get(session: AsyncSession, relative_id: uuid.UUID) -> Relative:
    """A relative.

    Raises:
        RelativeNotFound: no such relative.
    """
    relative = await session.get(Relative, relative_id)
    if relative is None:
        raise RelativeNotFound(relative_id=str(relative_id))
    return relative


async def update(
    session: AsyncSession,
    principal: Principal,
    request: Request,
    relative_id: uuid.UUID,
    body: RelativeUpdate,
    *,
    audit: AuditTrail,
) -> Relative:
    """Apply a merge patch; a changed decision (or its reason or date) is added to the history.

    Raises:
        RelativeNotFound: no such relative.
        PreconditionRequired: no `If-Match` (428).
        PreconditionFailed: `If-Match` is not the current version (412); a concurrent change
            that wins between our read and our write gives 412 too (`StaleDataError`).
        ValidationFailed: a required field set to null; a refusal without a reason; a date in
            the future or on a pending decision.
    """
    relative = await get(session, relative_id)
    check_if_match(request, relative.version)
    fields = body.model_fields_set
    errors = [
        FieldError(f, "cannot_be_removed")
        for f in REQUIRED_ON_PATCH
        if f in fields and getattr(body, f) is None
    ]
    today = utcnow().date()
    wanted: dict[str, object] = {}
    for name in ("name", "relation", "region", "locality"):
        if name in fields:
            wanted[name] = getattr(body, name)
    if "contact" in fields:
        contact = body.contact
        if contact is None:
            wanted.update(phone=None, address=None)
        else:
            for name in contact.model_fields_set:
                wanted[name] = getattr(contact, name)

    decision_fields = fields & {"decision", "decision_reason", "decided_on"}
    previous = relative.decision
    if decision_fields:
        decision = body.decision if body.decision is not None else relative.decision
        changed = decision != relative.decision
        # A new decision does not inherit the reason or date of the one it replaces.
        kept_reason, kept_date = (None, None) if changed else (relative.decision_reason, relative.decided_on)
        reason = body.decision_reason if "decision_reason" in fields else kept_reason
        decided_on = body.decided_on if "decided_on" in fields else kept_date
        if decided_on is None and decision != "pending":
            decided_on = today
        errors += _decision_errors(decision, reason, body.decided_on, today)
        wanted.update(decision=decision, decision_reason=reason, decided_on=decided_on)
    if errors:
        raise ValidationFailed(errors=errors)

    changed_fields = sorted(name for name, value in wanted.items() if getattr(relative, name) != value)
    if not changed_fields:
        # Nothing changed, so no new version; what the answer shows is still a read.
        await audit.record(session, "relative.read", subject_type="relative", subject_id=relative.id)
        return relative
    for name in changed_fields:
        setattr(relative, name, wanted[name])
    now = utcnow()
    relative.updated_at = now
    if {"decision", "decision_reason", "decided_on"} & set(changed_fields):
        if relative.decision == "refused" and previous != "refused":
            relative.refusals += 1
        session.add(_event(relative.id, previous, relative, principal, now))
    await session.flush()  # the version check: a concurrent winner makes this a StaleDataError (412)
    await audit.record(
        session,
        "relative.updated",
        subject_type="relative",
        subject_id=relative.id,
        fields=sorted({"contact" if f in {"phone", "address"} else f for f in changed_fields}),
    )
    return relative


async def decisions(session: AsyncSession, relative_id: uuid.UUID) -> RelativeDecisionsRead:
    """A relative's decisions, oldest first.

    Raises:
        RelativeNotFound: no such relative.
    """
    relative = await get(session, relative_id)
    rows = (
        await session.execute(
            select(RelativeDecision)
            .where(RelativeDecision.relative_id == relative_id)
            .order_by(RelativeDecision.at, RelativeDecision.id)
        )
    ).scalars()
    return RelativeDecisionsRead(
        relative_id=relative.id,
        refusals=relative.refusals,
        items=[
            RelativeDecisionRead(
                from_decision=r.from_decision,
                to_decision=r.to_decision,
                reason=r.reason,
                decided_on=r.decided_on,
                actor_name=r.actor_name,
                actor_role=r.actor_role,
                at=r.at,
            )
            for r in rows
        ],
    )


@dataclass(frozen=True, slots=True)
class RelativeFilters:
    """Filters of the relative list."""

    person_id: uuid.UUID | None = None
    household_id: uuid.UUID | None = None
    region: str | None = None
    decision: str | None = None
    ever_refused: bool | None = None


async def page(
    session: AsyncSession, filters: RelativeFilters, *, limit: int, cursor: str | None
) -> tuple[list[Relative], str | None]:
    """Relatives oldest first, filtered, `limit` at a time (keyset on `(created_at, id)`)."""
    query = select(Relative).order_by(Relative.created_at, Relative.id).limit(limit + 1)
    if filters.person_id is not None:
        query = query.where(Relative.person_id == filters.person_id)
    if filters.household_id is not None:
        query = query.where(
            Relative.person_id.in_(household_service.person_ids_in_household(filters.household_id))
        )
    if filters.region is not None:
        query = query.where(Relative.region == filters.region)
    if filters.decision is not None:
        query = query.where(Relative.decision == filters.decision)
    if filters.ever_refused is not None:
        query = query.where(Relative.refusals > 0 if filters.ever_refused else Relative.refusals == 0)
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(
            (Relative.created_at > after_at) | ((Relative.created_at == after_at) & (Relative.id > after_id))
        )
    rows = list((await session.execute(query)).scalars())
    next_cursor = None
    if len(rows) > limit:
        next_cursor = encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
    return rows[:limit], next_cursor


async def require_willing_host(
    session: AsyncSession,
    relative_id: uuid.UUID,
    *,
    person_id: uuid.UUID | None = None,
    field: str = "host_relative_id",
) -> Relative:
    """The relative who will host a returnee, checked: they exist and are `willing`.

    The row is locked until the transaction ends (`FOR SHARE` on PostgreSQL), so a refusal
    recorded at the same moment waits for the relocation instead of slipping past it.

    Args:
        session: the caller's session (inside its transaction).
        relative_id: the host named in the request.
        person_id: the returnee being relocated; when given, the relative must be theirs, or
            of someone in their household, or of a person linked to them as family.
        field: the body field that named the host, for `errors[].field`.

    Raises:
        ValidationFailed: no such relative (`unknown_relative`), or not related to `person_id`
            (`host_not_related`), 422.
        HostNotWilling: the relative's decision is `pending` or `refused`, 409.
    """
    relative = (
        await session.execute(
            select(Relative)
            .where(Relative.id == relative_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if relative is None:
        raise ValidationFailed(errors=[FieldError(field, "unknown_relative")])
    if person_id is not None and not await _related(session, relative.person_id, person_id):
        raise ValidationFailed(errors=[FieldError(field, "host_not_related")])
    if relative.decision != "willing":
        raise HostNotWilling(
            decision=DECISION_LABELS[relative.decision],
            errors=[FieldError(field, "host_not_willing")],
            extensions={"decision": relative.decision, "refusals": relative.refusals},
        )
    return relative


async def _related(session: AsyncSession, relatives_person: uuid.UUID, person_id: uuid.UUID) -> bool:
    if relatives_person == person_id:
        return True
    homes = await household_service.households_of(session, [relatives_person, person_id])
    if homes.get(person_id) is not None and homes.get(person_id) == homes.get(relatives_person):
        return True
    return await relation_service.are_linked(session, relatives_person, person_id)
