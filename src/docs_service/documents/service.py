"""Reading the register of issued documents: the requests that reached `issued`."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.i18n import _l, current_locale
from apicore.pagination import decode_cursor, encode_cursor
from apicore.problems import FieldError, Problem, ValidationFailed, register_field_message
from docs_service.document_requests.models import DocumentRequest
from docs_service.document_requests.numbers import normalise_number
from docs_service.document_requests.workflow import ISSUED
from docs_service.documents.pdf import SUMMARY_LABELS, DocumentSummary, HolderName
from docs_service.documents.schemas import DocumentRead

# fontTools logs every step of font subsetting at INFO: a hundred lines per PDF, no value.
logging.getLogger("fontTools").setLevel(logging.WARNING)


class DocumentNotFound(Problem):
    status = 404
    slug = "document-not-found"
    title = _l("Not found")
    detail = _l("No issued document of this kind has the number {number}.")
    example_params = {"number": "N12345678"}


register_field_message("series_needed", _l("Several certificates have this number: give the series as well."))


def read(request: DocumentRequest) -> DocumentRead:
    """The register's view of an issued request."""
    passport = request.kind == "passport"
    values: dict[str, Any] = {
        "kind": request.kind,
        "number": request.passport_number if passport else request.certificate_number,
        "series": None if passport else request.certificate_series,
        "state": "withdrawn" if request.withdrawn_on is not None else "valid",
        "request_id": request.id,
        "holder": {
            "person_id": request.person_id,
            "names": {
                "family": request.family_name,
                "given": request.given_name,
                "patronymic": request.patronymic,
            },
            "latin_name": (
                {"surname": request.latin_surname, "given_names": request.latin_given_names}
                if request.latin_surname
                else None
            ),
            "birth_date": request.holder_birth_date,
            "sex": request.holder_sex,
            "iin": request.iin,
        },
        "issued_on": request.issued_on,
        "expires_on": request.expires_on,
        "handed_over_on": request.handed_over_on,
        "handed_to": None if passport else request.handed_to,
        "office": request.office,
        "civil_act_record_number": request.civil_act_record_number,
        "registry_office": request.registry_office,
        "registered_on": request.registered_on,
        "mrz": [request.mrz_line_1, request.mrz_line_2]
        if request.mrz_line_1 and request.mrz_line_2
        else None,
        "reissue_of": request.reissue_of_id,
        "reissue_reason": request.reissue_reason,
        "withdrawn_on": request.withdrawn_on,
        "replaced_by": request.replaced_by_id,
        "issued_at": request.issued_at,
    }
    return DocumentRead.model_validate(values)


async def page(
    session: AsyncSession,
    *,
    kind: str | None,
    person_id: uuid.UUID | None,
    state: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[DocumentRequest], str | None]:
    """Issued documents in the order they were handed over, `limit` at a time."""
    query = (
        select(DocumentRequest)
        .where(DocumentRequest.status == ISSUED, DocumentRequest.issued_at.is_not(None))
        .order_by(DocumentRequest.issued_at, DocumentRequest.id)
        .limit(limit + 1)
    )
    if kind is not None:
        query = query.where(DocumentRequest.kind == kind)
    if person_id is not None:
        query = query.where(DocumentRequest.person_id == person_id)
    if state == "valid":
        query = query.where(DocumentRequest.withdrawn_on.is_(None))
    elif state == "withdrawn":
        query = query.where(DocumentRequest.withdrawn_on.is_not(None))
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(
            (DocumentRequest.issued_at > after_at)
            | ((DocumentRequest.issued_at == after_at) & (DocumentRequest.id > after_id))
        )
    rows = list((await session.execute(query)).scalars())
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        assert last.issued_at is not None
        next_cursor = encode_cursor(last.issued_at, last.id)
    return rows[:limit], next_cursor


async def find(session: AsyncSession, kind: str, number: str, series: str | None) -> DocumentRequest:
    """The issued document of `kind` with this number (and series, for a certificate).

    Numbers are compared as stored: normalised (digits folded, upper case), so a clerk may type
    them as they appear.

    Raises:
        DocumentNotFound: no issued document has it.
        ValidationFailed: several certificates share the number and no series was given.
    """
    wanted = normalise_number(number)
    query = select(DocumentRequest).where(DocumentRequest.status == ISSUED, DocumentRequest.kind == kind)
    if kind == "passport":
        query = query.where(DocumentRequest.passport_number == wanted)
    else:
        query = query.where(DocumentRequest.certificate_number == wanted)
        if series is not None:
            query = query.where(DocumentRequest.certificate_series == normalise_number(series))
    rows = list((await session.execute(query.limit(2))).scalars())
    if not rows:
        raise DocumentNotFound(number=wanted)
    if len(rows) > 1:
        raise ValidationFailed(errors=[FieldError("series", "series_needed")])
    return rows[0]


def summary(request: DocumentRequest) -> DocumentSummary:
    """What the printable summary shows, labelled in the request's language."""
    locale: Any = current_locale()
    labels = SUMMARY_LABELS.get(locale, SUMMARY_LABELS["en"])
    names = [
        HolderName(
            script="Cyrl",
            surname=request.family_name or "",
            given_names=request.given_name or "",
            patronymic=request.patronymic,
        )
    ]
    if request.latin_surname:
        names.append(
            HolderName(
                script="Latn", surname=request.latin_surname, given_names=request.latin_given_names or ""
            )
        )
    passport = request.kind == "passport"
    issued_on = request.issued_on if passport else request.handed_over_on
    assert issued_on is not None
    kind: Any = request.kind
    return DocumentSummary(
        kind=kind,
        number=(request.passport_number if passport else request.certificate_number) or "",
        holder_names=tuple(names),
        birth_date=request.holder_birth_date or "",
        issued_on=issued_on,
        issuing_office=request.office or request.registry_office or "",
        labels=labels,
        language=locale if locale in SUMMARY_LABELS else "en",
        series=None if passport else request.certificate_series,
        expires_on=request.expires_on,
        civil_act_record_number=None if passport else request.civil_act_record_number,
        civil_act_record_office=None if passport else request.registry_office,
        mrz=(request.mrz_line_1, request.mrz_line_2) if request.mrz_line_1 and request.mrz_line_2 else None,
    )
