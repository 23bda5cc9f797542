"""人人都是建模者: personal datasets (个人数据区), sandbox runs (沙箱运行) and their stored results

Revision ID: 0014_sandbox
Revises: 0013_evidence_keys
Create Date: 2026-12-06 11:00:00

``datasets.owner_user_id`` (个人数据区: NULL for every existing dataset, which keep their org rule) and
``department_id`` (shared with one department of the owning org); ``runs.sandbox`` (existing runs are
ordinary runs), ``started_by`` (unknown for existing runs), ``published_by``/``published_at`` (a sandbox
run's results turned into clues); ``sandbox_results`` holds a sandbox run's clue candidates until publishing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014_sandbox'
down_revision = '0013_evidence_keys'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_datasets_owner_user_id'), ['owner_user_id'], unique=False)
    with op.batch_alter_table('runs', schema=None) as batch_op:
        # a constant default ('0' is false on SQLite and PostgreSQL): with an expression default Alembic would
        # rebuild ``runs`` on SQLite, and dropping the old table cascades to clue_runs and clue_evidence
        batch_op.add_column(sa.Column('sandbox', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('started_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('sandbox_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['runs.id'], name=op.f('fk_sandbox_results_run_id_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_results'))
    )
    with op.batch_alter_table('sandbox_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_results_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sandbox_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_results_run_id'))
    op.drop_table('sandbox_results')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_column('published_at')
        batch_op.drop_column('published_by')
        batch_op.drop_column('started_by')
        batch_op.drop_column('sandbox')
    with op.batch_alter_table('datasets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_datasets_owner_user_id'))
        batch_op.drop_column('department_id')
        batch_op.drop_column('owner_user_id')
