"""scorecards and the organization's default criteria

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_CRITERIA = [
    ('Problem solving', 'Understands the problem, asks the right questions, breaks it down and finds a workable approach.'),
    ('Code quality', 'Readable, well-structured, idiomatic code; sensible names; handles edge cases.'),
    ('Communication', 'Explains their thinking, listens, takes hints and discusses trade-offs.'),
    ('Testing', 'Checks their own work: examples, edge cases, tests, and debugging when it fails.'),
]


def upgrade() -> None:
    op.create_table('scorecards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.String(length=24), nullable=False),
    sa.Column('interviewer_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.Column('recommendation', sa.String(length=20), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_scorecards_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interviewer_id'], ['users.id'], name=op.f('fk_scorecards_interviewer_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecards')),
    sa.UniqueConstraint('room_id', 'interviewer_id', name='uq_scorecards_room_user')
    )
    with op.batch_alter_table('scorecards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scorecards_room_id'), ['room_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_scorecards_interviewer_id'), ['interviewer_id'], unique=False)

    criteria = op.create_table('scorecard_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecard_criteria')),
    sa.UniqueConstraint('criterion', name=op.f('uq_scorecard_criteria_criterion'))
    )
    op.bulk_insert(criteria, [
        {'criterion': name, 'description': description, 'position': i}
        for i, (name, description) in enumerate(DEFAULT_CRITERIA)
    ])


def downgrade() -> None:
    op.drop_table('scorecard_criteria')
    with op.batch_alter_table('scorecards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scorecards_interviewer_id'))
        batch_op.drop_index(batch_op.f('ix_scorecards_room_id'))
    op.drop_table('scorecards')
