"""Opening a document request: the person checked in intake, the document data copied from it."""

from __future__ import annotations

import datetime as dt
import uuid

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.audit import AuditTrail
from apicore.auth import Principal, Role
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.outbox import enqueue
from apicore.problems import FieldError, Problem, ValidationFailed, register_field_message
from apicore.transactions import end_before_remote_call
from docs_service.database import platform
from docs_service.document_requests import names, workflow
from docs_service.document_requests.events import CHANGED_TOPIC, changed_event
from docs_service.document_requests.models import DocumentRequest
from docs_service.document_requests.numbers import normalise_number
from docs_service.document_requests.schemas import DocumentRequestCreate
from docs_service.document_requests.service import new_event
from docs_service.intake_client import IntakeClient, IntakePerson

log = structlog.get_logger("docs_service.document_requests")


# The intake categories each kind is for: a birth certificate for a child, a passport for an
# adult (BRIEF.md: children got birth certificates, women clean passports; men are adults too).
KIND_CATEGORIES: dict[str, frozenset[str]] = {
    "birth_certificate": frozenset({"child"}),
    "passport": frozenset({"woman", "man"}),
}


class OpenRequestExists(Problem):
    status = 409
    slug = "open-request-exists"
    title = _l("An open document request already exists")
    detail = _l("This person already has an open request for this document type: {open_request_id}.")
    example_params = {"open_request_id": "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6"}

    def __init__(self, open_request_id: uuid.UUID) -> None:
        super().__init__(
            open_request_id=str(open_request_id), extensions={"open_request_id": str(open_request_id)}
        )


register_field_message("unknown_person", _l("The intake service has no person with this id."))
register_field_message(
    "kind_not_for_category",
    _l("This document is not for this person: a birth certificate is for a child, a passport for an adult."),
)
register_field_message("passport_only", _l("Only a passport request takes this field."))
register_field_message("reissue_of_unknown", _l("No document request with this id exists."))
register_field_message(
    "reissue_of_mismatch", _l("The request reissued must be of the same person and document type.")
)
register_field_message("reissue_of_not_issued", _l("Only an issued document can be reissued."))
register_field_message(
    "reissue_of_replaced", _l("This document was already replaced: reissue the document that replaced it.")
)
register_field_message("reissue_reason_needed", _l("Give the reason for the reissue with reissue_of."))
register_field_message("reissue_of_needed", _l("A reissue reason needs reissue_of."))


async def _open_request(session: AsyncSession, person_id: uuid.UUID, kind: str) -> DocumentRequest | None:
    return (
        await session.execute(
            select(DocumentRequest).where(
                DocumentRequest.person_id == person_id,
                DocumentRequest.kind == kind,
                DocumentRequest.status.not_in(workflow.CLOSED_STATUSES),
            )
        )
    ).scalar_one_or_none()


def _check_body(body: DocumentRequestCreate) -> None:
    errors = []
    if body.reissue_of is not None and body.reissue_reason is None:
        errors.append(FieldError("reissue_reason", "reissue_reason_needed"))
    if body.reissue_reason is not None and body.reissue_of is None:
        errors.append(FieldError("reissue_of", "reissue_of_needed"))
    if body.former_passport_number is not None and body.kind != "passport":
        errors.append(FieldError("former_passport_number", "passport_only"))
    if errors:
        raise ValidationFailed(errors=errors)


async def check_person(
    session: AsyncSession, principal: Principal, intake: IntakeClient, person_id: uuid.UUID, kind: str
) -> IntakePerson | None:
    """Ask intake whether the person exists and fits the kind.

    The transaction opened to authenticate the caller (and claim its idempotency key) is
    committed first, so that no database connection (on SQLite, the one writer) is held while
    intake answers. Without a configured
    intake key, only the intake service itself (role `service`) may open requests: it sends
    needs it derived from its own record (child: birth certificate, woman: passport).

    Returns:
        The person as intake reads it, or None when opened on the intake service's word.

    Raises:
        ValidationFailed: unknown person (`person_id`), or a kind not for the person's category
            (`kind`).
        IntakeUnavailable: intake cannot be reached or the check is not configured (503).
    """
    if not (session.new or session.dirty or session.deleted):
        await end_before_remote_call(session)
    if not intake.configured and principal.role is Role.service:
        log.warning("document_request.opened_unchecked", reason="intake key not configured")
        return None
    person = await intake.person(person_id)
    if person is None:
        raise ValidationFailed(errors=[FieldError("person_id", "unknown_person")])
    if person.category not in KIND_CATEGORIES[kind]:
        raise ValidationFailed(errors=[FieldError("kind", "kind_not_for_category")])
    return person


