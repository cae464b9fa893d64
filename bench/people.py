"""Invented returnees for the benchmarks: person bodies as the field teams' phones send them.

Names mix scripts as the programme's records do (BRIEF.md): an Arabic birth name from camp
papers, a Kazakh name in Cyrillic given on return, sometimes a Latin alias; adults carry a
patronymic. Surnames are composed from Kazakh stems and endings so that a million persons share
a few thousand surnames with a skewed (Zipf-like) frequency, as real registers do: common given
names match many persons, surnames fewer, a given name with a surname few. Nobody described
here exists. Deterministic for a seed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import uuid
from dataclasses import dataclass
from typing import Any, Final

OPERATION: Final = "zhusan-2"
ARRIVAL: Final = "2019-05-09"

# (Arabic, Kazakh Cyrillic, Latin) forms of names common in the camps' records.
GIRLS: Final = (
    ("عائشة", "Айша", "Aisha"),
    ("فاطمة", "Фатима", "Fatima"),
    ("زينب", "Зейнеп", "Zeynep"),
    ("خديجة", "Хадиша", "Khadija"),
    ("مريم", "Мариям", "Mariam"),
    ("آمنة", "Әмина", "Amina"),
    ("حفصة", "Хафса", "Hafsa"),
    ("سمية", "Сұмая", "Sumayya"),
    ("رقية", "Рұқия", "Ruqayya"),
    ("أسماء", "Асма", "Asma"),
    ("صفية", "Сафия", "Safiya"),
    ("سارة", "Сара", "Sara"),
    ("هاجر", "Хажар", "Hajar"),
    ("ياسمين", "Ясмин", "Yasmin"),
    ("ليلى", "Ләйлә", "Layla"),
    ("سلمى", "Салма", "Salma"),
    ("حليمة", "Халима", "Halima"),
    ("جميلة", "Жамила", "Jamila"),
    ("رحمة", "Рахма", "Rahma"),
    ("نور", "Нұр", "Nur"),
)
BOYS: Final = (
    ("محمد", "Мұхаммед", "Muhammad"),
    ("إبراهيم", "Ибраһим", "Ibrahim"),
    ("يوسف", "Юсуф", "Yusuf"),
    ("عمر", "Омар", "Umar"),
    ("حمزة", "Хамза", "Hamza"),
    ("علي", "Әли", "Ali"),
    ("عبد الله", "Абдулла", "Abdullah"),
    ("عبد الرحمن", "Әбдірахман", "Abdurrahman"),
    ("خالد", "Халид", "Khalid"),
    ("بلال", "Білал", "Bilal"),
    ("أحمد", "Ахмед", "Ahmad"),
    ("إسماعيل", "Исмаил", "Ismail"),
    ("موسى", "Мұса", "Musa"),
    ("عيسى", "Иса", "Isa"),
    ("سليمان", "Сүлеймен", "Sulayman"),
    ("زكريا", "Зәкәрия", "Zakariya"),
    ("طلحة", "Талха", "Talha"),
    ("أنس", "Анас", "Anas"),
    ("معاذ", "Мұғаз", "Muadh"),
    ("عثمان", "Осман", "Uthman"),
)
# Kazakh names given on return (birth certificates) and names of adults.
KAZAKH_GIRLS: Final = (
    "Айгерім", "Аружан", "Інжу", "Томирис", "Әсел", "Жансая", "Мадина", "Дана", "Ақбота",
    "Балжан", "Жұлдыз", "Көркем", "Сезім", "Нұрай", "Айзере", "Ақерке", "Гүлнұр", "Дильназ",
    "Еркежан", "Айым",
)  # fmt: skip
KAZAKH_BOYS: Final = (
    "Нұрсұлтан", "Ерасыл", "Алихан", "Әмір", "Темірлан", "Бауыржан", "Ерназар", "Санжар",
    "Диас", "Арсен", "Ақжол", "Нұрислам", "Ернұр", "Дамир", "Асылжан", "Бекзат", "Ілияс",
    "Мирас", "Айбар", "Жәнібек",
)  # fmt: skip
WOMEN: Final = (
    "Айгерім", "Мәдина", "Гүлназ", "Әсел", "Жанар", "Динара", "Салтанат", "Айжан", "Ботагөз",
    "Гаухар", "Меруерт", "Сәуле", "Зарина", "Ләззат", "Құралай", "Роза", "Гүлмира", "Айнұр",
    "Анар", "Назерке",
)  # fmt: skip
MEN: Final = (
    "Ержан", "Дәулет", "Бауыржан", "Нұрлан", "Асқар", "Ерлан", "Марат", "Ғалым", "Серік",
    "Қайрат", "Сәрсен", "Болат", "Талғат", "Мұрат", "Ерболат",
)  # fmt: skip
# Surname stems: a first part and a second part, as Kazakh names are composed (Жұма + бай).
_STEM_HEADS: Final = (
    "Жұма", "Нұр", "Ер", "Сәр", "Бай", "Есен", "Құр", "Төле", "Мұқ", "Ораз", "Дүйсен", "Жақ",
    "Қуан", "Ақ", "Бек", "Қай", "Сейіт", "Тұр", "Әбіл", "Ас", "Бақ", "Ғаб", "Дәу", "Жан", "Кен",
    "Мақ", "Оң", "Сағ", "Тоқ", "Ұз", "Шәр", "Ыбыр", "Әбді", "Иса", "Қас", "Мұса", "Таң",
    "Еле", "Темір", "Бол",
)  # fmt: skip
_STEM_TAILS: Final = (
    "ба", "бек", "ғали", "жан", "бай", "тай", "хан", "қали", "мұрат", "болат", "тас", "ғазы",
    "құл", "жар", "ділда", "нияз", "ахмет", "сейіт", "бол", "гелді", "тар", "ан", "ым", "ет",
)  # fmt: skip
_VOWELS: Final = frozenset("аәеёиіоөуұүыэюя")


@dataclass(frozen=True, slots=True)
class Surname:
    """A surname in its masculine and feminine forms, with the father's-name stem."""

    male: str
    female: str


