"""shujian backup / restore: a consistent copy of a live workspace, restored into an empty one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import create_engine, inspect, text
from tests.backup.world import ATTACHMENT, build_world
from tests.conftest import PG_URL, _pg_schema_url

from shujian.backup.service import backup, read_manifest, restore
from shujian.config import load_settings
from shujian.errors import InputError
from shujian.security.audit import AuditLog
from shujian.workspace import Workspace

REPO = Path(__file__).resolve().parents[2]


def _fresh(tmp_path: Path, monkeypatch, backend: str, name: str) -> Workspace:
    home = tmp_path / name
    monkeypatch.setenv("SHUJIAN_HOME", str(home))
    if backend == "sqlite":
        monkeypatch.delenv("SHUJIAN_DATABASE_URL", raising=False)
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        monkeypatch.setenv("SHUJIAN_DATABASE_URL", _pg_schema_url(schema))
    return Workspace(load_settings()).ensure(create=False)


def _counts(ws: Workspace) -> dict[str, int]:
    with ws.db.engine.connect() as conn:
        names = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in names}


def _clues(ws: Workspace) -> list[tuple]:
    with ws.db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT id, fingerprint, title, state FROM clues ORDER BY id"))]


def _warehouse(ws: Workspace) -> dict[str, list]:
    con = duckdb.connect(str(ws.settings.duckdb_path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {n: sorted(map(str, con.execute(f'SELECT * FROM "{n}"').fetchall())) for n in names}
    finally:
        con.close()


@pytest.mark.parametrize("target", ["same", "postgres"])
def test_a_backup_restores_everything_and_the_audit_chain_verifies(ws, tmp_path, monkeypatch, target):
    build_world(ws)
    before_counts, before_clues, before_wh = _counts(ws), _clues(ws), _warehouse(ws)
    report = backup(ws, tmp_path / "备份")
    assert report.tables["clues"] == before_counts["clues"] > 0
    assert sorted(t.split(".")[1] for t in report.warehouse_tables) == sorted(before_wh)
    backend = "postgres" if target == "postgres" or ws.db.engine.dialect.name == "postgresql" else "sqlite"
    ws.close()

    new = _fresh(tmp_path, monkeypatch, backend, "恢复后")
    result = restore(new, tmp_path / "备份")
    assert result["tables"]["audit_log"] == before_counts["audit_log"]
    assert _counts(new) == before_counts
    assert _clues(new) == before_clues
    assert _warehouse(new) == before_wh
    stored = list((new.home / "attachments").iterdir())
    assert [p.read_bytes() for p in stored] == [ATTACHMENT]
    assert AuditLog(new).verify()["ok"]
    new.ensure()          # the restored store is at this program's schema: commands run
    new.close()


def test_restore_refuses_a_workspace_that_is_not_empty(ws, tmp_path):
    build_world(ws)
    backup(ws, tmp_path / "b")
    with pytest.raises(InputError, match="只能恢复到空的工作区"):
        restore(ws, tmp_path / "b")


def test_a_changed_backup_is_refused_and_the_target_stays_empty(sqlite_ws, tmp_path, monkeypatch):
    build_world(sqlite_ws)
    backup(sqlite_ws, tmp_path / "b")
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text(encoding="utf-8"))
    victim = tmp_path / "b" / next(p for p in manifest["files"] if p.startswith("metadata/clues"))
    victim.write_bytes(victim.read_bytes()[:-3] + b"xyz")
    with pytest.raises(InputError, match="校验和不符"):
        read_manifest(tmp_path / "b")
    new = _fresh(tmp_path, monkeypatch, "sqlite", "n")
    with pytest.raises(InputError, match="不完整或已被改动"):
        restore(new, tmp_path / "b")
    assert _counts(new) == {} and not new.settings.duckdb_path.exists()


def test_backup_never_overwrites_and_stays_outside_the_workspace(sqlite_ws, tmp_path):
    (tmp_path / "有了").mkdir()
    with pytest.raises(InputError, match="已存在"):
        backup(sqlite_ws, tmp_path / "有了")
    with pytest.raises(InputError, match="工作区"):
        backup(sqlite_ws, sqlite_ws.home / "bk")


WORKER = textwrap.dedent("""
    import sys, threading
    from pathlib import Path
    import pyarrow as pa
    sys.path.insert(0, {repo!r})
    from shujian.workspace import open_workspace
    from shujian.catalog.importer import ImportRequest
    from shujian.catalog.service import CatalogService
    from shujian.runs.service import RunService
    from shujian.spec import load_model
    from tests.runs.conftest import MODEL
    ws = open_workspace()
    n = 3_000_000
    big = pa.table({{"编号": pa.array(range(n)), "内容": pa.array(["某某" + str(i % 977) for i in range(n)])}})
    def imp():
        CatalogService(ws).import_arrow(ImportRequest(name="大表", agency="测试"), big)
    def run():
        for _ in range(3):
            RunService(ws).run(load_model(MODEL))
    threads = [threading.Thread(target=imp), threading.Thread(target=run)]
    for t in threads: t.start()
    print("started", flush=True)
    for t in threads: t.join()
    print("done", flush=True)
""")


def test_backup_while_an_import_and_a_model_run_are_in_progress(sqlite_ws, tmp_path, monkeypatch):
    """Whatever moment the backup catches, the restored workspace holds only complete imports and runs."""
    build_world(sqlite_ws)
    env = {**os.environ, "SHUJIAN_HOME": str(sqlite_ws.home)}
    env.pop("SHUJIAN_DATABASE_URL", None)
    worker = subprocess.Popen([sys.executable, "-c", WORKER.format(repo=str(REPO))], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline().strip() == "started"
        time.sleep(0.3)
        backup(sqlite_ws, tmp_path / "b", wait_seconds=300)
    finally:
        out, _ = worker.communicate(timeout=300)
    assert worker.returncode == 0 and "done" in out

    new = _fresh(tmp_path, monkeypatch, "sqlite", "n")
    restore(new, tmp_path / "b")
    with new.db.engine.connect() as conn:
        versions = conn.execute(text("SELECT relation, row_count FROM dataset_versions")).all()
        unfinished = conn.execute(text("SELECT count(*) FROM runs WHERE status = 'running'")).scalar()
        jobs = conn.execute(text("SELECT count(*) FROM jobs WHERE status = 'running'")).scalar()
        orphans = conn.execute(text("SELECT count(*) FROM clue_runs WHERE run_id NOT IN "
                                    "(SELECT id FROM runs WHERE status = 'succeeded')")).scalar()
    wh = duckdb.connect(str(new.settings.duckdb_path), read_only=True)
    try:
        tables = {r[0] for r in wh.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        for relation, rows in versions:           # every committed version is there, whole
            assert wh.execute(f'SELECT count(*) FROM "{relation}"').fetchone()[0] == rows
    finally:
        wh.close()
    assert tables == {r for r, _ in versions}     # and nothing else: no staging or uncommitted tables
    assert unfinished == 0 and jobs == 0 and orphans == 0
    assert AuditLog(new).verify()["ok"]
