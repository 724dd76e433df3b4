"""project questions: starter tree, hidden files, entry, run and test commands

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("questions", "room_questions")


def _columns() -> list[sa.Column]:  # type: ignore[type-arg]
    # Existing rows are one-file questions: an empty tree and no commands.
    return [
        sa.Column("files", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("hidden_files", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("entry", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("run_command", sa.String(length=1000), nullable=False, server_default=""),
        sa.Column("test_command", sa.String(length=1000), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for column in _columns():
                batch.add_column(column)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for column in reversed(_columns()):
                batch.drop_column(column.name)
