"""One transaction per request, committed before the response leaves, with idempotency.

`TransactionalRoute` follows FastAPI's documented hook for a custom `APIRoute`
(`get_route_handler`), as Polar's `AutoCommitAPIRoute` does: the handler's session commits
after the handler returns and before the answer is sent (since FastAPI 0.118, code after
`yield` in a dependency runs after the response is sent, too late to fail a request).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from apicore import driver
from apicore.auth import RoleRequirement, Unauthorized, bearer_token, hash_key, principal_of
from apicore.i18n import _l
from apicore.idempotency import Claim, parse_key, request_fingerprint
from apicore.problems import (
    FieldError,
    UnsupportedMediaType,
    ValidationFailed,
    register_field_message,
    validation_problem,
)


def _required_roles(route: APIRoute) -> list[str]:
    roles: list[str] = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if isinstance(dependant.call, RoleRequirement):
            roles.extend(r.value for r in dependant.call.roles)
        stack.extend(dependant.dependencies)
    return sorted(set(roles))


register_field_message("repeated_parameter", _l("Give this parameter once."))

_READS = frozenset({"GET", "HEAD"})


def _query_names(route: APIRoute) -> frozenset[str]:
    """The query parameters a route declares, its dependencies' included."""
    names: set[str] = set()
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        names.update(param.alias for param in dependant.query_params)
        stack.extend(dependant.dependencies)
    return frozenset(names)


def _unknown_query(request: Request, known: frozenset[str]) -> ValidationFailed | None:
    """A 422 naming each query parameter the route does not take (`extra_forbidden`) or that
    is given more than once (`repeated_parameter`), or None.

    Why: a mistyped filter (`?operaton=zhusan-2`) would otherwise be ignored, and the answer
    would list, and audit as read, every person the filter was meant to leave out.
    """
    names = [name for name, _ in request.query_params.multi_items()]
    unknown = [name for name in dict.fromkeys(names) if name not in known]
    # No route takes a list in its query: a repeated one (`?limit=10&limit=20`) would silently
    # answer for its last value only, a filter of two statuses for one of them.
    repeated = [name for name in dict.fromkeys(names) if name in known and names.count(name) > 1]
    if not unknown and not repeated:
        return None
    return validation_problem(
        [
            *({"type": "extra_forbidden", "loc": ("query", name)} for name in unknown),
            *({"type": "repeated_parameter", "loc": ("query", name)} for name in repeated),
        ]
    )


