"""whole_word_tokens_on_sqlite

On SQLite a name word of 3 letters or more is stored as itself only (kind `pfx`), no longer as
each of its prefixes too: a search word reads the range of the stored words it starts
(`intake_api.persons.names.prefixes_stored`). Each prefix row cost a registration a random page
of the token index, about 35 of its 78 pages of write-ahead log (bench/README.md, "Findings"
§12). The prefixes that are not whole words of their name's key are deleted here; the downgrade
writes them back. PostgreSQL keeps every prefix and is not touched.

Revision ID: intake_0009
Revises: intake_0008
Create Date: 2026-12-01 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "intake_0009"
down_revision: str | None = "intake_0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A `pfx` token is a whole word of its name when the name's key (words of a-z and 0-9 between
# single spaces) holds it between spaces; a longer word was cut to 100 characters
# (`names.MAX_TOKEN`) and stays. Keys hold no `%` or `_`, so LIKE matches them literally.
_WHOLE_WORD = (
    "length(t.token) = 100 OR EXISTS (SELECT 1 FROM person_name AS n WHERE n.id = t.name_id"
    " AND ' ' || n.search_key || ' ' LIKE '% ' || t.token || ' %')"
)
# The prefixes of each whole word from 3 letters, once per name (two words of one name share
# prefixes: abdulla, abdullaev), and none that is already a whole word of the same name.
_PREFIXES_OF_WORDS = (
    "WITH RECURSIVE lengths(n) AS (SELECT 3 UNION ALL SELECT n + 1 FROM lengths WHERE n < 99)"
    " INSERT INTO person_name_token (person_id, name_id, kind, token, person_created_at)"
    " SELECT DISTINCT t.person_id, t.name_id, 'pfx', substr(t.token, 1, lengths.n), t.person_created_at"
    " FROM person_name_token AS t JOIN lengths ON lengths.n < length(t.token)"
    " WHERE t.kind = 'pfx' AND NOT EXISTS (SELECT 1 FROM person_name_token AS w"
    " WHERE w.kind = 'pfx' AND w.token = substr(t.token, 1, lengths.n) AND w.name_id = t.name_id)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DELETE FROM person_name_token AS t WHERE t.kind = 'pfx' AND NOT ({_WHOLE_WORD})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_PREFIXES_OF_WORDS)
