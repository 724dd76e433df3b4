"""the interview record: room events (the timeline) and keyframes of the update log

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-01
"""

import zlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "room_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("room_id", sa.String(length=24), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=True),
        sa.Column("actor_role", sa.String(length=20), nullable=True),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_room_events_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_user_id"], ["users.id"], name=op.f("fk_room_events_actor_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_events")),
    )
    with op.batch_alter_table("room_events", schema=None) as batch_op:
        batch_op.create_index("ix_room_events_room_id_at", ["room_id", "at"], unique=False)

    op.create_table(
        "yjs_keyframes",
        sa.Column("room_id", sa.String(length=24), nullable=False),
        sa.Column("doc", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_yjs_keyframes_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("room_id", "doc", "seq", name=op.f("pk_yjs_keyframes")),
    )
    # Compaction used to delete the rows it merged: for such a document its snapshot is the
    # earliest state history can start from, so it becomes the first keyframe (compressed,
    # as every keyframe is).
    conn = op.get_bind()
    snapshots = conn.execute(
        sa.text("SELECT room_id, doc, upto_seq, at, state FROM yjs_snapshots")
    ).all()
    frames = sa.table(
        "yjs_keyframes",
        sa.column("room_id", sa.String),
        sa.column("doc", sa.String),
        sa.column("seq", sa.BigInteger),
        # Untyped: the value goes back as the SELECT gave it (a string on SQLite, which a
        # DateTime bind refuses; a datetime on PostgreSQL).
        sa.column("at"),
        sa.column("state", sa.LargeBinary),
    )
    if snapshots:
        op.bulk_insert(
            frames,
            [
                {
                    "room_id": row.room_id,
                    "doc": row.doc,
                    "seq": row.upto_seq,
                    "at": row.at,
                    "state": zlib.compress(bytes(row.state), 1),
                }
                for row in snapshots
            ],
        )


def downgrade() -> None:
    op.drop_table("yjs_keyframes")
    with op.batch_alter_table("room_events", schema=None) as batch_op:
        batch_op.drop_index("ix_room_events_room_id_at")
    op.drop_table("room_events")
