"""What each role sees of a returnee (least privilege). Hidden fields are absent, not null.

- case workers and admins: everything;
- field workers: everything but case notes;
- registrars and other services: identity and document needs;
- partners: no notes, and nothing that reveals custody: neither status nor facility, of anyone
  (hidden only while in custody, their absence itself named who was in custody).
"""

from __future__ import annotations

import uuid
from typing import Any, Final

from apicore.auth import Principal, Role
from apicore.i18n import current_locale
from apicore.partial_dates import PartialDate
from intake_api.persons import rules
from intake_api.persons.models import Person
from intake_api.persons.schemas import PersonRead

_IDENTITY: Final = frozenset(
    {
        "id",
        "operation",
        "category",
        "sex",
        "birth_date",
        "birth_date_estimated",
        "birth_place",
        "iin",
        "names",
        "document_needs",
        "warnings",
        "version",
        "created_at",
        "updated_at",
    }
)
_ALL: Final = frozenset(PersonRead.model_fields)
_VISIBLE: Final[dict[Role, frozenset[str]]] = {
    Role.admin: _ALL,
    Role.case_worker: _ALL,
    Role.field_worker: _ALL - {"notes"},
    Role.registrar: _IDENTITY,
    Role.service: _IDENTITY,
    Role.partner: _ALL - {"notes", "status", "facility"},
    Role.auditor: frozenset({"id", "version"}),
}


def visible_fields(role: Role, person: Person) -> frozenset[str]:
    """The fields of `PersonRead` that `role` may see of this person."""
    del person  # the same for every person: a field hidden for some would single them out
    return _VISIBLE.get(role, frozenset({"id"}))


def read(
    person: Person, operation_code: str, principal: Principal, *, household_id: uuid.UUID | None = None
) -> PersonRead:
    """The person as `principal` may see it, warnings in the request's language."""
    locale = current_locale()
    birth = PartialDate.from_stored(person.birth_on, person.birth_precision)  # type: ignore[arg-type]
    values: dict[str, Any] = {
        "id": person.id,
        "operation": operation_code,
        "category": person.category,
        "sex": person.sex,
        "birth_date": birth.iso(),
        "birth_date_estimated": person.birth_date_estimated,
        "birth_place": person.birth_place,
        "iin": person.iin,
        "names": [
            {
                "id": n.id,
                "script": n.script,
                "lang": n.lang,
                "kind": n.kind,
                "given": n.given,
                "family": n.family,
                "patronymic": n.patronymic,
                "latin_suggested": n.latin,
                "current": n.current,
                "retired_at": n.retired_at,
            }
            for n in person.names
        ],
        "languages": person.languages,
        "interpreter_needed": rules.interpreter_needed(person.languages),
        "arrival_date": person.arrival_on,
        "status": person.status,
        "facility": person.facility,
        "household_id": household_id,
        "consent": {
            "tracing": person.consent_tracing,
            "sharing": person.consent_sharing,
            "given_by": person.consent_given_by,
        },
        "notes": person.notes,
        "document_needs": [
            {
                "kind": need.kind,
                "reason": need.reason,
                "state": need.state,
                "delivery": need.delivery,
                "request_id": need.request_id,
                "delivered_at": need.delivered_at,
            }
            for need in person.needs
        ],
        "warnings": [
            {
                "code": w["code"],
                "field": w["field"],
                "message": rules.WARNING_MESSAGES[w["code"]].render(locale),
            }
            for w in person.warnings
        ],
        "version": person.version,
        "created_at": person.created_at,
        "updated_at": person.updated_at,
    }
    allowed = visible_fields(principal.role, person)
    # Only the allowed keys are set, so `response_model_exclude_unset` leaves the rest out.
    return PersonRead.model_validate({k: v for k, v in values.items() if k in allowed})
