"""saved database sources (保存的数据源) for import-db pulls and 定期汇聚

Revision ID: 0008_data_sources
Revises: 0007_text_screening
Create Date: 2026-12-06 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008_data_sources'
down_revision = '0007_text_screening'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('dataset', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('password_env', sa.String(length=64), nullable=True),
    sa.Column('table_name', sa.String(length=200), nullable=True),
    sa.Column('query', sa.Text(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('cron', sa.String(length=64), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('next_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status', sa.String(length=16), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_version', sa.Integer(), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_sources')),
    sa.UniqueConstraint('name', name=op.f('uq_data_sources_name'))
    )
    op.create_index(op.f('ix_data_sources_org_id'), 'data_sources', ['org_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_data_sources_org_id'), table_name='data_sources')
    op.drop_table('data_sources')
