"""``shujian docs import``: parsed judgments become three catalog datasets a model can read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shujian.catalog.service import CatalogService
from shujian.cli.main import main
from shujian.config import load_settings
from shujian.workspace import Workspace

DEV = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "judgments" / "judge-dev-120.jsonl"


@pytest.mark.skipif(not DEV.is_file(), reason=f"shared judgments not found at {DEV} (the repo expects ../shared beside it)")
def test_docs_import_loads_three_tables(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SHUJIAN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SHUJIAN_DATABASE_URL", raising=False)
    sample = tmp_path / "ten.jsonl"
    lines = DEV.read_text(encoding="utf-8").splitlines()[:10]
    sample.write_text("\n".join(lines + ['{"text_id": "bad", "fd": "今天天气很好，适合出门散步。"}', "{broken"]) + "\n",
                      encoding="utf-8")
    assert main(["docs", "import", str(sample), "--no-progress"]) == 0
    out = "".join(capsys.readouterr().out.split())     # rich wraps long lines
    assert "刑事判决被告人" in out and "2份文书未导入" in out
    ws = Workspace(load_settings()).ensure()
    svc = CatalogService(ws)
    info = {d["name"]: d for d in svc.list_datasets()}
    expected = sum(len(json.loads(x)["fd"]) > 0 for x in lines)
    assert info["刑事判决被告人"]["rows"] >= expected
    cols = {c["name"]: c for c in svc.describe("刑事判决被告人")["columns"]}
    assert cols["刑期月数"]["dtype"] == "BIGINT" and cols["判决日期"]["dtype"] == "DATE"
    assert cols["案号"]["semantic"] == "case_number"
