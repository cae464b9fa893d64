"""`Idempotency-Key` for every POST (IETF httpapi idempotency-key draft; Stripe's semantics).

- Same key, same body (compared as parsed JSON) and same target: the first answer again
  (status, body, `Location`, `ETag`) with `Idempotent-Replayed: true`.
- Same key, another body: 422. The same key while the first request still runs: the second
  waits for the first's transaction and replays its answer (409 only while a request that
  committed its claim early, to call another service, still runs).
- Only 2xx answers are kept, in the same transaction as the work they answer; a refused or
  failed request leaves nothing under its key, so a phone can retry into success.
- Keys are scoped to the API key that sent them and kept `idempotency_ttl_hours`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from apicore import driver
from apicore.db import Database, utcnow
from apicore.i18n import _l, current_locale
from apicore.problems import FieldError, Problem
from apicore.tables import PlatformTables

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Headers a replay must repeat; the rest (dates, request id, language) belong to the new answer.
_KEPT_HEADERS = ("content-type", "content-language", "location", "etag")
_KEY_SHAPE = re.compile(r"[\x21-\x7e]{1,255}", re.ASCII)


class IdempotencyKeyReused(Problem):
    status = 422
    slug = "idempotency-key-reused"
    title = _l("Idempotency-Key already used")
    detail = _l("This Idempotency-Key was used with a different request. Use a new key.")


class IdempotencyRequestInFlight(Problem):
    status = 409
    slug = "idempotency-request-in-flight"
    title = _l("Request still in progress")
    detail = _l("A request with this Idempotency-Key is still being processed. Retry shortly.")

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "1"})


class InvalidIdempotencyKey(Problem):
    status = 400
    slug = "invalid-idempotency-key"
    title = _l("Invalid Idempotency-Key")
    detail = _l("An Idempotency-Key is 1 to 255 visible ASCII characters.")


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 over method, path and the body as parsed JSON (key order and spacing ignored).

    A body that is not JSON, or nested too deeply for Python's parser, is compared byte for byte
    (the request is refused with a 400 problem later, but its key must not make it a 500).
    """
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8", "surrogatepass")
    except (ValueError, UnicodeDecodeError, RecursionError):
        canonical = body
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", canonical):
        digest.update(part)
    return digest.hexdigest()


@dataclass(slots=True)
class Claim:
    """A key this request now holds (`replay` is None) or a stored answer to replay."""

    scope: str
    key: str
    replay: Response | None = None
    claimed_at: dt.datetime | None = None
    """When this request took the key: proves it still holds it when the answer is stored."""


_ONE_KEY = _l("Send one Idempotency-Key header, not several.")


def parse_key(raw: str, *, more: int = 0) -> str:
    """Validate an `Idempotency-Key` header value; `more` counts further `Idempotency-Key` headers.

    Raises:
        InvalidIdempotencyKey: unless 1–255 visible ASCII characters (`string_pattern_mismatch`),
            or if the header came more than once (`repeated_parameter`): the field is a single
            item (IETF httpapi idempotency-key draft, section 2.1), and a proxy that keeps the
            first while we keep the last would disagree about which request this is.
    """
    if more:
        problem = InvalidIdempotencyKey(errors=[FieldError("Idempotency-Key", "repeated_parameter")])
        problem.detail = _ONE_KEY  # type: ignore[misc]  # the key itself may be well formed
        raise problem
    if _KEY_SHAPE.fullmatch(raw) is None:
        raise InvalidIdempotencyKey(errors=[FieldError("Idempotency-Key", "string_pattern_mismatch")])
    return raw


