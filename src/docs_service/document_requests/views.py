"""What each role sees of a request (least privilege). Hidden fields are absent, not null.

- case workers, registrars, services and admins: everything;
- partners: the request's progress (kind, status, dates, deadline, office) without the holder's
  names, birth date, sex, IIN, the document's numbers, reasons, or who acted in its history.

Routes answer with `response_model_exclude_unset=True`: a field left unset here is left out.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from apicore.auth import Principal, Role
from docs_service.document_requests import deadlines, workflow
from docs_service.document_requests.deadlines import TargetDays
from docs_service.document_requests.models import DocumentRequest, DocumentRequestEvent
from docs_service.document_requests.schemas import DocumentRequestRead, HistoryEntryRead, HistoryRead

PERSONAL_FIELDS = ("holder", "document", "closed_reason")
"""Fields of `DocumentRequestRead` a partner never sees."""


def sees_personal_data(principal: Principal) -> bool:
    """Partners do not see personal data; every other role that may read requests does."""
    return principal.role is not Role.partner


def present_prerequisites(request: DocumentRequest) -> set[workflow.Prerequisite]:
    """The prerequisite facts the request has."""
    present: set[workflow.Prerequisite] = set()
    # Stored names are Kazakh Cyrillic (checked on input, and chosen so from intake's names):
    # the Kazakh alphabet holds the Russian one, so the same name serves both kinds.
    if request.family_name and request.given_name:
        present.update(("cyrillic_name", "kazakh_name"))
    if request.latin_surname:
        present.add("latin_name")
    if request.holder_birth_date:
        present.add("birth_date")
    if request.holder_sex:
        present.add("sex")
    if request.civil_act_record_number:
        present.add("civil_act_record")
    if request.iin:
        present.add("iin")
    return present


def read(
    request: DocumentRequest, principal: Principal, *, targets: TargetDays, now: dt.datetime
) -> DocumentRequestRead:
    """The request as `principal` may see it."""
    kind: Any = request.kind
    due = deadlines.deadline(targets, request.kind, request.status, request.status_changed_at, now)
    present = present_prerequisites(request)
    values: dict[str, Any] = {
        "id": request.id,
        "person_id": request.person_id,
        "kind": request.kind,
        "status": request.status,
        "need_id": request.need_id,
        "reissue_of": request.reissue_of_id,
        "reissue_reason": request.reissue_reason,
        "replaced_by": request.replaced_by_id,
        "allowed_transitions": list(workflow.allowed_from(kind, request.status, reissue=request.is_reissue)),
        "prerequisites": [{"code": p, "met": p in present} for p in workflow.prerequisites(kind)],
        "deadline": {
            "status_since": request.status_changed_at,
            "days_in_status": due.days_in_status,
            "target_days": due.target_days,
            "overdue": due.overdue,
        },
        "assignment": {"office": request.office, "officer": request.officer},
        "version": request.version,
        "created_at": request.created_at,
        "updated_at": request.updated_at,
    }
    if sees_personal_data(principal):
        values |= {
            "holder": holder(request),
            "document": numbers(request),
            "closed_reason": request.closed_reason,
        }
    return DocumentRequestRead.model_validate(values)


def holder(request: DocumentRequest) -> dict[str, Any]:
    """The holder block of the read."""
    return {
        "birth_date": request.holder_birth_date,
        "sex": request.holder_sex,
        "iin": request.iin,
        "iin_issued": request.iin_issued,
        "names": {
            "family": request.family_name,
            "given": request.given_name,
            "patronymic": request.patronymic,
        },
        "latin_name_suggested": _latin(request.latin_surname_suggested, request.latin_given_names_suggested),
        "latin_name": _latin(request.latin_surname, request.latin_given_names),
        "checked_at": request.holder_checked_at,
    }


def _latin(surname: str | None, given_names: str | None) -> dict[str, Any] | None:
    return None if surname is None else {"surname": surname, "given_names": given_names}


def numbers(request: DocumentRequest) -> dict[str, Any]:
    """The numbers-and-dates block of the read."""
    mrz = [request.mrz_line_1, request.mrz_line_2] if request.mrz_line_1 and request.mrz_line_2 else None
    return {
        "documents_collected": request.documents_collected,
        "parentage_evidence": request.parentage_evidence,
        "parentage_reference": request.parentage_reference,
        "parentage_evidence_date": request.parentage_evidence_on,
        "civil_act_record_number": request.civil_act_record_number,
        "registry_office": request.registry_office,
        "registered_on": request.registered_on,
        "certificate_series": request.certificate_series,
        "certificate_number": request.certificate_number,
        "biometrics_taken_on": request.biometrics_taken_on,
        "passport_number": request.passport_number,
        "issued_on": request.issued_on,
        "expires_on": request.expires_on,
        "mrz": mrz,
        "former_passport_number": request.former_passport_number,
        "former_passport_withdrawn_on": request.former_passport_withdrawn_on,
        "handed_to": request.handed_to,
        "handed_over_on": request.handed_over_on,
    }


def history(
    request: DocumentRequest, events: list[DocumentRequestEvent], principal: Principal
) -> HistoryRead:
    """The request's history as `principal` may see it."""
    personal = sees_personal_data(principal)
    items = []
    for event in events:
        values: dict[str, Any] = {
            "version": event.version,
            "action": event.action,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "at": event.at,
            "actor_role": event.actor_role,
        }
        if personal:
            values |= {"actor_name": event.actor_name, "reason": event.reason, "data": event.data}
        items.append(HistoryEntryRead.model_validate(values))
    return HistoryRead(request_id=request.id, items=items)
