"""runs: org scope (runs.org_id, 发起院)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 22:05:00

Old runs get the org of the model's only adopting org, else the org of the model's author (模型台账),
else stay NULL (platform-wide runs, see docs/security.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_BACKFILL = """
UPDATE runs SET org_id = COALESCE(
  (SELECT MIN(a.org_id) FROM model_adoptions a JOIN gov_models g ON g.id = a.gov_model_id
    WHERE g.model_id = runs.model_id
   HAVING COUNT(DISTINCT a.org_id) = 1),
  (SELECT g.author_org_id FROM gov_models g WHERE g.model_id = runs.model_id))
WHERE org_id IS NULL
"""


def upgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_runs_org_id'), ['org_id'], unique=False)
    op.execute(_BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_runs_org_id'))
        batch_op.drop_column('org_id')
