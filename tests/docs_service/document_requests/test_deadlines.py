"""Days in a status and the overdue rule."""

from __future__ import annotations

import datetime as dt

from docs_service.document_requests.deadlines import days_between, deadline, overdue_since

TARGETS = {"passport": {"requested": 5}, "birth_certificate": {"parentage_confirmed": 45}}
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


class TestDaysBetween:
    def test_whole_days_only(self) -> None:
        assert days_between(T0, T0 + dt.timedelta(days=2, hours=23)) == 2

    def test_never_negative(self) -> None:
        assert days_between(T0, T0 - dt.timedelta(hours=1)) == 0


class TestDeadline:
    def test_within_target_is_not_overdue(self) -> None:
        d = deadline(TARGETS, "passport", "requested", T0, T0 + dt.timedelta(days=5))
        assert (d.days_in_status, d.target_days, d.overdue) == (5, 5, False)

    def test_past_target_is_overdue(self) -> None:
        d = deadline(TARGETS, "passport", "requested", T0, T0 + dt.timedelta(days=5, seconds=1))
        assert d.overdue

    def test_closed_request_has_no_target(self) -> None:
        d = deadline(TARGETS, "passport", "issued", T0, T0 + dt.timedelta(days=400))
        assert (d.days_in_status, d.target_days, d.overdue) == (400, None, False)

    def test_state_without_target_is_never_overdue(self) -> None:
        assert not deadline(TARGETS, "passport", "approved", T0, T0 + dt.timedelta(days=400)).overdue


class TestOverdueSince:
    def test_is_now_minus_target(self) -> None:
        assert overdue_since(TARGETS, "birth_certificate", "parentage_confirmed", T0) == T0 - dt.timedelta(
            days=45
        )

    def test_none_when_closed(self) -> None:
        assert overdue_since(TARGETS, "passport", "cancelled", T0) is None
