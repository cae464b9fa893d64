"""OpenAPI examples of family links and households, in kk, ru and ar."""

from __future__ import annotations

from typing import Any

_MOTHER = "5a110000-0000-4000-8000-000000000001"
_CHILD = "5a110000-0000-4000-8000-00000000000c"
_BROTHER = "5a110000-0000-4000-8000-00000000000d"
_HOUSEHOLD = "4b0a0000-0000-4000-8000-000000000001"
_AT = "2019-05-09T09:15:00Z"

RELATION_CREATE_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Бала жазбасына оның анасын байланыстыру",
        "value": {"related_person_id": _MOTHER, "relation": "mother"},
    },
    "ru": {
        "summary": "Запись матери: добавить её ребёнка",
        "value": {"related_person_id": _CHILD, "relation": "child"},
    },
    "ar": {
        "summary": "سجلّ الطفلة: ربط أخيها",
        "value": {"related_person_id": _BROTHER, "relation": "sibling"},
    },
}

_AS_CHILD = {
    "person_id": _CHILD,
    "related_person_id": _MOTHER,
    "relation": "mother",
    "inverse_relation": "child",
    "related_category": "woman",
    "related_sex": "female",
    "household_id": _HOUSEHOLD,
    "created_at": _AT,
}
_AS_MOTHER = {
    "person_id": _MOTHER,
    "related_person_id": _CHILD,
    "relation": "child",
    "inverse_relation": "mother",
    "related_category": "child",
    "related_sex": "female",
    "household_id": _HOUSEHOLD,
    "created_at": _AT,
}
_AS_SIBLING = {
    "person_id": _CHILD,
    "related_person_id": _BROTHER,
    "relation": "sibling",
    "inverse_relation": "sibling",
    "related_category": "child",
    "related_sex": "male",
    "household_id": _HOUSEHOLD,
    "created_at": _AT,
}

RELATION_READ_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Ана жазылды; екеуі бір үй шаруашылығында", "value": _AS_CHILD},
    "ru": {"summary": "Ребёнок записан; мать и ребёнок в одном домохозяйстве", "value": _AS_MOTHER},
    "ar": {"summary": "تم تسجيل الأخ؛ الأسرة نفسها", "value": _AS_SIBLING},
}

PERSON_RELATIONS_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Баланың туыстары: анасы мен бауыры",
        "value": {"person_id": _CHILD, "household_id": _HOUSEHOLD, "items": [_AS_CHILD, _AS_SIBLING]},
    },
    "ru": {
        "summary": "Связи матери: её дочь",
        "value": {"person_id": _MOTHER, "household_id": _HOUSEHOLD, "items": [_AS_MOTHER]},
    },
    "ar": {
        "summary": "روابط الطفلة: الأم والأخ",
        "value": {"person_id": _CHILD, "household_id": _HOUSEHOLD, "items": [_AS_CHILD, _AS_SIBLING]},
    },
}

_HOUSEHOLD_READ = {
    "id": _HOUSEHOLD,
    "size": 3,
    "members": [
        {"person_id": _MOTHER, "role": "mother", "category": "woman", "sex": "female", "joined_at": _AT},
        {"person_id": _CHILD, "role": "child", "category": "child", "sex": "female", "joined_at": _AT},
        {"person_id": _BROTHER, "role": "child", "category": "child", "sex": "male", "joined_at": _AT},
    ],
    "created_at": _AT,
    "updated_at": _AT,
}

HOUSEHOLD_READ_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Ана және екі баласы", "value": _HOUSEHOLD_READ},
    "ru": {"summary": "Мать и двое детей", "value": _HOUSEHOLD_READ},
    "ar": {"summary": "أمّ وطفلان", "value": _HOUSEHOLD_READ},
}

HOUSEHOLD_PAGE_EXAMPLES: dict[str, Any] = {
    lang: {"summary": example["summary"], "value": {"items": [example["value"]], "next_cursor": None}}
    for lang, example in HOUSEHOLD_READ_EXAMPLES.items()
}
