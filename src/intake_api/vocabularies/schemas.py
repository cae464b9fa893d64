"""The vocabularies document."""

from __future__ import annotations

from pydantic import Field

from apicore.schemas import ResponseModel
from intake_api.vocabularies.regions import RegionKind


class Term(ResponseModel):
    """One code and its label in the requested language."""

    code: str = Field(description="The value the API takes and returns; never translated.")
    label: str


class RegionTerm(Term):
    """A region or city of republican significance; `code` is ISO 3166-2:KZ."""

    kind: RegionKind


class Vocabularies(ResponseModel):
    """Every code list of the intake API, labelled in the language negotiated."""

    language: str = Field(description="The language of the labels (as `Content-Language`).")
    categories: list[Term]
    sexes: list[Term]
    statuses: list[Term]
    relations: list[Term] = Field(description="Family links between returnees.")
    relative_relations: list[Term] = Field(description="What a relative in Kazakhstan is to a returnee.")
    decisions: list[Term] = Field(description="A relative's decision to host.")
    regions: list[RegionTerm] = Field(description="17 regions and 3 cities of republican significance.")
    document_kinds: list[Term]
    name_kinds: list[Term]
    scripts: list[Term] = Field(description="ISO 15924 codes.")
    consent_kinds: list[Term]
    consent_givers: list[Term] = Field(description="Who gave a child's consent.")
