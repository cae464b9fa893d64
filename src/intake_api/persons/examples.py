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


def _three(kk: tuple[str, Any], ru: tuple[str, Any], ar: tuple[str, Any]) -> dict[str, Any]:
    return {
        lang: {"summary": summary, "value": value}
        for lang, (summary, value) in (("kk", kk), ("ru", ru), ("ar", ar))
    }


PERSON_PATCH_EXAMPLES = _three(
    ("Орналасқан жері мен тілдері өзгерді", {"facility": "Ақтау оңалту орталығы", "languages": ["ar", "kk"]}),
    ("Уточнена дата рождения", {"birth_date": "2015-06-14", "birth_date_estimated": False}),
    (
        "تسجيل الموافقة على تتبع الأسرة",
        {"consent": {"tracing": True, "sharing": False, "given_by": "mother"}},
    ),
)
NAME_ADD_EXAMPLES = _three(
    (
        "Балаға берілген қазақ есімі",
        {
            "script": "Cyrl",
            "lang": "kk",
            "kind": "kazakh",
            "given": "Айша",
            "family": "Жұмабаева",
            "current": True,
        },
    ),
    (
        "Русская форма имени",
        {"script": "Cyrl", "lang": "ru", "kind": "alias", "given": "Аиша", "family": "Жумабаева"},
    ),
    (
        "اسم الولادة من أوراق المخيم",
        {"script": "Arab", "lang": "ar", "kind": "birth", "given": "عائشة", "family": "عبد الله"},
    ),
)
NAME_CORRECT_EXAMPLES = _three(
    ("Тегіндегі қате түзетілді", {"family": "Жұмабаева"}),
    ("Исправлена опечатка в отчестве", {"patronymic": "Ерлановна"}),
    ("تصحيح الاسم الأول", {"given": "آمنة"}),
)
STATUS_CHANGE_EXAMPLES = _three(
    (
        "Оңалту орталығына орналастырылды",
        {"status": "in_rehabilitation", "facility": "Ақтау оңалту орталығы"},
    ),
    (
        "Переезд к родственникам, согласным принять",
        {
            "status": "relocated",
            "host_relative_id": "3d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a",
            "reason": "Тётя согласилась принять семью",
        },
    ),
    ("لمّ الشمل مع الأسرة", {"status": "reunified", "reason": "استقرت الأسرة في منزل الأقارب"}),
)
NEED_CHANGE_EXAMPLES = _three(
    (
        "Төлқұжат қажет емес: жарамды құжаты бар",
        {"kind": "passport", "action": "cancel", "reason": "Жарамды төлқұжаты бар"},
    ),
    (
        "Нужно свидетельство о рождении",
        {"kind": "birth_certificate", "action": "require", "reason": "Свидетельство утеряно в лагере"},
    ),
    (
        "إلغاء طلب جواز السفر",
        {"kind": "passport", "action": "cancel", "reason": "لديها جواز سفر ساري المفعول"},
    ),
)
EVENTS_EXAMPLES = _three(
    (
        "Келгеннен оңалтуға дейін",
        [
            {
                "id": "1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9",
                "from_status": None,
                "to_status": "arrived",
                "reason": None,
                "host_relative_id": None,
                "facility": None,
                "actor": "dev-field_worker",
                "actor_role": "field_worker",
                "at": "2019-05-09T08:00:00Z",
            },
            {
                "id": "2b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9",
                "from_status": "arrived",
                "to_status": "in_rehabilitation",
                "reason": None,
                "host_relative_id": None,
                "facility": "Ақтау оңалту орталығы",
                "actor": "dev-case_worker",
                "actor_role": "case_worker",
                "at": "2019-05-10T09:00:00Z",
            },
        ],
    ),
    (
        "Прибытие",
        [
            {
                "id": "3b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9",
                "from_status": None,
                "to_status": "arrived",
                "reason": None,
                "host_relative_id": None,
                "facility": None,
                "actor": "dev-field_worker",
                "actor_role": "field_worker",
                "at": "2019-05-09T08:00:00Z",
            },
        ],
    ),
    (
        "الوصول",
        [
            {
                "id": "4b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9",
                "from_status": None,
                "to_status": "arrived",
                "reason": None,
                "host_relative_id": None,
                "facility": None,
                "actor": "dev-field_worker",
                "actor_role": "field_worker",
                "at": "2019-11-24T08:00:00Z",
            },
        ],
    ),
)
BATCH_EXAMPLES = _three(
    (
        "Телефоннан жинақталған екі адам",
        {
            "items": [
                {"idempotency_key": "kk-0001", "person": _KK},
                {"idempotency_key": "ru-0002", "person": _RU},
            ]
        },
    ),
    ("Пакет из одного человека", {"items": [{"idempotency_key": "ru-0002", "person": _RU}]}),
    ("دفعة من المخيم", {"items": [{"idempotency_key": "ar-0001", "person": _AR}]}),
)
BATCH_ANSWER_EXAMPLES = _three(
    (
        "Біреуі жасалды, біреуі қайталау",
        {
            "results": [
                {
                    "index": 0,
                    "status": 201,
                    "id": _KK["id"],
                    "person": PERSON_READ_EXAMPLES["kk"]["value"],
                    "problem": None,
                },
                {
                    "index": 1,
                    "status": 422,
                    "id": None,
                    "person": None,
                    "problem": {
                        "type": "urn:returnee-registry:problem:validation-failed",
                        "title": "Тексеру сәтсіз аяқталды",
                        "status": 422,
                        "errors": [
                            {
                                "field": "birth_date",
                                "code": "date_impossible",
                                "message": "Мұндай күн күнтізбеде жоқ.",
                            }
                        ],
                    },
                },
            ]
        },
    ),
    (
        "Создан",
        {
            "results": [
                {
                    "index": 0,
                    "status": 201,
                    "id": _RU["id"],
                    "person": PERSON_READ_EXAMPLES["ru"]["value"],
                    "problem": None,
                }
            ]
        },
    ),
    (
        "تم الإنشاء",
        {
            "results": [
                {
                    "index": 0,
                    "status": 201,
                    "id": _AR["id"],
                    "person": PERSON_READ_EXAMPLES["ar"]["value"],
                    "problem": None,
                }
            ]
        },
    ),
)
