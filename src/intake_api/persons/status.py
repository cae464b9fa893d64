"""The path home as a status workflow (pure).

`arrived` at the arrival point → a month of `in_rehabilitation` in a centre → `relocated` to
relatives who agreed to host → `reunified`. Beside that path: `in_custody` (adults convicted on
return), `in_care` (a child whose family cannot host), `departed`, `deceased`. Source: the
programme as described in the brief (Zhusan / Rusafa operations).
"""

from __future__ import annotations

from typing import Final, Literal

from apicore.i18n import LazyText, _l

Status = Literal[
    "arrived", "in_rehabilitation", "relocated", "reunified", "in_custody", "in_care", "departed", "deceased"
]
STATUSES: Final[tuple[Status, ...]] = (
    "arrived",
    "in_rehabilitation",
    "relocated",
    "reunified",
    "in_custody",
    "in_care",
    "departed",
    "deceased",
)
INITIAL: Final[Status] = "arrived"
_END: Final = ("departed", "deceased")

_ALLOWED: Final[dict[str, tuple[Status, ...]]] = {
    "arrived": ("in_rehabilitation", "in_custody", "in_care", *_END),
    "in_rehabilitation": ("relocated", "in_care", "in_custody", *_END),
    # A relocation can fail (the hosts change their mind): back to a centre or into care.
    "relocated": ("reunified", "in_rehabilitation", "in_care", "in_custody", *_END),
    "reunified": ("relocated", "in_care", *_END),
    "in_custody": ("in_rehabilitation", "relocated", *_END),
    "in_care": ("relocated", "reunified", *_END),
    "departed": (),
    "deceased": (),
}

NEEDS_HOST: Final = frozenset({"relocated"})
"""Changes that must name a willing host (a relative in Kazakhstan)."""


def allowed_from(current: str) -> tuple[Status, ...]:
    """The statuses a person may move to from `current` (empty for an end state)."""
    return _ALLOWED.get(current, ())


def category_allows(category: str, target: str) -> bool:
    """Whether a person of `category` may take `target`: care is for children, custody for adults."""
    if target == "in_care":
        return category == "child"
    if target == "in_custody":
        return category != "child"
    return True


def can_move(current: str, target: str, category: str) -> bool:
    """Whether `current` → `target` is a legal change for a person of `category`."""
    return target in allowed_from(current) and category_allows(category, target)


def status_label(status: str) -> LazyText:
    """The status's name for people, translated when rendered."""
    return STATUS_LABELS.get(status, _l("Unknown status"))


STATUS_LABELS: Final[dict[str, LazyText]] = {
    "arrived": _l("Arrived"),
    "in_rehabilitation": _l("In rehabilitation"),
    "relocated": _l("Relocated to relatives"),
    "reunified": _l("Reunified"),
    "in_custody": _l("In custody"),
    "in_care": _l("In state care"),
    "departed": _l("Departed"),
    "deceased": _l("Deceased"),
}
"""Labels of the statuses (also served by `/v1/vocabularies`)."""
