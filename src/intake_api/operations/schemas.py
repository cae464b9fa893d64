"""Operation request and response bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import Field, StringConstraints

from apicore.schemas import CountryCode, DateText, RequestModel, ResponseModel, ShortText

OperationCode = Annotated[
    str, StringConstraints(min_length=2, max_length=40, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
]
"""Lower-case ASCII letters and digits in hyphen-separated parts: `zhusan-2`, `rusafa`."""


class OperationNames(RequestModel):
    """The operation's name in each language; Kazakh, Russian and Arabic are required."""

    kk: ShortText
    ru: ShortText
    ar: ShortText
    en: ShortText | None = None


class OperationCreate(RequestModel):
    """A new operation."""

    code: OperationCode
    names: OperationNames
    origin_country: CountryCode = Field(description="ISO 3166-1 alpha-2 of the country left (`SY`, `IQ`).")
    start_date: DateText


class OperationRead(ResponseModel):
    """An operation as stored."""

    id: uuid.UUID
    code: str
    names: dict[str, str]
    origin_country: str
    start_date: dt.date
    created_at: dt.datetime
