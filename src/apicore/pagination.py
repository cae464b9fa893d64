"""Opaque keyset cursors for lists: base64url JSON of the last row's sort key."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid

from apicore.i18n import _l
from apicore.problems import FieldError, Problem, register_field_message

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


class InvalidCursor(Problem):
    status = 400
    slug = "invalid-cursor"
    title = _l("Invalid cursor")
    detail = _l("Use the next_cursor of a previous page, unchanged.")

    def __init__(self) -> None:
        super().__init__(errors=[FieldError("cursor", "invalid_cursor")])


register_field_message("invalid_cursor", _l("This cursor was not issued by this service."))


def encode_cursor(created_at: dt.datetime, row_id: uuid.UUID) -> str:
    """Cursor after the row `(created_at, id)`."""
    raw = json.dumps([created_at.isoformat(), str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """Read a cursor made by `encode_cursor`.

    Raises:
        InvalidCursor: anything else, however it was forged.
    """
    try:
        if len(cursor) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, row_id = json.loads(raw)
        if not isinstance(stamp, str) or not isinstance(row_id, str):
            raise TypeError("cursor parts are strings")
        created_at = dt.datetime.fromisoformat(stamp)
        if created_at.tzinfo is None:
            raise ValueError("naive")
        # In UTC here, so that a forged far-off zone fails now and not in the database driver.
        return created_at.astimezone(dt.UTC), uuid.UUID(row_id)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor from exc
