"""OpenAPI examples of document requests (kk, ru, ar)."""

from __future__ import annotations

import copy
from typing import Any

_CHILD = "5a110000-0000-4000-8000-000000000002"
_MOTHER = "5a110000-0000-4000-8000-00000000000b"
_ARAB_CHILD = "5a110000-0000-4000-8000-000000000016"
_NEED = "0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"

_CERT = {"person_id": _CHILD, "kind": "birth_certificate"}
_PASSPORT = {
    "person_id": _MOTHER,
    "kind": "passport",
    "assignment": {"office": "Көші-қон қызметі, Ақтау", "officer": "Б. Сейітова"},
    "former_passport_number": "N07345112",
}
_FROM_INTAKE = {"person_id": _ARAB_CHILD, "kind": "birth_certificate", "need_id": _NEED}

REQUEST_CREATE_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Балаға туу туралы куәлік", "value": _CERT},
    "ru": {"summary": "Паспорт для матери, прежний паспорт будет изъят", "value": _PASSPORT},
    "ar": {"summary": "شهادة ميلاد لطفلة، أرسلتها خدمة الاستقبال", "value": _FROM_INTAKE},
}

REQUEST_UPDATE_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Баланың қазақша аты",
        "value": {"names": {"family": "Сейітқызы", "given": "Айару", "patronymic": None}},
    },
    "ru": {
        "summary": "Латинское написание, подтверждённое регистратором",
        "value": {"latin_name": {"surname": "ZHUMABAEVA", "given_names": "AISHA"}},
    },
    "ar": {
        "summary": "تكليف مكتب التسجيل والموظف",
        "value": {"assignment": {"office": "АХАТ бөлімі, Алматы", "officer": "Г. Омарова"}},
    },
}

TRANSITION_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Ата-аналық ДНҚ сараптамасымен расталды",
        "value": {
            "to": "parentage_confirmed",
            "data": {"evidence": "dna_test", "reference": "ДНҚ-2019/0412", "evidence_date": "2019-06-03"},
        },
    },
    "ru": {
        "summary": "Паспорт изготовлен: номер, даты; MRZ строится сам",
        "value": {
            "to": "produced",
            "data": {"passport_number": "N12345678", "issued_on": "2019-07-01", "expires_on": "2029-06-30"},
        },
    },
    "ar": {
        "summary": "تسليم الشهادة إلى الأم",
        "value": {"to": "issued", "data": {"handed_to": "mother", "handed_over_on": "2019-07-15"}},
    },
}

_EMPTY_NUMBERS: dict[str, Any] = {
    "documents_collected": None,
    "parentage_evidence": None,
    "parentage_reference": None,
    "parentage_evidence_date": None,
    "civil_act_record_number": None,
    "registry_office": None,
    "registered_on": None,
    "certificate_series": None,
    "certificate_number": None,
    "biometrics_taken_on": None,
    "passport_number": None,
    "issued_on": None,
    "expires_on": None,
    "mrz": None,
    "former_passport_number": None,
    "former_passport_withdrawn_on": None,
    "handed_to": None,
    "handed_over_on": None,
}


def _read(
    request_id: str,
    body: dict[str, Any],
    *,
    status: str,
    allowed: list[str],
    prerequisites: list[tuple[str, bool]],
    holder: dict[str, Any],
    numbers: dict[str, Any] | None = None,
    version: int = 1,
    days: int = 0,
    target: int | None = 10,
) -> dict[str, Any]:
    assignment = body.get("assignment") or {"office": None, "officer": None}
    return {
        "id": request_id,
        "person_id": body["person_id"],
        "kind": body["kind"],
        "status": status,
        "need_id": body.get("need_id"),
        "reissue_of": None,
        "reissue_reason": None,
        "replaced_by": None,
        "allowed_transitions": allowed,
        "prerequisites": [{"code": code, "met": met} for code, met in prerequisites],
        "deadline": {
            "status_since": "2019-05-09T08:00:02Z",
            "days_in_status": days,
            "target_days": target,
            "overdue": target is not None and days > target,
        },
        "assignment": assignment,
        "holder": holder,
        "document": {**_EMPTY_NUMBERS, **(numbers or {})},
        "closed_reason": None,
        "version": version,
        "created_at": "2019-05-09T08:00:02Z",
        "updated_at": "2019-05-09T08:00:02Z",
    }


_CHILD_HOLDER = {
    "birth_date": "2016-03",
    "sex": "female",
    "iin": None,
    "iin_issued": False,
    "names": {"family": "Сейітқызы", "given": "Айару", "patronymic": None},
    "latin_name_suggested": None,
    "latin_name": None,
    "checked_at": "2019-05-09T08:00:02Z",
}
_MOTHER_HOLDER = {
    "birth_date": "1992-04-11",
    "sex": "female",
    "iin": "920411400012",
    "iin_issued": False,
    "names": {"family": "Жұмабаева", "given": "Айша", "patronymic": "Нұрланқызы"},
    "latin_name_suggested": {"surname": "ZHUMABAEVA", "given_names": "AISHA"},
    "latin_name": None,
    "checked_at": "2019-05-09T08:00:02Z",
}
_CERT_PREREQUISITES = [("kazakh_name", True), ("civil_act_record", False), ("iin", False)]
_PASSPORT_PREREQUISITES = [
    ("cyrillic_name", True),
    ("latin_name", False),
    ("birth_date", True),
    ("sex", True),
    ("iin", True),
]
_CERT_NEXT = ["documents_collected", "rejected", "cancelled"]
_PASSPORT_NEXT = ["biometrics_taken", "rejected", "cancelled"]

