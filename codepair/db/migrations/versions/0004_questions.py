"""questions: the bank, rooms' own copies, test results of runs

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('questions',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('difficulty', sa.String(length=10), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('tag_index', sa.String(length=1000), nullable=False),
    sa.Column('starters', sa.JSON(), nullable=False),
    sa.Column('tests', sa.JSON(), nullable=False),
    sa.Column('solution', sa.Text(), nullable=False),
    sa.Column('solution_language', sa.String(length=32), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.Column('rubric', sa.JSON(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_questions_author_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('slug', name=op.f('uq_questions_slug'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questions_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_created_at'), ['created_at'], unique=False)

    op.create_table('room_questions',
    sa.Column('id', sa.String(length=24), nullable=False),
    sa.Column('room_id', sa.String(length=24), nullable=False),
    sa.Column('question_id', sa.String(length=24), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('difficulty', sa.String(length=10), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('starters', sa.JSON(), nullable=False),
    sa.Column('tests', sa.JSON(), nullable=False),
    sa.Column('solution', sa.Text(), nullable=False),
    sa.Column('solution_language', sa.String(length=32), nullable=False),
    sa.Column('guidance', sa.Text(), nullable=False),
    sa.Column('rubric', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('presented_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_room_questions_question_id_questions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_room_questions_room_id_rooms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_questions'))
    )
    with op.batch_alter_table('room_questions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_questions_question_id'), ['question_id'], unique=False)
        batch_op.create_index('ix_room_questions_room_id_position', ['room_id', 'position'], unique=False)

    op.create_table('run_tests',
    sa.Column('run_id', sa.String(length=24), nullable=False),
    sa.Column('room_id', sa.String(length=24), nullable=False),
    sa.Column('room_question_id', sa.String(length=24), nullable=True),
    sa.Column('passed', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('results', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_run_tests_room_id_rooms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_question_id'], ['room_questions.id'], name=op.f('fk_run_tests_room_question_id_room_questions'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_run_tests_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', name=op.f('pk_run_tests'))
    )
    with op.batch_alter_table('run_tests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_run_tests_room_id'), ['room_id'], unique=False)


def downgrade() -> None:
    op.drop_table('run_tests')
    op.drop_table('room_questions')
    op.drop_table('questions')
