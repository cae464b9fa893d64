"""`intake-api reconcile`: compare intake's document needs and statuses with the documents
service's requests, report every person on whom the two disagree, and repair on request.

The outbox makes the conversation reliable, but a dead event, a database restored from a backup
or an operator's hand can still leave the two sides apart. Reconciliation reads every request
from the documents service (`GET /v1/requests` with intake's `service` key) and every need and
document status of intake, and finds:

- `request_missing`: an active need, no request for it, nothing on its way. Repair: the need is
  sent again.
- `request_not_cancelled`: a cancelled need whose request is still open. Repair: the
  cancellation is sent again.
- `status_behind`: the documents service holds a later status than intake. Repair: intake
  records that status.
- `status_ahead`: intake shows a request, or a version of one, that the documents service does
  not have (its database restored from an older backup). Repair: intake records what the
  documents service holds, or forgets the document when the documents service has none.
- `unknown_person`, `unknown_need`: a request for a person, or naming a need, that intake does
  not know. No repair: a person must look.

Repairs go through the same paths as normal work (a new outbox event; the same update rules as
`POST /v1/document-updates`), each audited as the `system` actor. The report names persons by
id only: no names or numbers reach the terminal.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.audit import AuditTrail
from apicore.db import Database
from apicore.outbox import enqueue
from intake_api import models
from intake_api.documents.models import PersonDocument
from intake_api.documents.schemas import DocumentUpdate
from intake_api.documents.service import DOCUMENT_FIELDS, apply_update
from intake_api.persons.models import DocumentNeed, Person
from intake_api.persons.service import NEED_CANCELLED_TOPIC, NEED_TOPIC
from intake_api.settings import IntakeSettings

Problem = Literal[
    "request_missing",
    "request_not_cancelled",
    "status_behind",
    "status_ahead",
    "unknown_person",
    "unknown_need",
]
REPAIRABLE: frozenset[Problem] = frozenset(
    {"request_missing", "request_not_cancelled", "status_behind", "status_ahead"}
)


class DocsUnreachable(Exception):
    """The documents service did not give its requests (down, wrong URL, wrong key)."""


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One person and document kind on which the two services disagree."""

    person_id: uuid.UUID
    kind: str
    problem: Problem
    intake: str
    """What intake holds, briefly (`need active, delivery dead`)."""
    docs: str
    """What the documents service holds, briefly (`no request`, `registered v4`)."""
    need_id: uuid.UUID | None = None
    request_id: uuid.UUID | None = None

    @property
    def repairable(self) -> bool:
        """True when `--repair` can settle it without a person."""
        return self.problem in REPAIRABLE


async def fetch_requests(client: httpx.AsyncClient, settings: IntakeSettings) -> list[dict[str, Any]]:
    """Every request of the documents service, page by page (200 a page).

    Raises:
        DocsUnreachable: a network error or a non-2xx answer.
    """
    url = str(settings.docs_service_url).rstrip("/") + "/v1/requests"
    headers = {"Authorization": f"Bearer {settings.docs_service_key}"}
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        try:
            response = await client.get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise DocsUnreachable(f"{url}: {type(exc).__name__}") from exc
        if not response.is_success:
            raise DocsUnreachable(f"{url}: HTTP {response.status_code}")
        page = response.json()
        found += page["items"]
        if not (cursor := page.get("next_cursor")):
            return found


def _is_open(request: dict[str, Any]) -> bool:
    # The documents service gives a closed request (issued, cancelled, refused) no target days.
    return request["deadline"]["target_days"] is not None


