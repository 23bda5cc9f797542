"""一本账 counters of 研判/交办/成案 over all time: clues with such an event, kept by triggers on clue_events

Revision ID: 0017_event_counts
Revises: 0016_overdue_indexes
Create Date: 2026-12-06 11:35:00

研判, 交办 and 成案 count *distinct clues* with that event in the period, which day counters cannot add up
for an arbitrary period; for the whole time (the dashboard's and the ledger's default) they are the
clues that ever had the event.  Rows of ``clue_counts`` with grain ``e`` (day 1900-01-01, ``state`` = the
action) count them per model × 承办院 (pool clues: first run), like the other counters: a trigger on
``clue_events`` adds a clue at its first such event, triggers on ``clues`` move its rows when its model,
承办院 or first run changes and remove them before the clue is deleted.  Filled from the existing events.
"""

from __future__ import annotations

from alembic import op

revision = '0017_event_counts'
down_revision = '0016_overdue_indexes'
branch_labels = None
depends_on = None

KEY = "grain, day, model_id, org_id, run_id, state"
ACTIONS = "('研判', '交办', '成案')"
MOVED = ("model_id", "org_id", "first_run_id")


def _key(c: str) -> str:
    return f"{c}.model_id, coalesce({c}.org_id, 0), CASE WHEN {c}.org_id IS NULL THEN {c}.first_run_id ELSE 0 END"


def _actions_of(c: str) -> str:
    """The counted actions a clue ``c`` has had (a subquery ``a`` with column ``action``)."""
    return (f"(SELECT DISTINCT action FROM clue_events WHERE clue_id = {c}.id AND action IN {ACTIONS} "
            "AND at IS NOT NULL) AS a")


def _pg_sql() -> list[str]:
    upsert = f"ON CONFLICT ({KEY}) DO UPDATE SET n = clue_counts.n + EXCLUDED.n"
    day = "DATE '1900-01-01'"
    moved = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in MOVED)
    return [
        f"""CREATE FUNCTION clue_counts_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM clue_events AS e WHERE e.clue_id = NEW.clue_id AND e.action = NEW.action
                 AND e.at IS NOT NULL AND e.id <> NEW.id) THEN
    INSERT INTO clue_counts ({KEY}, n) SELECT 'e', {day}, {_key('c')}, NEW.action, 1
      FROM clues AS c WHERE c.id = NEW.clue_id {upsert};
  END IF;
  RETURN NULL;
END $$""",
        f"""CREATE FUNCTION clue_counts_event_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO clue_counts ({KEY}, n) SELECT 'e', {day}, {_key('OLD')}, a.action, -1 FROM {_actions_of('OLD')} {upsert};
  INSERT INTO clue_counts ({KEY}, n) SELECT 'e', {day}, {_key('NEW')}, a.action, 1 FROM {_actions_of('NEW')} {upsert};
  RETURN NULL;
END $$""",
        f"""CREATE FUNCTION clue_counts_event_drop() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO clue_counts ({KEY}, n) SELECT 'e', {day}, {_key('OLD')}, a.action, -1 FROM {_actions_of('OLD')} {upsert};
  RETURN OLD;
END $$""",
        f"CREATE TRIGGER clue_counts_event AFTER INSERT ON clue_events FOR EACH ROW "
        f"WHEN (NEW.action IN {ACTIONS} AND NEW.at IS NOT NULL) EXECUTE FUNCTION clue_counts_event()",
        f"CREATE TRIGGER clue_counts_event_move AFTER UPDATE ON clues FOR EACH ROW WHEN ({moved}) "
        "EXECUTE FUNCTION clue_counts_event_move()",
        "CREATE TRIGGER clue_counts_event_drop BEFORE DELETE ON clues FOR EACH ROW "
        "EXECUTE FUNCTION clue_counts_event_drop()",
    ]


def _sqlite_sql() -> list[str]:
    upsert = f"ON CONFLICT ({KEY}) DO UPDATE SET n = n + excluded.n"
    day = "'1900-01-01'"
    moved = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in MOVED)
    return [
        f"""CREATE TRIGGER clue_counts_event AFTER INSERT ON clue_events
WHEN NEW.action IN {ACTIONS} AND NEW.at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM clue_events AS e
  WHERE e.clue_id = NEW.clue_id AND e.action = NEW.action AND e.at IS NOT NULL AND e.id <> NEW.id) BEGIN
  INSERT INTO clue_counts ({KEY}, n) SELECT 'e', {day}, {_key('c')}, NEW.action, 1
    FROM clues AS c WHERE c.id = NEW.clue_id {upsert};
END""",
        f"""CREATE TRIGGER clue_counts_event_move AFTER UPDATE ON clues WHEN {moved} BEGIN
  INSERT INTO clue_counts ({KEY}, n) SELECT 'e', {day}, {_key('OLD')}, a.action, -1 FROM {_actions_of('OLD')}
    WHERE true {upsert};
  INSERT INTO clue_counts ({KEY}, n) SELECT 'e', {day}, {_key('NEW')}, a.action, 1 FROM {_actions_of('NEW')}
    WHERE true {upsert};
END""",
        f"""CREATE TRIGGER clue_counts_event_drop BEFORE DELETE ON clues BEGIN
  INSERT INTO clue_counts ({KEY}, n) SELECT 'e', {day}, {_key('OLD')}, a.action, -1 FROM {_actions_of('OLD')}
    WHERE true {upsert};
END""",
    ]


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    day = "DATE '1900-01-01'" if pg else "'1900-01-01'"
    op.execute(f"INSERT INTO clue_counts ({KEY}, n) SELECT 'e', {day}, {_key('c')}, e.action, count(*) "
               f"FROM (SELECT DISTINCT clue_id, action FROM clue_events WHERE action IN {ACTIONS} AND at IS NOT NULL) AS e "
               "JOIN clues AS c ON c.id = e.clue_id GROUP BY 1, 2, 3, 4, 5, 6")
    for sql in _pg_sql() if pg else _sqlite_sql():
        op.execute(sql)


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    for name, table in (("clue_counts_event", "clue_events"), ("clue_counts_event_move", "clues"),
                        ("clue_counts_event_drop", "clues")):
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}" if pg else f"DROP TRIGGER IF EXISTS {name}")
        if pg:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DELETE FROM clue_counts WHERE grain = 'e'")
