"""model bindings (数据绑定: an org's datasets and columns for a model's input roles), the binding a run
used and its keyless output rows, the org a schedule runs for

Revision ID: 0009_model_bindings
Revises: 0008_data_sources
Create Date: 2026-11-28 10:00:00

Existing runs keep ``binding`` NULL (they ran on the model's own dataset names); existing schedules keep
``org_id`` NULL and run as before (the model's adopting or author org, see runs.service.run_org).
Adoptions recorded before this revision are not turned into bindings: their mapping was never
checked against the adopting org's catalog; adopting again writes the binding.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009_model_bindings'
down_revision = '0008_data_sources'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model_bindings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.String(length=80), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('scope_key', sa.String(length=24), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('model_hash', sa.String(length=64), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('removed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_bindings')),
    sa.UniqueConstraint('model_id', 'scope_key', 'version', name=op.f('uq_model_bindings_model_id'))
    )
    with op.batch_alter_table('model_bindings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_bindings_model_id'), ['model_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_model_bindings_org_id'), ['org_id'], unique=False)
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('binding', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('keyless_rows', sa.Integer(), nullable=True))
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('org_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('created_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_column('created_by')
        batch_op.drop_column('org_id')
    with op.batch_alter_table('runs', schema=None) as batch_op:
        batch_op.drop_column('keyless_rows')
        batch_op.drop_column('binding')
    with op.batch_alter_table('model_bindings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_bindings_org_id'))
        batch_op.drop_index(batch_op.f('ix_model_bindings_model_id'))
    op.drop_table('model_bindings')
