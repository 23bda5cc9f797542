"""clue attachments (线索附件: files uploaded with a comment, stored under the workspace home)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clue_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clue_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clue_id'], ['clues.id'], name=op.f('fk_clue_attachments_clue_id_clues'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['clue_events.id'], name=op.f('fk_clue_attachments_event_id_clue_events'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_clue_attachments_uploaded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clue_attachments')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_clue_attachments_stored_name'))
    )
    with op.batch_alter_table('clue_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clue_attachments_clue_id'), ['clue_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('clue_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clue_attachments_clue_id'))
    op.drop_table('clue_attachments')
