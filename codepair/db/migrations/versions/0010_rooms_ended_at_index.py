"""index rooms.ended_at

The retention purge selects ended rooms by ``ended_at`` (``ended_at < cutoff``), and the
dashboard's status filter reads it: without an index both scan every room.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain CREATE INDEX (no batch copy of the table) on both SQLite and PostgreSQL.
    op.create_index("ix_rooms_ended_at", "rooms", ["ended_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rooms_ended_at", table_name="rooms")
