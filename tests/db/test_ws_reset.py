"""The ``ws`` fixture's PostgreSQL store (tests/conftest.MigratedPostgres): each test starts from exactly the state
the migrations leave, whatever the test before it wrote, and a schema whose structure a test changed is replaced."""

from __future__ import annotations

import psycopg
import pytest
from tests.conftest import PG_URL, MigratedPostgres, _pg_schema_url

from shujian.config import load_settings
from shujian.db.session import make_engine, upgrade
from shujian.web.accounts import ensure_demo_accounts
from shujian.workspace import Workspace

pytestmark = pytest.mark.postgres
DSN = PG_URL.replace("postgresql+psycopg://", "postgresql://")


def contents(schema: str) -> dict:
    """Every table's rows (as JSON text, sorted) and every sequence's position."""
    with psycopg.connect(DSN) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,))]
        rows = {t: sorted(r[0] for r in conn.execute(f'SELECT row_to_json(t)::text FROM "{schema}"."{t}" t'))
                for t in tables}
        seqs = dict(conn.execute("SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = %s",
                                 (schema,)).fetchall())
    return {"rows": rows, "sequences": seqs}


@pytest.fixture
def store(pg_available):
    s = MigratedPostgres()
    yield s
    s.drop()


def test_a_reset_store_is_the_migrated_store_again(store, tmp_path):
    url = store.fresh()
    schema = store.schema
    before = contents(schema)
    assert before["rows"]["alembic_version"] and before["rows"]["audit_head"]
    # write as a test does: a workspace signs the chain head, the demo accounts fill several tables and
    # move their sequences on (the counters' triggers fire on the way)
    ws = Workspace(load_settings(home=tmp_path / "home", database_url=url)).ensure()
    ensure_demo_accounts(ws)
    ws.close()
    after = contents(schema)
    assert after != before
    assert sum(map(len, after["rows"].values())) > sum(map(len, before["rows"].values()))
    store.fresh()
    assert store.schema == schema and (store.resets, store.rebuilt) == (2, 0)
    assert contents(schema) == before


def test_the_reset_store_has_the_tables_and_rows_of_a_newly_migrated_one(store, tmp_path):
    url = store.fresh()
    ws = Workspace(load_settings(home=tmp_path / "home", database_url=url)).ensure()
    ensure_demo_accounts(ws)
    ws.close()
    store.fresh()
    other = f"t_{store.schema[2:]}"
    with psycopg.connect(DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{other}"')
    try:
        engine = make_engine(_pg_schema_url(other))
        upgrade(engine)
        engine.dispose()
        mine, theirs = contents(store.schema), contents(other)
        assert {t: len(r) for t, r in mine["rows"].items()} == {t: len(r) for t, r in theirs["rows"].items()}
        assert mine["rows"]["alembic_version"] == theirs["rows"]["alembic_version"]
        assert mine["sequences"] == theirs["sequences"]
    finally:
        with psycopg.connect(DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{other}" CASCADE')


def test_a_changed_structure_gets_a_newly_migrated_schema(store):
    store.fresh()
    old = store.schema
    with psycopg.connect(DSN) as conn:
        conn.execute(f'ALTER TABLE "{old}".clues ADD COLUMN left_by_a_test integer')
    url = store.fresh()
    assert store.schema != old and store.rebuilt == 1 and f"search_path%3D{store.schema}&" in url
    with psycopg.connect(DSN) as conn:
        cols = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns WHERE "
                                           "table_schema = %s AND table_name = 'clues'", (store.schema,))]
    assert "id" in cols and "left_by_a_test" not in cols
