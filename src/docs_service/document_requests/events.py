"""The `document_request.changed` event: what the intake service is told of each request, from
its opening in `requested` to every later move (one event per change, carried by the outbox)."""

from __future__ import annotations

import uuid
from typing import Any, Final

from docs_service.document_requests.models import DocumentRequest

CHANGED_TOPIC: Final = "document_request.changed"
"""Outbox topic telling the intake service of each status change of a request, the opening included."""


def changed_event(request: DocumentRequest, *, replaced: uuid.UUID | None = None) -> dict[str, Any]:
    """The `document_request.changed` payload: the request's status, version, numbers and dates.

    Numbers and dates that are not recorded yet are left out; `iin` is there only when the IIN
    was issued with this document. The payload holds personal data (numbers, IIN): it stays in the
    outbox, which admins list without payloads.
    """
    payload: dict[str, Any] = {
        "request_id": str(request.id),
        "person_id": str(request.person_id),
        "need_id": str(request.need_id) if request.need_id else None,
        "kind": request.kind,
        "status": request.status,
        "version": request.version,
        "status_changed_at": request.status_changed_at.isoformat(),
    }
    if request.reissue_of_id is not None:
        payload["reissue_of_id"] = str(request.reissue_of_id)
    if replaced is not None:
        payload["replaces_request_id"] = str(replaced)
    for field in ("civil_act_record_number", "certificate_series", "certificate_number", "passport_number"):
        if (number := getattr(request, field)) is not None:
            payload[field] = number
    for field in ("registered_on", "issued_on", "expires_on", "handed_over_on"):
        if (day := getattr(request, field)) is not None:
            payload[field] = day.isoformat()
    if request.iin is not None and request.iin_issued:
        payload["iin"] = request.iin
    return payload
