"""法定附加刑表 in the catalog: ``shujian init`` imports it, and accessory-penalty runs on a fresh workspace.

docs/demo-contract.md promises the dataset after ``shujian init``; before, only the demo city had it, so
accessory-penalty could not even compile on a real installation.
"""

from __future__ import annotations

from pathlib import Path

from shujian.catalog.service import CatalogService
from shujian.cli.main import app, main
from shujian.compiler import compile_model
from shujian.config import load_settings
from shujian.documents import parse_judgment
from shujian.documents.catalog_import import import_judgments
from shujian.law import accessory_table
from shujian.law.catalog import LAW_TABLE, ensure_law_tables, law_table_note
from shujian.models_library import get_model
from shujian.workspace import Workspace

JUDGMENTS = Path(__file__).resolve().parents[1] / "fixtures" / "judgments"


def _cli(capsys, *args: str) -> tuple[int, str]:
    groups, commands = list(app.registered_groups), list(app.registered_commands)
    try:
        code = main(list(args))
    finally:
        app.registered_groups[:], app.registered_commands[:] = groups, commands
    return code, capsys.readouterr().out


def test_init_imports_the_law_table_once(tmp_path, metadata_url, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SHUJIAN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SHUJIAN_DATABASE_URL", metadata_url)
    code, out = _cli(capsys, "init")
    assert code == 0 and LAW_TABLE in out
    code, out = _cli(capsys, "init")            # again: the same law data is not imported twice
    assert code == 0 and LAW_TABLE not in out
    ws = Workspace(load_settings()).ensure()
    try:
        info = CatalogService(ws).describe(LAW_TABLE)
    finally:
        ws.close()
    assert len(info["versions"]) == 1 and info["version"]["note"] == law_table_note()
    assert info["version"]["rows"] == len(accessory_table())
    types = {c["name"]: c["dtype"] for c in info["columns"]}
    assert types["生效日期"] == "DATE" and types["主刑下限月数"] == "BIGINT" and types["罚金"] == "VARCHAR"


def test_accessory_penalty_runs_on_a_fresh_workspace(sqlite_ws) -> None:
    service = CatalogService(sqlite_ws)
    assert ensure_law_tables(service) is True and ensure_law_tables(service) is False
    text = (JUDGMENTS / "combined_fine.txt").read_bytes().decode("utf-8")
    import_judgments(service, [parse_judgment(text, "combined_fine.txt")])
    compiled = compile_model(get_model("accessory-penalty"), service.schema(), "duckdb")
    with sqlite_ws.warehouse() as con:
        cur = con.execute(compiled.sql, compiled.parameters)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    # 吴某某: 信用卡诈骗罪 without a fine (第一百九十六条 requires one); 周某: covered by the combined fine
    assert {(r["name"], r["charge"], r["_rule"]) for r in rows} == {("吴某某", "信用卡诈骗罪", "R1")}
