"""merge the second wave's migrations into one head

Each concept of the second wave (audit, record, questions, scorecards, integrations) added
its tables in a migration of its own on top of 0001, written at the same time; this revision
joins them so that the schema has one head again. It changes nothing itself.

Revision ID: 0009
Revises: 0002, 0003, 0004, 0005, 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

revision: str = "0009"
down_revision: str | Sequence[str] | None = ("0002", "0003", "0004", "0005", "0006")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
