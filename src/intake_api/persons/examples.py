"""OpenAPI examples of returnees as the field teams post them, in kk, ru and ar."""

from __future__ import annotations

from typing import Any

_KK = {
    "id": "5a110000-0000-4000-8000-000000000001",
    "operation": "zhusan-2",
    "category": "woman",
    "sex": "female",
    "birth_date": "1992-04-11",
    "birth_date_estimated": False,
    "iin": "920411412076",
    "names": [
        {
            "script": "Cyrl",
            "lang": "kk",
            "kind": "kazakh",
            "given": "Айгерім",
            "family": "Жұмабаева",
            "patronymic": "Сәрсенқызы",
        },
        {"script": "Arab", "lang": "ar", "kind": "alias", "given": "أيغريم"},
    ],
    "languages": ["kk", "ru", "ar"],
    "arrival_date": "2019-05-09",
}
_RU = {
    "id": "5a110000-0000-4000-8000-00000000000c",
    "operation": "zhusan-2",
    "category": "child",
    "sex": "female",
    "birth_date": "2015-06",
    "birth_date_estimated": True,
    "names": [
        {"script": "Arab", "lang": "ar", "kind": "birth", "given": "آمنة", "family": "أحمد"},
        {"script": "Cyrl", "lang": "ru", "kind": "alias", "given": "Амина", "family": "Ахметова"},
    ],
    "languages": ["ar", "ru"],
    "arrival_date": "2019-05-09",
}
_AR = {
    "id": "5a110000-0000-4000-8000-000000000015",
    "operation": "rusafa",
    "category": "woman",
    "sex": "female",
    "birth_date": "١٩٩٥-٠١-٣٠",
    "birth_date_estimated": False,
    "iin": "٩٥٠١٣٠٤٠٨٨٤٩",
    "names": [
        {"script": "Arab", "lang": "ar", "kind": "alias", "given": "فاطمة", "family": "سريكوفا"},
        {
            "script": "Cyrl",
            "lang": "kk",
            "kind": "kazakh",
            "given": "Фатима",
            "family": "Серікова",
            "patronymic": "Болатқызы",
        },
    ],
    "languages": ["kk", "ar"],
    "arrival_date": "2019-11-24",
}

PERSON_CREATE_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Ана, ЖСН бар; төлқұжат қажет", "value": _KK},
    "ru": {"summary": "Ребёнок, дата рождения известна до месяца", "value": _RU},
    "ar": {"summary": "أمّ، الرقم الفردي والتاريخ بالأرقام العربية", "value": _AR},
}


def _latin(given: str, family: str | None) -> str:
    return {"Айгерім": "AIGERIM ZHUMABAEVA", "Амина": "AMINA AKHMETOVA", "Фатима": "FATIMA SERIKOVA"}.get(
        given, ""
    )


def _stored(body: dict[str, Any], *, birth_date: str, iin: str | None, need: str) -> dict[str, Any]:
    return {
        **{k: v for k, v in body.items() if k not in {"names"}},
        "birth_date": birth_date,
        "iin": iin,
        "birth_place": None,
        "names": [
            {
                "patronymic": None,
                "family": None,
                "lang": None,
                **n,
                "latin_suggested": _latin(n["given"], n.get("family")),
            }
            for n in body["names"]
        ],
        "status": "arrived",
        "document_needs": [
            {
                "kind": need,
                "reason": "derived",
                "delivery": "delivered",
                "request_id": "7c0e1f2a-3b4c-4d5e-8f60-718293a4b5c6",
                "delivered_at": "2019-05-09T08:00:02Z",
            }
        ],
        "warnings": [],
        "version": 1,
        "created_at": "2019-05-09T08:00:00Z",
        "updated_at": "2019-05-09T08:00:00Z",
    }


PERSON_READ_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Тіркелген ана",
        "value": _stored(_KK, birth_date="1992-04-11", iin="920411412076", need="passport"),
    },
    "ru": {
        "summary": "Зарегистрированный ребёнок",
        "value": _stored(_RU, birth_date="2015-06", iin=None, need="birth_certificate"),
    },
    "ar": {
        "summary": "أمّ مسجّلة (الأرقام محفوظة بالأرقام اللاتينية)",
        "value": _stored(_AR, birth_date="1995-01-30", iin="950130408849", need="passport"),
    },
}

PERSON_PAGE_EXAMPLES: dict[str, Any] = {
    lang: {"summary": example["summary"], "value": {"items": [example["value"]], "next_cursor": None}}
    for lang, example in PERSON_READ_EXAMPLES.items()
}
