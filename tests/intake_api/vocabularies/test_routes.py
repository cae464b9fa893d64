"""`GET /v1/vocabularies`: every code list, labelled through the catalogs, cacheable by ETag."""

from __future__ import annotations

import importlib
from typing import Any, get_args

import pytest

from apicore.auth import Role
from intake_api.persons import schemas as person_schemas
from intake_api.relations.kinship import RELATION_LABELS, RELATIONS
from intake_api.relatives.schemas import (
    DECISION_LABELS,
    DECISIONS,
    RELATIVE_RELATION_LABELS,
    RelativeRelation,
)
from intake_api.vocabularies import codes
from intake_api.vocabularies.regions import REGIONS, RegionCode
from tests.conftest import ServiceClient

LISTS = (
    "categories",
    "sexes",
    "statuses",
    "relations",
    "relative_relations",
    "decisions",
    "regions",
    "document_kinds",
    "name_kinds",
    "scripts",
    "consent_kinds",
    "consent_givers",
)
# ISO 3166-2:KZ since the 2022 reform (checked against the iso-codes data in pycountry 26.2.16).
KAZAKHSTAN = {
    "KZ-10": ("region", "Abai Region"),
    "KZ-11": ("region", "Akmola Region"),
    "KZ-15": ("region", "Aktobe Region"),
    "KZ-19": ("region", "Almaty Region"),
    "KZ-23": ("region", "Atyrau Region"),
    "KZ-27": ("region", "West Kazakhstan Region"),
    "KZ-31": ("region", "Jambyl Region"),
    "KZ-33": ("region", "Jetisu Region"),
    "KZ-35": ("region", "Karaganda Region"),
    "KZ-39": ("region", "Kostanay Region"),
    "KZ-43": ("region", "Kyzylorda Region"),
    "KZ-47": ("region", "Mangystau Region"),
    "KZ-55": ("region", "Pavlodar Region"),
    "KZ-59": ("region", "North Kazakhstan Region"),
    "KZ-61": ("region", "Turkistan Region"),
    "KZ-62": ("region", "Ulytau Region"),
    "KZ-63": ("region", "East Kazakhstan Region"),
    "KZ-71": ("city", "Astana"),
    "KZ-75": ("city", "Almaty (city)"),
    "KZ-79": ("city", "Shymkent"),
}


async def vocabularies(
    intake: ServiceClient,
    lang: str = "en",
    role: Role = Role.field_worker,
    *,
    if_none_match: str | None = None,
) -> Any:
    headers = {"Accept-Language": lang, **intake.auth(role)}
    if if_none_match is not None:
        headers["If-None-Match"] = if_none_match
    return await intake.http.get("/v1/vocabularies", headers=headers)


def codes_of(document: dict[str, Any], name: str) -> list[str]:
    return [term["code"] for term in document[name]]


