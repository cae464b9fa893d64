"""Family links as a small pure domain: which relation is the inverse of which, and which links
cannot be true. No web, no database.

The relation of a link says what the *related* person is to the person: posting
`{related_person_id: M, relation: "mother"}` on child C says "M is C's mother", and C is then
M's `child`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final, Literal, get_args

from apicore.i18n import LazyText, _l
from apicore.partial_dates import PartialDate, age_in_full_years_range

Relation = Literal["mother", "father", "child", "sibling", "spouse", "guardian", "ward", "other"]
"""What the related person is to the person."""
RELATIONS: Final[tuple[Relation, ...]] = get_args(Relation)
PARENTS: Final = frozenset({"mother", "father"})

RELATION_LABELS: Final[dict[str, LazyText]] = {
    "mother": _l("Mother"),
    "father": _l("Father"),
    "child": _l("Son or daughter"),
    "sibling": _l("Brother or sister"),
    "spouse": _l("Husband or wife"),
    "guardian": _l("Guardian"),
    "ward": _l("Ward (in this person's guardianship)"),
    "other": _l("Other relative"),
}

MIN_PARENT_AGE_GAP: Final = 12
"""Years by which a parent is at least older than a child. Deliberately low: girls were married
young in the camps, and a mother of 14 must still be recordable; a smaller gap is a typing slip."""


@dataclass(frozen=True, slots=True)
class Party:
    """What the rules need to know of one side of a link."""

    sex: str
    """`female` or `male`."""
    category: str
    """`child`, `woman` or `man`."""
    birth: PartialDate


def inverse(relation: Relation, person_sex: str) -> Relation:
    """What the person is to the related person, when the related person is the person's `relation`.

    A parent's inverse is `child`; a child's inverse is `mother` or `father` by the person's sex;
    `guardian` and `ward` swap; `sibling`, `spouse` and `other` are symmetric.
    """
    if relation in PARENTS:
        return "child"
    if relation == "child":
        return "mother" if person_sex == "female" else "father"
    if relation == "guardian":
        return "ward"
    if relation == "ward":
        return "guardian"
    return relation


def parent_and_child(relation: Relation, person: Party, related: Party) -> tuple[Party, Party] | None:
    """`(parent, child)` of a parent ↔ child link, None for any other link."""
    if relation in PARENTS:
        return related, person
    if relation == "child":
        return person, related
    return None


def link_problems(relation: Relation, person: Party, related: Party) -> list[str]:
    """Error codes (for the `relation` field) of a link that cannot be true; empty when it may be.

    - a mother is female, a father male (the sex recorded at registration);
    - a parent is at least `MIN_PARENT_AGE_GAP` years older than the child, read as favourably
      as the partial birth dates allow (`2015` may be any day of 2015);
    - a guardian is an adult.
    """
    problems: list[str] = []
    if relation == "mother" and related.sex != "female":
        problems.append("mother_not_female")
    if relation == "father" and related.sex != "male":
        problems.append("father_not_male")
    pair = parent_and_child(relation, person, related)
    if pair is not None and _largest_gap(pair[0].birth, pair[1].birth) < MIN_PARENT_AGE_GAP:
        problems.append("parent_too_young")
    guardian = related if relation == "guardian" else person if relation == "ward" else None
    if guardian is not None and guardian.category == "child":
        problems.append("guardian_is_child")
    return problems


def _largest_gap(parent: PartialDate, child: PartialDate) -> int:
    """The parent's greatest possible age in full years on the child's latest possible birthday."""
    latest_child_birth: dt.date = child.latest()
    if parent.earliest() > latest_child_birth:
        return -1
    return age_in_full_years_range(parent, latest_child_birth)[1]
