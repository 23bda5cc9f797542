"""clue evidence without foreign keys: the clue store's writer keeps it consistent, ``shujian db check`` verifies

Revision ID: 0013_evidence_keys
Revises: 0012_clue_counts
Create Date: 2026-12-06 11:00:00

Storing a run writes about ten evidence rows per clue; on PostgreSQL the two foreign-key checks per
evidence row (``clue_id → clues``, ``run_id → runs``) were most of the server's work (a ``COPY`` of
500,000 such rows: 7.5 s of server CPU with the keys, 1.3 s without).  Evidence rows are written only by
``shujian.clues.store.ClueWriter``, for clue ids it has just inserted or found and for its own run,
in the run's one transaction, and no code deletes clues or runs (the keys' ``ON DELETE CASCADE`` never
fired).  ``shujian db check`` reports evidence rows whose clue or run is missing (docs/runs-and-clues.md).
The index on ``clue_id`` stays.
"""

from __future__ import annotations

from alembic import op

revision = '0013_evidence_keys'
down_revision = '0012_clue_counts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clue_evidence', schema=None) as batch_op:
        batch_op.drop_constraint('fk_clue_evidence_clue_id_clues', type_='foreignkey')
        batch_op.drop_constraint('fk_clue_evidence_run_id_runs', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('clue_evidence', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_clue_evidence_clue_id_clues', 'clues', ['clue_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_foreign_key('fk_clue_evidence_run_id_runs', 'runs', ['run_id'], ['id'], ondelete='CASCADE')

