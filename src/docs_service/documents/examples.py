"""OpenAPI examples of the register of issued documents (kk, ru, ar)."""

from __future__ import annotations

from typing import Any

_PASSPORT: dict[str, Any] = {
    "kind": "passport",
    "number": "N12345678",
    "series": None,
    "state": "valid",
    "request_id": "8c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
    "holder": {
        "person_id": "5a110000-0000-4000-8000-00000000000b",
        "names": {"family": "Жұмабаева", "given": "Айша", "patronymic": "Нұрланқызы"},
        "latin_name": {"surname": "ZHUMABAEVA", "given_names": "AISHA"},
        "birth_date": "1992-04-11",
        "sex": "female",
        "iin": "920411400012",
    },
    "issued_on": "2019-07-01",
    "expires_on": "2029-06-30",
    "handed_over_on": "2019-07-10",
    "handed_to": None,
    "office": "Көші-қон қызметі, Ақтау",
    "civil_act_record_number": None,
    "registry_office": None,
    "registered_on": None,
    "mrz": [
        "P<KAZZHUMABAEVA<<AISHA<<<<<<<<<<<<<<<<<<<<<<",
        "N123456785KAZ9204111F2906302920411400012<<44",
    ],
    "reissue_of": None,
    "reissue_reason": None,
    "withdrawn_on": None,
    "replaced_by": None,
    "issued_at": "2019-07-10T06:12:40Z",
}
_CERTIFICATE: dict[str, Any] = {
    "kind": "birth_certificate",
    "number": "0451276",
    "series": "I-АЖ",
    "state": "valid",
    "request_id": "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
    "holder": {
        "person_id": "5a110000-0000-4000-8000-000000000002",
        "names": {"family": "Сейітқызы", "given": "Айару", "patronymic": None},
        "latin_name": None,
        "birth_date": "2016-03",
        "sex": "female",
        "iin": "160315600013",
    },
    "issued_on": None,
    "expires_on": None,
    "handed_over_on": "2019-07-15",
    "handed_to": "mother",
    "office": "АХАТ бөлімі, Алматы",
    "civil_act_record_number": "1045",
    "registry_office": "АХАТ бөлімі, Алматы",
    "registered_on": "2019-06-20",
    "mrz": None,
    "reissue_of": None,
    "reissue_reason": None,
    "withdrawn_on": None,
    "replaced_by": None,
    "issued_at": "2019-07-15T07:45:03Z",
}
_WITHDRAWN = {
    **_CERTIFICATE,
    "number": "0391002",
    "request_id": "6c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
    "state": "withdrawn",
    "withdrawn_on": "2021-02-01",
    "replaced_by": "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
}

DOCUMENT_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Берілген туу туралы куәлік", "value": _CERTIFICATE},
    "ru": {"summary": "Выданный паспорт с MRZ", "value": _PASSPORT},
    "ar": {"summary": "شهادة سُحبت بعد إصدار بديل لها", "value": _WITHDRAWN},
}
DOCUMENT_PAGE_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Реестр: куәліктер", "value": {"items": [_CERTIFICATE], "next_cursor": None}},
    "ru": {"summary": "Реестр: паспорта", "value": {"items": [_PASSPORT], "next_cursor": None}},
    "ar": {
        "summary": "السجل: وثيقة سارية ووثيقة مسحوبة",
        "value": {"items": [_WITHDRAWN, _CERTIFICATE], "next_cursor": None},
    },
}
PDF_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Құжаттың басып шығаруға арналған анықтамасы (PDF, қазақша белгілер)",
        "value": "%PDF-1.7 …",
    },
    "ru": {"summary": "Справка о документе для печати (PDF, подписи по-русски)", "value": "%PDF-1.7 …"},
    "ar": {"summary": "ملخص الوثيقة للطباعة (PDF، عناوين عربية من اليمين إلى اليسار)", "value": "%PDF-1.7 …"},
}
