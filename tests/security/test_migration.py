"""Migration 0003 (sessions, API tokens, audit log, lockout, dataset org) upgrades and downgrades on
SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from shujian.db.session import alembic_config, make_engine, upgrade


def test_0003_up_down_up(metadata_url):
    engine = make_engine(metadata_url)
    try:
        upgrade(engine)
        insp = inspect(engine)
        assert {"audit_log", "api_tokens", "auth_sessions"} <= set(insp.get_table_names())
        assert {"failed_logins", "locked_until"} <= {c["name"] for c in insp.get_columns("users")}
        assert "org_id" in {c["name"] for c in insp.get_columns("datasets")}
        cfg = alembic_config(str(engine.url))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0002")
        insp = inspect(engine)
        assert "audit_log" not in insp.get_table_names()
        assert "org_id" not in {c["name"] for c in insp.get_columns("datasets")}
        upgrade(engine)
        assert "audit_log" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0004_adds_runs_org_and_fills_old_runs_from_the_adoption(metadata_url):
    """Old runs get the model's only adopting org, else its author's org, else stay platform-wide."""
    from sqlalchemy import text

    engine = make_engine(metadata_url)
    cfg = alembic_config(str(engine.url))
    try:
        upgrade(engine, "0003")
        assert "org_id" not in {c["name"] for c in inspect(engine).get_columns("runs")}
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO orgs (id, code, name, level) VALUES (1, '3310', '市院', '市'), "
                              "(2, '331002', 'A院', '区县'), (3, '331003', 'B院', '区县')"))
            conn.execute(text("INSERT INTO model_versions (id, model_id, version, hash, source, builtin, created_at) "
                              "VALUES (1, 'm1', '1.0.0', 'h1', '{}', false, CURRENT_TIMESTAMP), "
                              "(2, 'm2', '1.0.0', 'h2', '{}', false, CURRENT_TIMESTAMP), "
                              "(3, 'm3', '1.0.0', 'h3', '{}', false, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO gov_models (id, model_id, number, name, state, author_org_id, created_at) "
                              "VALUES (1, 'm1', 'N1', '一', '上架', 1, CURRENT_TIMESTAMP), "
                              "(2, 'm2', 'N2', '二', '上架', 1, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO model_adoptions (gov_model_id, org_id, mapping, missing, status, at) "
                              "VALUES (1, 3, '{}', '[]', '已采用', CURRENT_TIMESTAMP)"))
            for run_id, model in ((1, "m1"), (2, "m2"), (3, "m3")):
                conn.execute(text("INSERT INTO runs (id, model_id, model_version_id, model_hash, params, "
                                  "dataset_versions, engine, status, started_at) VALUES (:i, :m, :i, 'h', '{}', "
                                  "'{}', 'duckdb', 'succeeded', CURRENT_TIMESTAMP)"), {"i": run_id, "m": model})
        upgrade(engine, "0004")
        with engine.connect() as conn:
            orgs = dict(conn.execute(text("SELECT id, org_id FROM runs")).all())
        assert orgs == {1: 3, 2: 1, 3: None}
        assert "ix_runs_org_id" in {i["name"] for i in inspect(engine).get_indexes("runs")}
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
        assert "org_id" not in {c["name"] for c in inspect(engine).get_columns("runs")}
        upgrade(engine)
        assert "org_id" in {c["name"] for c in inspect(engine).get_columns("runs")}
    finally:
        engine.dispose()
