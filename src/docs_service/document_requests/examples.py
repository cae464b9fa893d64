"""OpenAPI examples of document requests (kk, ru, ar)."""

from __future__ import annotations

from typing import Any

_CERT = {"person_id": "5a110000-0000-4000-8000-000000000002", "kind": "birth_certificate"}
_PASSPORT = {"person_id": "5a110000-0000-4000-8000-00000000000b", "kind": "passport"}
_FROM_INTAKE = {
    "person_id": "5a110000-0000-4000-8000-000000000016",
    "kind": "birth_certificate",
    "need_id": "0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
}

REQUEST_CREATE_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Балаға туу туралы куәлік", "value": _CERT},
    "ru": {"summary": "Паспорт для матери", "value": _PASSPORT},
    "ar": {"summary": "شهادة ميلاد لطفلة، أرسلتها خدمة الاستقبال", "value": _FROM_INTAKE},
}


def _stored(body: dict[str, Any], request_id: str) -> dict[str, Any]:
    return {
        "id": request_id,
        "need_id": None,
        **body,
        "status": "requested",
        "version": 1,
        "created_at": "2019-05-09T08:00:02Z",
        "updated_at": "2019-05-09T08:00:02Z",
    }


REQUEST_READ_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Туу туралы куәлікке өтінім",
        "value": _stored(_CERT, "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6"),
    },
    "ru": {
        "summary": "Заявка на паспорт",
        "value": _stored(_PASSPORT, "8c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6"),
    },
    "ar": {
        "summary": "طلب شهادة ميلاد",
        "value": _stored(_FROM_INTAKE, "9c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6"),
    },
}
REQUEST_PAGE_EXAMPLES: dict[str, Any] = {
    lang: {"summary": ex["summary"], "value": {"items": [ex["value"]], "next_cursor": None}}
    for lang, ex in REQUEST_READ_EXAMPLES.items()
}