async def _reissued(session: AsyncSession, body: DocumentRequestCreate) -> DocumentRequest | None:
    if body.reissue_of is None:
        return None
    original = await session.get(DocumentRequest, body.reissue_of)
    code = None
    if original is None:
        code = "reissue_of_unknown"
    elif original.person_id != body.person_id or original.kind != body.kind:
        code = "reissue_of_mismatch"
    elif original.status != workflow.ISSUED:
        code = "reissue_of_not_issued"
    elif original.replaced_by_id is not None:
        code = "reissue_of_replaced"
    if code is not None:
        raise ValidationFailed(errors=[FieldError("reissue_of", code)])
    return original


async def known_iin(session: AsyncSession, person_id: uuid.UUID) -> str | None:
    """An IIN a request of this person already carries (issued here before intake learnt of it)."""
    return (
        await session.execute(
            select(DocumentRequest.iin)
            .where(DocumentRequest.person_id == person_id, DocumentRequest.iin.is_not(None))
            .order_by(DocumentRequest.created_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


def take_snapshot(request: DocumentRequest, person: IntakePerson, now: dt.datetime) -> None:
    """Copy what the document needs of the person as intake holds it (names only if unset)."""
    request.holder_category = person.category
    request.holder_sex = person.sex
    request.holder_birth_date = person.birth_date
    if person.iin and not request.iin:
        request.iin = person.iin
    request.holder_checked_at = now
    if request.family_name is None and request.given_name is None:
        chosen = names.document_name(request.kind, person.names)
        if chosen is not None:
            request.family_name, request.given_name = chosen.family, chosen.given
            request.patronymic = chosen.patronymic
            request.latin_surname_suggested = chosen.latin_surname
            request.latin_given_names_suggested = chosen.latin_given_names


def _copy_from_original(request: DocumentRequest, original: DocumentRequest, reason: str) -> None:
    request.iin = request.iin or original.iin
    request.holder_sex = request.holder_sex or original.holder_sex
    request.holder_birth_date = request.holder_birth_date or original.holder_birth_date
    if reason != "name_corrected":
        # A lost or damaged document is replaced by one with the same data.
        request.family_name, request.given_name = original.family_name, original.given_name
        request.patronymic = original.patronymic
        request.latin_surname, request.latin_given_names = original.latin_surname, original.latin_given_names
        request.latin_surname_suggested = original.latin_surname_suggested
        request.latin_given_names_suggested = original.latin_given_names_suggested
    if original.kind == "birth_certificate":
        # The duplicate is printed from the record made for the first certificate.
        request.civil_act_record_number = original.civil_act_record_number
        request.registry_office = original.registry_office
        request.registered_on = original.registered_on
        request.parentage_evidence = original.parentage_evidence
        request.parentage_reference = original.parentage_reference
        request.parentage_evidence_on = original.parentage_evidence_on
    else:
        request.former_passport_number = request.former_passport_number or original.passport_number


async def create(
    session: AsyncSession,
    principal: Principal,
    body: DocumentRequestCreate,
    *,
    intake: IntakeClient,
    audit: AuditTrail,
) -> DocumentRequest:
    """Open a request in status `requested` once intake confirms the person.

    Raises:
        ValidationFailed: inconsistent body, unknown person, kind not for the person, or a
            reissue of a request that cannot be reissued.
        IntakeUnavailable: intake cannot be reached; nothing is saved (503).
        OpenRequestExists: the person has an open request of this kind (also when a concurrent
            request wins the race: the partial unique index decides).
    """
    _check_body(body)
    person = await check_person(session, principal, intake, body.person_id, body.kind)
    existing = await _open_request(session, body.person_id, body.kind)
    if existing is not None:
        raise OpenRequestExists(existing.id)
    original = await _reissued(session, body)
    now = utcnow()
    request = DocumentRequest(
        id=uuid.uuid4(),
        person_id=body.person_id,
        kind=body.kind,
        status=workflow.INITIAL_STATUS,
        need_id=body.need_id,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
        reissue_of_id=original.id if original else None,
        reissue_reason=body.reissue_reason,
        iin_issued=False,
        office=body.assignment.office if body.assignment else None,
        officer=body.assignment.officer if body.assignment else None,
        former_passport_number=(
            normalise_number(body.former_passport_number) if body.former_passport_number else None
        ),
    )
    if person is not None:
        take_snapshot(request, person, now)
    if original is not None and body.reissue_reason is not None:
        _copy_from_original(request, original, body.reissue_reason)
    if request.iin is None:
        request.iin = await known_iin(session, body.person_id)
    try:
        async with session.begin_nested():
            session.add(request)
            await session.flush()
    except IntegrityError:
        winner = await _open_request(session, body.person_id, body.kind)
        if winner is None:
            raise
        raise OpenRequestExists(winner.id) from None
    session.add(new_event(request, principal, action="created", from_status=None, at=now))
    await session.flush()
    await audit.record(session, "document_request.created", subject_type="person", subject_id=body.person_id)
    # Intake learns of the request in `requested` as of every later move, so its record of the
    # person shows the status from the first moment.
    await enqueue(session, platform, CHANGED_TOPIC, changed_event(request), aggregate_id=request.person_id)
    return request
