"""drop_unused_name_indexes

`person_name.search_key` and `person_name.skeleton` lost their indexes: since intake_0007 every
search reads `person_name_token`, and no statement filters or sorts on these columns. Each
registration still paid for them: two entries of up to 400 characters per name, at places
spread over the whole index, so about six more pages to write a person (bench/README.md,
"Findings" §8: 11 % more registrations a second on SQLite with 20,000 persons loaded).

Revision ID: intake_0008
Revises: intake_0007
Create Date: 2026-11-30 10:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "intake_0008"
down_revision: str | None = "intake_0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person_name") as batch:
        batch.drop_index(batch.f("ix_person_name_search_key"))
        batch.drop_index(batch.f("ix_person_name_skeleton"))


def downgrade() -> None:
    with op.batch_alter_table("person_name") as batch:
        batch.create_index(batch.f("ix_person_name_search_key"), ["search_key"], unique=False)
        batch.create_index(batch.f("ix_person_name_skeleton"), ["skeleton"], unique=False)