def _surnames() -> list[Surname]:
    found = []
    for head in _STEM_HEADS:
        for tail in _STEM_TAILS:
            stem = head + tail
            ending = "ев" if stem[-1] in _VOWELS else "ов"
            found.append(Surname(stem + ending, stem + ending + "а"))
    return found


SURNAMES: Final = _surnames()


def _zipf_weights(n: int, exponent: float = 1.0) -> list[float]:
    return [1.0 / (rank**exponent) for rank in range(1, n + 1)]


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


class PersonFactory:
    """Makes person bodies (`POST /v1/persons` JSON) from a seeded random generator.

    Args:
        seed: the same seed gives the same persons in the same order.
        today: the day children's ages are counted on (arrival is 2019-05-09, so any day works).
    """

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - invented data, not secrets
        self._surname_weights = _cumulative(_zipf_weights(len(SURNAMES), 0.8))
        self._given_weights = _cumulative(_zipf_weights(len(GIRLS), 0.9))
        self._kk_weights = _cumulative(_zipf_weights(len(KAZAKH_GIRLS), 0.9))
        self._adult_weights = _cumulative(_zipf_weights(len(WOMEN), 0.9))
        self._men_weights = _cumulative(_zipf_weights(len(MEN), 0.9))

    def uuid(self) -> uuid.UUID:
        """A random version-4 UUID from the seeded generator."""
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _pick(self, values: tuple[Any, ...] | list[Any], cumulative: list[float]) -> Any:
        return values[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def surname(self) -> Surname:
        """A surname, common ones more often."""
        return self._pick(SURNAMES, self._surname_weights)  # type: ignore[no-any-return]

    def _birth(self, first_year: int, last_year: int) -> str:
        year = self.rng.randint(first_year, last_year)
        shape = self.rng.random()
        if shape < 0.25:
            return str(year)  # known to the year only
        month = self.rng.randint(1, 12)
        if shape < 0.45:
            return f"{year}-{month:02d}"
        return f"{year}-{month:02d}-{self.rng.randint(1, 28):02d}"

    def body(self, category: str | None = None) -> dict[str, Any]:
        """One person body: a child (60 %), a woman (35 %) or a man (5 %) unless `category`."""
        rng = self.rng
        if category is None:
            roll = rng.random()
            category = "child" if roll < 0.6 else "woman" if roll < 0.95 else "man"
        surname = self.surname()
        father_ar = self._pick(BOYS, self._given_weights)[0]
        names: list[dict[str, Any]]
        if category == "child":
            sex = rng.choice(("female", "male"))
            pool = GIRLS if sex == "female" else BOYS
            arabic, cyrillic, latin = self._pick(pool, self._given_weights)
            kazakh_pool = KAZAKH_GIRLS if sex == "female" else KAZAKH_BOYS
            # Half the children keep a Kazakh form of their Arabic name, half get a new one.
            kk_given = cyrillic if rng.random() < 0.5 else self._pick(kazakh_pool, self._kk_weights)
            names = [
                {"script": "Arab", "lang": "ar", "kind": "birth", "given": arabic, "family": father_ar},
                {
                    "script": "Cyrl",
                    "lang": "kk",
                    "kind": "kazakh",
                    "given": kk_given,
                    "family": surname.female if sex == "female" else surname.male,
                },
            ]
            if rng.random() < 0.3:
                names.append({"script": "Latn", "kind": "alias", "given": latin})
            birth = self._birth(2006, 2018)
            languages = ["ar"] if rng.random() < 0.7 else ["ar", "kk"]
        else:
            sex = "female" if category == "woman" else "male"
            father = self._pick(MEN, self._men_weights)
            ending = "қызы" if sex == "female" else "ұлы"
            given = (
                self._pick(WOMEN, self._adult_weights)
                if sex == "female"
                else self._pick(MEN, self._men_weights)
            )
            names = [
                {
                    "script": "Cyrl",
                    "lang": "kk",
                    "kind": "kazakh",
                    "given": given,
                    "family": surname.female if sex == "female" else surname.male,
                    "patronymic": father + ending,
                }
            ]
            if rng.random() < 0.4:
                pool = GIRLS if sex == "female" else BOYS
                names.append(
                    {
                        "script": "Arab",
                        "lang": "ar",
                        "kind": "alias",
                        "given": self._pick(pool, self._given_weights)[0],
                    }
                )
            birth = self._birth(1975, 1999)
            languages = ["kk", "ru"] if rng.random() < 0.6 else ["kk", "ru", "ar"]
        body: dict[str, Any] = {
            "id": str(self.uuid()),
            "operation": OPERATION,
            "category": category,
            "sex": sex,
            "birth_date": birth,
            "birth_date_estimated": len(birth) < 10,
            "names": names,
            "languages": languages,
            "arrival_date": ARRIVAL,
        }
        if rng.random() < 0.3:
            body["facility"] = rng.choice(("Ақтау оңалту орталығы", "Алматы оңалту орталығы"))
        return body


def search_terms(seed: int, count: int) -> list[dict[str, str]]:
    """Texts a case worker types into `q`, each `{kind, q}`, in a fixed mix.

    Kinds: `surname` (Cyrillic), `given_latin` (a common Arabic name typed in Latin, matching
    many), `given_arabic`, `given_and_surname` (two words, few matches) and `prefix3` (the first
    three letters of a surname, as typed while searching).
    """
    factory = PersonFactory(seed)
    rng = factory.rng
    terms = []
    kinds = ("surname", "given_latin", "given_arabic", "given_and_surname", "prefix3")
    for i in range(count):
        kind = kinds[i % len(kinds)]
        surname = factory.surname()
        family = surname.female if rng.random() < 0.5 else surname.male
        if kind == "surname":
            q = family
        elif kind == "given_latin":
            q = rng.choice(GIRLS + BOYS)[2]
        elif kind == "given_arabic":
            q = rng.choice(GIRLS + BOYS)[0]
        elif kind == "given_and_surname":
            q = f"{rng.choice(KAZAKH_GIRLS + WOMEN)} {surname.female}"
        else:
            q = family[:3]
        terms.append({"kind": kind, "q": q})
    return terms


def created_at_for(index: int, total: int, *, start: dt.datetime | None = None) -> dt.datetime:
    """Registration time of the `index`-th of `total` loaded persons, spread over six years.

    Distinct and increasing, so the `(created_at, id)` keyset order is the loading order.
    """
    first = start or dt.datetime(2019, 5, 9, tzinfo=dt.UTC)
    span = dt.timedelta(days=365 * 6)
    return first + span * (index / max(total, 1)) + dt.timedelta(microseconds=index % 1000)
