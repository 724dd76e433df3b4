"""take-home assessments: rooms.kind and the attempt's table

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Every existing room is a live interview.
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="live")
        )
    op.create_table(
        "take_homes",
        sa.Column("room_id", sa.String(length=24), nullable=False),
        sa.Column("time_limit_minutes", sa.Integer(), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("layout", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("current_question_id", sa.String(length=24), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("grading_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("graded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("passed", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_take_homes_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("room_id", name=op.f("pk_take_homes")),
    )
    op.create_index("ix_take_homes_open_deadline", "take_homes", ["finished_at", "deadline_at"])
    op.create_index(
        "ix_take_homes_open_closes", "take_homes", ["finished_at", "started_at", "closes_at"]
    )
    op.create_index("ix_take_homes_ungraded", "take_homes", ["graded_at", "finished_at"])


def downgrade() -> None:
    for name in ("ix_take_homes_ungraded", "ix_take_homes_open_closes",
                 "ix_take_homes_open_deadline"):
        op.drop_index(name, table_name="take_homes")
    op.drop_table("take_homes")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("kind")
