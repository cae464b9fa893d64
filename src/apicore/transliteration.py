"""Latin forms of names as a Kazakh passport prints them (pure).

Shared by intake (a suggestion shown with every name) and the documents service (the suggestion
a registrar confirms before the MRZ is built). Source: ICAO Doc 9303 Part 3 (transliteration of
Cyrillic in the visual inspection zone) and DOMAIN.md ("Names and transliteration").
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from anyascii import anyascii

# ICAO Doc 9303 Part 3, transliteration of Cyrillic characters: the Russian letters plus і, and
# the Ukrainian and Belarusian letters of the same table (ґ g, є ie, ї i, ў u). ь is dropped.
_ICAO_CYRILLIC: Final[dict[str, str]] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia", "і": "i",
    "ґ": "g", "є": "ie", "ї": "i", "ў": "u",
}  # fmt: skip
# ICAO has no Kazakh letters; Kazakh passports reduce them to base letters (DOMAIN.md: common
# practice, no authoritative table). Copies of the ICAO table found online show Һ -> C, most
# likely a garbled Serbian Ћ (C there); Kazakh һ is h.
_KAZAKH_BASE_LETTERS: Final[dict[str, str]] = {
    "ә": "a", "ғ": "g", "қ": "k", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
}  # fmt: skip
_PASSPORT_LATIN: Final = {**_ICAO_CYRILLIC, **_KAZAKH_BASE_LETTERS}


def suggest_latin(text: str, lang: str | None) -> str:
    """Suggest the Latin form of a name as a passport would print it.

    A suggestion for the registrar: the document's Latin name is stored as they confirm it
    (DOMAIN.md), because the migration service prints the spelling a citizen asks for.

    Args:
        text: the name in Cyrillic, Latin or Arabic script (or a mix).
        lang: the language of the name (`kk`, `ru`, `ar`); Kazakh and Russian share one table
            today, so it does not change the result yet.

    Returns:
        Upper-case A-Z with single spaces and hyphens kept. Cyrillic follows ICAO Doc 9303
        Part 3 (Щукин -> SHCHUKIN, Юлия -> IULIIA, Подъячев -> PODIEIACHEV), Kazakh letters
        their base letters (Жұмабаева -> ZHUMABAEVA); every other character goes through
        anyascii (Arabic without short vowels: محمد -> MHMD). Apostrophes, digits and other
        signs are dropped.
    """
    parts = []
    for ch in unicodedata.normalize("NFKC", text):
        lower = ch.lower()  # "İ".lower() is two characters: leave such letters to anyascii
        mapped = _PASSPORT_LATIN.get(lower) if len(lower) == 1 else None
        parts.append(anyascii(ch) if mapped is None else mapped)
    latin = "".join(parts).upper()
    latin = re.sub(r"\s+", " ", latin)
    latin = re.sub(r"[^A-Z \-]", "", latin)
    return re.sub(" +", " ", latin).strip()


def clip_words(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, after its last whole word that fits; a first
    word longer than `limit` is cut within it. `clip_words("aisha ali", 7)` is `"aisha"`."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if text[limit] != " " and " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip()