class IdempotencyStore:
    """Claims, completes and releases keys in one service database."""

    def __init__(
        self, db: Database, tables: PlatformTables, *, ttl: dt.timedelta, lease: dt.timedelta
    ) -> None:
        self.db = db
        self.table = tables.idempotency_record
        self.ttl = ttl
        self.lease = lease
        t = self.table
        # Built once: building a statement costs more than running it (bench/README.md).
        self._complete = update(t).where(
            t.c.scope == bindparam("claim_scope"),
            t.c.key == bindparam("claim_key"),
            t.c.state == "in_flight",
            t.c.created_at == bindparam("claimed_at"),
        )

    async def claim(
        self, session: AsyncSession, *, scope: str, key: str, fingerprint: str, method: str, path: str
    ) -> Claim:
        """Take the key for this request in the caller's transaction, or return the answer to
        replay.

        The claim is an `INSERT ... ON CONFLICT DO NOTHING` beside the work it guards, so a
        request costs no transaction of its own, and a request cut off before its commit leaves
        nothing behind. A concurrent request with the same key waits on the row (PostgreSQL) or
        on the writer (SQLite) and then replays the first answer. A claim that a handler commits
        early (a call to another service) is an ordinary in-flight record: 409 while it runs,
        taken over when its lease runs out.

        Raises:
            IdempotencyKeyReused: the key was used with another request.
            IdempotencyRequestInFlight: a request with this key is still running.
        """
        t = self.table
        now = utcnow()
        values = {
            "fingerprint": fingerprint,
            "method": method,
            "path": path,
            "state": "in_flight",
            "created_at": now,
            "locked_until": now + self.lease,
            "expires_at": now + self.ttl,
        }
        if (
            await driver.insert_rows(session, t, [{"scope": scope, "key": key, **values}], unless_taken=True)
            == 1
        ):
            return Claim(scope, key, claimed_at=now)
        row = (
            await session.execute(select(t).where(t.c.scope == scope, t.c.key == key).with_for_update())
        ).first()
        if row is None:
            # Released between our insert and this read: the retry that follows will succeed.
            raise IdempotencyRequestInFlight
        if row.expires_at <= now or (row.state == "in_flight" and row.locked_until <= now):
            # Expired, or abandoned by a process that died mid-request: take it over.
            await session.execute(
                update(t)
                .where(t.c.scope == scope, t.c.key == key)
                .values(**values, status_code=None, response_headers=None, response_body=None)
            )
            return Claim(scope, key, claimed_at=now)
        if row.fingerprint != fingerprint:
            raise IdempotencyKeyReused
        if row.state != "completed":
            raise IdempotencyRequestInFlight
        headers = dict(row.response_headers or {})
        headers[REPLAYED_HEADER] = "true"
        return Claim(
            scope,
            key,
            replay=Response(content=row.response_body, status_code=row.status_code, headers=headers),
        )

    async def complete(self, session: AsyncSession, claim: Claim, response: Response) -> None:
        """Store a 2xx answer in the caller's transaction, beside the work it answers.

        Raises:
            IdempotencyRequestInFlight: the lease ran out and a retry took the key over; the
                caller's transaction must roll back so the work is not done twice.
        """
        headers = {k: response.headers[k] for k in _KEPT_HEADERS if k in response.headers}
        # The middleware adds the language after the handler: record the one the body was written in.
        headers.setdefault("content-language", current_locale())
        now = utcnow()
        updated = await driver.execute(
            session,
            self._complete,
            {
                "claim_scope": claim.scope,
                "claim_key": claim.key,
                "claimed_at": claim.claimed_at,
                "state": "completed",
                "status_code": response.status_code,
                "response_headers": headers,
                "response_body": bytes(response.body),
                "expires_at": now + self.ttl,
            },
        )
        if updated != 1:
            raise IdempotencyRequestInFlight

    async def release(self, claim: Claim) -> None:
        """Forget a key whose request was refused or failed, so a retry can succeed."""
        t = self.table
        async with self.db.transaction() as session:
            await session.execute(
                delete(t).where(
                    t.c.scope == claim.scope,
                    t.c.key == claim.key,
                    t.c.state == "in_flight",
                    t.c.created_at == claim.claimed_at,
                )
            )

    async def purge_expired(self) -> int:
        """Delete expired records; returns how many."""
        t = self.table
        async with self.db.transaction() as session:
            result = await session.execute(delete(t).where(t.c.expires_at <= utcnow()))
        return int(getattr(result, "rowcount", 0) or 0)
