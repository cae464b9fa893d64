"""Moving a request through its workflow: one history entry per move.

A move names the version it was made from (`If-Match`), is checked against the workflow
(`workflow.py`), records the data the move takes (numbers validated by the configured formats,
unique per kind by database constraints), checks the document's prerequisites, builds the MRZ of
a produced passport, and on hand-over withdraws the document it replaces.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Final

import structlog
from fastapi import Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.audit import AuditTrail
from apicore.auth import Forbidden, Principal, Role
from apicore.db import utcnow
from apicore.i18n import _l
from apicore.outbox import enqueue
from apicore.partial_dates import PartialDateError, parse_partial_date
from apicore.problems import FieldError, Problem, ValidationFailed, register_field_message
from apicore.tables import PlatformTables
from apicore.versioning import check_if_match
from docs_service.document_requests import opening, service, views, workflow
from docs_service.document_requests.events import CHANGED_TOPIC, changed_event
from docs_service.document_requests.models import DocumentRequest
from docs_service.document_requests.numbers import InvalidDocumentNumber, NumberFormats, NumberKind
from docs_service.document_requests.schemas import TransitionCreate
from docs_service.intake_client import IntakeClient
from docs_service.passports.mrz import build_td3_mrz

log = structlog.get_logger("docs_service.document_requests")

# Which configured format each number of the data is checked against.
_NUMBER_FIELDS: Final[dict[str, NumberKind]] = {
    "civil_act_record_number": "civil_act_record",
    "certificate_series": "birth_certificate_series",
    "certificate_number": "birth_certificate_number",
    "passport_number": "passport",
}
_DATE_FIELDS: Final = ("evidence_date", "registered_on", "biometrics_taken_on", "issued_on", "handed_over_on")
# Dates an office records can lag a day behind UTC but never run ahead of Kazakhstan's day
# (UTC+5): a date after tomorrow in UTC is a typing slip.
_FUTURE_TOLERANCE: Final = dt.timedelta(days=1)


class IllegalTransition(Problem):
    status = 409
    slug = "illegal-transition"
    title = _l("This status change is not allowed")
    detail = _l("From “{current}” this request can move to: {allowed}.")
    example_params = {"current": "requested", "allowed": "documents_collected, rejected, cancelled"}

    def __init__(self, current: str, target: str, allowed: tuple[str, ...]) -> None:
        labels = workflow.STATUS_LABELS
        super().__init__(
            current=labels.get(current, current),
            allowed=[labels.get(s, s) for s in allowed] or ["—"],
            extensions={"current": current, "to": target, "allowed": list(allowed)},
        )


class PrerequisitesMissing(Problem):
    status = 409
    slug = "prerequisites-missing"
    title = _l("The document cannot be made yet")
    detail = _l("Record these first: {missing}.")
    example_params = {"missing": "latin_name"}

    def __init__(self, missing: tuple[str, ...]) -> None:
        labels = workflow.PREREQUISITE_LABELS
        super().__init__(missing=[labels.get(m, m) for m in missing], extensions={"missing": list(missing)})


class NumberTaken(Problem):
    status = 409
    slug = "number-taken"
    title = _l("Number already in use")
    detail = _l("Another document of this kind already has this number.")

    def __init__(self, field: str) -> None:
        super().__init__(errors=[FieldError(field, "number_taken")])


class IINTaken(Problem):
    status = 409
    slug = "iin-taken"
    title = _l("IIN already registered")
    detail = _l("Another person is already registered with this IIN.")

    def __init__(self) -> None:
        super().__init__(errors=[FieldError("data.iin", "iin_taken")])


register_field_message("not_for_this_transition", _l("This move does not take this field."))
register_field_message("number_empty", _l("The number is empty."))
register_field_message("number_format", _l("This number does not have the format configured for it."))
register_field_message("number_taken", _l("Another document of this kind already has this number."))
register_field_message("iin_taken", _l("This IIN is already registered to another person."))
register_field_message("iin_already_known", _l("This person already has a different IIN."))
register_field_message("date_in_future", _l("This date is in the future."))
register_field_message("expiry_before_issue", _l("The date of expiry must be after the date of issue."))
register_field_message(
    "handed_to_parent_or_guardian", _l("A birth certificate is handed to the mother or a guardian.")
)
register_field_message(
    "mrz_unwritable", _l("This cannot be written in the passport's machine-readable zone.")
)


def _check_role(principal: Principal, target: str) -> None:
    # The intake service may cancel a request whose need it cancelled; moving requests is the
    # registrars' work.
    if principal.role is Role.service and target != workflow.CANCELLED:
        raise Forbidden(roles="registrar, admin")


def _check_fields(kind: workflow.DocumentKind, body: TransitionCreate) -> None:
    spec = workflow.transition_data(kind, body.to)
    sent = (
        {f for f in body.data.model_fields_set if getattr(body.data, f) is not None} if body.data else set()
    )
    errors = [FieldError(f"data.{f}", "not_for_this_transition") for f in sorted(sent - spec.accepted)]
    errors += [FieldError(f"data.{f}", "missing") for f in sorted(spec.required - sent)]
    if spec.reason_required and body.reason is None:
        errors.append(FieldError("reason", "missing"))
    data = body.data
    if data is not None:
        today = utcnow().date()
        errors += [
            FieldError(f"data.{f}", "date_in_future")
            for f in _DATE_FIELDS
            if (d := getattr(data, f)) is not None and d > today + _FUTURE_TOLERANCE
        ]
        if data.issued_on and data.expires_on and data.expires_on <= data.issued_on:
            errors.append(FieldError("data.expires_on", "expiry_before_issue"))
        if kind == "birth_certificate" and data.handed_to not in (None, "mother", "guardian"):
            errors.append(FieldError("data.handed_to", "handed_to_parent_or_guardian"))
    if errors:
        raise ValidationFailed(errors=errors)


def _normalised_numbers(formats: NumberFormats, body: TransitionCreate) -> dict[str, str]:
    values: dict[str, str] = {}
    errors = []
    for field, number_kind in _NUMBER_FIELDS.items():
        raw = getattr(body.data, field, None) if body.data else None
        if raw is None:
            continue
        try:
            values[field] = formats.validate(number_kind, raw)
        except InvalidDocumentNumber as exc:
            errors.append(FieldError(f"data.{field}", exc.code))
    if errors:
        raise ValidationFailed(errors=errors)
    return values


async def _number_conflict(
    session: AsyncSession, request_id: uuid.UUID, numbers: dict[str, str]
) -> str | None:
    """The first data field whose number another request of the kind already holds."""
    others = select(DocumentRequest.id).where(DocumentRequest.id != request_id)
    if "passport_number" in numbers:
        taken = await session.scalar(
            others.where(DocumentRequest.passport_number == numbers["passport_number"])
        )
        if taken is not None:
            return "data.passport_number"
    if "certificate_number" in numbers:
        taken = await session.scalar(
            others.where(
                DocumentRequest.certificate_series == numbers["certificate_series"],
                DocumentRequest.certificate_number == numbers["certificate_number"],
            )
        )
        if taken is not None:
            return "data.certificate_number"
    if "civil_act_record_number" in numbers:
        taken = await session.scalar(
            others.where(
                DocumentRequest.civil_act_record_number == numbers["civil_act_record_number"],
                DocumentRequest.reissue_of_id.is_(None),
            )
        )
        if taken is not None:
            return "data.civil_act_record_number"
    return None


async def _iin_conflict(session: AsyncSession, person_id: uuid.UUID, iin: str) -> bool:
    """True when a request of another person carries this IIN."""
    holder = await session.scalar(
        select(DocumentRequest.id)
        .where(DocumentRequest.iin == iin, DocumentRequest.person_id != person_id)
        .limit(1)
    )
    return holder is not None


async def _refresh_holder(session: AsyncSession, request: DocumentRequest, intake: IntakeClient) -> None:
    # A request the intake service opened while no intake key was configured has no holder
    # data yet: read it now that a key is there.
    if request.holder_checked_at is not None or not intake.configured:
        return
    person = await intake.person(request.person_id)
    if person is None:
        log.warning("document_request.person_gone", document_request_id=str(request.id))
        return
    opening.take_snapshot(request, person, utcnow())


def _build_mrz(request: DocumentRequest) -> None:
    # Kazakh passports carry the IIN in the optional data of the MRZ (personal number).
    try:
        birth = parse_partial_date(request.holder_birth_date or "")
        if not (request.passport_number and request.latin_surname and request.expires_on):
            raise ValueError("number, Latin surname and expiry are recorded before the MRZ")
        mrz = build_td3_mrz(
            document_number=request.passport_number,
            surname=request.latin_surname,
            given_names=request.latin_given_names or "",
            nationality="KAZ",
            issuing_state="KAZ",
            birth_date=birth,
            sex="female"
            if request.holder_sex == "female"
            else "male"
            if request.holder_sex == "male"
            else None,
            expiry_date=request.expires_on,
            personal_number=request.iin or "",
        )
    except (ValueError, PartialDateError) as exc:
        raise ValidationFailed(errors=[FieldError("data.passport_number", "mrz_unwritable")]) from exc
    request.mrz_line_1, request.mrz_line_2 = mrz.line1, mrz.line2


def _record(request: DocumentRequest, body: TransitionCreate, numbers: dict[str, str]) -> dict[str, Any]:
    """Copy the move's data onto the request; returns what the history entry keeps."""
    data = body.data
    recorded: dict[str, Any] = {}
    if data is None:
        return recorded
    sent = {f: getattr(data, f) for f in data.model_fields_set if getattr(data, f) is not None}
    sent |= numbers
    columns = {
        "documents": "documents_collected",
        "evidence": "parentage_evidence",
        "reference": "parentage_reference",
        "evidence_date": "parentage_evidence_on",
        "civil_act_record_number": "civil_act_record_number",
        "registry_office": "registry_office",
        "registered_on": "registered_on",
        "certificate_series": "certificate_series",
        "certificate_number": "certificate_number",
        "biometrics_taken_on": "biometrics_taken_on",
        "passport_number": "passport_number",
        "issued_on": "issued_on",
        "expires_on": "expires_on",
        "handed_to": "handed_to",
        "handed_over_on": "handed_over_on",
    }
    for field, value in sent.items():
        if field in columns:
            setattr(request, columns[field], list(value) if isinstance(value, list) else value)
        recorded[field] = value.isoformat() if isinstance(value, dt.date) else value
    return recorded


