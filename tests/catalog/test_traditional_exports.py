"""Exports from 繁体 systems and ID columns whose check digits are wrong (the two gaps found on real
agency deliveries after issue 16).

- 無, 暫無, 不詳, 無資料 are null markers like 无, 暂无, 不详, 无资料 (in a 有/無 column 無 is 否);
- a column whose header names the resident ID (身份证号, 公民身份号码) is an ID column even when most of its
  values fail the GB 11643 check: those values are counted and shown as invalid, their raw text kept;
  a weaker header (证件号码) needs ID-shaped values; a column without such a header keeps the
  value-based detection (≥ 90 % valid).

Every test goes through the real CLI into a real DuckDB warehouse, from a GBK CSV and from an XLSX.
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from stdnum.cn import ric

from shujian.catalog.service import CatalogService
from shujian.catalog.typeinfer import NULL_MARKERS, clean_text, infer_column
from shujian.cli.main import main

HEADER = ["姓名", "身份证号", "是否在职", "证件号码", "编号", "备注"]


def _id(body17: str, wrong: bool) -> str:
    check = ric.calc_check_digit(body17 + "0")
    if wrong:
        check = "0" if check != "0" else "1"
    return body17 + check


BODIES = [f"110105{1950 + i}0{1 + i % 9}1{i % 10}{i:03d}" for i in range(12)]
WRONG = [_id(b, True) for b in BODIES[:8]]       # 8 of 10 IDs have a wrong check digit
RIGHT = [_id(b, False) for b in BODIES[8:10]]
NUMBERS = [_id(b, True) for b in BODIES]          # 编号: ID-shaped, wrong check digits, no ID header


def _rows() -> list[list[str]]:
    names = ["張三豐", "陳國華", "黃麗", "劉德華", "吳宗憲", "蔡依林", "周杰倫", "鄧麗君", "林志玲", "王菲",
             "趙薇", "孫燕姿"]
    ids = [*WRONG, *RIGHT, "無", "NULL"]
    flags = ["是", "否", "無", "是", "否", "是", "否", "—", "是", "否", "無", "是"]
    cards = [*WRONG[:6], "無資料", "暫無", *RIGHT, "不詳", "无"]
    notes = ["臺灣同胞", "無", "—", "不詳", "香港居民", "NULL", "无", "暫無", "", "備註", "無資料", "澳門"]
    return [[names[i], ids[i], flags[i], cards[i], NUMBERS[i], notes[i]] for i in range(12)]


def gbk_export(path: Path) -> Path:
    lines = [",".join(HEADER)] + [",".join(r) for r in _rows()]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


def xlsx_export(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "人员"
    ws.append(HEADER)
    for r in _rows():
        ws.append(r)
    wb.save(path)
    return path


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err.replace("\n", "")


def fetch(ws, name: str, columns: str) -> list[tuple]:
    ref = CatalogService(ws).resolve(name)
    with ws.warehouse() as con:
        return con.execute(f'SELECT {columns} FROM "{ref.relation}" ORDER BY _row_id').fetchall()


def test_traditional_null_markers_are_markers():
    for simplified, traditional in (("无", "無"), ("暂无", "暫無"), ("不详", "不詳"), ("无资料", "無資料")):
        assert simplified in NULL_MARKERS and traditional in NULL_MARKERS
        assert clean_text(f" {traditional} ") is None
    assert infer_column(["是", "否", "無", "是"]).dtype == "BOOLEAN"       # 無 is a marker in a 是/否 column
    assert infer_column(["有", "無", "有"]).note.startswith("有/无")          # … and 否 in a 有/無 column


@pytest.mark.parametrize("fmt", ["gbk", "xlsx"])
def test_traditional_export_with_wrong_check_digits(sqlite_ws, tmp_path, capsys, fmt):
    path = gbk_export(tmp_path / "人员.csv") if fmt == "gbk" else xlsx_export(tmp_path / "人员.xlsx")
    code, out, err = cli(capsys, "data", "import", str(path), "--name", "人员", "--no-progress", "--format", "json")
    assert code == 0, err
    cols = {c["name"]: (c["dtype"], c["semantic"]) for c in json.loads(out)["columns"]}
    assert cols["身份证号"] == ("VARCHAR", "id_number")        # the header wins over the failing checksums
    assert cols["证件号码"] == ("VARCHAR", "id_number")        # a weaker header plus ID-shaped values
    assert cols["编号"] == ("VARCHAR", None)                   # no header: value-based detection, 0 % valid
    assert cols["是否在职"] == ("BOOLEAN", None)

    rows = fetch(sqlite_ws, "人员", '"姓名", "身份证号", "是否在职", "证件号码", "备注"')
    assert [r[1] for r in rows] == [*WRONG, *RIGHT, None, None]     # raw values kept, 無/NULL are NULL
    assert [r[2] for r in rows] == [True, False, None, True, False, True, False, None, True, False, None, True]
    assert [r[3] for r in rows][6:8] == [None, None] and rows[11][3] is None
    assert [r[4] for r in rows][1:4] == ["無", "—", "不詳"]       # free text is stored as delivered …
    assert rows[0][0] == "張三豐" and rows[0][4] == "臺灣同胞"

    report = CatalogService(sqlite_ws).quality("人员")["columns"]
    ids = report["身份证号"]
    assert ids["semantic"] == "id_number" and ids["invalid"] == len(WRONG) and ids["nulls"] == 2
    assert ids["null_markers"] == 2
    assert [e["value"] for e in ids["invalid_examples"]] == WRONG[:5]
    assert [e["record"] for e in ids["invalid_examples"]] == [1, 2, 3, 4, 5]
    assert [e["row"] for e in ids["invalid_examples"]] == [2, 3, 4, 5, 6]      # as Excel shows them
    assert report["证件号码"]["invalid"] == 6 and report["证件号码"]["null_markers"] == 4
    assert report["是否在职"]["null_markers"] == 3
    assert report["备注"]["nulls"] == 8                          # … and its markers counted as nulls
    assert report["编号"]["invalid"] is None                    # untagged: no validity check
