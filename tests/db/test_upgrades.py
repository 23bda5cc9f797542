"""Upgrades: nothing migrates by itself; every earlier release's workspace upgrades with its data intact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from tests.db.test_metadata_store import cli

from shujian.backup.service import restore
from shujian.config import load_settings
from shujian.db.session import make_engine, schema_status, upgrade
from shujian.errors import SchemaOutdated
from shujian.security.audit import AuditLog
from shujian.workspace import Workspace

RELEASES = Path(__file__).resolve().parents[1] / "fixtures" / "releases"


def _store_at(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine, revision)
    finally:
        engine.dispose()


@pytest.fixture
def home(tmp_path, metadata_url, monkeypatch):
    monkeypatch.setenv("SHUJIAN_HOME", str(tmp_path / "h"))
    monkeypatch.setenv("SHUJIAN_DATABASE_URL", metadata_url)
    return metadata_url


def test_an_older_store_is_not_migrated_by_any_command_but_db_upgrade(home, capsys):
    _store_at(home, "0004")
    status = schema_status(make_engine(home))
    assert status.current == "0004" and status.pending and status.pending[0][0] == "0005"
    for args in (("data", "list"), ("clue", "list"), ("init",)):
        code, _, err = cli(capsys, *args)
        assert code != 0, args
        assert "0004" in err and "0005" in err and "shujian db upgrade" in err and "备份" in err
    code, out, _ = cli(capsys, "db", "current")
    assert code == 0 and out.startswith("0004") and "待执行" in out and "0005" in out
    assert schema_status(make_engine(home)).current == "0004"        # still: nothing migrated
    code, out, _ = cli(capsys, "db", "upgrade")
    assert code == 0 and "0005" in out and "0004 →" in out
    code, _, _ = cli(capsys, "data", "list")
    assert code == 0


def test_the_web_app_refuses_an_older_store(home):
    from shujian.web.app import create_app

    _store_at(home, "0004")
    with pytest.raises(SchemaOutdated, match="shujian db upgrade"):
        create_app(settings=load_settings())


def test_db_current_never_writes_to_an_empty_store(home, capsys):
    code, out, _ = cli(capsys, "db", "current")
    assert code == 0 and "未初始化" in out
    engine = make_engine(home)
    assert "alembic_version" not in inspect(engine).get_table_names()
    engine.dispose()


def test_a_store_written_by_a_newer_shujian_is_refused(home, capsys):
    _store_at(home, "head")
    engine = make_engine(home)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    code, _, err = cli(capsys, "data", "list")
    assert code != 0 and "9999" in err and "更新版本" in err
    code, _, err = cli(capsys, "db", "upgrade")
    assert code != 0 and "9999" in err


@pytest.mark.parametrize("release", sorted(p.name for p in RELEASES.iterdir() if p.is_dir()))
def test_each_earlier_release_restores_and_upgrades_with_its_data(release, home, tmp_path):
    """A backup made by release N (tests/fixtures/releases/N, see tests/backup/make_release_fixture.py)
    restores into this version's empty workspace, is migrated to the newest schema, keeps every row and
    still verifies its audit chain."""
    src = tmp_path / release
    shutil.copytree(RELEASES / release, src)
    ws = Workspace(load_settings())
    ws.ensure(create=False)
    result = restore(ws, src)
    status = schema_status(ws.db.engine)
    assert status.up_to_date and result["upgraded_to"] == status.head
    with ws.db.engine.connect() as conn:
        for table, rows in result["tables"].items():
            assert conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar() == rows, table
        titles = [r[0] for r in conn.execute(text("SELECT title FROM clues ORDER BY id"))]
    assert titles and all(titles)
    assert AuditLog(ws).verify()["ok"]
    ws.ensure()
    ws.close()


def test_version_prints_and_exits_zero(capsys):
    from shujian import __version__

    code, out, _ = cli(capsys, "--version")
    assert code == 0 and out.strip() == f"shujian {__version__}"
