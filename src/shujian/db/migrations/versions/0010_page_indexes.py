"""page indexes: 一本账 counts per (model, 承办院, first seen) from one index; 待办/逾期 by deadline, 督办, escalation;
clue events by action and time

Revision ID: 0010_page_indexes
Revises: 0009_model_bindings
Create Date: 2026-12-06 08:20:00
"""

from __future__ import annotations

from alembic import op

revision = '0010_page_indexes'
down_revision = '0009_model_bindings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clues', schema=None) as batch_op:
        batch_op.create_index('ix_clues_ledger', ['model_id', 'org_id', 'first_seen'], unique=False)
        batch_op.create_index('ix_clues_deadline', ['deadline'], unique=False)
        batch_op.create_index('ix_clues_supervised', ['supervised'], unique=False)
        batch_op.create_index('ix_clues_escalation', ['escalation'], unique=False)
    with op.batch_alter_table('clue_events', schema=None) as batch_op:
        batch_op.create_index('ix_clue_events_action_at', ['action', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('clue_events', schema=None) as batch_op:
        batch_op.drop_index('ix_clue_events_action_at')
    with op.batch_alter_table('clues', schema=None) as batch_op:
        batch_op.drop_index('ix_clues_escalation')
        batch_op.drop_index('ix_clues_supervised')
        batch_op.drop_index('ix_clues_deadline')
        batch_op.drop_index('ix_clues_ledger')