class TransactionalRoute(APIRoute):
    """A route whose handler runs in one database transaction.

    - 2xx/3xx: commit (storing the answer under its `Idempotency-Key`, if any), then send.
    - 4xx/5xx or an exception: roll back; the key, if any, is released.
    - A POST with a known `Idempotency-Key` is answered from the store without running; a
      stored answer about persons is audited as `request.replayed` (`replayed_persons`).
    - GET and HEAD on PostgreSQL run in autocommit, without BEGIN and COMMIT: a read's
      statements see the same (READ COMMITTED) snapshots as in a transaction, and its audit
      rows are committed by their own statement, so they stay even if the answer then fails.
    - A query parameter the route does not declare is a 422 (`extra_forbidden`), as an
      unknown field of a body is.
    The roles that `require()` allows are published in OpenAPI as `x-roles`.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.query_names = _query_names(self)
        roles = _required_roles(self)
        if roles:
            self.openapi_extra = {**(self.openapi_extra or {}), "x-roles": roles}
            note = "Roles: " + ", ".join(f"`{r}`" for r in roles) + "."
            self.description = f"{self.description}\n\n{note}" if self.description else note

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def run_in_transaction(request: Request) -> Response:
            refused = _unknown_query(request, self.query_names)
            if refused is not None:
                raise refused
            ctx = request.app.state.ctx
            claim: Claim | None = None
            if self.body_field is not None and request.method in {"POST", "PUT", "PATCH"}:
                _require_json(request)
                # JSON between systems is UTF-8 (RFC 8259 §8.1); Python's parser would also take
                # UTF-16 and UTF-32, which the README says are refused.
                body_bytes = await request.body()
                if body_bytes and json.detect_encoding(body_bytes) not in ("utf-8", "utf-8-sig"):
                    raise UnsupportedMediaType
                if body_bytes:
                    read_json_once(request, body_bytes)
            raw_keys = request.headers.getlist("idempotency-key")
            raw_key = raw_keys[0] if raw_keys else None
            token = bearer_token(request)
            # Without a key to scope it, a request is refused (401) before any key is kept.
            guarded = request.method == "POST" and raw_key is not None and token is not None
            key = parse_key(raw_key, more=len(raw_keys) - 1) if guarded and raw_key is not None else None
            body = await request.body() if key is not None else b""
            # A read's statements run without BEGIN and COMMIT (autocommit) on PostgreSQL: under
            # READ COMMITTED each statement sees its own snapshot either way, and the read's only
            # write, its audit rows, is one statement that is committed before the answer
            # leaves. Two round trips fewer a request, and the pooled connection is taken only
            # when the first statement needs it, not while the request is parsed and checked.
            autocommit = request.method in _READS and ctx.db.engine.dialect.name == "postgresql"
            session = (ctx.db.autocommit_sessions if autocommit else ctx.db.sessions)()
            closed = False
            try:
                request.state.session = session
                if not autocommit:
                    await session.begin()
                try:
                    if key is not None and token is not None:
                        claim = await ctx.idempotency.claim(
                            session,
                            scope=hash_key(token),
                            key=key,
                            fingerprint=request_fingerprint(request.method, request.url.path, body),
                            method=request.method,
                            path=request.url.path,
                        )
                        if claim.replay is not None:
                            # A replay skips the handler and its role check: a key revoked since
                            # must not read back the answers it once got.
                            principal = await principal_of(session, ctx.tables, token, ctx.keys)
                            if principal is None:
                                raise Unauthorized
                            person_ids = replayed_persons(request, claim.replay)
                            if not person_ids:
                                await session.rollback()
                                return claim.replay
                            # The stored answer shows a person again: a read, audited as one.
                            from apicore.audit import AuditTrail  # audit's routes use this module

                            request.state.principal = principal
                            trail = AuditTrail(ctx.tables, request)
                            await trail.record_many(
                                session, "request.replayed", subject_type="person", subject_ids=person_ids
                            )
                            await session.commit()
                            return claim.replay
                    response = await handle(request)
                    if autocommit:
                        # Nothing to commit: the read's session is closed, its connection given
                        # back, in one pass through SQLAlchemy's greenlet (`driver.end`); then
                        # the loop runs once before the answer is written, as it did when the
                        # session closed in a task of its own (`AsyncSession.__aexit__`).
                        # Without that turn a read cost 15 % more CPU under 32 clients
                        # (bench/README.md, finding 13).
                        await driver.end(session, commit=response.status_code < 400)
                        closed = True
                        await asyncio.sleep(0)
                    elif response.status_code >= 400:
                        await session.rollback()
                    else:
                        keep = claim is not None and 200 <= response.status_code < 300
                        if keep and claim is not None:
                            await ctx.idempotency.complete(session, claim, response)
                        await session.commit()
                        if keep:
                            claim = None
                        if session.info.pop("outbox_written", False):
                            ctx.wake_outbox()
                except BaseException:
                    await session.rollback()
                    raise
                finally:
                    request.state.session = None
                    early = session.info.pop("claim_committed", False)
                    if claim is not None and claim.replay is None and early:
                        # Committed early (`end_before_remote_call`): free the key for a retry.
                        await ctx.idempotency.release(claim)
            finally:
                if not closed:
                    # As `async with AsyncSession()` closes: in a task, shielded, so that a
                    # cancelled request still gives its connection back.
                    await asyncio.shield(session.close())
            return response

        return run_in_transaction


_PERSON_LOCATION = re.compile(r"^/v1/persons/([0-9a-fA-F-]{36})(?:/|$)")


def replayed_persons(request: Request, replay: Response) -> list[uuid.UUID]:
    """The persons a stored 2xx answer is about: the route's `person_id`, else the person its
    `Location` names (`/v1/persons/{id}`), else the `person_id` of its JSON body (a document
    request), else the `id` of each result that carries a person (a batch). Empty for none."""
    if not 200 <= replay.status_code < 300:
        return []
    found: list[Any] = [request.path_params.get("person_id")]
    if found[0] is None:
        match = _PERSON_LOCATION.match(replay.headers.get("location", ""))
        found = [match.group(1) if match else None]
    if found[0] is None:
        try:
            body = json.loads(bytes(replay.body))
        except ValueError:
            return []
        if isinstance(body, dict) and isinstance(body.get("results"), list):
            found = [r.get("id") for r in body["results"] if isinstance(r, dict) and r.get("person")]
        elif isinstance(body, dict):
            found = [body.get("person_id")]
    ids = []
    for value in found:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return ids


_JSON_BODIES = {
    "POST": frozenset({"application/json"}),
    "PUT": frozenset({"application/json"}),
    # RFC 7396 names its own media type; plain JSON is read the same way.
    "PATCH": frozenset({"application/json", "application/merge-patch+json"}),
}


def _require_json(request: Request) -> None:
    """Refuse with 415 a body that is not JSON of the kind the method takes, or not UTF-8."""
    media, _, parameters = request.headers.get("content-type", "").partition(";")
    media = media.strip().lower()
    charset = next(
        (
            p.split("=", 1)[1].strip().strip('"').lower()
            for p in parameters.split(";")
            if p.strip().lower().startswith("charset=")
        ),
        "utf-8",
    )
    if media in _JSON_BODIES.get(request.method, frozenset()) and charset in {"utf-8", "utf8"}:
        return
    if not media and request.headers.get("content-length") in {None, "0"}:
        return  # no body at all: the handler says which fields are missing
    raise UnsupportedMediaType


register_field_message("duplicate_key", _l("Given twice in the same object: give it once."))


class _DuplicateKey(ValueError):
    """A JSON object names a member twice."""


def _distinct_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise _DuplicateKey
    return members


def _first_duplicate(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """The path to the first member named twice, in a document parsed as lists of pairs."""
    if isinstance(value, _Pairs):
        seen: set[str] = set()
        for key, _ in value:
            if key in seen:
                return (*path, key)
            seen.add(key)
        for key, item in value:
            found = _first_duplicate(item, (*path, key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_duplicate(item, (*path, index))
            if found is not None:
                return found
    return None


class _Pairs(list[tuple[str, Any]]):
    """A JSON object kept as its members in order, duplicates included."""


def read_json_once(request: Request, body: bytes) -> None:
    """Parse the JSON body for the handler (Starlette keeps it for `request.json()`, which
    FastAPI reads), refusing a member named twice in one object.

    Why: RFC 8259 leaves such an object's meaning to the parser, and Python keeps the last
    value while other parsers keep the first, so a proxy or a validator in front could have
    passed `"sex": "male"` that we stored as `"female"` (I-JSON, RFC 7493, 2.3, forbids them).
    Bodies that do not parse are left to FastAPI, which says why as it always has.

    Raises:
        ValidationFailed: `duplicate_key`, naming the member's path (`names.0.given`).
    """
    try:
        # Starlette's cache of `request.json()`: one parse serves the check and the handler.
        request._json = json.loads(body, object_pairs_hook=_distinct_members)
    except _DuplicateKey:
        path = _first_duplicate(json.loads(body, object_pairs_hook=_Pairs))
        raise ValidationFailed(errors=[FieldError(".".join(map(str, path or ())), "duplicate_key")]) from None
    except (ValueError, RecursionError):
        return


async def end_before_remote_call(session: AsyncSession) -> None:
    """Commit what the request's transaction holds so far (its idempotency claim, the caller's
    key lookup) so that no connection, and on SQLite not the one writer, is held while another
    service answers. The handler goes on in a new transaction; its key stays in flight (409 to
    a retry) until the request ends, and is freed if it fails."""
    await session.commit()
    session.info["claim_committed"] = True


async def _session(request: Request) -> AsyncSession:
    # async: FastAPI runs a plain `def` dependency in a thread, a hop per request for nothing.
    session: AsyncSession | None = getattr(request.state, "session", None)
    if session is None:
        raise RuntimeError("Session used outside a TransactionalRoute")
    return session


Session = Annotated[AsyncSession, Depends(_session)]
"""The request's session (only under `TransactionalRoute`); services never commit."""
