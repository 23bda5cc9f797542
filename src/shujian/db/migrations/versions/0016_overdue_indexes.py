"""partial indexes for the overdue list: the few escalated clues and the few with a 督办 deadline

Revision ID: 0016_overdue_indexes
Revises: 0015_org_settings
Create Date: 2026-12-06 11:10:00

``ix_clues_escalation`` and ``ix_clues_supervised`` index every clue, almost all of them with the same
value (no escalation, not supervised); after ``ANALYZE`` SQLite judged them useless and read all
1,000,000 clues of the benchmark store to find none (0.3 CPU s each, twice per dashboard).  These
partial indexes hold only the clues that have an escalation or a 督办 deadline, so both lookups read
those few rows.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016_overdue_indexes'
down_revision = '0015_org_settings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    escalated = sa.text("escalation IS NOT NULL")
    supervised = sa.text("supervise_deadline IS NOT NULL")
    op.create_index('ix_clues_escalated', 'clues', ['id'], sqlite_where=escalated, postgresql_where=escalated)
    op.create_index('ix_clues_supervise_deadline', 'clues', ['supervise_deadline'], sqlite_where=supervised,
                    postgresql_where=supervised)


def downgrade() -> None:
    op.drop_index('ix_clues_supervise_deadline', table_name='clues')
    op.drop_index('ix_clues_escalated', table_name='clues')