async def _withdraw_replaced(
    session: AsyncSession, request: DocumentRequest, handed_over_on: dt.date | None
) -> uuid.UUID | None:
    """On hand-over of a reissue, withdraw the document it replaces; returns that request's id."""
    if request.reissue_of_id is None:
        return None
    original = await session.get(DocumentRequest, request.reissue_of_id)
    if original is None:  # pragma: no cover - a foreign key guards it
        return None
    original.withdrawn_on = handed_over_on or utcnow().date()
    original.replaced_by_id = request.id
    original.updated_at = utcnow()
    return original.id


async def _make_move(
    session: AsyncSession,
    request: DocumentRequest,
    body: TransitionCreate,
    kind: workflow.DocumentKind,
    numbers: dict[str, str],
    iin: str | None,
    now: dt.datetime,
) -> tuple[dict[str, Any], uuid.UUID | None]:
    """Record the move on the request; returns the history data and the replaced request's id."""
    recorded = _record(request, body, numbers)
    if iin is not None and request.iin is None:
        request.iin, request.iin_issued = iin, True
    missing = workflow.missing_prerequisites(kind, body.to, views.present_prerequisites(request))
    if missing:
        raise PrerequisitesMissing(missing)
    if body.to == "produced":
        _build_mrz(request)
        recorded["mrz"] = [request.mrz_line_1, request.mrz_line_2]
    replaced: uuid.UUID | None = None
    if body.to == workflow.ISSUED:
        request.issued_at = now
        if request.former_passport_number and request.kind == "passport":
            # The former passport is surrendered when the new one is handed over.
            request.former_passport_withdrawn_on = request.handed_over_on
            recorded["former_passport_withdrawn_on"] = str(request.handed_over_on)
        replaced = await _withdraw_replaced(session, request, request.handed_over_on)
    if body.to in (workflow.REJECTED, workflow.CANCELLED):
        request.closed_reason = body.reason
    request.status = body.to
    request.status_changed_at = now
    request.updated_at = now
    return recorded, replaced


