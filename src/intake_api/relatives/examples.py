"""OpenAPI examples of relatives who may host a family, in kk, ru and ar."""

from __future__ import annotations

from typing import Any

_MOTHER = "5a110000-0000-4000-8000-000000000001"
_CHILD = "5a110000-0000-4000-8000-00000000000c"
_ARABIC_MOTHER = "5a110000-0000-4000-8000-000000000015"

_KK = {
    "id": "9e1a0000-0000-4000-8000-000000000001",
    "person_id": _MOTHER,
    "name": "Жұмабаева Күләш Бекқызы",
    "relation": "mother",
    "region": "KZ-61",
    "locality": "Кентау",
    "contact": {"phone": "+7 701 234 56 78", "address": "Абай көшесі, 12"},
    "decision": "willing",
    "decided_on": "2019-05-20",
}
_RU = {
    "id": "9e1a0000-0000-4000-8000-000000000002",
    "person_id": _CHILD,
    "name": "Ахметов Серик Болатович",
    "relation": "uncle",
    "region": "KZ-75",
    "contact": {"phone": "8 (727) 250-11-22"},
    "decision": "refused",
    "decision_reason": "Нет места в квартире, боится соседей",
    "decided_on": "2019-05-22",
}
_AR = {
    "id": "9e1a0000-0000-4000-8000-000000000003",
    "person_id": _ARABIC_MOTHER,
    "name": "Серікова Гүлнар",
    "relation": "sibling",
    "region": "KZ-33",
    "locality": "Талдықорған",
    "contact": {"phone": "+٧ ٧٠٧ ١٢٣ ٤٥ ٦٧"},
}

RELATIVE_CREATE_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Анасы Түркістан облысында, қабылдауға келісті", "value": _KK},
    "ru": {"summary": "Дядя в Алматы отказался принять семью", "value": _RU},
    "ar": {"summary": "أخت في منطقة جيتيسو، القرار لم يُتخذ بعد؛ الهاتف بالأرقام العربية", "value": _AR},
}


def _stored(body: dict[str, Any], *, phone: str, refusals: int, version: int = 1) -> dict[str, Any]:
    contact = body.get("contact", {})
    return {
        "id": body["id"],
        "person_id": body["person_id"],
        "name": body["name"],
        "relation": body["relation"],
        "region": body["region"],
        "locality": body.get("locality"),
        "contact": {"phone": phone, "address": contact.get("address")},
        "decision": body.get("decision", "pending"),
        "decision_reason": body.get("decision_reason"),
        "decided_on": body.get("decided_on"),
        "refusals": refusals,
        "version": version,
        "created_at": "2019-05-20T07:30:00Z",
        "updated_at": "2019-05-20T07:30:00Z",
    }


RELATIVE_READ_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Келісім берген туысы (іс жүргізушіге байланыс көрінеді)",
        "value": _stored(_KK, phone="+77012345678", refusals=0),
    },
    "ru": {"summary": "Отказ сохранён и посчитан", "value": _stored(_RU, phone="87272501122", refusals=1)},
    "ar": {
        "summary": "قريبة لم تقرر بعد (الأرقام محفوظة باللاتينية)",
        "value": _stored(_AR, phone="+77071234567", refusals=0),
    },
}

RELATIVE_PAGE_EXAMPLES: dict[str, Any] = {
    lang: {"summary": example["summary"], "value": {"items": [example["value"]], "next_cursor": None}}
    for lang, example in RELATIVE_READ_EXAMPLES.items()
}

RELATIVE_UPDATE_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Туысы енді келісті (бұрынғы бас тарту сақталады)",
        "value": {"decision": "willing", "decided_on": "2019-06-03"},
    },
    "ru": {
        "summary": "Родственник отказался, с причиной",
        "value": {"decision": "refused", "decision_reason": "Переезжает в другой город"},
    },
    "ar": {
        "summary": "تصحيح رقم الهاتف وحذف العنوان",
        "value": {"contact": {"phone": "+٧ ٧٠٧ ٩٩٩ ٠٠ ١١", "address": None}},
    },
}

_WILLING_AGAIN = {
    **_stored(_RU, phone="87272501122", refusals=1, version=2),
    "decision": "willing",
    "decision_reason": None,
    "decided_on": "2019-06-03",
    "updated_at": "2019-06-03T10:00:00Z",
}

RELATIVE_UPDATED_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Келісім жазылды, бас тартулар саны: 1", "value": _WILLING_AGAIN},
    "ru": {"summary": "Согласие записано, отказов: 1", "value": _WILLING_AGAIN},
    "ar": {"summary": "تم تسجيل الموافقة؛ عدد الرفض: 1", "value": _WILLING_AGAIN},
}

_HISTORY = {
    "relative_id": _RU["id"],
    "refusals": 1,
    "items": [
        {
            "from_decision": None,
            "to_decision": "refused",
            "reason": "Нет места в квартире, боится соседей",
            "decided_on": "2019-05-22",
            "actor_name": "almaty-case-team",
            "actor_role": "case_worker",
            "at": "2019-05-22T11:00:00Z",
        },
        {
            "from_decision": "refused",
            "to_decision": "willing",
            "reason": None,
            "decided_on": "2019-06-03",
            "actor_name": "almaty-case-team",
            "actor_role": "case_worker",
            "at": "2019-06-03T10:00:00Z",
        },
    ],
}

RELATIVE_DECISIONS_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Алдымен бас тартты, кейін келісті", "value": _HISTORY},
    "ru": {"summary": "Сначала отказ, затем согласие", "value": _HISTORY},
    "ar": {"summary": "رفض أولاً ثم وافق", "value": _HISTORY},
}
