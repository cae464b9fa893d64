"""Which of a person's names a document prints, and the Latin form suggested for it.

Pure. The intake service keeps every name of a person with its script, language and kind
(`birth`, `kazakh`, `document`, `alias`). The suggested Latin surname and given names come from
the one transliteration both services share (`apicore.transliteration`: ICAO Doc 9303 Part 3,
Kazakh letters to base letters, DOMAIN.md); the registrar confirms the form the passport prints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from apicore.transliteration import clip_words, suggest_latin

# The Kazakh Cyrillic alphabet (42 letters: the Russian 33 and ә ғ қ ң ө ұ ү һ і), with the
# space, hyphen and apostrophe that compound names use.
_KAZAKH_CYRILLIC: Final = re.compile(r"[а-яёәғқңөұүһіА-ЯЁӘҒҚҢӨҰҮҺІ' \-]+")

# Birth certificates carry the Kazakh name given on return (BRIEF.md); a passport carries the
# name of the person's documents, else their Kazakh name.
_PREFERRED_KINDS: Final[dict[str, tuple[str, ...]]] = {
    "birth_certificate": ("kazakh",),
    "passport": ("document", "kazakh", "birth", "alias"),
}


class PersonName(Protocol):
    """A name as intake reads it back."""

    @property
    def script(self) -> str: ...
    @property
    def lang(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def given(self) -> str: ...
    @property
    def family(self) -> str | None: ...
    @property
    def patronymic(self) -> str | None: ...
    @property
    def latin_suggested(self) -> str | None: ...
    @property
    def current(self) -> bool: ...


def is_kazakh_cyrillic(text: str) -> bool:
    """True when `text` holds only letters of the Kazakh Cyrillic alphabet, spaces, hyphens and
    apostrophes, and at least one letter."""
    return _KAZAKH_CYRILLIC.fullmatch(text) is not None and any(c.isalpha() for c in text)


@dataclass(frozen=True, slots=True)
class DocumentName:
    """The Cyrillic name a document prints and, for a passport, intake's Latin suggestion."""

    family: str | None
    given: str
    patronymic: str | None
    latin_surname: str | None
    latin_given_names: str | None


def suggest_latin_name(family: str | None, given: str) -> tuple[str, str | None]:
    """The suggested Latin `(surname, given names)` of a Cyrillic name, for the registrar.

    Derived with the transliteration intake uses (`apicore.transliteration`: ICAO Doc 9303
    Part 3, Kazakh letters to base letters). A single-part name is the primary identifier
    (ICAO Doc 9303 Part 3 §4.6 puts a mononym there), so it comes back as the surname.

    Returns:
        `(surname, given_names)`, e.g. `("ZHUMABAEVA", "AISHA")`; `given_names` is None for a
        mononym. Each at most `LATIN_PART_MAX` characters.
    """
    given_latin = clip_words(suggest_latin(given, "kk"), LATIN_PART_MAX)
    if not family:
        return given_latin, None
    return clip_words(suggest_latin(family, "kk"), LATIN_PART_MAX), given_latin or None


LATIN_PART_MAX = 200
"""Characters kept of each suggested part (the columns' width): romanising can make a name part
of 100 letters four times as long (Щ is SHCH); a longer one is cut after its last whole word.
The MRZ holds far less anyway (39 characters for both parts, ICAO Doc 9303 Part 4)."""


def document_name(kind: str, names: Sequence[PersonName]) -> DocumentName | None:
    """The Cyrillic name a document of `kind` prints, chosen among a person's current names.

    Args:
        kind: `birth_certificate` or `passport`.
        names: the person's names as intake returns them.

    Returns:
        For a birth certificate, the current Kazakh name in Cyrillic; for a passport, the current
        Cyrillic name of kind `document`, else `kazakh`, `birth`, `alias`. Names with letters
        outside the Kazakh Cyrillic alphabet are passed over. None when the person has no such
        name yet (a child's Kazakh name is often given after arrival).
    """
    cyrillic = [
        n
        for n in names
        if n.script == "Cyrl"
        and n.current
        and all(is_kazakh_cyrillic(part) for part in (n.given, n.family, n.patronymic) if part)
    ]
    for wanted in _PREFERRED_KINDS.get(kind, ()):
        for name in cyrillic:
            if name.kind == wanted:
                surname: str | None = None
                given_names: str | None = None
                if kind == "passport":
                    surname, given_names = suggest_latin_name(name.family, name.given)
                return DocumentName(
                    family=name.family,
                    given=name.given,
                    patronymic=name.patronymic,
                    latin_surname=surname,
                    latin_given_names=given_names,
                )
    return None
