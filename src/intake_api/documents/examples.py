"""OpenAPI examples of document updates and of a person's documents, in kk, ru and ar."""

from __future__ import annotations

from typing import Any

_CHILD = "5a110000-0000-4000-8000-00000000000c"
_WOMAN = "5a110000-0000-4000-8000-000000000001"
_CERT_REQUEST = "7b0c0000-0000-4000-8000-000000000021"
_PASSPORT_REQUEST = "7b0c0000-0000-4000-8000-000000000022"

_ISSUED_CERTIFICATE = {
    "event_id": "0e7d5c4b-3a29-4817-9605-f4e3d2c1b0a9",
    "request_id": _CERT_REQUEST,
    "person_id": _CHILD,
    "need_id": "3c9d0000-0000-4000-8000-000000000031",
    "kind": "birth_certificate",
    "status": "issued",
    "version": 6,
    "status_changed_at": "2019-07-15T06:12:00Z",
    "civil_act_record_number": "000412",
    "certificate_series": "I-АЖ",
    "certificate_number": "0004123",
    "registered_on": "2019-06-20",
    "handed_over_on": "2019-07-15",
}
_PRODUCED_PASSPORT = {
    "event_id": "1f8e6d5c-4b3a-4928-8716-05f4e3d2c1b0",
    "request_id": _PASSPORT_REQUEST,
    "person_id": _WOMAN,
    "need_id": "3c9d0000-0000-4000-8000-000000000032",
    "kind": "passport",
    "status": "produced",
    "version": 4,
    "status_changed_at": "2019-07-01T09:30:00Z",
    "passport_number": "N00000417",
    "issued_on": "2019-07-01",
    "expires_on": "2029-06-30",
}
_REGISTERED = {
    "event_id": "2a9f7e6d-5c4b-4a39-9827-16054f3e2d1c",
    "request_id": _CERT_REQUEST,
    "person_id": _CHILD,
    "need_id": "3c9d0000-0000-4000-8000-000000000031",
    "kind": "birth_certificate",
    "status": "registered",
    "version": 4,
    "status_changed_at": "2019-06-20T10:00:00Z",
    "civil_act_record_number": "000412",
    "registered_on": "2019-06-20",
}
DOCUMENT_UPDATE_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Баланың туу туралы куәлігі берілді", "value": _ISSUED_CERTIFICATE},
    "ru": {"summary": "Паспорт изготовлен", "value": _PRODUCED_PASSPORT},
    "ar": {"summary": "سُجِّلت الولادة في سجل الأحوال المدنية", "value": _REGISTERED},
}


def _answer(update: dict[str, Any], outcome: str) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "person_id": update["person_id"],
        "kind": update["kind"],
        "status": update["status"],
        "request_version": update["version"],
    }


DOCUMENT_UPDATE_ANSWER_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Жаңарту жазылды", "value": _answer(_ISSUED_CERTIFICATE, "applied")},
    "ru": {"summary": "Обновление записано", "value": _answer(_PRODUCED_PASSPORT, "applied")},
    "ar": {"summary": "تحديث أقدم: تم تجاهله", "value": _answer(_ISSUED_CERTIFICATE, "ignored")},
}

_CERTIFICATE_READ = {
    "kind": "birth_certificate",
    "needed": True,
    "status": "issued",
    "request_id": _CERT_REQUEST,
    "status_changed_at": "2019-07-15T06:12:00Z",
    "civil_act_record_number": "000412",
    "certificate_series": "I-АЖ",
    "certificate_number": "0004123",
    "passport_number": None,
    "registered_on": "2019-06-20",
    "issued_on": None,
    "expires_on": None,
    "handed_over_on": "2019-07-15",
}
_PASSPORT_WAITING = {"kind": "passport", "needed": True, "status": None}
PERSON_DOCUMENTS_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Баланың куәлігі берілді",
        "value": {"person_id": _CHILD, "items": [_CERTIFICATE_READ]},
    },
    "ru": {
        "summary": "Паспорт ещё не заказан в службе документов",
        "value": {"person_id": _WOMAN, "items": [_PASSPORT_WAITING]},
    },
    "ar": {
        "summary": "ما يراه الشريك: النوع والحالة فقط",
        "value": {
            "person_id": _CHILD,
            "items": [{"kind": "birth_certificate", "needed": True, "status": "issued"}],
        },
    },
}
