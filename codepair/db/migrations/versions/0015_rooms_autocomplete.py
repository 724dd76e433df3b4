"""rooms.autocomplete: completion from language servers for the candidate, on or off

Language intelligence (docs/intellisense.md): an interviewer may turn completion and
signature help off for the candidate; diagnostics stay. Existing rooms keep it on.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A server default fills existing rows without a batch copy on SQLite.
    op.add_column(
        "rooms", sa.Column("autocomplete", sa.String(8), nullable=False, server_default="on")
    )


def downgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("autocomplete")
