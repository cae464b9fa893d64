"""Optimistic concurrency over HTTP (RFC 9110 §13.1.1 `If-Match`, RFC 6585 428).

Every record has an integer `version`; reads answer it as a strong `ETag` (`"3"`). An update
must send `If-Match` with the version it read: none → 428, another version → 412. Two editors
therefore never overwrite each other.
"""

from __future__ import annotations

from fastapi import Request

from apicore.i18n import _l
from apicore.problems import Problem


class PreconditionRequired(Problem):
    status = 428
    slug = "precondition-required"
    title = _l("If-Match required")
    detail = _l("Send the ETag you read as If-Match, so that no one else's change is overwritten.")


class PreconditionFailed(Problem):
    status = 412
    slug = "precondition-failed"
    title = _l("The record has changed")
    detail = _l("Someone changed this record after you read it (now version {current}). Read it again.")
    example_params = {"current": "4"}


def etag(version: int) -> str:
    """The strong entity tag of a version: `"3"`."""
    return f'"{version}"'


def check_if_match(request: Request, current_version: int) -> None:
    """Check the request's `If-Match` against the record's current version.

    Accepts a list of tags and `*`. RFC 9110 §13.1.1 requires the strong comparison here: a
    weak tag (`W/"3"`) never matches. Models also set SQLAlchemy's `version_id_col`, so a
    concurrent update that passed this check still fails at flush (`StaleDataError` → 412).

    Raises:
        PreconditionRequired: no `If-Match` header (428).
        PreconditionFailed: no tag matches the current version (412).
    """
    # A list field (RFC 9110, 13.1.1): two `If-Match` lines mean the same as one joined by commas.
    header = ", ".join(request.headers.getlist("if-match"))
    if not header.strip():
        raise PreconditionRequired
    tags = [t.strip() for t in header.split(",")]
    if "*" in tags:
        return
    wanted = etag(current_version)
    if wanted not in tags:
        raise PreconditionFailed(current=current_version)


class StaleRecord(PreconditionFailed):
    """A concurrent update won between our read and our write (SQLAlchemy `StaleDataError`)."""

    slug = "precondition-failed-concurrent"
    detail = _l("Someone changed this record at the same moment. Read it again.")
