"""document_need_person_index

An index on `document_need.person_id`: every read and list page loads a person's needs, and the
partial unique index covers active needs only, so without it each read scanned the table
(bench/README.md: 80-140 ms a read at 1M persons on PostgreSQL).

Revision ID: intake_0006
Revises: intake_0005
Create Date: 2026-11-29 18:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "intake_0006"
down_revision: str | None = "intake_0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("document_need") as batch:
        batch.create_index(batch.f("ix_document_need_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document_need") as batch:
        batch.drop_index(batch.f("ix_document_need_person_id"))