def _since(request: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(request["deadline"]["status_since"])


def _update_from(request: dict[str, Any]) -> DocumentUpdate:
    """The `document_request.changed` event the documents service would send for this state."""
    numbers = request.get("document") or {}
    return DocumentUpdate(
        event_id=uuid.uuid4(),
        request_id=request["id"],
        person_id=request["person_id"],
        need_id=request.get("need_id"),
        kind=request["kind"],
        status=request["status"],
        version=request["version"],
        status_changed_at=_since(request),
        **{name: numbers.get(name) for name in DOCUMENT_FIELDS},
    )


async def compare(session: AsyncSession, requests: list[dict[str, Any]]) -> list[Disagreement]:
    """Every disagreement between intake's database (read in `session`) and `requests`."""
    t = models.platform.outbox_event
    needs = (await session.execute(select(DocumentNeed))).scalars().all()
    pending_events = set(
        (await session.execute(select(t.c.id).where(t.c.state == "pending"))).scalars().all()
    )
    pending_cancels = {
        str(payload.get("need_id"))
        for payload in (
            await session.execute(
                select(t.c.payload).where(t.c.state == "pending", t.c.topic == NEED_CANCELLED_TOPIC)
            )
        ).scalars()
    }
    persons = set((await session.execute(select(Person.id))).scalars().all())
    documents = {
        (row.person_id, row.kind): row for row in (await session.execute(select(PersonDocument))).scalars()
    }
    by_need: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_person_kind: dict[tuple[uuid.UUID, str], list[dict[str, Any]]] = defaultdict(list)
    for r in requests:
        if r.get("need_id"):
            by_need[r["need_id"]].append(r)
        by_person_kind[(uuid.UUID(r["person_id"]), r["kind"])].append(r)

    found: list[Disagreement] = []
    known_needs = {str(n.id) for n in needs}
    for need in needs:
        ours = by_need.get(str(need.id), [])
        if need.state == "active":
            open_of_kind = [r for r in by_person_kind.get((need.person_id, need.kind), []) if _is_open(r)]
            if ours or open_of_kind or need.outbox_event_id in pending_events:
                continue  # delivered, covered by another open request, or on its way
            found.append(
                Disagreement(
                    need.person_id,
                    need.kind,
                    "request_missing",
                    intake=f"need active, delivery {need.delivery}",
                    docs="no request",
                    need_id=need.id,
                )
            )
        else:
            still_open = [r for r in ours if _is_open(r)]
            if still_open and str(need.id) not in pending_cancels:
                found.append(
                    Disagreement(
                        need.person_id,
                        need.kind,
                        "request_not_cancelled",
                        intake="need cancelled",
                        docs=f"{still_open[0]['status']} v{still_open[0]['version']}",
                        need_id=need.id,
                        request_id=uuid.UUID(still_open[0]["id"]),
                    )
                )
    for (person_id, kind), of_kind in sorted(by_person_kind.items(), key=lambda i: (str(i[0][0]), i[0][1])):
        latest = max(of_kind, key=lambda r: (_since(r), r["version"]))
        request_id = uuid.UUID(latest["id"])
        if person_id not in persons:
            found.append(
                Disagreement(
                    person_id,
                    kind,
                    "unknown_person",
                    intake="no such person",
                    docs=f"{latest['status']} v{latest['version']}",
                    request_id=request_id,
                )
            )
            continue
        for r in of_kind:
            if r.get("need_id") and r["need_id"] not in known_needs:
                found.append(
                    Disagreement(
                        person_id,
                        kind,
                        "unknown_need",
                        intake="no such need",
                        docs=f"{r['status']} v{r['version']}",
                        need_id=uuid.UUID(r["need_id"]),
                        request_id=uuid.UUID(r["id"]),
                    )
                )
        row = documents.get((person_id, kind))
        known_ids = {r["id"] for r in of_kind}
        if row is not None and (
            str(row.request_id) not in known_ids
            or (row.request_id == request_id and row.request_version > latest["version"])
        ):
            found.append(
                Disagreement(
                    person_id,
                    kind,
                    "status_ahead",
                    intake=f"{row.status} v{row.request_version}"
                    + ("" if str(row.request_id) in known_ids else " (unknown request)"),
                    docs=f"{latest['status']} v{latest['version']}",
                    request_id=request_id,
                )
            )
            continue
        if row is None:
            behind, held = True, "no status"
        elif row.request_id == request_id:
            behind, held = row.request_version < latest["version"], f"{row.status} v{row.request_version}"
        else:
            behind, held = row.status_changed_at < _since(latest), f"{row.status} (another request)"
        if behind:
            found.append(
                Disagreement(
                    person_id,
                    kind,
                    "status_behind",
                    intake=held,
                    docs=f"{latest['status']} v{latest['version']}",
                    request_id=request_id,
                )
            )
    for (person_id, kind), row in sorted(documents.items(), key=lambda i: (str(i[0][0]), i[0][1])):
        if (person_id, kind) not in by_person_kind:
            found.append(
                Disagreement(
                    person_id,
                    kind,
                    "status_ahead",
                    intake=f"{row.status} v{row.request_version} (unknown request)",
                    docs="no request",
                    request_id=row.request_id,
                )
            )
    return found


async def repair(
    session: AsyncSession, disagreements: Iterable[Disagreement], requests: list[dict[str, Any]]
) -> int:
    """Settle the repairable disagreements in `session`'s transaction; returns how many."""
    tables = models.platform
    audit = AuditTrail(tables)
    by_id = {r["id"]: r for r in requests}
    repaired = 0
    for d in disagreements:
        if d.problem == "request_missing" and d.need_id is not None:
            need = await session.get(DocumentNeed, d.need_id, with_for_update=True)
            if need is None or need.state != "active":
                continue
            need.outbox_event_id = await enqueue(
                session,
                tables,
                NEED_TOPIC,
                {"need_id": str(need.id), "person_id": str(need.person_id), "kind": need.kind},
                aggregate_id=need.person_id,
            )
            need.delivery, need.request_id, need.delivered_at = "pending", None, None
        elif d.problem == "request_not_cancelled" and d.need_id is not None:
            need = await session.get(DocumentNeed, d.need_id)
            if need is None:
                continue
            await enqueue(
                session,
                tables,
                NEED_CANCELLED_TOPIC,
                {
                    "need_id": str(need.id),
                    "person_id": str(need.person_id),
                    "kind": need.kind,
                    "reason": need.cancel_reason or "need cancelled in intake (reconciled)",
                },
                aggregate_id=need.person_id,
            )
        elif d.problem == "status_behind" and d.request_id is not None:
            await apply_update(session, _update_from(by_id[str(d.request_id)]), audit=audit)
        elif d.problem == "status_ahead" and str(d.request_id) in by_id:
            await apply_update(session, _update_from(by_id[str(d.request_id)]), audit=audit, force=True)
        elif d.problem == "status_ahead":
            await session.execute(
                delete(PersonDocument).where(
                    PersonDocument.person_id == d.person_id, PersonDocument.kind == d.kind
                )
            )
        else:
            continue
        await audit.record(
            session, f"person.reconciled.{d.problem}", subject_type="person", subject_id=d.person_id
        )
        repaired += 1
    return repaired


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a run found and repaired."""

    disagreements: list[Disagreement]
    repaired: int
    requests_seen: int


async def run(settings: IntakeSettings, *, fix: bool) -> Outcome:
    """Compare both sides; with `fix`, repair what can be repaired, in one transaction.

    Raises:
        DocsUnreachable: the documents service did not answer.
    """
    db = Database.connect(settings.database_url, timeout=settings.database_timeout_seconds)
    try:
        async with httpx.AsyncClient(timeout=settings.http_timeout_seconds) as client:
            requests = await fetch_requests(client, settings)
        async with db.transaction() as session:
            found = await compare(session, requests)
            repaired = await repair(session, found, requests) if fix else 0
    finally:
        await db.dispose()
    return Outcome(found, repaired, len(requests))


def report(outcome: Outcome, *, as_json: bool, fixed: bool) -> str:
    """The report: one line per disagreement and a summary, or one JSON document."""
    if as_json:
        return json.dumps(
            {
                "requests_seen": outcome.requests_seen,
                "repaired": outcome.repaired,
                "disagreements": [
                    {**dataclasses.asdict(d), "repairable": d.repairable} for d in outcome.disagreements
                ],
            },
            default=str,
            indent=2,
        )
    lines = [
        f"{d.person_id}  {d.kind:<17} {d.problem:<22} intake: {d.intake:<28} docs: {d.docs}"
        + ("" if d.repairable else "  (needs a person)")
        for d in outcome.disagreements
    ]
    count = len(outcome.disagreements)
    summary = f"{outcome.requests_seen} requests compared; {count} disagreement(s)"
    if fixed:
        summary += f"; {outcome.repaired} repaired"
    elif any(d.repairable for d in outcome.disagreements):
        summary += "; run with --repair to settle the repairable ones"
    return "\n".join([*lines, summary])


def main(settings: IntakeSettings, *, fix: bool, as_json: bool) -> int:
    """Run and print; exit status 0 when both sides agree (or all was repaired), 1 when
    disagreements remain, 2 when the documents service cannot be read."""
    try:
        outcome = asyncio.run(run(settings, fix=fix))
    except DocsUnreachable as exc:
        print(f"intake-api reconcile: the documents service did not answer: {exc}", file=sys.stderr)  # noqa: T201
        return 2
    print(report(outcome, as_json=as_json, fixed=fix))  # noqa: T201
    remaining = [d for d in outcome.disagreements if not (fix and d.repairable)]
    return 1 if remaining else 0
