"""The metadata store on SQLite and PostgreSQL: migrations, ``shujian db upgrade``, ``shujian init``."""

from __future__ import annotations

from sqlalchemy import inspect

from shujian.cli.main import app, main
from shujian.db.session import current_revision
from shujian.workspace import Workspace


def cli(capsys, *args: str) -> tuple[int, str, str]:
    groups, commands = list(app.registered_groups), list(app.registered_commands)
    try:
        code = main(list(args))
    finally:   # main() mounts the command groups on every call (reported); keep one copy
        app.registered_groups[:], app.registered_commands[:] = groups, commands
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_migrations_create_the_tables(ws: Workspace):
    tables = set(inspect(ws.db.engine).get_table_names())
    assert {"datasets", "dataset_versions", "dataset_columns", "jobs", "alembic_version"} <= tables
    assert current_revision(ws.db.engine)


def test_db_upgrade_is_idempotent(ws, capsys):
    before = current_revision(ws.db.engine)
    code, out, _ = cli(capsys, "db", "upgrade")
    assert code == 0 and before in out
    code, out, _ = cli(capsys, "db", "current")
    assert code == 0 and out.strip() == before


def test_init_creates_a_workspace(tmp_path, metadata_url, monkeypatch, capsys):
    home = tmp_path / "新的工作区"
    monkeypatch.setenv("SHUJIAN_HOME", str(home))
    monkeypatch.setenv("SHUJIAN_DATABASE_URL", metadata_url)
    code, out, _ = cli(capsys, "init")
    assert code == 0 and "工作区已就绪" in out
    assert (home / "warehouse.duckdb").exists() and (home / "tmp").is_dir()
    code, out, _ = cli(capsys, "init")   # again: harmless
    assert code == 0


def test_commands_work_without_init(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHUJIAN_HOME", str(tmp_path / "空"))
    monkeypatch.delenv("SHUJIAN_DATABASE_URL", raising=False)
    code, out, _ = cli(capsys, "data", "list", "--format", "json")
    assert code == 0 and out.strip() == "[]"
    assert (tmp_path / "空" / "metadata.sqlite").exists()


def test_unreachable_database_is_a_chinese_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHUJIAN_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("SHUJIAN_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    code, _, err = cli(capsys, "data", "list")
    assert code != 0 and "无法连接元数据库" in err and "SHUJIAN_DATABASE_URL" in err
