"""the AI assistant: rooms.ai_assistant and ai_prompt, and the ai_messages conversation

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(
            sa.Column("ai_assistant", sa.String(length=8), nullable=False, server_default="off")
        )
        batch.add_column(sa.Column("ai_prompt", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "ai_messages",
        sa.Column("id", sa.String(length=24), nullable=False),
        sa.Column("room_id", sa.String(length=24), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("asker", sa.String(length=120), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("reply_to", sa.String(length=24), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("include_code", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["room_id"], ["rooms.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ai_messages_room_id_at", "ai_messages", ["room_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_ai_messages_room_id_at", table_name="ai_messages")
    op.drop_table("ai_messages")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("ai_prompt")
        batch.drop_column("ai_assistant")
