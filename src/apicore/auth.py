"""API keys and roles.

A key is `Authorization: Bearer <key>`: random, shown once, stored as its SHA-256 hash with a
name, a role and a revoked flag. Every endpoint declares the roles it allows with `require()`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.db import utcnow
from apicore.i18n import _l
from apicore.problems import Problem
from apicore.tables import PlatformTables


class Role(StrEnum):
    """What a key may do; each endpoint names the roles it allows."""

    field_worker = "field_worker"
    case_worker = "case_worker"
    registrar = "registrar"
    auditor = "auditor"
    partner = "partner"
    service = "service"
    admin = "admin"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the API key's id, name and role."""

    key_id: uuid.UUID
    name: str
    role: Role


class Unauthorized(Problem):
    status = 401
    slug = "unauthorized"
    title = _l("Authentication required")
    detail = _l("Send a valid API key as 'Authorization: Bearer <key>'.")

    def __init__(self) -> None:
        super().__init__(headers={"WWW-Authenticate": "Bearer"})


class Forbidden(Problem):
    status = 403
    slug = "forbidden"
    title = _l("Forbidden")
    detail = _l("Your role may not do this. Allowed roles: {roles}.")


KEY_PREFIX = "rk_"


def hash_key(token: str) -> str:
    """SHA-256 of the key, lower-case hex (64 characters)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header, or None: also for two or more such
    headers, since the field is a singleton (RFC 9110, 11.6.2) and a proxy reading one while
    we read another would disagree about who is asking."""
    headers = request.headers.getlist("authorization")
    if len(headers) != 1 or not headers[0]:
        return None
    header = headers[0]
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def create_key(
    session: AsyncSession, tables: PlatformTables, *, role: Role, name: str
) -> tuple[uuid.UUID, str]:
    """Store a new key and return `(key id, key)`; the key is never readable again."""
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    key_id = uuid.uuid4()
    await session.execute(
        tables.api_key.insert().values(
            id=key_id,
            name=name,
            role=role.value,
            key_hash=hash_key(token),
            revoked=False,
            created_at=utcnow(),
        )
    )
    return key_id, token


async def revoke_keys(session: AsyncSession, tables: PlatformTables, *, name: str) -> int:
    """Revoke every active key with this name; returns how many were revoked."""
    result = await session.execute(
        update(tables.api_key)
        .where(tables.api_key.c.name == name, tables.api_key.c.revoked.is_(False))
        .values(revoked=True, revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def authenticate(session: AsyncSession, tables: PlatformTables, token: str) -> Principal | None:
    """The principal of an active key, or None for an unknown or revoked key."""
    digest = hash_key(token)
    row = (
        await session.execute(
            select(
                tables.api_key.c.id,
                tables.api_key.c.name,
                tables.api_key.c.role,
                tables.api_key.c.key_hash,
                tables.api_key.c.revoked,
            ).where(tables.api_key.c.key_hash == digest)
        )
    ).first()
    if row is None or row.revoked or not hmac.compare_digest(row.key_hash, digest):
        return None
    return Principal(key_id=row.id, name=row.name, role=Role(row.role))


class KeyCache:
    """The principals of API keys this process checked in the last `ttl` seconds.

    Every request names its key; looking it up is a SELECT each time, about a sixth of a read's
    statements (bench/README.md). A key seen within `ttl` is trusted without one, so a revoked
    key is refused by every process at most `ttl` seconds after `revoke-key` (`0`: checked on
    every request). Only keys found active are kept, at most `max_keys` of them (the oldest go
    first), under their SHA-256, never the key itself.
    """

    def __init__(
        self, ttl: float, *, max_keys: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self._clock = clock
        self._seen: dict[str, tuple[float, Principal]] = {}

    def get(self, digest: str) -> Principal | None:
        """The principal of a key checked less than `ttl` seconds ago, or None."""
        found = self._seen.get(digest)
        if found is None:
            return None
        if self._clock() - found[0] >= self.ttl:
            del self._seen[digest]
            return None
        return found[1]

    def put(self, digest: str, principal: Principal) -> None:
        """Remember a key just found active (nothing when `ttl` is 0)."""
        if self.ttl <= 0:
            return
        if len(self._seen) >= self.max_keys:
            self._seen.pop(next(iter(self._seen)))
        self._seen[digest] = (self._clock(), principal)


async def principal_of(
    session: AsyncSession, tables: PlatformTables, token: str, cache: KeyCache | None
) -> Principal | None:
    """`authenticate`, through `cache` when there is one."""
    digest = hash_key(token)
    principal = cache.get(digest) if cache is not None else None
    if principal is None:
        principal = await authenticate(session, tables, token)
        if principal is not None and cache is not None:
            cache.put(digest, principal)
    return principal


_bearer_scheme = HTTPBearer(auto_error=False, description="An API key: `Bearer rk_...`.")


class RoleRequirement:
    """A dependency that authenticates the caller and checks the role (see `require`).

    `roles` is read by the route class to document the roles in OpenAPI (`x-roles`).
    """

    def __init__(self, roles: tuple[Role, ...]) -> None:
        self.roles = roles

    async def __call__(
        self,
        request: Request,
        # Declared so that OpenAPI shows the bearer scheme; the header is read below.
        _credentials: HTTPAuthorizationCredentials | None = Depends(_bearer_scheme),  # noqa: B008
    ) -> Principal:
        token = bearer_token(request)
        if token is None:
            raise Unauthorized
        ctx = request.app.state.ctx
        session: AsyncSession | None = getattr(request.state, "session", None)
        if session is None:
            async with ctx.db.sessions() as own:
                principal = await principal_of(own, ctx.tables, token, ctx.keys)
        else:
            principal = await principal_of(session, ctx.tables, token, ctx.keys)
        if principal is None:
            raise Unauthorized
        if principal.role not in self.roles:
            raise Forbidden(roles=", ".join(r.value for r in self.roles))
        request.state.principal = principal
        return principal


def require(*roles: Role) -> RoleRequirement:
    """Dependency allowing only keys of these roles: 401 without a valid key, 403 otherwise.

    Use as `Annotated[Principal, Depends(require(Role.case_worker, Role.admin))]`.
    """
    return RoleRequirement(tuple(roles))
