"""Tables every service database holds: API keys, idempotency records, audit trail, outbox.

Defined with SQLAlchemy Core on the service's own `MetaData` (each service owns its database),
so the shared mechanisms can use fast Core statements on the hot path.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    Boolean,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Uuid,
)

from apicore.db import JSONDocument, UTCDateTime


@dataclass(frozen=True, slots=True)
class PlatformTables:
    """The shared tables of one service database."""

    api_key: Table
    idempotency_record: Table
    audit_event: Table
    outbox_event: Table


def add_platform_tables(metadata: MetaData) -> PlatformTables:
    """Define the shared tables on `metadata` and return them."""
    api_key = Table(
        "api_key",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("name", String(100), nullable=False),
        Column("role", String(32), nullable=False),
        # SHA-256 of the key, hex: the key itself is shown once and never stored.
        Column("key_hash", String(64), nullable=False, unique=True),
        Column("revoked", Boolean, nullable=False, default=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("revoked_at", UTCDateTime, nullable=True),
        Index(None, "name"),
    )
    idempotency_record = Table(
        "idempotency_record",
        metadata,
        # Scope: SHA-256 of the caller's API key, so two callers never share a key space.
        Column("scope", String(64), primary_key=True),
        Column("key", String(255), primary_key=True),
        Column("fingerprint", String(64), nullable=False),
        Column("method", String(10), nullable=False),
        Column("path", String(2048), nullable=False),
        Column("state", String(16), nullable=False),  # in_flight | completed
        Column("status_code", Integer, nullable=True),
        Column("response_headers", JSONDocument, nullable=True),
        Column("response_body", LargeBinary, nullable=True),
        Column("created_at", UTCDateTime, nullable=False),
        Column("locked_until", UTCDateTime, nullable=False),
        Column("expires_at", UTCDateTime, nullable=False),
        Index(None, "expires_at"),
    )
    audit_event = Table(
        "audit_event",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("at", UTCDateTime, nullable=False),
        Column("actor_key_id", Uuid, nullable=True),
        Column("actor_name", String(100), nullable=False),
        Column("actor_role", String(32), nullable=False),
        Column("action", String(64), nullable=False),
        Column("subject_type", String(32), nullable=False),
        Column("subject_id", Uuid, nullable=True),
        Column("request_id", String(64), nullable=True),
        # Names of the fields read or changed, never their values.
        Column("fields", JSONDocument, nullable=True),
        Index(None, "subject_id", "at"),
        Index(None, "at"),
    )
    outbox_event = Table(
        "outbox_event",
        metadata,
        Column("id", Uuid, primary_key=True),
        Column("topic", String(64), nullable=False),
        Column("aggregate_id", Uuid, nullable=True),
        Column("payload", JSONDocument, nullable=False),
        Column("request_id", String(64), nullable=True),
        Column("state", String(16), nullable=False),  # pending | delivered | dead
        Column("attempts", Integer, nullable=False, default=0),
        Column("created_at", UTCDateTime, nullable=False),
        Column("next_attempt_at", UTCDateTime, nullable=False),
        # Set while a dispatcher attempts the event; no other dispatcher takes it before then.
        Column("leased_until", UTCDateTime, nullable=True),
        Column("delivered_at", UTCDateTime, nullable=True),
        Column("last_error", Text, nullable=True),
        Index(None, "state", "next_attempt_at"),
        Index(None, "aggregate_id"),
    )
    return PlatformTables(api_key, idempotency_record, audit_event, outbox_event)