async def apply(
    session: AsyncSession,
    http_request: Request,
    request: DocumentRequest,
    body: TransitionCreate,
    principal: Principal,
    *,
    formats: NumberFormats,
    intake: IntakeClient,
    tables: PlatformTables,
    audit: AuditTrail,
) -> DocumentRequest:
    """Move the request to `body.to`, recording one history entry.

    Raises:
        PreconditionRequired, PreconditionFailed: no or a stale `If-Match` (428, 412).
        Forbidden: the intake service may only cancel.
        IllegalTransition: the workflow does not allow the move (409, lists the allowed ones).
        ValidationFailed: data missing, not for this move, out of format, or a date in the future.
        PrerequisitesMissing: names, IIN or other facts the document needs are not recorded.
        NumberTaken, IINTaken: another document or person has the number or IIN (409).
    """
    check_if_match(http_request, request.version)
    _check_role(principal, body.to)
    kind: workflow.DocumentKind = request.kind  # type: ignore[assignment]
    try:
        workflow.check_transition(kind, request.status, body.to, reissue=request.is_reissue)
    except workflow.IllegalTransition as exc:
        raise IllegalTransition(exc.current, exc.target, exc.allowed) from None
    _check_fields(kind, body)
    numbers = _normalised_numbers(formats, body)
    iin = body.data.iin if body.data else None
    if iin is not None:
        if request.iin is not None and request.iin != iin:
            raise ValidationFailed(errors=[FieldError("data.iin", "iin_already_known")])
        if await _iin_conflict(session, request.person_id, iin):
            raise IINTaken
    conflict = await _number_conflict(session, request.id, numbers)
    if conflict is not None:
        raise NumberTaken(conflict)
    await _refresh_holder(session, request, intake)
    await session.flush()  # the refreshed holder data, before the savepoint below
    request_id, person_id, from_status = request.id, request.person_id, request.status
    now = utcnow()
    try:
        # The move's writes happen inside a savepoint, so that a unique constraint a concurrent
        # move won leaves the transaction usable to tell which one.
        async with session.begin_nested():
            recorded, replaced = await _make_move(session, request, body, kind, numbers, iin, now)
            await session.flush()
    except IntegrityError:
        field = await _number_conflict(session, request_id, numbers)
        if field is not None:
            raise NumberTaken(field) from None
        if iin is not None and await _iin_conflict(session, person_id, iin):
            raise IINTaken from None
        raise
    session.add(
        service.new_event(
            request,
            principal,
            action="transition",
            from_status=from_status,
            at=now,
            reason=body.reason,
            data=recorded or None,
        )
    )
    await session.flush()
    await audit.record(
        session,
        "document_request.transitioned",
        subject_type="person",
        subject_id=request.person_id,
        fields=["status", *sorted(recorded)],
    )
    await enqueue(
        session,
        tables,
        CHANGED_TOPIC,
        changed_event(request, replaced=replaced),
        aggregate_id=request.person_id,
    )
    log.info("document_request.moved", document_request_id=str(request.id), to_status=body.to)
    return request


__all__ = [
    "CHANGED_TOPIC",
    "IINTaken",
    "IllegalTransition",
    "NumberTaken",
    "PrerequisitesMissing",
    "apply",
    "changed_event",
]
