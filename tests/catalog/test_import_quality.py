"""The quality report stored with a version, checked against the hand-counted fixture
tests/fixtures/import/people_quality.csv (figures in tests/fixtures/import/README.md)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from shujian.catalog.service import CatalogService
from shujian.cli.main import main

FIXTURE = Path(__file__).parents[1] / "fixtures" / "import" / "people_quality.csv"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_quality_figures_match_hand_count(ws, capsys):
    code, _, err = cli(capsys, "data", "import", str(FIXTURE), "--name", "在押人员", "--no-progress")
    assert code == 0, err
    code, out, _ = cli(capsys, "data", "quality", "在押人员", "--format", "json")
    assert code == 0
    r = json.loads(out)
    assert (r["dataset"], r["version"], r["rows"], r["skipped_rows"]) == ("在押人员", 1, 6, 0)
    c = r["columns"]
    ids = c["身份证号"]
    assert (ids["semantic"], ids["nulls"], ids["distinct"], ids["invalid"]) == ("id_number", 1, 3, 1)
    assert ids["null_rate"] == round(1 / 6, 6)
    assert ids["invalid_examples"] == [{"row": 5, "record": 4, "value": "123"}]
    assert (c["姓名"]["nulls"], c["姓名"]["distinct"], c["姓名"]["invalid"]) == (0, 6, 0)
    start = c["入所日期"]
    assert (start["dtype"], start["min"], start["max"], start["future"]) == ("DATE", "2023-01-05", "2099-01-01", 1)
    assert start["future_examples"] == [{"row": 4, "record": 3, "value": "2099-01-01"}]
    assert (c["出所日期"]["nulls"], c["出所日期"]["distinct"]) == (1, 5)
    assert (c["发放金额"]["dtype"], c["发放金额"]["nulls"]) == ("DECIMAL(18,2)", 1)
    dup = r["duplicates"]
    assert (dup["columns"], dup["values"], dup["rows"]) == (["身份证号"], 2, 4)
    assert sorted(tuple(e["rows"]) for e in dup["examples"]) == [(2, 3), (4, 7)]
    (pair,) = r["start_after_end"]
    assert (pair["start"], pair["end"], pair["count"]) == ("入所日期", "出所日期", 1)
    assert pair["examples"] == [{"row": 3, "record": 2, "start": "2023-02-01", "end": "2023-01-15"}]
    # the values behind the figures
    svc = CatalogService(ws)
    with ws.warehouse() as con:
        got = con.execute(f'SELECT "入所日期", "出所日期", "发放金额" FROM {svc.resolve("在押人员").relation} '
                          "WHERE _row_id = 5").fetchone()
    assert got == (date(2023, 4, 4), date(2023, 5, 5), Decimal("1060.00"))


def test_quality_with_explicit_key_and_table_view(ws, capsys, monkeypatch):
    from shujian.cli.common import console

    monkeypatch.setattr(console, "width", 250)   # no wrapped cells
    assert cli(capsys, "data", "import", str(FIXTURE), "--name", "在押人员", "--key", "姓名", "--no-progress")[0] == 0
    report = CatalogService(ws).quality("在押人员")
    assert report["duplicates"]["columns"] == ["姓名"] and report["duplicates"]["values"] == 0
    code, out, _ = cli(capsys, "data", "quality", "在押人员")
    flat = "".join(out.split())
    assert code == 0 and "数据质量核查：在押人员第1版，6行" in flat
    assert "第5行123" in flat              # invalid example with its line in the file (header = line 1)
    assert "16.7%" in flat                 # null rate of 身份证号
    assert "2023-01-05..2099-01-01（1个未来日期）" in flat
    assert "开始晚于结束（入所日期/出所日期）：1行；例如第3行2023-02-01>2023-01-15" in flat
    assert "重复键（姓名）：无重复" in flat


def test_quality_per_version(ws, tmp_path, capsys):
    assert cli(capsys, "data", "import", str(FIXTURE), "--name", "在押人员", "--no-progress")[0] == 0
    small = tmp_path / "small.csv"
    small.write_text("身份证号,姓名\n11010519491231002X,张三\n", encoding="utf-8")
    assert cli(capsys, "data", "import", str(small), "--name", "在押人员", "--no-progress")[0] == 0
    svc = CatalogService(ws)
    assert svc.quality("在押人员")["rows"] == 1
    assert svc.quality("在押人员", 1)["rows"] == 6
    code, out, _ = cli(capsys, "data", "quality", "在押人员", "--version", "1", "--format", "json")
    assert json.loads(out)["columns"]["身份证号"]["invalid"] == 1
