"""outbox_lease

An outbox event carries the time until which a dispatcher holds it (`leased_until`), apart from
when it is next due, so that a dispatcher that stops cleanly (or the single dispatcher of a SQLite
database, which knows no other is running) can give its leases back at once.

Revision ID: docs_0003
Revises: docs_0002
Create Date: 2026-11-29 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apicore.db

revision: str = "docs_0003"
down_revision: str | None = "docs_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox_event", sa.Column("leased_until", apicore.db.UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox_event") as batch:
        batch.drop_column("leased_until")
