"""Labels of the code lists that other features own, and the codes the persons feature uses.

Each code is defined where it is used (`persons/schemas.py`, `relations/kinship.py`,
`relatives/schemas.py`); this module gives each one a label, marked with `_l` so that it is
translated through the gettext catalogs. `tests/intake_api/vocabularies` checks that every code
has a label and every label a code.
"""

from __future__ import annotations

from typing import Final

from apicore.i18n import LazyText, _l
from intake_api.persons.status import STATUS_LABELS as STATUS_LABELS  # re-exported with the other lists
from intake_api.persons.status import Status

PersonStatus = Status
"""A returnee's status on the path home (owned by the persons feature's status workflow)."""

CATEGORY_LABELS: Final[dict[str, LazyText]] = {
    "child": _l("Child (under 18 on arrival)"),
    "woman": _l("Woman"),
    "man": _l("Man"),
}
SEX_LABELS: Final[dict[str, LazyText]] = {"female": _l("Female"), "male": _l("Male")}
DOCUMENT_KIND_LABELS: Final[dict[str, LazyText]] = {
    "birth_certificate": _l("Birth certificate"),
    "passport": _l("Passport"),
}
NAME_KIND_LABELS: Final[dict[str, LazyText]] = {
    "birth": _l("Birth name (camp papers)"),
    "kazakh": _l("Kazakh name (given on return)"),
    "document": _l("Name as on a document"),
    "alias": _l("Other name or spelling"),
}
SCRIPT_LABELS: Final[dict[str, LazyText]] = {
    "Arab": _l("Arabic script"),
    "Cyrl": _l("Cyrillic script"),
    "Latn": _l("Latin script"),
}
CONSENT_KIND_LABELS: Final[dict[str, LazyText]] = {
    "tracing": _l("Consent to family tracing"),
    "sharing": _l("Consent to sharing with other agencies"),
}
CONSENT_GIVER_LABELS: Final[dict[str, LazyText]] = {
    "mother": _l("Mother"),
    "father": _l("Father"),
    "guardian": _l("Guardian"),
    "self": _l("The person themself"),
    "other": _l("Someone else"),
}
"""Who gave a child's consent."""
