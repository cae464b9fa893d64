"""The first-level divisions of Kazakhstan: 17 regions and 3 cities of republican significance.

Codes are ISO 3166-2:KZ as in force since the ISO newsletter of 2022-11 (numeric codes, with the
three regions created on 8 June 2022: Abai, Jetisu, Ulytau). Checked against the iso-codes data
shipped in pycountry 26.2.16 (`KZ-10` ... `KZ-79`, 17 of type Region and 3 of type City). ISO has
renumbered Kazakhstan before (the letter codes `KZ-ALA`, `KZ-AST`, ... until 2020): a code is a
stored value, so a future renumbering needs a data migration, not just a new list.

Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from apicore.i18n import LazyText, _l

RegionCode = Literal[
    "KZ-10",
    "KZ-11",
    "KZ-15",
    "KZ-19",
    "KZ-23",
    "KZ-27",
    "KZ-31",
    "KZ-33",
    "KZ-35",
    "KZ-39",
    "KZ-43",
    "KZ-47",
    "KZ-55",
    "KZ-59",
    "KZ-61",
    "KZ-62",
    "KZ-63",
    "KZ-71",
    "KZ-75",
    "KZ-79",
]
"""ISO 3166-2:KZ code of a region (`KZ-19`, Almaty Region) or city (`KZ-75`, Almaty)."""

RegionKind = Literal["region", "city"]


@dataclass(frozen=True, slots=True)
class Region:
    """One region (oblys / область) or city of republican significance."""

    code: RegionCode
    kind: RegionKind
    label: LazyText


REGIONS: Final[tuple[Region, ...]] = (
    Region("KZ-10", "region", _l("Abai Region")),
    Region("KZ-11", "region", _l("Akmola Region")),
    Region("KZ-15", "region", _l("Aktobe Region")),
    Region("KZ-19", "region", _l("Almaty Region")),
    Region("KZ-23", "region", _l("Atyrau Region")),
    Region("KZ-27", "region", _l("West Kazakhstan Region")),
    Region("KZ-31", "region", _l("Jambyl Region")),
    Region("KZ-33", "region", _l("Jetisu Region")),
    Region("KZ-35", "region", _l("Karaganda Region")),
    Region("KZ-39", "region", _l("Kostanay Region")),
    Region("KZ-43", "region", _l("Kyzylorda Region")),
    Region("KZ-47", "region", _l("Mangystau Region")),
    Region("KZ-55", "region", _l("Pavlodar Region")),
    Region("KZ-59", "region", _l("North Kazakhstan Region")),
    Region("KZ-61", "region", _l("Turkistan Region")),
    Region("KZ-62", "region", _l("Ulytau Region")),
    Region("KZ-63", "region", _l("East Kazakhstan Region")),
    Region("KZ-71", "city", _l("Astana")),
    Region("KZ-75", "city", _l("Almaty (city)")),
    Region("KZ-79", "city", _l("Shymkent")),
)
"""Every region and city, in ISO code order."""

REGIONS_BY_CODE: Final[dict[str, Region]] = {r.code: r for r in REGIONS}
