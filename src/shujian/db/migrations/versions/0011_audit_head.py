"""the signed audit chain head (审计链头: record count, last hash, HMAC signature)

Revision ID: 0011_audit_head
Revises: 0010_page_indexes
Create Date: 2026-12-06 08:00:00

The head row is filled from the existing chain (its length and last hash) with no signature: the
migration cannot see the audit key, which lives outside the database.  The first command that opens
the upgraded workspace creates the key file (``audit.key`` in SHUJIAN_HOME) and signs this head, or
``shujian db upgrade`` does so at once; with ``SHUJIAN_AUDIT_KEY`` set, ``shujian audit seal`` signs
it.  Existing records keep their unkeyed SM3 hashes and stay verifiable; the first keyed record's HMAC
covers the last of them (docs/security.md).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0011_audit_head'
down_revision = '0010_page_indexes'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    conn = op.get_bind()
    count = conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar() or 0
    last = conn.execute(sa.text("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")).scalar()
    op.bulk_insert(head, [{"id": 1, "records": count, "last_hash": last or GENESIS, "signature": None,
                           "updated_at": datetime.now(UTC)}])


def downgrade() -> None:
    op.drop_table('audit_head')
