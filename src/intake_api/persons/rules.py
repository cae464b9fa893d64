"""Cross-field rules of a returnee that a schema cannot state, and the warnings shown with one.

Pure: no database, no web. Used on registration and on every edit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from apicore.i18n import _l
from apicore.identifiers.iin import iin_birth_facts
from apicore.partial_dates import PartialDate, age_in_full_years_range
from apicore.problems import FieldError, register_field_message
from intake_api.persons.names import letters_outside, mixed_script_words

ADULT_AGE = 18
"""Age of majority (Civil Code of the Republic of Kazakhstan, art. 17)."""

register_field_message(
    "child_too_old",
    _l("A child must be under 18 on the arrival day; by this birth date the person is an adult."),
)
register_field_message(
    "adult_too_young",
    _l("An adult must be 18 or older on the arrival day; by this birth date the person is a child."),
)
register_field_message("category_sex", _l("This category does not match the sex given."))
register_field_message("born_after_arrival", _l("The birth date is after the arrival date."))
register_field_message("arrival_in_future", _l("The arrival date is in the future."))

WARNING_MESSAGES = {
    "mixed_script": _l("A word mixes Cyrillic and Latin letters: check for a keyboard slip."),
    "script_mismatch": _l(
        "Letters of this name are not in the script it is marked with: check the script or the spelling."
    ),
    "iin_mismatch": _l(
        "The IIN's digits do not match the birth date or sex. "
        "This has been allowed since 2013, but check the number."
    ),
}


def category_errors(
    *, category: str, sex: str, birth: PartialDate, arrival: dt.date, today: dt.date
) -> list[FieldError]:
    """Errors of category, sex, birth and arrival taken together (empty when they fit).

    A category is refused only when no day within the birth date's precision fits it.
    """
    errors: list[FieldError] = []
    if arrival > today:
        errors.append(FieldError("arrival_date", "arrival_in_future"))
    if birth.earliest() > arrival:
        errors.append(FieldError("birth_date", "born_after_arrival"))
        return errors
    youngest, oldest = age_in_full_years_range(birth, arrival)
    if category == "child" and youngest >= ADULT_AGE:
        errors.append(FieldError("category", "child_too_old"))
    if category in {"woman", "man"} and oldest < ADULT_AGE:
        errors.append(FieldError("category", "adult_too_young"))
    if (category, sex) in {("woman", "male"), ("man", "female")}:
        errors.append(FieldError("category", "category_sex"))
    return errors


def name_warnings(
    names: Sequence[tuple[str, str | None, str | None, str | None]],
) -> list[dict[str, str]]:
    """Warnings for `(script, given, family, patronymic)` tuples, by position:
    `mixed_script` for a word that mixes Cyrillic and Latin letters, else `script_mismatch`
    for letters outside the script the name is marked with ("Иванов" marked `Latn`). Kept
    and flagged, not refused: a phone may have picked the wrong script, and the name as
    typed is what the field team saw."""
    found = []
    for i, (script, *parts) in enumerate(names):
        for part, value in zip(("given", "family", "patronymic"), parts, strict=True):
            if not value:
                continue
            if mixed_script_words(value):
                found.append({"code": "mixed_script", "field": f"names.{i}.{part}"})
            elif letters_outside(value, script):
                found.append({"code": "script_mismatch", "field": f"names.{i}.{part}"})
    return found


def iin_warnings(iin: str | None, birth: PartialDate, sex: str) -> list[dict[str, str]]:
    """`iin_mismatch` when the IIN's encoded birth date or sex disagrees (legal since 2013)."""
    if iin is None:
        return []
    facts = iin_birth_facts(iin)
    date_fits = facts.birth_date is not None and birth.earliest() <= facts.birth_date <= birth.latest()
    if date_fits and facts.sex == sex:
        return []
    return [{"code": "iin_mismatch", "field": "iin"}]


DOCUMENT_CATEGORIES: dict[str, frozenset[str]] = {
    "birth_certificate": frozenset({"child"}),
    "passport": frozenset({"woman", "man"}),
}
"""Which categories each document kind is for: the documents service refuses any other
(`kind_not_for_category`, docs_service/document_requests/opening.py), so intake refuses it first."""


def needed_document(category: str) -> str | None:
    """The document a category needs by default: children Kazakh birth certificates, women
    clean passports (the programme, BRIEF.md); men none by default."""
    return {"child": "birth_certificate", "woman": "passport"}.get(category)


def interpreter_needed(languages: Sequence[str]) -> bool:
    """True when the person speaks neither Kazakh nor Russian (BCP 47 primary subtags)."""
    primary = {tag.split("-", 1)[0].lower() for tag in languages}
    return not primary & {"kk", "ru"}