class TestGetVocabularies:
    async def test_every_code_list_is_there_with_a_label_for_each_code(self, intake: ServiceClient) -> None:
        r = await vocabularies(intake)
        assert r.status_code == 200
        assert r.headers["content-type"] == "application/json"
        document = r.json()
        assert document["language"] == "en"
        assert set(document) == {"language", *LISTS}
        for name in LISTS:
            assert document[name], name
            assert all(term["label"] for term in document[name]), name
        assert codes_of(document, "statuses") == [
            "arrived",
            "in_rehabilitation",
            "relocated",
            "reunified",
            "in_custody",
            "in_care",
            "departed",
            "deceased",
        ]
        assert codes_of(document, "decisions") == ["pending", "willing", "refused"]

    async def test_regions_are_the_17_regions_and_3_cities_by_iso_code(self, intake: ServiceClient) -> None:
        regions = (await vocabularies(intake)).json()["regions"]
        assert {r["code"]: (r["kind"], r["label"]) for r in regions} == KAZAKHSTAN
        assert [r["kind"] for r in regions].count("region") == 17

    @pytest.mark.parametrize("lang", ["kk", "ru", "ar"])
    async def test_labels_come_from_the_catalog_of_the_language_asked_for(
        self, intake: ServiceClient, lang: str
    ) -> None:
        r = await vocabularies(intake, lang)
        assert r.headers["content-language"] == lang
        document = r.json()
        assert document["language"] == lang
        assert {t["code"]: t["label"] for t in document["decisions"]} == {
            code: label.render(lang) for code, label in DECISION_LABELS.items()
        }
        assert {t["code"]: t["label"] for t in document["regions"]} == {
            region.code: region.label.render(lang) for region in REGIONS
        }
        assert {t["code"]: t["label"] for t in document["statuses"]} == {
            code: label.render(lang) for code, label in codes.STATUS_LABELS.items()
        }

    async def test_the_etag_changes_with_the_language(self, intake: ServiceClient) -> None:
        tags = {lang: (await vocabularies(intake, lang)).headers["etag"] for lang in ("kk", "ru", "ar", "en")}
        assert len(set(tags.values())) == 4
        assert all(tag.startswith('"') and tag.endswith('"') for tag in tags.values())

    async def test_the_etag_is_stable_between_requests(self, intake: ServiceClient) -> None:
        first, second = await vocabularies(intake, "kk"), await vocabularies(intake, "kk", Role.partner)
        assert first.headers["etag"] == second.headers["etag"]
        assert first.content == second.content

    async def test_the_current_etag_as_if_none_match_gives_304_without_a_body(
        self, intake: ServiceClient
    ) -> None:
        tag = (await vocabularies(intake, "ar")).headers["etag"]
        r = await vocabularies(intake, "ar", if_none_match=tag)
        assert r.status_code == 304
        assert r.content == b""
        assert r.headers["etag"] == tag
        assert r.headers["content-language"] == "ar"

    @pytest.mark.parametrize("header", ["W/{tag}", '"stale", {tag}', "*"])
    async def test_weak_listed_and_star_tags_match_too(self, intake: ServiceClient, header: str) -> None:
        tag = (await vocabularies(intake, "ru")).headers["etag"]
        r = await vocabularies(intake, "ru", if_none_match=header.format(tag=tag))
        assert r.status_code == 304

    async def test_another_languages_etag_gives_the_full_answer(self, intake: ServiceClient) -> None:
        kk_tag = (await vocabularies(intake, "kk")).headers["etag"]
        r = await vocabularies(intake, "ru", if_none_match=kk_tag)
        assert r.status_code == 200
        assert r.json()["language"] == "ru"

    async def test_caches_are_told_the_answer_varies_by_language(self, intake: ServiceClient) -> None:
        r = await vocabularies(intake, "kk")
        assert "Accept-Language" in r.headers["vary"]
        assert r.headers["cache-control"] == "private, no-cache"

    @pytest.mark.parametrize("role", list(Role))
    async def test_every_role_may_read_the_code_lists(self, intake: ServiceClient, role: Role) -> None:
        assert (await vocabularies(intake, role=role)).status_code == 200

    async def test_no_key_is_401_in_the_callers_language(self, intake: ServiceClient) -> None:
        r = await intake.http.get("/v1/vocabularies", headers={"Accept-Language": "kk"})
        assert r.status_code == 401
        assert r.headers["content-language"] == "kk"


class TestCodesMatchTheFeaturesThatUseThem:
    """Each code is defined where it is used; a code without a label (or the reverse) fails here."""

    @pytest.mark.parametrize(
        ("labels", "literal"),
        [
            (codes.CATEGORY_LABELS, person_schemas.Category),
            (codes.SEX_LABELS, person_schemas.Sex),
            (codes.NAME_KIND_LABELS, person_schemas.NameKind),
            (codes.DOCUMENT_KIND_LABELS, person_schemas.DocumentKind),
            (codes.SCRIPT_LABELS, person_schemas.Script),
            (codes.STATUS_LABELS, codes.PersonStatus),
            (RELATION_LABELS, RELATIONS),
            (DECISION_LABELS, DECISIONS),
            (RELATIVE_RELATION_LABELS, RelativeRelation),
        ],
    )
    def test_labels_cover_exactly_the_codes(self, labels: dict[str, Any], literal: Any) -> None:
        values = literal if isinstance(literal, tuple) else get_args(literal)
        assert list(labels) == list(values)

    def test_regions_cover_exactly_the_region_codes(self) -> None:
        assert [r.code for r in REGIONS] == list(get_args(RegionCode)) == list(KAZAKHSTAN)

    @pytest.mark.parametrize(
        ("labels", "module", "name"),
        [
            (codes.STATUS_LABELS, "intake_api.persons.status", "Status"),
            (codes.CONSENT_GIVER_LABELS, "intake_api.persons.schemas", "ConsentGiver"),
        ],
    )
    def test_labels_cover_the_codes_of_the_persons_workflow(
        self, labels: dict[str, Any], module: str, name: str
    ) -> None:
        literal = getattr(importlib.import_module(module), name)
        assert list(labels) == list(get_args(literal))

    def test_consent_kinds_are_the_consents_a_person_records(self) -> None:
        consent = person_schemas.ConsentIn
        assert set(codes.CONSENT_KIND_LABELS) == set(consent.model_fields) - {"given_by"}
