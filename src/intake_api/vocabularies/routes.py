"""`/v1/vocabularies`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response

from apicore.auth import Principal, Role, require
from apicore.i18n import current_locale
from apicore.transactions import TransactionalRoute
from intake_api.vocabularies import service
from intake_api.vocabularies.examples import VOCABULARIES_EXAMPLES
from intake_api.vocabularies.schemas import Vocabularies

router = APIRouter(prefix="/v1/vocabularies", tags=["vocabularies"], route_class=TransactionalRoute)

# Code lists hold no personal data: every role may read them.
AnyRole = Annotated[Principal, Depends(require(*Role))]
# Labels depend on the language; the caller's key decides nothing in them but the answer is
# still only for the caller (`private`). `no-cache`: keep it, but ask (If-None-Match) before use.
_CACHE_HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Accept-Language"}


@router.get(
    "",
    response_model=Vocabularies,
    responses={
        200: {
            "content": {"application/json": {"examples": VOCABULARIES_EXAMPLES}},
            "headers": {
                "ETag": {
                    "description": "Changes with the labels' language and content.",
                    "schema": {"type": "string"},
                }
            },
        },
        304: {"description": "Not modified: the `If-None-Match` tag is current; no body."},
    },
)
async def get_vocabularies(
    principal: AnyRole,
    if_none_match: Annotated[
        str | None, Header(description="The `ETag` of the copy you hold: 304 while it is current.")
    ] = None,
) -> Response:
    """Every code list (categories, statuses, relations, decisions, regions, document kinds, name
    kinds, consent kinds, ...) with labels in the `Accept-Language` language.

    Cache it on the phone: send its `ETag` back as `If-None-Match` and get 304 while it holds.
    """
    document = service.rendered(current_locale())
    headers = {"ETag": document.etag, **_CACHE_HEADERS}
    if service.matches(if_none_match, document.etag):
        return Response(status_code=304, headers=headers)
    return Response(content=document.body, media_type="application/json", headers=headers)
