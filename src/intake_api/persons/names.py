"""Names of returnees across Cyrillic, Latin and Arabic script: Latin forms and search keys.

Pure functions over text; nothing here alters a stored name. Sources: ICAO Doc 9303 Part 3
(transliteration of Cyrillic in the visual inspection zone), the Unicode Character Database
(character names, general categories, NFKC), and DOMAIN.md ("Names and transliteration",
"Input as phones type it", "Matching the same person across scripts").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from anyascii import anyascii

from apicore.transliteration import clip_words as clip_words  # part of this module's API
from apicore.transliteration import suggest_latin as suggest_latin  # part of this module's API

_TATWEEL: Final = "\u0640"
# DOMAIN.md: fold Arabic letter variants for keys, never in the stored value. أ إ آ (and ؤ ئ,
# to و ي) already lose their hamza or madda with the combining marks (Unicode canonical
# decomposition: U+0623 = U+0627 U+0654); the first rows only make the rule visible.
_ARABIC_KEY_FOLDS: Final = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",  # alef wasla
        "ة": "ه",
        "ى": "ي",
        "ی": "ي",  # Persian yeh
        "ک": "ك",  # Persian keheh
    }
)
_APOSTROPHES: Final = "'`ʼ’ʹ"
_NOT_KEY = re.compile(r"[^a-z0-9]+")

# Consonant classes of the skeleton, one letter each so that a class is one character:
#   b  б п ب پ b p      (Arabic has no p: Turkic spellings devoice b, Зейнеп for زينب)
#   v  в و ڤ v w        (at the start of a word only; see _word_skeleton)
#   h  х һ г ғ ح ه خ غ گ h kh g gh
#   k  к қ ك ک ق k q c ck
#   j  ж ج ژ j zh dzh dj
#   x  ш щ ش sh shch    c  ч چ ch
#   s  с ص ث s          z  з ز ذ ظ z       d  д د ض d    t  т ت ط t
#   f  ф ف f ph         l, m, n (ң), r     ц and ts give t s
# Dropped: vowels, й ы ь ъ, ع ء, ا ى ي ی ة, y, and و в v w inside a word.
_CYRILLIC_SKELETON: Final[dict[str, str]] = {
    "б": "b", "п": "b", "в": "v", "г": "h", "ғ": "h", "д": "d", "ж": "j", "з": "z", "к": "k",
    "қ": "k", "л": "l", "м": "m", "н": "n", "ң": "n", "р": "r", "с": "s", "т": "t", "ф": "f",
    "х": "h", "һ": "h", "ц": "ts", "ч": "c", "ш": "x", "щ": "x", "ґ": "h",
    **{vowel: "" for vowel in "аәеёиійоөуұүыэюяъьєїў"},
}  # fmt: skip
_ARABIC_SKELETON: Final[dict[str, str]] = {
    "ب": "b", "پ": "b", "ت": "t", "ث": "s", "ج": "j", "ح": "h", "خ": "h", "د": "d", "ذ": "z",
    "ر": "r", "ز": "z", "ژ": "j", "س": "s", "ش": "x", "ص": "s", "ض": "d", "ط": "t", "ظ": "z",
    "غ": "h", "ف": "f", "ڤ": "v", "ق": "k", "ك": "k", "ک": "k", "گ": "h", "ل": "l", "م": "m",
    "ن": "n", "ه": "h", "و": "v", "چ": "c",
    **{vowel: "" for vowel in "اأإآٱءعىيیةۇېە"},
}  # fmt: skip
# Longest first: shch before sh, dzh before zh.
_LATIN_SKELETON_DIGRAPHS: Final = (
    ("shch", "x"), ("dzh", "j"), ("sh", "x"), ("zh", "j"), ("ch", "c"), ("kh", "h"),
    ("gh", "h"), ("ph", "f"),
)  # fmt: skip
_LATIN_SKELETON: Final[dict[str, str]] = {
    "b": "b", "p": "b", "c": "k", "d": "d", "f": "f", "g": "h", "h": "h", "j": "j", "k": "k",
    "l": "l", "m": "m", "n": "n", "q": "k", "r": "r", "s": "s", "t": "t", "v": "v", "w": "v",
    "x": "ks", "z": "z",
    **{vowel: "" for vowel in "aeiouy"},
}  # fmt: skip
# Latin letters whose mark carries a sound (Turkish, Kazakh 2021 Latin, Czech): spell them out
# before the marks are stripped, or ş would fall to s.
_LATIN_MARKED_LETTERS: Final = str.maketrans(
    {"ş": "sh", "š": "sh", "ç": "ch", "č": "ch", "ž": "zh", "ğ": "gh", "ñ": "n"}
)
_WORD_SEPARATORS: Final = re.compile(r"[\s\-\u2010\u2011]+")  # whitespace, hyphens


def _strip_marks(text: str) -> str:
    # NFD exposes harakat, shadda and accents as combining marks (categories Mn, Mc, Me); й and
    # ё lose their breve and diaeresis too, as ICAO writes them (i, e).
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M"))
    return unicodedata.normalize("NFC", kept).replace(_TATWEEL, "")


def _script(ch: str) -> str:
    # The Unicode character name starts with the script for letters of Cyrillic and Latin.
    return unicodedata.name(ch, "").split(" ", 1)[0]


def mixed_script_words(text: str) -> list[str]:
    """Words that mix Cyrillic and Latin letters, almost always a typing slip.

    NFKC does not fold look-alikes across scripts (DOMAIN.md): Cyrillic а і һ and Latin a i h
    stay distinct, so "Ахметовa" with a Latin a would never match "Ахметова".

    Args:
        text: a name as typed; words are separated by whitespace and hyphens.

    Returns:
        The offending words as written, in order (empty when every word keeps to one script).
        Scripts come from the Unicode character names (`CYRILLIC ...`, `LATIN ...`).
    """
    mixed = []
    for word in _WORD_SEPARATORS.split(text):
        scripts = {_script(ch) for ch in word if ch.isalpha()}
        if {"CYRILLIC", "LATIN"} <= scripts:
            mixed.append(word)
    return mixed


SCRIPT_NAMES = {"Latn": "LATIN", "Cyrl": "CYRILLIC", "Arab": "ARABIC"}
"""ISO 15924 codes of the scripts a name is written in, with the first word of the Unicode
names of their letters."""


def letters_outside(text: str, script: str) -> str:
    """The letters of `text` that are not of `script` (ISO 15924: `Latn`, `Cyrl`, `Arab`), in
    order: "Иванов" tagged `Latn` gives "Иванов", "Ivanov" gives "".

    Letters only (Unicode categories Lu, Ll, Lt, Lo): marks, digits, spaces, hyphens and
    apostrophes, and modifier letters such as ʼ, belong to no script here. A letter's script
    is the first word of its Unicode name (`LATIN SMALL LETTER DOTLESS I`, `ARABIC LETTER
    FARSI YEH`), as for `mixed_script_words`.
    """
    expected = SCRIPT_NAMES[script]
    return "".join(
        ch for ch in text if unicodedata.category(ch) in _SCRIPT_LETTER_CATEGORIES and _script(ch) != expected
    )


_SCRIPT_LETTER_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lo"})


def search_key(text: str) -> str:
    """Romanised key that brings spellings of one name in different scripts close together.

    Steps (DOMAIN.md, "Matching the same person across scripts"): NFKC, lower case, strip
    combining marks and tatweel, fold Arabic letter variants (أ إ آ ٱ -> ا, ة -> ه, ى ی -> ي,
    ک -> ك), anyascii, lower case, drop apostrophes, fold kh -> h and q -> k.

    Args:
        text: a name or full name in any script.

    Returns:
        Words of a-z and 0-9 separated by single spaces, in the order given
        (Мұхаммед Әбдірахманұлы -> "muhammed abdirahmanuly", Айша -> "aisha").
    """
    prepared = _strip_marks(unicodedata.normalize("NFKC", text).lower())
    romanised = anyascii(prepared.translate(_ARABIC_KEY_FOLDS)).lower()
    for apostrophe in _APOSTROPHES:
        romanised = romanised.replace(apostrophe, "")
    words = _NOT_KEY.sub(" ", romanised).split()
    return " ".join(word.replace("kh", "h").replace("q", "k") for word in words)


def _classes(mapped: str) -> list[str]:
    # A dropped letter stays as "": a vowel between д and ж keeps them two sounds (Хадиджа's
    # first д stays d), and a word-initial "" keeps a later в from counting as initial.
    return list(mapped) or [""]


def _latin_tokens(word: str, start: int) -> tuple[list[str], int]:
    for digraph, token in _LATIN_SKELETON_DIGRAPHS:
        if word.startswith(digraph, start):
            return [token], start + len(digraph)
    return _classes(_LATIN_SKELETON.get(word[start], "")), start + 1


def _skeleton_tokens(word: str) -> list[str]:
    """Consonant classes of one word, with "" for each vowel or dropped letter."""
    tokens: list[str] = []
    i = 0
    while i < len(word):
        ch = word[i]
        if ch in _CYRILLIC_SKELETON:
            found, i = _classes(_CYRILLIC_SKELETON[ch]), i + 1
        elif ch in _ARABIC_SKELETON:
            found, i = _classes(_ARABIC_SKELETON[ch]), i + 1
        else:
            found, i = _latin_tokens(word, i)
        tokens.extend(found)
    return tokens


def _word_skeleton(word: str) -> str:
    tokens = _skeleton_tokens(word)
    # و and w/v stand for a consonant at the start of a word (وليد Walid Валид); inside a word
    # و is mostly a long vowel (يوسف Yusuf), and в varies in -ов/-ев endings (DOMAIN.md).
    tokens = [t if t != "v" or i == 0 else "" for i, t in enumerate(tokens)]
    merged: list[str] = []
    for sound in tokens:
        if sound == "j" and merged and merged[-1] == "d":
            merged[-1] = "j"  # дж, dzh, dj and ج are one sound (Хадиджа, Khadija, خديجة)
        else:
            merged.append(sound)
    skeleton: list[str] = []
    for sound in merged:
        # Arabic leaves short vowels and doubling (shadda) unwritten: compare consonants only.
        if sound and (not skeleton or skeleton[-1] != sound):
            skeleton.append(sound)
    return "".join(skeleton)


def consonant_skeleton(text: str) -> str:
    """Consonant skeleton of a name, comparable between Arabic, Cyrillic and Latin spellings.

    Arabic is written without short vowels (DOMAIN.md), so محمد, Мұхаммед, Muhammad and
    Мухамед all reduce to "mhmd". Per word, after NFKC, lower case and stripping combining
    marks and tatweel:

    1. each letter maps to a one-letter consonant class (table in this module): kh -> h and
       q -> k as in `search_key`; г and g join h, because Russian writes Arabic ه and غ as г
       (إبراهيم, Ибрагим, Ibrahim all give "brhm"); ш/sh is x, ч/ch is c, ж/zh/j is j; p joins
       b (Arabic has no p);
    2. vowels, й/y, ь/ъ, ع and hamza, alif, ى and ة (a feminine ending read as a vowel) are
       dropped; so are و, в, v and w except as the first letter of a word;
    3. д followed by ж (and d by j) becomes j;
    4. a class repeated after vowels are dropped counts once (Мухаммед, Мухамед).

    Too coarse to identify anyone alone: compare it along with `search_key` and other facts.
    Known misses: Latin th for ث (Uthman vs عثمان "smn"), ض read as z (Рамазан vs رمضان),
    a final h for ة (Fatimah vs فاطمة "ftm"), the article ال written apart or joined.

    Args:
        text: a name or full name in any script; words split at anything not a letter,
            apostrophes dropped.

    Returns:
        Word skeletons of a-z joined by single spaces, in the order given; a word of vowels
        only (Ая) leaves nothing. Unrelated names differ (Айша "x", Мадина "mdn").
    """
    prepared = unicodedata.normalize("NFKC", text).lower().translate(_LATIN_MARKED_LETTERS)
    prepared = _strip_marks(prepared)
    letters = []
    for ch in prepared:
        if ch in _APOSTROPHES:
            continue
        if not ch.isalpha():
            letters.append(" ")
        elif ch in _CYRILLIC_SKELETON or ch in _ARABIC_SKELETON or ch.isascii():
            letters.append(ch)
        else:
            letters.append(anyascii(ch).lower())  # Greek, Georgian, ı, ø, ł ... to ASCII
    skeletons = (_word_skeleton(word) for word in "".join(letters).split())
    return " ".join(s for s in skeletons if s)


@dataclass(frozen=True, slots=True)
class NameKeys:
    """Derived forms of one name, stored beside it for search.

    Attributes:
        latin: the suggested passport Latin of "given family" (`suggest_latin`).
        key: `search_key` of "given family patronymic".
        skeleton: `consonant_skeleton` of the same, one skeleton per word.
    """

    latin: str
    key: str
    skeleton: str


KIND_KEY: Final = "key"
"""Token kind: a whole `search_key` word shorter than `MIN_PREFIX` letters (`li`)."""
KIND_PREFIX: Final = "pfx"
"""Token kind: a `search_key` word of `MIN_PREFIX` letters or more, read as the start of the
words it begins. Where `prefixes_stored`, each of its first `MIN_PREFIX` letters or more is a
token too, the whole word included (`zhu`, `zhum`, ... `zhumabaeva`); elsewhere only the whole
word, found by a range (`PREFIX_END`)."""
KIND_SKELETON: Final = "skel"
"""Token kind: a word of `consonant_skeleton`."""
MIN_PREFIX: Final = 3
"""Shortest search word matched as a prefix (letters of its romanised key); shorter search
words match whole words only."""
MAX_TOKEN: Final = 100
"""Longest token stored (the column's length); longer words are cut to it, in queries too."""
PREFIX_END: Final = "{"
"""Appended to a word, the end of the range of the tokens it starts: tokens are a-z and 0-9,
and `{` follows `z` in the binary order, so `zhu <= token < zhu{` holds exactly for the tokens
starting with `zhu`."""


def prefixes_stored(dialect: str) -> bool:
    """Whether a database of `dialect` (SQLAlchemy's name: `postgresql`, `sqlite`) stores each
    prefix of a name word as a token of its own, or only the whole word.

    PostgreSQL: every prefix, so that a search word is one exact range of the token index and
    its persons come out in the list's order, a page at a time at a million persons (the `q`
    target, bench/README.md §2). SQLite: whole words only, and a search word reads the range of
    the words it starts, sorted. Each prefix row cost a SQLite create a random page of that index:
    about 35 of a create's 78 pages of write-ahead log, and a fifth of its time, behind one
    writer (bench/README.md §12). Sorting a prefix's persons costs a search far less on the
    databases SQLite is for.
    """
    return dialect == "postgresql"


def search_tokens(key: str, skeleton: str, *, prefixes: bool = True) -> list[tuple[str, str]]:
    """The searchable tokens of one name, each `(kind, token)` once, sorted.

    A word of `key` with `MIN_PREFIX` letters or more gives each of its prefixes from that
    length up to the whole word (`pfx`: `aisha` -> `ais`, `aish`, `aisha`), so a search word of
    three letters or more finds the words it starts, itself included, by one exact match; a
    shorter word gives itself (`key`), found by that same word only. Each word of `skeleton`
    gives a `skel` token. Words are cut to `MAX_TOKEN` characters first.

    Args:
        key: a name's `search_key` (words of a-z and 0-9, separated by single spaces).
        skeleton: the same name's `consonant_skeleton`.
        prefixes: False: a word of `MIN_PREFIX` letters or more gives itself only (`pfx`,
            `aisha`), and a search finds the words it starts by a range (`prefixes_stored`).

    Returns:
        `(kind, token)` pairs of kinds `key`, `pfx` and `skel`, without repeats:
        `search_tokens("aisha li", "x l")` is
        `[("key", "li"), ("pfx", "ais"), ("pfx", "aish"), ("pfx", "aisha"), ("skel", "l"),
        ("skel", "x")]`.
    """
    found: set[tuple[str, str]] = set()
    for word in key.split():
        word = word[:MAX_TOKEN]
        if len(word) < MIN_PREFIX:
            found.add((KIND_KEY, word))
            continue
        starts = range(MIN_PREFIX, len(word) + 1) if prefixes else (len(word),)
        found.update((KIND_PREFIX, word[:end]) for end in starts)
    found.update((KIND_SKELETON, s[:MAX_TOKEN]) for s in skeleton.split())
    return sorted(found)


_NAME_SCRIPTS: Final = frozenset({"Cyrl", "Latn", "Arab"})


def derive_name_keys(
    given: str,
    family: str | None,
    patronymic: str | None,
    script: str,
    lang: str | None,
) -> NameKeys:
    """Derive the Latin suggestion, search key and skeleton of a name.

    Args:
        given: the given name.
        family: the family name, if any; blank counts as none.
        patronymic: the patronymic (-ұлы, -қызы, -ович, ibn ...), if any; blank counts as none.
        script: ISO 15924 code of the script the name is written in: `Cyrl`, `Latn` or `Arab`.
        lang: the language of the name (`kk`, `ru`, `ar`), passed to `suggest_latin`.

    Returns:
        The keys. Arabic-script names get a Latin suggestion too, through anyascii (without
        short vowels unless harakat are written). Each is cut after its last whole word within
        `MAX_KEY` characters (`clip_words`): the name itself is stored whole.

    Raises:
        ValueError: for a script other than `Cyrl`, `Latn` or `Arab`.
    """
    if script not in _NAME_SCRIPTS:
        raise ValueError(f"script must be one of {sorted(_NAME_SCRIPTS)}, not {script!r}")
    parts = [p for p in (given, family, patronymic) if p is not None and p.strip()]
    full = " ".join(parts)
    latin_parts = [p for p in (given, family) if p is not None and p.strip()]
    return NameKeys(
        latin=clip_words(suggest_latin(" ".join(latin_parts), lang), MAX_KEY),
        key=clip_words(search_key(full), MAX_KEY),
        skeleton=clip_words(consonant_skeleton(full), MAX_KEY),
    )


MAX_KEY: Final = 400
"""Characters of a stored `latin`, search key or skeleton (the columns' width). Romanising can
multiply a name's length (Щ is `shch`; anyascii spells some Arabic ligatures as whole words),
so three parts of 100 characters can give more than this."""
