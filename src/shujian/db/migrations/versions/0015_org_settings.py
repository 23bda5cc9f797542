"""org settings for documents: 机关代字, 文号 format and first number, default 主送机关

Revision ID: 0015_org_settings
Revises: 0014_sandbox
Create Date: 2026-12-06 11:05:00

One optional row per org (``org_settings``); no row means the 检察建议书 keeps its derived 代字
(椒江区 → 椒检) and the built-in 文号 format.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015_org_settings'
down_revision = '0014_sandbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('org_settings',
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('abbreviation', sa.String(length=32), nullable=True),
    sa.Column('number_format', sa.String(length=100), nullable=True),
    sa.Column('first_number', sa.Integer(), nullable=True),
    sa.Column('recipient', sa.String(length=200), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_org_settings_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('org_id', name=op.f('pk_org_settings'))
    )


def downgrade() -> None:
    op.drop_table('org_settings')
