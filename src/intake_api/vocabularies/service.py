"""The vocabularies document in one language, and its entity tag.

The document only changes with a deployment (codes in the code, labels in the catalogs), so it
is built once per language and process; its ETag is a hash of the JSON sent, which holds the
language, so each language has its own tag.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from apicore.i18n import LazyText
from intake_api.relations.kinship import RELATION_LABELS
from intake_api.relatives.schemas import DECISION_LABELS, RELATIVE_RELATION_LABELS
from intake_api.vocabularies import codes
from intake_api.vocabularies.regions import REGIONS
from intake_api.vocabularies.schemas import RegionTerm, Term, Vocabularies


@dataclass(frozen=True, slots=True)
class Rendered:
    """The document in one language, as sent, and its strong ETag."""

    body: bytes
    etag: str


def _terms(labels: Mapping[str, LazyText], locale: str) -> list[Term]:
    return [Term(code=code, label=label.render(locale)) for code, label in labels.items()]


def build(locale: str) -> Vocabularies:
    """Every code list with labels in `locale`."""
    return Vocabularies(
        language=locale,
        categories=_terms(codes.CATEGORY_LABELS, locale),
        sexes=_terms(codes.SEX_LABELS, locale),
        statuses=_terms(codes.STATUS_LABELS, locale),
        relations=_terms(RELATION_LABELS, locale),
        relative_relations=_terms(RELATIVE_RELATION_LABELS, locale),
        decisions=_terms(DECISION_LABELS, locale),
        regions=[RegionTerm(code=r.code, label=r.label.render(locale), kind=r.kind) for r in REGIONS],
        document_kinds=_terms(codes.DOCUMENT_KIND_LABELS, locale),
        name_kinds=_terms(codes.NAME_KIND_LABELS, locale),
        scripts=_terms(codes.SCRIPT_LABELS, locale),
        consent_kinds=_terms(codes.CONSENT_KIND_LABELS, locale),
        consent_givers=_terms(codes.CONSENT_GIVER_LABELS, locale),
    )


@functools.cache
def rendered(locale: str) -> Rendered:
    """The JSON of `build(locale)` and its ETag (SHA-256 of those bytes), built once per process."""
    body = json.dumps(
        build(locale).model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")
    ).encode()
    return Rendered(body=body, etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def matches(if_none_match: str | None, current: str) -> bool:
    """Whether `If-None-Match` names the current tag (RFC 9110 13.1.2: weak comparison, `*`)."""
    if if_none_match is None:
        return False
    tags = [t.strip() for t in if_none_match.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == current for t in tags)
