"""OpenAPI examples of operations, one per language of the field teams (kk, ru, ar)."""

from __future__ import annotations

from typing import Any

_ZHUSAN = {
    "code": "zhusan-2",
    "names": {"kk": "Жусан-2", "ru": "Жусан-2", "ar": "جوسان-2", "en": "Zhusan-2"},
    "origin_country": "SY",
    "start_date": "2019-05-07",
}
_RUSAFA = {
    "code": "rusafa",
    "names": {"kk": "Русафа", "ru": "Русафа", "ar": "الرصافة", "en": "Rusafa"},
    "origin_country": "IQ",
    "start_date": "2019-11-24",
}
_ZHUSAN_3 = {
    "code": "zhusan-3",
    "names": {"kk": "Жусан-3", "ru": "Жусан-3", "ar": "جوسان-3", "en": "Zhusan-3"},
    "origin_country": "SY",
    "start_date": "٢٠١٩-٠٥-٢٨",
}

OPERATION_CREATE_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "«Жусан-2» операциясы, Сириядан", "value": _ZHUSAN},
    "ru": {"summary": "Операция «Русафа», из Ирака", "value": _RUSAFA},
    "ar": {"summary": "عملية «جوسان-3» من سوريا، التاريخ بالأرقام العربية", "value": _ZHUSAN_3},
}


def _read(body: dict[str, Any], op_id: str) -> dict[str, Any]:
    start = body["start_date"].translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789"))
    return {"id": op_id, **body, "start_date": start, "created_at": "2019-05-07T06:00:00Z"}


OPERATION_PAGE_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "Операциялар тізімі",
        "value": {"items": [_read(_ZHUSAN, "0f1e2d3c-4b5a-4697-8877-665544332211")], "next_cursor": None},
    },
    "ru": {
        "summary": "Список операций",
        "value": {"items": [_read(_RUSAFA, "1f1e2d3c-4b5a-4697-8877-665544332211")], "next_cursor": None},
    },
    "ar": {
        "summary": "قائمة العمليات",
        "value": {"items": [_read(_ZHUSAN_3, "2f1e2d3c-4b5a-4697-8877-665544332211")], "next_cursor": None},
    },
}

OPERATION_READ_EXAMPLES: dict[str, Any] = {
    "kk": {
        "summary": "«Жусан-2» операциясы тіркелді",
        "value": _read(_ZHUSAN, "0f1e2d3c-4b5a-4697-8877-665544332211"),
    },
    "ru": {
        "summary": "Операция «Русафа» зарегистрирована",
        "value": _read(_RUSAFA, "1f1e2d3c-4b5a-4697-8877-665544332211"),
    },
    "ar": {
        "summary": "تم تسجيل عملية «جوسان-3»",
        "value": _read(_ZHUSAN_3, "2f1e2d3c-4b5a-4697-8877-665544332211"),
    },
}
