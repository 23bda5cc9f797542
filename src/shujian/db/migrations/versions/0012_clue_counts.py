"""一本账 counters (clue_counts): clues per first-seen day and month × model × 承办院 × state, kept by triggers

Revision ID: 0012_clue_counts
Revises: 0011_audit_head
Create Date: 2026-12-06 10:40:00

The dashboard, the 一本账 and the clue list's total read these counters instead of grouping every clue
per request.  Triggers on ``clues`` keep them in the transaction of each insert, update (of model, 承办院,
first run, state or first seen) and delete — the clue store's bulk ``COPY``/executemany, workflow
transitions, bulk transitions, 排除, the store's reopen and any hand-written SQL alike — so a rolled-back
transaction leaves them unchanged.  ``org_id`` 0 stands for an unassigned clue (线索池), whose visibility
follows its first run (``run_id``; 0 for assigned clues), as the access layer's pool rule does.
Days are UTC days, as the clues' timestamps are stored.  The counters are filled from the existing clues.

PostgreSQL: a statement-level trigger with a transition table for inserts and deletes (one grouped
upsert per statement, so a ``COPY`` of 50,000 clues costs one statement), a row-level trigger for
updates that change a counted column.  SQLite: row-level triggers.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012_clue_counts'
down_revision = '0011_audit_head'
branch_labels = None
depends_on = None

KEY = "grain, day, model_id, org_id, run_id, state"
COUNTED = ("model_id", "org_id", "first_run_id", "state", "first_seen")


def _pg_key(c: str) -> str:
    """The counter key columns of a row ``c`` (after the grain ``g``) in PostgreSQL."""
    return (f"CASE WHEN g = 'd' THEN ({c}.first_seen AT TIME ZONE 'UTC')::date "
            f"ELSE date_trunc('month', {c}.first_seen AT TIME ZONE 'UTC')::date END, "
            f"{c}.model_id, coalesce({c}.org_id, 0), CASE WHEN {c}.org_id IS NULL THEN {c}.first_run_id ELSE 0 END, "
            f"{c}.state")


def _pg_sql() -> list[str]:
    upsert = f"ON CONFLICT ({KEY}) DO UPDATE SET n = clue_counts.n + EXCLUDED.n"
    grains = "(VALUES ('d'), ('m')) AS grains(g)"

    def statement(rows: str, sign: str) -> str:
        return (f"INSERT INTO clue_counts ({KEY}, n) SELECT g, {_pg_key('c')}, {sign}count(*) "
                f"FROM {rows} AS c CROSS JOIN {grains} GROUP BY 1, 2, 3, 4, 5, 6 {upsert};")

    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COUNTED)
    return [
        f"""CREATE FUNCTION clue_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {statement('new_clues', '')} RETURN NULL; END $$""",
        f"""CREATE FUNCTION clue_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN {statement('old_clues', '-')} RETURN NULL; END $$""",
        f"""CREATE FUNCTION clue_counts_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO clue_counts ({KEY}, n) SELECT g, {_pg_key('OLD')}, -1 FROM {grains} {upsert};
  INSERT INTO clue_counts ({KEY}, n) SELECT g, {_pg_key('NEW')}, 1 FROM {grains} {upsert};
  RETURN NULL;
END $$""",
        "CREATE TRIGGER clue_counts_insert AFTER INSERT ON clues REFERENCING NEW TABLE AS new_clues "
        "FOR EACH STATEMENT EXECUTE FUNCTION clue_counts_insert()",
        "CREATE TRIGGER clue_counts_delete AFTER DELETE ON clues REFERENCING OLD TABLE AS old_clues "
        "FOR EACH STATEMENT EXECUTE FUNCTION clue_counts_delete()",
        f"CREATE TRIGGER clue_counts_update AFTER UPDATE ON clues FOR EACH ROW WHEN ({changed}) "
        "EXECUTE FUNCTION clue_counts_update()",
    ]


def _sqlite_values(r: str, sign: str) -> str:
    key = (f"{r}.model_id, coalesce({r}.org_id, 0), CASE WHEN {r}.org_id IS NULL THEN {r}.first_run_id ELSE 0 END, "
           f"{r}.state, {sign}1")
    return f"('d', date({r}.first_seen), {key}), ('m', date({r}.first_seen, 'start of month'), {key})"


def _sqlite_sql() -> list[str]:
    upsert = f"ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n"
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in COUNTED)
    return [
        f"""CREATE TRIGGER clue_counts_insert AFTER INSERT ON clues BEGIN
  INSERT INTO clue_counts ({KEY}, n) VALUES {_sqlite_values('NEW', '')} {upsert};
END""",
        f"""CREATE TRIGGER clue_counts_delete AFTER DELETE ON clues BEGIN
  INSERT INTO clue_counts ({KEY}, n) VALUES {_sqlite_values('OLD', '-')} {upsert};
END""",
        f"""CREATE TRIGGER clue_counts_update AFTER UPDATE ON clues WHEN {changed} BEGIN
  INSERT INTO clue_counts ({KEY}, n) VALUES {_sqlite_values('OLD', '-')} {upsert};
  INSERT INTO clue_counts ({KEY}, n) VALUES {_sqlite_values('NEW', '')} {upsert};
END""",
    ]


def _backfill(pg: bool) -> str:
    if pg:
        return (f"INSERT INTO clue_counts ({KEY}, n) SELECT g, {_pg_key('c')}, count(*) "
                "FROM clues AS c CROSS JOIN (VALUES ('d'), ('m')) AS grains(g) GROUP BY 1, 2, 3, 4, 5, 6")
    day = "CASE WHEN g = 'd' THEN date(c.first_seen) ELSE date(c.first_seen, 'start of month') END"
    return (f"INSERT INTO clue_counts ({KEY}, n) SELECT g, {day}, c.model_id, coalesce(c.org_id, 0), "
            "CASE WHEN c.org_id IS NULL THEN c.first_run_id ELSE 0 END, c.state, count(*) "
            "FROM clues AS c CROSS JOIN (SELECT 'd' AS g UNION ALL SELECT 'm') AS grains "
            "GROUP BY 1, 2, 3, 4, 5, 6")


def upgrade() -> None:
    op.create_table(
        'clue_counts',
        sa.Column('grain', sa.String(length=1), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('model_id', sa.String(length=80), nullable=False),
        sa.Column('org_id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('grain', 'day', 'model_id', 'org_id', 'run_id', 'state'),
    )
    pg = op.get_bind().dialect.name == "postgresql"
    op.execute(_backfill(pg))
    for sql in _pg_sql() if pg else _sqlite_sql():
        op.execute(sql)


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for name in ("clue_counts_insert", "clue_counts_delete", "clue_counts_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON clues" if pg else f"DROP TRIGGER IF EXISTS {name}")
        if pg:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_table('clue_counts')
