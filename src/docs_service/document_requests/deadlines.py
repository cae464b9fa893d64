"""Days in a status and whether a request is overdue (pure).

Targets come from the settings (`DOCS_TARGET_DAYS`), per kind and open state; a closed request
has no target and is never overdue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from docs_service.document_requests.workflow import is_open

TargetDays = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True, slots=True)
class Deadline:
    """Where a request stands against its target."""

    days_in_status: int
    target_days: int | None
    overdue: bool


def days_between(since: dt.datetime, now: dt.datetime) -> int:
    """Whole days elapsed from `since` to `now` (0 on the first day, never negative)."""
    return max(0, (now - since) // dt.timedelta(days=1))


def target_days(targets: TargetDays, kind: str, status: str) -> int | None:
    """The target for a request of `kind` in `status`, or None (closed or not configured)."""
    if not is_open(status):
        return None
    return targets.get(kind, {}).get(status)


def deadline(targets: TargetDays, kind: str, status: str, since: dt.datetime, now: dt.datetime) -> Deadline:
    """Days in status, the target and whether it is exceeded.

    Args:
        targets: days per kind and state.
        kind: the request's kind.
        status: its current status.
        since: when it entered that status.
        now: the current time (timezone-aware).

    Returns:
        Overdue when more than the target's days have elapsed in the status.
    """
    days = days_between(since, now)
    target = target_days(targets, kind, status)
    return Deadline(
        days_in_status=days,
        target_days=target,
        overdue=target is not None and now - since > dt.timedelta(days=target),
    )


def overdue_since(targets: TargetDays, kind: str, status: str, now: dt.datetime) -> dt.datetime | None:
    """Requests of `kind` in `status` that entered it before this instant are overdue (None: never)."""
    target = target_days(targets, kind, status)
    return None if target is None else now - dt.timedelta(days=target)
