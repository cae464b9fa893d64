"""name_tokens_in_page_order

`q` reads the persons having a name token straight from an index in the list's page order:
each token row carries its person's `created_at` (`person_created_at`), indexed after
`(kind, token)`, so a search stops after one page whatever the word's frequency. A key word of
3 letters or more is now stored as its prefixes from 3 letters up to the whole word (kind
`pfx`), so that a prefix search is an exact match too; shorter words stay whole (`key`).
Existing rows are converted on both databases (bench/README.md, "Findings" §2).

Revision ID: intake_0007
Revises: intake_0006
Create Date: 2026-11-29 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import apicore.db

revision: str = "intake_0007"
down_revision: str | None = "intake_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tokens are at most 100 characters (intake_api.persons.names, `search_tokens`); keys are a-z
# and 0-9 only, so substr and length count what Python counts. Plain SQL for both databases.
# Two words of one name share prefixes (abdulla, abdullaev): DISTINCT keeps one row of each.
_PREFIXES_FROM_KEYS = (
    "WITH RECURSIVE lengths(n) AS (SELECT 3 UNION ALL SELECT n + 1 FROM lengths WHERE n < 100)"
    " INSERT INTO person_name_token (person_id, name_id, kind, token, person_created_at)"
    " SELECT DISTINCT t.person_id, t.name_id, 'pfx', substr(t.token, 1, lengths.n), t.person_created_at"
    " FROM person_name_token AS t JOIN lengths ON lengths.n <= length(t.token)"
    " WHERE t.kind = 'key'"
)
# Downgrade: the prefixes that are whole words of the name's key (or a longer word cut to 100).
_KEYS_FROM_PREFIXES = (
    "INSERT INTO person_name_token (person_id, name_id, kind, token, person_created_at)"
    " SELECT t.person_id, t.name_id, 'key', t.token, t.person_created_at"
    " FROM person_name_token AS t JOIN person_name AS n ON n.id = t.name_id"
    " WHERE t.kind = 'pfx'"
    " AND (length(t.token) = 100 OR ' ' || n.search_key || ' ' LIKE '% ' || t.token || ' %')"
)


def upgrade() -> None:
    op.add_column(
        "person_name_token",
        sa.Column("person_created_at", apicore.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute(
        "UPDATE person_name_token SET person_created_at ="
        " (SELECT person.created_at FROM person WHERE person.id = person_name_token.person_id)"
    )
    op.execute(_PREFIXES_FROM_KEYS)
    op.execute("DELETE FROM person_name_token WHERE kind = 'key' AND length(token) >= 3")
    with op.batch_alter_table("person_name_token") as batch:
        batch.alter_column(
            "person_created_at", existing_type=apicore.db.UTCDateTime(timezone=True), nullable=False
        )
        batch.drop_index(batch.f("ix_person_name_token_kind_token"))
        batch.create_index(
            batch.f("ix_person_name_token_kind_token_person_created_at_person_id"),
            ["kind", "token", "person_created_at", "person_id"],
            unique=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        # The search ranks a query's words by the planner's most common tokens (persons/search.py):
        # the default target (100) knows only the very commonest of several thousand.
        op.execute("ALTER TABLE person_name_token ALTER COLUMN token SET STATISTICS 1000")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE person_name_token ALTER COLUMN token SET STATISTICS -1")
    op.execute(_KEYS_FROM_PREFIXES)
    op.execute("DELETE FROM person_name_token WHERE kind = 'pfx'")
    with op.batch_alter_table("person_name_token") as batch:
        batch.drop_index(batch.f("ix_person_name_token_kind_token_person_created_at_person_id"))
        batch.create_index(batch.f("ix_person_name_token_kind_token"), ["kind", "token"], unique=False)
        batch.drop_column("person_created_at")
