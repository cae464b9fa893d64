"""Changing a returnee after registration: merge patches, names, the path home, document needs.

Every change requires the version the editor read (`If-Match`), bumps the person's version,
and is audited with the names of the fields it touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Final

from fastapi import Request
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.audit import AuditTrail
from apicore.auth import Principal, Role
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.outbox import enqueue
from apicore.partial_dates import PartialDate
from apicore.problems import FieldError, Problem, ValidationFailed, register_field_message
from apicore.tables import PlatformTables
from apicore.versioning import check_if_match
from intake_api.persons import rules, service, status
from intake_api.persons.models import DocumentNeed, Person, PersonName, PersonNameToken, StatusEvent
from intake_api.persons.schemas import DocumentNeedChange, NameCorrection, NameIn, PersonPatch, StatusChange
from intake_api.persons.search import stores_prefixes
from intake_api.persons.service import (
    NEED_CANCELLED_TOPIC,
    IINTaken,
    add_need,
    build_name,
    choose_current,
    name_tokens,
)
from intake_api.relatives import service as relatives_service

FIELD_WORKER_EDITABLE: Final = frozenset(
    {"languages", "facility", "birth_place", "birth_date", "birth_date_estimated", "consent"}
)
_REQUIRED: Final = frozenset(
    {"category", "sex", "birth_date", "birth_date_estimated", "languages", "arrival_date"}
)


class FieldsNotEditable(Problem):
    """403 naming, in `detail` and in `errors` (`not_editable`), each field the role may not
    change; build it with `FieldsNotEditable.of(names)`."""

    status = 403
    slug = "fields-not-editable"
    title = _l("Forbidden")
    detail = _l("Your role may not change these fields: {fields}.")
    example_params = {"fields": "notes, iin"}

    @classmethod
    def of(cls, fields: Iterable[str]) -> FieldsNotEditable:
        """The problem for `fields`, sorted, each also an entry of `errors` (so a client that
        marks fields from `errors` marks these too)."""
        names = sorted(fields)
        return cls(fields=names, errors=[FieldError(name, "not_editable") for name in names])


register_field_message("not_editable", _l("Your role may not change this field."))


class IllegalStatusChange(Problem):
    status = 409
    slug = "illegal-status-change"
    title = _l("This status change is not allowed")
    detail = _l("From “{current}” a person can move to: {allowed}.")
    example_params = {"current": "arrived", "allowed": "in rehabilitation, departed, deceased"}


class NameNotFound(Problem):
    status = 404
    slug = "name-not-found"
    title = _l("Name not found")
    detail = _l("This person has no name with id {name_id}.")
    example_params = {"name_id": "0c9b8a7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"}


class NeedAlreadyActive(Problem):
    status = 409
    slug = "need-already-active"
    title = _l("Document need already recorded")
    detail = _l("This person already needs this document.")


class NoActiveNeed(Problem):
    status = 409
    slug = "no-active-need"
    title = _l("No such document need")
    detail = _l("This person has no active need for this document.")


register_field_message("not_null", _l("This field cannot be cleared."))
register_field_message("host_required", _l("Name the relative who hosts the person (host_relative_id)."))
register_field_message("last_name", _l("A person keeps at least one name that is not retired."))
register_field_message(
    "kind_not_for_category",
    _l("This document is not for this person: a birth certificate is for a child, a passport for an adult."),
)


def _touch(person: Person) -> None:
    # Updating the person row bumps its version (SQLAlchemy's version counter), so a change of
    # names or needs invalidates every ETag read before it.
    person.updated_at = utcnow()


def _recompute_warnings(person: Person) -> None:
    birth = PartialDate.from_stored(person.birth_on, person.birth_precision)  # type: ignore[arg-type]
    # A retired name is kept for search, as it was typed; its warnings would stay for good
    # (a name's script cannot be corrected, only replaced), so only names in use are checked.
    # Positions stay those of `person.names`, as the answer lists them.
    person.warnings = rules.name_warnings(
        [
            (n.script, None, None, None)
            if n.retired_at is not None
            else (n.script, n.given, n.family, n.patronymic)
            for n in person.names
        ]
    ) + rules.iin_warnings(person.iin, birth, person.sex)


async def patch_person(
    session: AsyncSession,
    tables: PlatformTables,
    request: Request,
    person: Person,
    patch: PersonPatch,
    principal: Principal,
    *,
    audit: AuditTrail,
) -> Person:
    """Apply a JSON Merge Patch (RFC 7396) to a person; `{}` changes nothing and is audited as a read.

    Raises:
        PreconditionRequired, PreconditionFailed: `If-Match` missing or stale (428, 412).
        FieldsNotEditable: a field worker sent a field only case workers change.
        ValidationFailed: a required field cleared, or fields that no longer fit together.
        IINTaken: the new IIN belongs to another person.
    """
    check_if_match(request, person.version)
    sent = patch.model_fields_set
    if not sent:
        # RFC 7396: `{}` changes nothing, so no new version; what it answers is still a read.
        await audit.record(session, "person.read", subject_type="person", subject_id=person.id)
        return person
    if principal.role is Role.field_worker and sent - FIELD_WORKER_EDITABLE:
        raise FieldsNotEditable.of(sent - FIELD_WORKER_EDITABLE)
    errors = [
        FieldError(name, "not_null") for name in sorted(sent & _REQUIRED) if getattr(patch, name) is None
    ]
    if errors:
        raise ValidationFailed(errors=errors)
    values: dict[str, Any] = {name: getattr(patch, name) for name in sent}
    if "birth_date" in values:
        birth: PartialDate = values.pop("birth_date")
        person.birth_on, person.birth_precision = birth.earliest(), birth.precision
    if "arrival_date" in values:
        person.arrival_on = values.pop("arrival_date")
    # RFC 7396: an object in a merge patch is merged member by member, `null` removes a member.
    if "birth_place" in values:
        place = values.pop("birth_place")
        if place is None:
            person.birth_place = None
        else:
            merged = {**(person.birth_place or {}), **place.model_dump(include=place.model_fields_set)}
            person.birth_place = {k: v for k, v in merged.items() if v is not None} or None
    if "consent" in values:
        consent = values.pop("consent")
        if consent is None:
            person.consent_tracing = person.consent_sharing = person.consent_given_by = None
        else:
            for part in consent.model_fields_set:
                setattr(person, f"consent_{part}", getattr(consent, part))
    if "iin" in values and values["iin"] is not None and values["iin"] != person.iin:
        taken = await session.execute(
            select(Person.id).where(Person.iin == values["iin"], Person.id != person.id)
        )
        if taken.first() is not None:
            raise IINTaken
    for name, value in values.items():
        setattr(person, name, list(value) if name == "languages" else value)
    birth_now = PartialDate.from_stored(person.birth_on, person.birth_precision)  # type: ignore[arg-type]
    errors = rules.category_errors(
        category=person.category,
        sex=person.sex,
        birth=birth_now,
        arrival=person.arrival_on,
        today=utcnow().date(),
    )
    if errors:
        raise ValidationFailed(errors=errors)
    if "category" in sent:
        kind = rules.needed_document(person.category)
        if kind is not None and not any(n.kind == kind and n.state == "active" for n in person.needs):
            person.needs.append(await add_need(session, tables, person.id, kind, reason="derived"))
    _recompute_warnings(person)
    _touch(person)
    await session.flush()
    await audit.record(
        session, "person.updated", subject_type="person", subject_id=person.id, fields=sorted(sent)
    )
    return person


def _name(person: Person, name_id: uuid.UUID) -> PersonName:
    for name in person.names:
        if name.id == name_id:
            return name
    raise NameNotFound(name_id=str(name_id))


async def _replace_tokens(session: AsyncSession, person: Person, name: PersonName) -> None:
    # By person first: the token table is indexed on person_id, not on name_id.
    t = PersonNameToken
    await session.execute(delete(t).where(t.person_id == person.id, t.name_id == name.id))
    session.add_all(name_tokens(person, name, prefixes=stores_prefixes(session)))


async def add_name(session: AsyncSession, person: Person, body: NameIn, *, audit: AuditTrail) -> PersonName:
    """Add a name (a child's Kazakh name arriving, an alias); earlier names are kept."""
    position = max((n.position for n in person.names), default=-1) + 1
    name, tokens = build_name(person, position, body, prefixes=stores_prefixes(session))
    person.names.append(name)
    await session.flush()  # the name row before its tokens (no ORM relationship orders them)
    session.add_all(tokens)
    # A child's Kazakh name, given on return, is the one to show unless the caller says not.
    becomes_current = body.current if "current" in body.model_fields_set else body.kind == "kazakh"
    if becomes_current:
        choose_current(person.names, [n is name for n in person.names])
    elif not any(n.current for n in person.names):
        choose_current(person.names, [False] * len(person.names))
    _recompute_warnings(person)
    _touch(person)
    await session.flush()
    await audit.record(
        session,
        "person.name_added",
        subject_type="person",
        subject_id=person.id,
        fields=sorted(body.model_fields_set),
    )
    return name


async def correct_name(
    session: AsyncSession,
    request: Request,
    person: Person,
    name_id: uuid.UUID,
    body: NameCorrection,
    *,
    audit: AuditTrail,
) -> PersonName:
    """Correct a name's parts (a typing slip); the derived forms follow.

    Raises:
        PreconditionRequired, PreconditionFailed: `If-Match` (the person's ETag) missing or stale.
        NameNotFound: no such name on this person.
        ValidationFailed: `given` or `kind` cleared.
    """
    check_if_match(request, person.version)
    name = _name(person, name_id)
    sent = body.model_fields_set
    if not sent:
        # RFC 7396: `{}` changes nothing, so no new version; what it answers is still a read.
        await audit.record(session, "person.read", subject_type="person", subject_id=person.id)
        return name
    errors = [
        FieldError(f, "not_null")
        for f in sorted(sent & {"given", "kind", "current"})
        if getattr(body, f) is None
    ]
    if errors:
        raise ValidationFailed(errors=errors)
    for part in sorted(sent - {"current"}):
        setattr(name, part, getattr(body, part))
    corrected, _ = build_name(
        person,
        name.position,
        NameIn.model_validate(
            {
                "script": name.script,
                "lang": name.lang,
                "kind": name.kind,
                "given": name.given,
                "family": name.family,
                "patronymic": name.patronymic,
            }
        ),
        prefixes=stores_prefixes(session),
    )
    name.latin, name.search_key, name.skeleton = corrected.latin, corrected.search_key, corrected.skeleton
    await _replace_tokens(session, person, name)
    if body.current:
        choose_current(person.names, [n is name for n in person.names])
    _recompute_warnings(person)
    _touch(person)
    await session.flush()
    await audit.record(
        session, "person.name_corrected", subject_type="person", subject_id=person.id, fields=sorted(sent)
    )
    return name


async def retire_name(
    session: AsyncSession,
    request: Request,
    person: Person,
    name_id: uuid.UUID,
    reason: str | None,
    *,
    audit: AuditTrail,
) -> PersonName:
    """Retire a name: no longer shown first, kept with the time and reason (and for search).

    Raises:
        PreconditionRequired, PreconditionFailed: `If-Match` missing or stale.
        NameNotFound: no such name. ValidationFailed: it is the last active name.
    """
    check_if_match(request, person.version)
    name = _name(person, name_id)
    if name.retired_at is None:
        if not any(n.retired_at is None for n in person.names if n is not name):
            raise ValidationFailed(errors=[FieldError("name_id", "last_name")])
        name.retired_at, name.retired_reason = utcnow(), reason
        if name.current:
            choose_current(person.names, [False] * len(person.names))
        _recompute_warnings(person)  # a retired name's warnings go with it
        _touch(person)
        await session.flush()
    await audit.record(
        session, "person.name_retired", subject_type="person", subject_id=person.id, fields=["names"]
    )
    return name


async def change_status(
    session: AsyncSession,
    request: Request,
    person: Person,
    change: StatusChange,
    principal: Principal,
    *,
    audit: AuditTrail,
) -> StatusEvent:
    """Move a person on the path home.

    Raises:
        PreconditionRequired, PreconditionFailed: `If-Match` missing or stale.
        IllegalStatusChange: not allowed from the current status for this category (409, naming
            the changes allowed, in the caller's language).
        ValidationFailed: `relocated` without a host.
        HostNotWilling: the host's decision is not `willing` (relatives).
    """
    check_if_match(request, person.version)
    if not status.can_move(person.status, change.status, person.category):
        allowed = [
            s for s in status.allowed_from(person.status) if status.category_allows(person.category, s)
        ]
        raise IllegalStatusChange(
            current=status.status_label(person.status),
            allowed=[status.status_label(s) for s in allowed] or ["—"],
            extensions={"allowed": allowed},
        )
    if change.status in status.NEEDS_HOST:
        if change.host_relative_id is None:
            raise ValidationFailed(errors=[FieldError("host_relative_id", "host_required")])
        await relatives_service.require_willing_host(session, change.host_relative_id, person_id=person.id)
    previous = person.status
    person.status = change.status
    if change.facility is not None:
        person.facility = change.facility
    _touch(person)
    event = StatusEvent(
        **service.status_row(
            person.id,
            person.status,
            principal,
            from_status=previous,
            reason=change.reason,
            host_relative_id=change.host_relative_id,
            facility=change.facility,
        )
    )
    session.add(event)
    await session.flush()
    await audit.record(
        session, "person.status_changed", subject_type="person", subject_id=person.id, fields=["status"]
    )
    return event


async def change_need(
    session: AsyncSession,
    tables: PlatformTables,
    person: Person,
    change: DocumentNeedChange,
    *,
    audit: AuditTrail,
) -> DocumentNeed:
    """A case worker requires a document the rules did not derive, or cancels a need.

    A cancelled need is told to the documents service through the outbox.

    Raises:
        ValidationFailed: requiring a kind that is not for the person's category (`kind`).
        NeedAlreadyActive: requiring a document already needed.
        NoActiveNeed: cancelling a need that is not active.
    """
    active = next((n for n in person.needs if n.kind == change.kind and n.state == "active"), None)
    if change.action == "require":
        if person.category not in rules.DOCUMENT_CATEGORIES[change.kind]:
            raise ValidationFailed(errors=[FieldError("kind", "kind_not_for_category")])
        if active is not None:
            raise NeedAlreadyActive
        need = await add_need(session, tables, person.id, change.kind, reason=change.reason)
        person.needs.append(need)
    else:
        if active is None:
            raise NoActiveNeed
        need = active
        need.state, need.cancel_reason = "cancelled", change.reason
        await enqueue(
            session,
            tables,
            NEED_CANCELLED_TOPIC,
            {
                "need_id": str(need.id),
                "person_id": str(person.id),
                "kind": need.kind,
                "reason": change.reason,
            },
            aggregate_id=person.id,
        )
    _touch(person)
    await session.flush()
    await audit.record(
        session,
        f"person.need_{change.action}d",
        subject_type="person",
        subject_id=person.id,
        fields=["document_needs"],
    )
    return need


async def events(session: AsyncSession, person_id: uuid.UUID) -> list[StatusEvent]:
    """The person's status history, oldest first."""
    rows = await session.execute(
        select(StatusEvent).where(StatusEvent.person_id == person_id).order_by(StatusEvent.at, StatusEvent.id)
    )
    return list(rows.scalars())