REQUEST_READ_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Туу туралы куәлікке өтінім",
        "value": _read(
            "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
            _CERT,
            status="requested",
            allowed=_CERT_NEXT,
            prerequisites=_CERT_PREREQUISITES,
            holder=_CHILD_HOLDER,
        ),
    },
    "ru": {
        "summary": "Заявка на паспорт, прежний паспорт записан",
        "value": _read(
            "8c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
            _PASSPORT,
            status="requested",
            allowed=_PASSPORT_NEXT,
            prerequisites=_PASSPORT_PREREQUISITES,
            holder=_MOTHER_HOLDER,
            numbers={"former_passport_number": "N07345112"},
            days=7,
            target=5,
        ),
    },
    "ar": {
        "summary": "طلب شهادة ميلاد أرسلته خدمة الاستقبال (عرض الشريك: بلا بيانات شخصية)",
        "value": {
            k: v
            for k, v in _read(
                "9c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
                _FROM_INTAKE,
                status="requested",
                allowed=_CERT_NEXT,
                prerequisites=[("kazakh_name", False), ("civil_act_record", False), ("iin", False)],
                holder=_CHILD_HOLDER,
            ).items()
            if k not in {"holder", "document", "closed_reason"}
        },
    },
}
REQUEST_PAGE_EXAMPLES: dict[str, Any] = {
    lang: {"summary": ex["summary"], "value": {"items": [ex["value"]], "next_cursor": None}}
    for lang, ex in REQUEST_READ_EXAMPLES.items()
}

_PRODUCED = _read(
    "8c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
    _PASSPORT,
    status="produced",
    allowed=["issued", "rejected", "cancelled"],
    prerequisites=[(code, True) for code, _ in _PASSPORT_PREREQUISITES],
    holder={**_MOTHER_HOLDER, "latin_name": {"surname": "ZHUMABAEVA", "given_names": "AISHA"}},
    numbers={
        "biometrics_taken_on": "2019-05-20",
        "passport_number": "N12345678",
        "issued_on": "2019-07-01",
        "expires_on": "2029-06-30",
        "mrz": [
            "P<KAZZHUMABAEVA<<AISHA<<<<<<<<<<<<<<<<<<<<<<",
            "N123456785KAZ9204111F2906302920411400012<<44",
        ],
        "former_passport_number": "N07345112",
    },
    version=5,
    target=10,
)
_ISSUED_CERT = _read(
    "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
    _CERT,
    status="issued",
    allowed=[],
    prerequisites=[(code, True) for code, _ in _CERT_PREREQUISITES],
    holder={**_CHILD_HOLDER, "iin": "160315600013", "iin_issued": True},
    numbers={
        "documents_collected": [
            "medical_birth_record",
            "mother_identity_document",
            "repatriation_certificate",
        ],
        "parentage_evidence": "dna_test",
        "parentage_reference": "ДНҚ-2019/0412",
        "parentage_evidence_date": "2019-06-03",
        "civil_act_record_number": "1045",
        "registry_office": "АХАТ бөлімі, Алматы",
        "registered_on": "2019-06-20",
        "certificate_series": "I-АЖ",
        "certificate_number": "0451276",
        "handed_to": "mother",
        "handed_over_on": "2019-07-15",
    },
    version=7,
    target=None,
)
TRANSITION_READ_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Куәлік анасына табысталды", "value": _ISSUED_CERT},
    "ru": {"summary": "Паспорт изготовлен, MRZ построена", "value": _PRODUCED},
    "ar": {"summary": "تم إصدار جواز السفر ورقمه", "value": copy.deepcopy(_PRODUCED)},
}


def _entry(
    version: int, action: str, from_status: str | None, to_status: str, **extra: Any
) -> dict[str, Any]:
    return {
        "version": version,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "at": f"2019-0{5 + version // 3}-{10 + version:02d}T09:30:00Z",
        "actor_role": extra.pop("actor_role", "registrar"),
        "actor_name": extra.pop("actor_name", "almaty-registry-1"),
        "reason": extra.pop("reason", None),
        "data": extra.pop("data", None),
    }


_CERT_HISTORY = [
    _entry(1, "created", None, "requested", actor_role="service", actor_name="intake-api"),
    _entry(2, "transition", "requested", "documents_collected", data={"documents": ["medical_birth_record"]}),
    _entry(
        3,
        "transition",
        "documents_collected",
        "parentage_confirmed",
        data={"evidence": "dna_test", "reference": "ДНҚ-2019/0412", "evidence_date": "2019-06-03"},
    ),
]
_CANCELLED_HISTORY = [
    _entry(1, "created", None, "requested", actor_role="case_worker", actor_name="aktau-case-3"),
    _entry(
        2, "transition", "requested", "cancelled", reason="Семья переехала в Шымкент, заявка подаётся там"
    ),
]
HISTORY_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Куәлікке өтінімнің тарихы",
        "value": {"request_id": "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6", "items": _CERT_HISTORY},
    },
    "ru": {
        "summary": "Заявка отменена: причина в истории",
        "value": {"request_id": "8c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6", "items": _CANCELLED_HISTORY},
    },
    "ar": {
        "summary": "السجل كما يراه الشريك: الأدوار فقط",
        "value": {
            "request_id": "9c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
            "items": [
                {k: v for k, v in entry.items() if k not in {"actor_name", "reason", "data"}}
                for entry in _CERT_HISTORY
            ],
        },
    },
}
