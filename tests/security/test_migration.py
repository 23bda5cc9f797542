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
