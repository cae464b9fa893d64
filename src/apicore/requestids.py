"""The request id of the current request, shared by logs, problems, audit and outgoing calls.

`asgi-correlation-id` keeps it in a context variable: an incoming `X-Request-ID` is kept when
it is a plausible token, otherwise a new one is made; the answer carries it back.
"""

from __future__ import annotations

import re

from asgi_correlation_id import correlation_id

REQUEST_ID_HEADER = "X-Request-ID"
_PLAUSIBLE = re.compile(r"[A-Za-z0-9._:-]{8,64}", re.ASCII)


def is_plausible_request_id(value: str) -> bool:
    """True for 8–64 ASCII letters, digits and `._:-` (nothing a log line could be forged with)."""
    return _PLAUSIBLE.fullmatch(value) is not None


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return correlation_id.get()


def set_request_id(value: str | None) -> None:
    """Set the id for work done outside a request (the outbox dispatcher, a CLI command)."""
    correlation_id.set(value)
