"""OpenAPI examples of the vocabularies document in kk, ru and ar (lists shortened)."""

from __future__ import annotations

from typing import Any


def _terms(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"code": code, "label": label} for code, label in pairs]


def _regions(pairs: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"code": code, "label": label, "kind": kind} for code, label, kind in pairs]


_KK = {
    "language": "kk",
    "categories": _terms(
        [("child", "Бала (келген күні 18-ге толмаған)"), ("woman", "Әйел"), ("man", "Ер адам")]
    ),
    "sexes": _terms([("female", "Әйел"), ("male", "Ер")]),
    "statuses": _terms(
        [("arrived", "Келді"), ("in_rehabilitation", "Оңалтуда"), ("relocated", "Туыстарына көшірілді")]
    ),
    "relations": _terms([("mother", "Анасы"), ("child", "Ұлы немесе қызы"), ("sibling", "Бауыры")]),
    "relative_relations": _terms([("grandmother", "Әжесі"), ("uncle", "Ағасы немесе нағашысы")]),
    "decisions": _terms(
        [("pending", "Әлі шешпеді"), ("willing", "Қабылдауға келісті"), ("refused", "Қабылдаудан бас тартты")]
    ),
    "regions": _regions(
        [
            ("KZ-10", "Абай облысы", "region"),
            ("KZ-61", "Түркістан облысы", "region"),
            ("KZ-71", "Астана", "city"),
        ]
    ),
    "document_kinds": _terms([("birth_certificate", "Туу туралы куәлік"), ("passport", "Төлқұжат")]),
    "name_kinds": _terms([("birth", "Туған кездегі аты (лагерь құжаттары)"), ("kazakh", "Қазақша аты")]),
    "scripts": _terms([("Arab", "Араб жазуы"), ("Cyrl", "Кирилл жазуы"), ("Latn", "Латын жазуы")]),
    "consent_kinds": _terms([("tracing", "Туыстарды іздеуге келісім")]),
    "consent_givers": _terms([("mother", "Анасы"), ("self", "Адамның өзі")]),
}
_RU = {
    "language": "ru",
    "categories": _terms(
        [("child", "Ребёнок (до 18 лет на день прибытия)"), ("woman", "Женщина"), ("man", "Мужчина")]
    ),
    "sexes": _terms([("female", "Женский"), ("male", "Мужской")]),
    "statuses": _terms(
        [
            ("arrived", "Прибыл(а)"),
            ("in_rehabilitation", "На реабилитации"),
            ("in_care", "На попечении государства"),
        ]
    ),
    "relations": _terms([("mother", "Мать"), ("father", "Отец"), ("guardian", "Опекун")]),
    "relative_relations": _terms([("grandfather", "Дедушка"), ("aunt", "Тётя")]),
    "decisions": _terms(
        [("pending", "Решение не принято"), ("willing", "Согласен принять"), ("refused", "Отказался принять")]
    ),
    "regions": _regions(
        [
            ("KZ-19", "Алматинская область", "region"),
            ("KZ-33", "Жетысуская область", "region"),
            ("KZ-75", "город Алматы", "city"),
        ]
    ),
    "document_kinds": _terms([("birth_certificate", "Свидетельство о рождении"), ("passport", "Паспорт")]),
    "name_kinds": _terms(
        [("kazakh", "Казахское имя (дано по возвращении)"), ("alias", "Другое имя или написание")]
    ),
    "scripts": _terms([("Arab", "Арабское письмо"), ("Cyrl", "Кириллица"), ("Latn", "Латиница")]),
    "consent_kinds": _terms([("sharing", "Согласие на передачу данных другим ведомствам")]),
    "consent_givers": _terms([("guardian", "Опекун"), ("other", "Другое лицо")]),
}
_AR = {
    "language": "ar",
    "categories": _terms([("child", "طفل (دون 18 عامًا عند الوصول)"), ("woman", "امرأة"), ("man", "رجل")]),
    "sexes": _terms([("female", "أنثى"), ("male", "ذكر")]),
    "statuses": _terms([("arrived", "وصل"), ("relocated", "نُقل إلى الأقارب"), ("reunified", "تمّ لمّ الشمل")]),
    "relations": _terms([("mother", "الأم"), ("sibling", "أخ أو أخت"), ("spouse", "زوج أو زوجة")]),
    "relative_relations": _terms([("grandmother", "الجدة"), ("cousin", "ابن العم أو الخال")]),
    "decisions": _terms(
        [("pending", "لم يُتخذ القرار بعد"), ("willing", "مستعد للاستضافة"), ("refused", "رفض الاستضافة")]
    ),
    "regions": _regions(
        [
            ("KZ-62", "منطقة أوليتاو", "region"),
            ("KZ-63", "منطقة شرق كازاخستان", "region"),
            ("KZ-79", "شيمكنت", "city"),
        ]
    ),
    "document_kinds": _terms([("birth_certificate", "شهادة الميلاد"), ("passport", "جواز السفر")]),
    "name_kinds": _terms([("birth", "اسم الولادة (أوراق المخيم)"), ("document", "الاسم كما في الوثيقة")]),
    "scripts": _terms([("Arab", "الخط العربي"), ("Cyrl", "الخط السيريلي"), ("Latn", "الخط اللاتيني")]),
    "consent_kinds": _terms([("tracing", "الموافقة على البحث عن الأقارب")]),
    "consent_givers": _terms([("mother", "الأم"), ("father", "الأب")]),
}

VOCABULARIES_EXAMPLES: dict[str, Any] = {
    "kk": {"summary": "Анықтамалықтар қазақша (тізімдер қысқартылған)", "value": _KK},
    "ru": {"summary": "Справочники на русском (списки сокращены)", "value": _RU},
    "ar": {"summary": "القوائم المرجعية بالعربية (مختصرة)", "value": _AR},
}
