"""Migration 0009 (model bindings) upgrades a store that already holds runs and schedules, on SQLite and
PostgreSQL, and the upgraded store takes bindings."""

from __future__ import annotations

from sqlalchemy import inspect, text

from shujian.db.session import current_revision, make_engine, upgrade


def test_upgrade_keeps_runs_and_schedules_and_adds_bindings(metadata_url):
    engine = make_engine(metadata_url)
    try:
        upgrade(engine, "0008_data_sources")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO model_versions (model_id, version, hash, source, builtin, created_at) "
                              "VALUES ('m', '1.0.0', 'h', '{}', false, CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO runs (model_id, model_version_id, model_hash, params, dataset_versions, "
                              "engine, status, started_at) VALUES ('m', 1, 'h', '{}', '{}', 'duckdb', 'succeeded', "
                              "CURRENT_TIMESTAMP)"))
            conn.execute(text("INSERT INTO schedules (model_id, cron, params, engine, enabled, created_at) "
                              "VALUES ('m', '0 2 * * *', '{}', 'duckdb', true, CURRENT_TIMESTAMP)"))
        upgrade(engine, "0009_model_bindings")
        assert current_revision(engine) == "0009_model_bindings"
        with engine.begin() as conn:
            assert conn.execute(text("SELECT model_id, binding, keyless_rows FROM runs")).one() == ("m", None, None)
            assert conn.execute(text("SELECT model_id, org_id, created_by FROM schedules")).one() == ("m", None, None)
            conn.execute(text("INSERT INTO model_bindings (model_id, org_id, scope_key, version, inputs, source, "
                              "created_at) VALUES ('m', NULL, 'platform', 1, '{}', '命令行', CURRENT_TIMESTAMP)"))
            assert conn.execute(text("SELECT removed FROM model_bindings")).scalar() in (False, 0)
        cols = {c["name"] for c in inspect(engine).get_columns("model_bindings")}
        assert {"model_id", "org_id", "scope_key", "version", "inputs", "source", "created_by", "removed"} <= cols
    finally:
        engine.dispose()
