"""entity resolution review decisions (主体识别人工核对: 同一人 / 不同人)

Revision ID: 0006_entity_reviews
Revises: 0005
Create Date: 2026-12-06 05:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006_entity_reviews'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('entity_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('fp_l', sa.String(length=32), nullable=False),
    sa.Column('fp_r', sa.String(length=32), nullable=False),
    sa.Column('same', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('ref_l', sa.String(length=160), nullable=True),
    sa.Column('ref_r', sa.String(length=160), nullable=True),
    sa.Column('probability', sa.Float(), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entity_reviews')),
    sa.UniqueConstraint('kind', 'fp_l', 'fp_r', name=op.f('uq_entity_reviews_kind'))
    )


def downgrade() -> None:
    op.drop_table('entity_reviews')
